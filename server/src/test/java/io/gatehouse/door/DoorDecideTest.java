package io.gatehouse.door;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.cli.LocalCredential;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.config.Settings;
import io.gatehouse.errors.ApiError;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link Door#decide}: the decision the edge takes on its event loop. It must answer only from
 * memory, count a yes only when the call commits and a no once, and leave to {@link Door#admit}
 * (off the loop) whatever memory cannot tell.
 */
class DoorDecideTest {
    private final GatehouseConfig.Plans plans = GatehouseConfig.from(Settings.of(Map.of())).plans();
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final LocalCredential operator = new LocalCredential();

    private double count(String outcome) {
        var counter = metrics.find("gatehouse.door.decisions").tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    /** A resolver that would have to read its store for every credential: memory knows nothing. */
    private static CredentialResolver storeOnly() {
        return new CredentialResolver() {
            @Override
            public Optional<Identity> resolve(String credential, Instant now) {
                throw new AssertionError("decide must not ask a resolver that would read its store");
            }

            @Override
            public void recordUse(Identity identity, String clientAddress, Instant at) {
            }
        };
    }

    @Test
    void aCredentialInMemoryIsAdmittedAndCountedOnlyOnCommit() {
        Door door = new Door(List.of(operator), plans, Clock.systemUTC(), metrics);
        Door.Decision decision = door.decide(operator.secret(), Requirement.management(Permissions.ADMIN_READ));
        assertThat(decision).isInstanceOf(Door.Admitted.class);
        assertThat(count("allowed")).as("nothing counted before the call commits").isZero();
        ((Door.Admitted) decision).admission().commit("127.0.0.1");
        assertThat(count("allowed")).isEqualTo(1);
    }

    @Test
    void aDenialFromMemoryIsRefusedAndCountedOnce() {
        Door door = new Door(List.of(operator), plans, Clock.systemUTC(), metrics);
        Requirement mcp = Requirement.dataPlane().withPermission(Permissions.MCP_USE);
        Door.Decision decision = door.decide(operator.secret(), mcp);
        assertThat(decision).isInstanceOf(Door.Refused.class);
        String reason = ((Door.Refused) decision).error().reason().orElseThrow();
        assertThat(count(reason)).isEqualTo(1);
        assertThatThrownBy(() -> door.admit(Optional.of(operator.secret()), mcp, "127.0.0.1"))
                .as("the reason admit() gives").isInstanceOfSatisfying(ApiError.class,
                        e -> assertThat(e.reason()).hasValue(reason));

        Door.Decision foreign = door.decide("not-a-key-at-all", Requirement.dataPlane());
        assertThat(((Door.Refused) foreign).error().reason()).as("no resolver claims it").hasValue("malformed");
        assertThat(((Door.Refused) door.decideMissing()).error().reason()).hasValue("missing");
        assertThat(count("allowed")).isZero();
    }

    @Test
    void aResolverThatRemembersARefusalRefusesWithItsWords() {
        ApiError revoked = ApiError.unauthorized("revoked", "This API key has been revoked", true);
        CredentialResolver remembers = new CredentialResolver() {
            @Override
            public Optional<Identity> resolve(String credential, Instant now) {
                throw revoked;
            }

            @Override
            public Recall recall(String credential, Instant now) {
                return Recall.refused(revoked);
            }

            @Override
            public void recordUse(Identity identity, String clientAddress, Instant at) {
                throw new AssertionError("a refusal notes no use");
            }
        };
        Door door = new Door(List.of(remembers), plans, Clock.systemUTC(), metrics);
        Door.Decision decision = door.decide("gk_live_whatever", Requirement.dataPlane());
        assertThat(decision).isEqualTo(new Door.Refused(revoked));
        assertThat(count("revoked")).isEqualTo(1);
    }

    @Test
    void whatMemoryCannotTellIsUnsettledUntilTheStoreIsRead() {
        Door door = new Door(List.of(storeOnly(), operator), plans, Clock.systemUTC(), metrics);
        assertThat(door.decide(operator.secret(), Requirement.management(Permissions.ADMIN_READ)))
                .as("the first resolver would read its store").isInstanceOf(Door.Unsettled.class);
        assertThat(metrics.find("gatehouse.door.decisions").counters()).as("nothing decided, nothing counted").isEmpty();

        Door operatorFirst = new Door(List.of(operator, storeOnly()), plans, Clock.systemUTC(), metrics);
        assertThat(operatorFirst.decide(operator.secret(), Requirement.management(Permissions.ADMIN_READ)))
                .as("the first resolver claims it from memory, as admit() would").isInstanceOf(Door.Admitted.class);
    }
}
