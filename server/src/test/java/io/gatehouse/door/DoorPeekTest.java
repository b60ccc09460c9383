package io.gatehouse.door;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.cli.LocalCredential;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.config.Settings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link Door#peek}: the decision the event-loop front takes without a side effect. It must answer
 * only from memory, count nothing until the call commits, and let every doubt fall to {@link Door#admit}.
 */
class DoorPeekTest {
    private final GatehouseConfig.Plans plans = GatehouseConfig.from(Settings.of(Map.of())).plans();
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final LocalCredential operator = new LocalCredential();

    private double allowed() {
        var counter = metrics.find("gatehouse.door.decisions").tag("outcome", "allowed").counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void anInMemoryCredentialIsAdmittedAndCountedOnlyOnCommit() {
        Door door = new Door(List.of(operator), plans, Clock.systemUTC(), metrics);
        Optional<Door.Admission> admission = door.peek(operator.secret(),
                Requirement.management(Permissions.ADMIN_READ));
        assertThat(admission).isPresent();
        assertThat(allowed()).as("nothing counted before the call commits").isZero();
        admission.get().commit("127.0.0.1");
        assertThat(allowed()).isEqualTo(1);
    }

    @Test
    void aDenialOrAnAnswerThatNeedsTheStoreIsEmptyAndUncounted() {
        Door door = new Door(List.of(operator), plans, Clock.systemUTC(), metrics);
        assertThat(door.peek(operator.secret(), Requirement.dataPlane().withPermission(Permissions.MCP_USE)))
                .as("the operator may not use MCP").isEmpty();
        assertThat(door.peek("gh_local_not-the-secret", Requirement.management(Permissions.ADMIN_READ))).isEmpty();
        assertThat(metrics.find("gatehouse.door.decisions").counters()).as("admit() counts these, once").isEmpty();

        // A resolver that has to read its store for this credential: the answer is admit()'s.
        CredentialResolver stored = new CredentialResolver() {
            @Override
            public Optional<Identity> resolve(String credential, Instant now) {
                throw new AssertionError("peek must not ask a resolver that would read its store");
            }

            @Override
            public void recordUse(Identity identity, String clientAddress, Instant at) {
            }
        };
        Door both = new Door(List.of(operator, stored), plans, Clock.systemUTC(), metrics);
        assertThat(both.peek("gk_live_anything", Requirement.dataPlane())).isEmpty();
        assertThat(both.peek(operator.secret(), Requirement.management(Permissions.ADMIN_READ)))
                .as("the first resolver answers, from memory, as admit() would").isPresent();
    }

    @Test
    void rememberSaysWhetherPeekCanAnswerAndLoadOnlyResolves() {
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        java.util.Set<String> inMemory = new java.util.HashSet<>();
        CredentialResolver stored = new CredentialResolver() {
            @Override
            public Optional<Identity> resolve(String credential, Instant now) {
                reads.incrementAndGet();
                inMemory.add(credential);
                return Optional.empty(); // not this kind: the next resolver's
            }

            @Override
            public Recall recall(String credential, Instant now) {
                return inMemory.contains(credential) ? Recall.NOT_MINE : Recall.UNKNOWN;
            }

            @Override
            public void recordUse(Identity identity, String clientAddress, Instant at) {
                throw new AssertionError("load notes no use");
            }
        };
        Door door = new Door(List.of(stored, operator), plans, Clock.systemUTC(), metrics);
        assertThat(door.remembers(operator.secret())).as("the first resolver would read its store").isFalse();
        door.load(operator.secret());
        assertThat(reads).hasValue(1);
        assertThat(door.remembers(operator.secret())).isTrue();
        assertThat(door.peek(operator.secret(), Requirement.management(Permissions.ADMIN_READ))).isPresent();
        assertThat(metrics.find("gatehouse.door.decisions").counters()).as("load decides nothing").isEmpty();
    }
}
