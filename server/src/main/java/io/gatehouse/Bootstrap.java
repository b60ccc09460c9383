package io.gatehouse;

import io.gatehouse.accounts.AccountStore;
import io.gatehouse.accounts.Accounts.Organization;
import io.gatehouse.accounts.Accounts.User;
import io.gatehouse.door.Role;
import io.gatehouse.audit.Actor;
import io.gatehouse.door.Permissions;
import io.gatehouse.door.Targets;
import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import io.gatehouse.keys.ApiKey;
import io.gatehouse.keys.KeyRequests;
import io.gatehouse.store.Tx;
import java.util.Optional;
import java.util.Set;

/**
 * The first operator: {@code gatehouse admin init} makes an operator user, an organisation for the
 * operators, and one operator key (the only kind of credential that acts for the whole instance),
 * printed once. There is no default password. Run again with {@code --new-key} it issues another
 * operator key (for an operator who lost theirs and still has the server's files).
 */
public final class Bootstrap {
    static final Set<String> ADMIN_PERMISSIONS = Set.of(Permissions.ADMIN_READ, Permissions.ADMIN_WRITE,
            Permissions.KEYS_VERIFY, "api:*", "mcp:*");

    private Bootstrap() {
    }

    public record Result(User admin, Organization organization, KeyRequests.Issued key, boolean created) {
    }

    public static Result initAdmin(GatehouseServer.Services s, String email, boolean newKey) {
        AccountStore store = s.accountStore();
        Actor operator = Actor.localOperator();
        return Tx.run(s.db(), s.invalidations(), tx -> {
            var h = tx.handle();
            Optional<User> existing = store.users(h).stream().filter(User::operator).findFirst();
            if (existing.isPresent() && !newKey) {
                throw ApiError.of(ErrorCode.CONFLICT, "already_initialised",
                        "An administrator exists already (" + existing.get().email() + "); use their key, or run "
                                + "'gatehouse admin init --new-key' to issue another admin key");
            }
            User admin = existing.orElseGet(() -> s.accounts().createUser(h, operator, email, Optional.of("Administrator"), true));
            // The operators' organization: the first the operator owns (belonging elsewhere as a member is no reason).
            Organization org = store.organizationsOf(h, admin.id()).stream()
                    .filter(o -> store.member(h, o.id(), admin.id()).map(m -> m.role() == Role.OWNER).orElse(false))
                    .findFirst().orElseGet(() -> {
                Organization created = s.accounts().createOrganization(h, operator, "Operators",
                        s.plans().defaultPlan());
                store.upsertMember(h, created.id(), admin.id(), Role.OWNER, created.createdAt());
                return created;
            });
            KeyRequests.Create request = KeyRequests.Create.of("admin (gatehouse admin init)", ApiKey.Kind.OPERATOR,
                    admin.id(), org.id(), Targets.ALL, Targets.ALL, Targets.ALL, ADMIN_PERMISSIONS,
                    new KeyRequests.Expiry.Never());
            KeyRequests.Issued key = s.keys().issue(tx, operator, org.id(), admin.id(), request, Optional.empty());
            return new Result(admin, org, key, existing.isEmpty());
        });
    }
}
