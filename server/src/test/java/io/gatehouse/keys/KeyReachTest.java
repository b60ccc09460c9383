package io.gatehouse.keys;

import io.gatehouse.door.Role;
import io.gatehouse.door.Identity;
import io.gatehouse.door.Identity.CredentialKind;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Targets;
import io.gatehouse.errors.ApiError;
import io.gatehouse.keys.KeyRequests.Create;
import io.gatehouse.keys.KeyRequests.Expiry;
import io.gatehouse.limits.Rate;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The reach rule on its own: what a key may ask of a key it makes. */
class KeyReachTest {
    private static final Instant IN_30_DAYS = Instant.parse("2027-01-01T00:00:00Z");

    @Test
    void withinWhenAxesAreLeftOutThenTheCallersReachIsCopied() {
        Principal caller = caller(Targets.of(Set.of("ws_1")), Targets.of(Set.of("search")), Targets.of(Set.of("search/*")),
                Set.of("mcp:*", "keys:self"), Optional.of(IN_30_DAYS));
        Create made = KeyReach.within(caller, request(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()));
        assertThat(made.workspaces()).contains(Targets.of(Set.of("ws_1")));
        assertThat(made.servers()).contains(Targets.of(Set.of("search")));
        assertThat(made.tools()).contains(Targets.of(Set.of("search/*")));
        assertThat(made.permissions()).contains(Set.of("mcp:*"));
    }

    @Test
    void withinWhenNarrowerThenAccepted() {
        Principal caller = caller(Targets.ALL, Targets.of(Set.of("search")), Targets.of(Set.of("search/*")),
                Set.of("api:*", "mcp:*", "keys:self"), Optional.empty());
        Create made = KeyReach.within(caller, request(Optional.of(Targets.of(Set.of("ws_2"))), Optional.of(Targets.of(Set.of("search"))),
                Optional.of(Targets.of(Set.of("search/query"))), Optional.of(Set.of("api:read", "keys:self"))));
        assertThat(made.tools()).contains(Targets.of(Set.of("search/query")));
        assertThat(made.permissions()).contains(Set.of("api:read", "keys:self"));
    }

    @Test
    void withinWhenWiderOnAnyAxisThenExceedsReach() {
        Principal caller = caller(Targets.of(Set.of("ws_1")), Targets.of(Set.of("search")), Targets.of(Set.of("search/query")),
                Set.of("mcp:use"), Optional.empty());
        assertExceeds(caller, request(Optional.of(Targets.ALL), Optional.empty(), Optional.empty(), Optional.empty()), "workspaces");
        assertExceeds(caller, request(Optional.of(Targets.of(Set.of("ws_1", "ws_2"))), Optional.empty(), Optional.empty(),
                Optional.empty()), "workspaces");
        assertExceeds(caller, request(Optional.empty(), Optional.of(Targets.of(Set.of("billing"))), Optional.empty(),
                Optional.empty()), "servers");
        assertExceeds(caller, request(Optional.empty(), Optional.empty(), Optional.of(Targets.of(Set.of("search/*"))),
                Optional.empty()), "tools");
        assertExceeds(caller, request(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(Set.of("mcp:*"))),
                "permissions");
        assertExceeds(caller, request(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(Set.of("keys:self"))),
                "permissions");
    }

    @Test
    void rateLimitWhenLeftOutThenTheCallersIsCopiedAndWhenStatedThenNoLooser() {
        assertThat(KeyReach.within(limited("10/min"), none()).rateLimit()).contains(Optional.of(Rate.parse("10/min")));
        assertThat(KeyReach.within(limited("10/min"), none().withRateLimit(Optional.of(Rate.parse("5/h"))))
                .rateLimit()).contains(Optional.of(Rate.parse("5/h")));
        Principal unlimited = caller(Targets.ALL, Targets.ALL, Targets.ALL, Set.of("mcp:*"), Optional.empty());
        assertThat(KeyReach.within(unlimited, none()).rateLimit()).contains(Optional.empty());
        assertThat(KeyReach.within(unlimited, none().withRateLimit(Optional.of(Rate.parse("1000/s")))).rateLimit())
                .contains(Optional.of(Rate.parse("1000/s")));
    }

    @Test
    void rateLimitWhenLooserOrNoneThenExceedsReach() {
        assertExceeds(limited("10/min"), none().withRateLimit(Optional.of(Rate.parse("11/min"))), "rate_limit");
        assertExceeds(limited("10/min"), none().withRateLimit(Optional.of(Rate.parse("10/30s"))), "rate_limit");
        assertExceeds(limited("10/min"), none().withRateLimit(Optional.empty()), "rate_limit");
    }

    @Test
    void keysSelfIsPartOfAdminWrite() {
        Principal admin = caller(Targets.ALL, Targets.ALL, Targets.ALL, Set.of("admin:write", "api:*"), Optional.empty());
        assertThat(KeyReach.within(admin, request(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(Set.of("keys:self")))).permissions()).contains(Set.of("keys:self"));
    }

    @Test
    void expiryWhenDefaultThenCappedAndWhenLaterThenRefused() {
        Principal caller = caller(Targets.ALL, Targets.ALL, Targets.ALL, Set.of("api:*"), Optional.of(IN_30_DAYS));
        assertThat(KeyReach.expiry(caller, Optional.empty(), false)).contains(IN_30_DAYS);
        assertThat(KeyReach.expiry(caller, Optional.of(IN_30_DAYS.minusSeconds(5)), true)).contains(IN_30_DAYS.minusSeconds(5));
        assertThatThrownBy(() -> KeyReach.expiry(caller, Optional.empty(), true)).isInstanceOf(ApiError.class)
                .hasMessageContaining("exceeds_reach");
        assertThatThrownBy(() -> KeyReach.expiry(caller, Optional.of(IN_30_DAYS.plusSeconds(1)), true))
                .hasMessageContaining("exceeds_reach");
    }

    @Test
    void operatorReachesAnyScopeButNotPastItsPermissionsOrExpiry() {
        Identity op = new Identity("key_op", CredentialKind.OPERATOR, "gk_live_", "usr_op", "org_ops", "free",
                Identity.Standing.NONE, Optional.of(Role.OWNER), false, Targets.of(Set.of("ws_x")), Targets.ALL, Targets.ALL,
                Set.of("admin:write", "api:*"), Set.of(), Optional.of(IN_30_DAYS), Optional.empty());
        Principal operator = new Principal(op, op.permissions(), Set.of());
        Create made = KeyReach.within(operator, request(Optional.of(Targets.ALL), Optional.empty(), Optional.empty(),
                Optional.empty()));
        assertThat(made.workspaces()).contains(Targets.ALL);
        assertThat(made.permissions()).contains(Set.of("api:*"));
        assertThat(made.rateLimit()).as("none unless asked").contains(Optional.empty());
        assertExceeds(operator, request(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(Set.of("keys:verify"))), "permissions");
        assertThat(KeyReach.expiry(operator, Optional.empty(), false)).contains(IN_30_DAYS);
        assertThatThrownBy(() -> KeyReach.expiry(operator, Optional.empty(), true)).hasMessageContaining("exceeds_reach");

        Identity cli = new Identity("operator", CredentialKind.INTERNAL, "gh_local_", "operator", "", "",
                Identity.Standing.NONE, Optional.of(Role.OWNER), false, Targets.ALL, Targets.ALL, Targets.ALL, Set.of("admin:write"), Set.of(),
                Optional.empty(), Optional.empty());
        Principal local = new Principal(cli, cli.permissions(), Set.of());
        assertThat(KeyReach.within(local, request(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(Set.of("keys:verify")))).permissions()).contains(Set.of("keys:verify"));
    }

    private static void assertExceeds(Principal caller, Create request, String axis) {
        assertThatThrownBy(() -> KeyReach.within(caller, request)).isInstanceOf(ApiError.class)
                .satisfies(e -> assertThat(((ApiError) e).reason()).contains("exceeds_reach"))
                .satisfies(e -> assertThat(((ApiError) e).publicMessage()).startsWith(axis + ":"));
    }

    private static Create request(Optional<Targets> workspaces, Optional<Targets> servers, Optional<Targets> tools,
                                  Optional<Set<String>> permissions) {
        return new Create("k", ApiKey.Kind.STANDARD, Optional.empty(), Optional.empty(), workspaces, servers, tools,
                permissions, Optional.empty(), new Expiry.Default());
    }

    private static Create none() {
        return request(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    private static Principal caller(Targets workspaces, Targets servers, Targets tools, Set<String> permissions,
                                    Optional<Instant> expiresAt) {
        return caller(workspaces, servers, tools, permissions, expiresAt, Optional.empty());
    }

    private static Principal limited(String rate) {
        return caller(Targets.ALL, Targets.ALL, Targets.ALL, Set.of("mcp:*", "keys:self"), Optional.empty(),
                Optional.of(Rate.parse(rate)));
    }

    private static Principal caller(Targets workspaces, Targets servers, Targets tools, Set<String> permissions,
                                    Optional<Instant> expiresAt, Optional<Rate> rateLimit) {
        Identity id = new Identity("key_1", CredentialKind.API_KEY, "gk_live_", "usr_1", "org_1", "business",
                Identity.Standing.NONE, Optional.of(Role.MEMBER), false, workspaces, servers, tools, permissions,
                Set.of("ws_1", "ws_2"), expiresAt, rateLimit);
        return new Principal(id, permissions, Set.of("ws_1"));
    }
}
