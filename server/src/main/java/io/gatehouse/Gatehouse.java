package io.gatehouse;

import io.gatehouse.cli.AccountsCommands;
import io.gatehouse.cli.BillingCommands;
import io.gatehouse.cli.KeysCommand;
import io.gatehouse.cli.ClientsCommand;
import io.gatehouse.cli.ServersCommand;
import io.gatehouse.config.ConfigException;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.config.Settings;
import io.gatehouse.errors.ApiError;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** Entry point: {@code gatehouse serve}, {@code gatehouse admin init}, {@code gatehouse keys …} and the rest. */
@Command(name = "gatehouse", mixinStandardHelpOptions = true, version = "Gatehouse 0.1.0",
        description = "An access layer for MCP servers and HTTP APIs: API keys, organizations, workspaces.",
        subcommands = {Gatehouse.Serve.class, Demo.class, Gatehouse.Admin.class, KeysCommand.class, ServersCommand.class, ClientsCommand.class,
                AccountsCommands.Users.class, AccountsCommands.Orgs.class, AccountsCommands.Members.class,
                AccountsCommands.Invitations.class, AccountsCommands.ServiceAccounts.class,
                AccountsCommands.Workspaces.class, BillingCommands.Credits.class, BillingCommands.Usage.class,
                BillingCommands.Alerts.class, CommandLine.HelpCommand.class})
public final class Gatehouse {

    @Option(names = "--config", description = "configuration file (default: $GATEHOUSE_CONFIG)")
    Path configFile;

    @Option(names = "--data-dir", description = "data directory (default: $GATEHOUSE_DATA_DIR, else ./data)")
    String dataDir;

    @Option(names = "--url", description = "the Gatehouse the management commands talk to, as each command's own "
            + "--url (default: $GATEHOUSE_URL, else the local store)")
    String url;

    @Option(names = "--key", description = "credential for --url, as each command's own --key (default: "
            + "$GATEHOUSE_ADMIN_KEY, else $GATEHOUSE_KEY)")
    String key;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line, wired: what {@link #main} runs, and what tests drive. */
    public static CommandLine commandLine() {
        Gatehouse root = new Gatehouse();
        CommandLine cli = new CommandLine(root);
        io.gatehouse.cli.CliSupport.setLocalConfig(root::config);
        io.gatehouse.cli.CliSupport.setGlobalApi(() -> Optional.ofNullable(root.url), () -> Optional.ofNullable(root.key));
        withHelp(cli);
        cli.setParameterExceptionHandler(Gatehouse::badArguments);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            String message = switch (e) {
                case ConfigException c -> "configuration error: " + c.getMessage();
                case ApiError a -> a.publicMessage();
                default -> e.getMessage() == null ? e.toString() : e.getMessage();
            };
            System.err.println("gatehouse: " + message);
            return 2;
        });
        return cli;
    }

    /**
     * Bad arguments, answered as picocli would (the message, suggestions, the synopsis) but with every
     * secret the command line held masked: picocli's "Unknown options: '--key', 'gk_live_…'" (a
     * command's {@code --key} put before it) would otherwise print a key to the terminal and its logs.
     */
    private static int badArguments(CommandLine.ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        java.io.PrintWriter err = command.getErr();
        err.println("gatehouse: " + masked(String.valueOf(e.getMessage()), args));
        if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, err)) {
            err.print(command.getHelp().fullSynopsis());
        }
        err.println("Try 'gatehouse " + (command.getParent() == null ? "" : command.getCommandName() + " ")
                + "--help' for more.");
        err.flush();
        return command.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** Options whose value is a secret: {@code --key}, {@code --admin-key}, {@code --webhook-secret}, … */
    private static final java.util.regex.Pattern SECRET_OPTION =
            java.util.regex.Pattern.compile("--?[a-z-]*(key|secret|password|token)", java.util.regex.Pattern.CASE_INSENSITIVE);

    /** {@code message} with the value of every secret option in {@code args}, and anything key-shaped, masked. */
    static String masked(String message, String[] args) {
        String out = message;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            int eq = arg.indexOf('=');
            String secret = null;
            if (arg.startsWith("-") && eq > 0 && SECRET_OPTION.matcher(arg.substring(0, eq)).matches()) {
                secret = arg.substring(eq + 1);
            } else if (arg.startsWith("-") && SECRET_OPTION.matcher(arg).matches() && i + 1 < args.length) {
                secret = args[++i];
            } else if (!arg.startsWith("-") && arg.length() >= 24 && arg.indexOf('_') > 0) {
                secret = arg; // a key or token given where an option was not expected
            }
            if (secret != null && !secret.isEmpty()) {
                out = out.replace(secret, "****");
            }
        }
        return out;
    }

    /** The global options this run was given, as they must be repeated in a command it suggests. */
    String globalOptions() {
        return (configFile != null ? "--config " + configFile + " " : "") + (dataDir != null ? "--data-dir " + dataDir + " " : "");
    }

    /** {@code --help} (and {@code --version}) on every command, not only the root; {@code gatehouse help …} too. */
    private static void withHelp(CommandLine command) {
        for (CommandLine sub : command.getSubcommands().values()) {
            if (!(sub.getCommand() instanceof CommandLine.HelpCommand) && !sub.getCommandSpec().mixinStandardHelpOptions()) {
                sub.getCommandSpec().mixinStandardHelpOptions(true);
            }
            withHelp(sub);
        }
    }

    /** The configuration: file, then environment, then command-line overrides. */
    GatehouseConfig config(Map<String, String> overrides) {
        Map<String, String> all = new HashMap<>(overrides);
        if (dataDir != null) {
            all.put("data-dir", dataDir);
        }
        Optional<Path> file = Optional.ofNullable(configFile)
                .or(() -> Optional.ofNullable(System.getenv("GATEHOUSE_CONFIG")).filter(s -> !s.isBlank()).map(Path::of));
        GatehouseConfig config = GatehouseConfig.from(Settings.load(file, System.getenv(), all));
        Logging.configure(config.logLevel());
        return config;
    }

    /** For one-shot commands: quiet libraries unless the operator asked for a level. */
    GatehouseConfig config() {
        return config(commandDefaults(Map.of()));
    }

    static Map<String, String> commandDefaults(Map<String, String> overrides) {
        Map<String, String> all = new HashMap<>(overrides);
        if (System.getenv("GATEHOUSE_LOG_LEVEL") == null) {
            all.putIfAbsent("log.level", "WARN");
        }
        return all;
    }

    static Map<String, String> portOverride(Integer port) {
        Map<String, String> overrides = new HashMap<>();
        if (port != null) {
            overrides.put("http.port", port.toString());
        }
        return overrides;
    }

    /** Closes the node when the JVM is asked to stop; the latch opens once it is closed. */
    static CountDownLatch closeOnShutdown(GatehouseServer server) {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "gatehouse-shutdown"));
        return stopped;
    }

    @Command(name = "serve", description = "Run Gatehouse until stopped (Ctrl-C).")
    static final class Serve implements Callable<Integer> {
        @ParentCommand
        Gatehouse root;

        @Option(names = "--port", description = "port (default: $GATEHOUSE_HTTP_PORT, else 8080)")
        Integer port;

        @Override
        public Integer call() throws InterruptedException {
            GatehouseConfig config = root.config(portOverride(port));
            GatehouseServer server = GatehouseServer.start(config, Optional.empty());
            CountDownLatch stopped = closeOnShutdown(server);
            boolean initialised = server.services().db().withHandle(h -> server.services().accountStore().anyOperator(h));
            System.out.println("Gatehouse is listening on " + server.publicUrl());
            System.out.println("  database: " + server.services().db().describe());
            System.out.println("  health:   " + server.publicUrl() + "/healthz   API: " + server.publicUrl() + "/v1/openapi.json");
            if (!initialised) {
                System.out.println("No operator yet. In another terminal, run:");
                System.out.println("  ./gatehouse " + root.globalOptions() + "admin init");
                System.out.println("It prints a one-time operator key; use it as: curl -H \"Authorization: Bearer <key>\" "
                        + server.publicUrl() + "/v1/orgs");
            }
            System.out.flush();
            stopped.await();
            return 0;
        }
    }

    @Command(name = "admin", description = "Instance administration on the local store.",
            subcommands = {Admin.Init.class})
    static final class Admin {
        @ParentCommand
        Gatehouse root;

        @Command(name = "init", description = "Create the first operator and print their operator key once.")
        static final class Init implements Callable<Integer> {
            @ParentCommand
            Admin admin;

            @Option(names = "--email", defaultValue = "admin@localhost", description = "administrator's email")
            String email;

            @Option(names = "--new-key", description = "issue another operator key when an operator exists")
            boolean newKey;

            @Override
            public Integer call() {
                GatehouseConfig config = admin.root.config(commandDefaults(Map.of("http.port", "0", "http.host", "127.0.0.1")));
                try (GatehouseServer server = GatehouseServer.start(config, Optional.empty())) {
                    Bootstrap.Result result = Bootstrap.initAdmin(server.services(), email, newKey);
                    System.out.println((result.created() ? "Created operator " : "New operator key for ")
                            + result.admin().email() + " (" + result.admin().id() + ") in organization "
                            + result.organization().name() + " (" + result.organization().id() + ").");
                    System.out.println("Operator key (acts for the whole instance; shown only once; store it in a secret manager):");
                    System.out.println();
                    System.out.println("  " + result.key().plaintext());
                    System.out.println();
                    System.out.println("Use it as:  Authorization: Bearer <key>   e.g.");
                    // where `serve` listens with this configuration, not the loopback port this command used
                    GatehouseConfig served = admin.root.config(commandDefaults(Map.of()));
                    System.out.println("  export GATEHOUSE_URL=" + served.publicUrl(served.http().port())
                            + " GATEHOUSE_ADMIN_KEY=<key>");
                    System.out.println("  ./gatehouse orgs list");
                    return 0;
                }
            }

        }
    }
}
