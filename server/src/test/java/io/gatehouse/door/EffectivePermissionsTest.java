package io.gatehouse.door;

import io.gatehouse.door.Role;
import io.gatehouse.door.Identity.CredentialKind;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which of a key's permissions hold now: instance-wide ones on operator keys only, management for managers. */
class EffectivePermissionsTest {
    private static final Set<String> ALL_KINDS = Set.of("admin:read", "admin:write", "keys:verify", "keys:self", "api:*");

    @Test
    void operatorKeyKeepsEverything() {
        assertThat(Door.effectivePermissions(identity(CredentialKind.OPERATOR, Role.MEMBER, ALL_KINDS))).isEqualTo(ALL_KINDS);
        assertThat(identity(CredentialKind.OPERATOR, Role.MEMBER, ALL_KINDS).operator()).isTrue();
        assertThat(identity(CredentialKind.INTERNAL, Role.OWNER, ALL_KINDS).operator()).isTrue();
    }

    @Test
    void ownerKeyLosesInstanceWidePermissionsWhoeverOwnsIt() {
        Identity owner = identity(CredentialKind.API_KEY, Role.OWNER, ALL_KINDS);
        assertThat(owner.operator()).isFalse();
        assertThat(Door.effectivePermissions(owner)).containsExactlyInAnyOrder("admin:read", "admin:write", "keys:self", "api:*");
    }

    @Test
    void memberKeyLosesManagementAndInstanceWidePermissions() {
        assertThat(Door.effectivePermissions(identity(CredentialKind.API_KEY, Role.MEMBER, ALL_KINDS)))
                .containsExactlyInAnyOrder("keys:self", "api:*");
        assertThat(Door.effectivePermissions(identity(CredentialKind.LEGACY_KEY, Role.MEMBER, Set.of("keys:*", "mcp:*"))))
                .containsExactlyInAnyOrder("keys:self", "mcp:*");
    }

    @Test
    void anOrdinaryKeyIsReturnedAsItIs() {
        Set<String> plain = Set.of("api:*", "mcp:*");
        assertThat(Door.effectivePermissions(identity(CredentialKind.API_KEY, Role.MEMBER, plain))).isSameAs(plain);
    }

    static Identity identity(CredentialKind kind, Role role, Set<String> permissions) {
        return new Identity("key_1", kind, "gk_live_", "usr_1", "org_1", "business", Identity.Standing.NONE, Optional.of(role), false,
                Targets.ALL, Targets.ALL, Targets.ALL, permissions, Set.of(), Optional.empty(), Optional.empty());
    }
}
