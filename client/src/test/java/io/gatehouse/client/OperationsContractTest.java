package io.gatehouse.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Every method of the SDK sends a request that the OpenAPI document declares: its method and path
 * match an operation, its query parameters are that operation's, and a body goes only where the
 * operation takes one. Each call is sent to a real local server that answers 500, and checked as
 * it arrived. Also checks that keys and tokens appear in no {@code toString()}.
 */
class OperationsContractTest {
    private static final String KEY = "gk_live_KYPuYLxyiEeQHJMS0MqDq6zfh6DRHDsy_0rTHR1";

    @Test
    void everyCallIsAnOperationOfTheOpenApiDocument() {
        List<Consumer<Gatehouse>> calls = List.of(
                Gatehouse::whoami,
                c -> c.keys().create(CreateKeyRequest.named("n")),
                c -> c.keys().createOwn(CreateOwnKeyRequest.named("n")),
                c -> c.keys().list(),
                c -> c.keys().listInOrganization("org_1"),
                c -> c.keys().listOfUser("org_1", "usr_1"),
                c -> c.keys().listOwn(),
                c -> c.keys().get("key_1"),
                c -> c.keys().revoke("key_1"),
                c -> c.keys().renew("key_1"),
                c -> c.keys().roll("key_1", Duration.ofMinutes(1)),
                c -> c.keys().delete("key_1"),
                c -> c.keys().importKeys(List.of(ImportKey.of("ab", "pre_", "n"))),
                c -> c.keys().verify(VerifyKeyRequest.of(KEY)),
                c -> c.users().create(CreateUserRequest.of("a@b.c")),
                c -> c.users().list(),
                c -> c.users().get("usr_1"),
                c -> c.users().disable("usr_1"),
                c -> c.users().enable("usr_1"),
                c -> c.organizations().create(CreateOrganizationRequest.named("n")),
                c -> c.organizations().list(),
                c -> c.organizations().get("org_1"),
                c -> c.organizations().update("org_1", UpdateOrganizationRequest.changes().withName("m")),
                c -> c.members().list("org_1"),
                c -> c.members().setRole("org_1", "usr_1", "admin"),
                c -> c.members().remove("org_1", "usr_1"),
                c -> c.invitations().create("org_1", CreateInvitationRequest.to("a@b.c")),
                c -> c.invitations().list("org_1"),
                c -> c.invitations().revoke("org_1", "inv_1"),
                c -> c.invitations().accept("gh_inv_token"),
                c -> c.serviceAccounts().create("org_1", CreateServiceAccountRequest.of("bot", "member")),
                c -> c.workspaces().create("org_1", "ws"),
                c -> c.workspaces().list("org_1"),
                c -> c.workspaces().get("ws_1"),
                c -> c.workspaces().delete("ws_1"),
                c -> c.workspaces().members("ws_1"),
                c -> c.workspaces().addMember("ws_1", "usr_1"),
                c -> c.workspaces().removeMember("ws_1", "usr_1"),
                c -> c.audit().list(),
                c -> c.audit().list("org_1", 10),
                c -> c.servers().create(CreateServerRequest.of("n", "s", "http://127.0.0.1:1/mcp")),
                c -> c.servers().list(),
                c -> c.servers().get("srv_1"),
                c -> c.servers().update("srv_1", UpdateServerRequest.changes().withName("m")),
                c -> c.servers().delete("srv_1"),
                c -> c.credits().pool("org_1"),
                c -> c.credits().add("org_1", CreditChange.purchase(5, "pi_1")),
                c -> c.credits().ledger("org_1"),
                c -> c.credits().ledger("org_1", 10, "cl_1"),
                c -> c.usage().get("org_1", UsageQuery.defaults()),
                c -> c.usage().get("org_1", UsageQuery.defaults().withFrom(java.time.Instant.EPOCH)
                        .withTo(java.time.Instant.EPOCH.plusSeconds(60)).withGranularity(UsageQuery.Granularity.MINUTE)
                        .withGroupBy(UsageQuery.GroupBy.TOOL).withCredential("key_1")),
                c -> c.alerts().list("org_1"),
                c -> c.alerts().list("org_1", 10),
                c -> c.alerts().list("org_1", 10, "alert_1"));
        try (StubServer s = new StubServer((x, n) -> StubServer.answer(x, 500,
                StubServer.error("internal_error", "stub", "Internal error"), null))) {
            Gatehouse client = Gatehouse.builder().baseUrl(s.url()).key(KEY).retries(RetryPolicy.NONE).build();
            for (Consumer<Gatehouse> call : calls) {
                assertThatThrownBy(() -> call.accept(client)).isInstanceOf(GatehouseException.class);
            }
            assertThat(s.hits()).hasSize(calls.size());
            List<String> undeclared = new ArrayList<>();
            for (StubServer.Hit hit : s.hits()) {
                if (!declared(hit)) {
                    undeclared.add(hit.method() + " " + hit.path() + " " + hit.body());
                }
            }
            assertThat(undeclared).isEmpty();
        }
    }

    private static boolean declared(StubServer.Hit hit) {
        String path = hit.path().split("\\?")[0];
        String query = hit.path().contains("?") ? hit.path().substring(hit.path().indexOf('?') + 1) : "";
        for (String template : OpenApiContractTest.pathTemplates(hit.method())) {
            if (!path.matches(template.replaceAll("\\{[^}]+}", "[^/]+"))) {
                continue;
            }
            JsonNode operation = OpenApiContractTest.openapi().path("paths").path(template)
                    .path(hit.method().toLowerCase(Locale.ROOT));
            Set<String> parameters = new TreeSet<>();
            operation.path("parameters").forEach(p -> parameters.add(p.path("name").asText()));
            for (String pair : query.isEmpty() ? new String[0] : query.split("&")) {
                if (!parameters.contains(pair.split("=")[0])) {
                    return false;
                }
            }
            boolean takesBody = operation.has("requestBody");
            return takesBody || hit.body().isEmpty();
        }
        return false;
    }

    @Test
    void keysAndTokensAppearInNoToString() {
        Gatehouse client = Gatehouse.builder().baseUrl(java.net.URI.create("http://127.0.0.1:1")).key(KEY).build();
        ApiKey view = new ApiKey("key_1", "api_key", "n", "standard", "org_1", "usr_1", "gk_live_KYPu…THR1",
                "gk_live_KYPu", java.util.Optional.of("THR1"), null, null, java.util.Optional.empty(), "active", java.time.Instant.EPOCH,
                java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(),
                java.util.Optional.empty(), false, java.util.Optional.empty(), java.util.Optional.empty(), 0);
        List<Object> holders = List.of(client, client.withKey(KEY), new IssuedApiKey(view, KEY, true),
                VerifyKeyRequest.of(KEY), new Requests.AcceptInvitation(KEY),
                CreateServerRequest.of("n", "s", "http://u").withUpstreamAuth(CreateServerRequest.UpstreamAuth.fixed("X-Key", KEY)),
                new IssuedInvitation(null, KEY, true));
        for (Object holder : holders) {
            assertThat(holder.toString()).as(holder.getClass().getSimpleName()).doesNotContain(KEY)
                    .doesNotContain("KYPuYLxyiEeQHJMS0MqDq6zfh6DRHDsy");
        }
        assertThat(client.toString()).contains("gk_live_…THR1");
    }
}
