package io.gatehouse.accounts;

import java.time.Instant;
import java.util.Optional;

/** The account model's records, as stored. */
public final class Accounts {
    private Accounts() {
    }

    public record User(String id, String email, Optional<String> name, boolean instanceAdmin, Instant createdAt,
                       Optional<Instant> disabledAt) {
    }

    /**
     * @param oneKeyPerUser      creating a key renews the user's existing one (it dies at once)
     * @param maxKeyLifetimeDays the longest life a key of this organisation may have; empty for no limit
     */
    public record Organization(String id, String name, String plan, boolean oneKeyPerUser,
                               Optional<Integer> maxKeyLifetimeDays, Instant createdAt) {
    }

    public record Member(String orgId, String userId, String email, Role role, Instant createdAt) {
    }

    public record Workspace(String id, String orgId, String name, Instant createdAt) {
    }

    public record WorkspaceMember(String workspaceId, String userId, String email, Instant createdAt) {
    }
}
