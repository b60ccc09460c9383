package io.gatehouse.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gatehouse clients …}: OAuth clients an operator registers, as {@code /v1/oauth-clients}. */
@Command(name = "clients", description = "Register, list and remove OAuth clients (operators).",
        subcommands = {ClientsCommand.Create.class, ClientsCommand.ListClients.class, ClientsCommand.Get.class,
                ClientsCommand.Delete.class})
public final class ClientsCommand {

    @Command(name = "create", description = "Register an OAuth client; a confidential one's secret is printed once.")
    static final class Create extends Call {
        @Option(names = "--name", required = true) String name;
        @Option(names = "--redirect-uri", required = true, description = "where it receives codes (repeatable)")
        List<String> redirectUris;
        @Option(names = "--confidential", description = "give it a secret (client_secret_basic or _post)")
        boolean confidential;

        String method() {
            return "POST";
        }

        String path() {
            return "/v1/oauth-clients";
        }

        @Override
        Optional<Map<String, Object>> body() {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("name", name);
            b.put("redirect_uris", redirectUris);
            b.put("confidential", confidential);
            return Optional.of(b);
        }
    }

    @Command(name = "list", description = "List the OAuth clients Gatehouse knows.")
    static final class ListClients extends Call {
        String method() {
            return "GET";
        }

        String path() {
            return "/v1/oauth-clients";
        }
    }

    abstract static class OnClient extends Call {
        @Parameters(index = "0", description = "client id (gh_client_…, or a metadata document's URL)") String id;

        String path() {
            return "/v1/oauth-clients/" + encode(id);
        }
    }

    @Command(name = "get", description = "Show one OAuth client.")
    static final class Get extends OnClient {
        String method() {
            return "GET";
        }
    }

    @Command(name = "delete", description = "Remove an OAuth client and revoke every grant people gave it.")
    static final class Delete extends OnClient {
        String method() {
            return "DELETE";
        }
    }
}
