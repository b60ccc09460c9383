package io.gatehouse.accounts;

import io.gatehouse.door.Role;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** The account model's records, as stored. */
public final class Accounts {
    private Accounts() {
    }

    /**
     * @param kind         a person, or an organization's service account
     * @param serviceOrgId the one organization a service account belongs to
     * @param operator     holds operator keys (set by {@code admin init} and by issuing an operator key);
     *                     a label, not a power: instance powers come from the credential's kind alone
     */
    public record User(String id, String email, Optional<String> name, Kind kind, Optional<String> serviceOrgId,
                       boolean operator, Instant createdAt, Optional<Instant> disabledAt) {

        public boolean service() {
            return kind == Kind.SERVICE;
        }

        public enum Kind {
            /** Signs in, accepts invitations, creates their own keys. */
            PERSON,
            /** Automation owned by one organization: never signs in, never joins another organization. */
            SERVICE;

            public String wire() {
                return name().toLowerCase(Locale.ROOT);
            }
        }
    }

    /**
     * An invitation to join an organization, accepted once by the person it names.
     *
     * @param workspaces   the workspaces the member joins on acceptance
     * @param createdByKey the credential that invited: the first key the invitation gives reaches no further
     */
    public record Invitation(String id, String orgId, String email, Role role, Set<String> workspaces,
                             Instant createdAt, Optional<String> createdBy, Optional<String> createdByKey,
                             Instant expiresAt,
                             Optional<Instant> acceptedAt, Optional<String> acceptedBy, Optional<Instant> revokedAt) {

        public State state(Instant now) {
            if (acceptedAt.isPresent()) {
                return State.ACCEPTED;
            }
            if (revokedAt.isPresent()) {
                return State.REVOKED;
            }
            return expiresAt.isAfter(now) ? State.PENDING : State.EXPIRED;
        }

        public enum State {
            PENDING, ACCEPTED, REVOKED, EXPIRED;

            public String wire() {
                return name().toLowerCase(Locale.ROOT);
            }
        }
    }

    /**
     * @param oneKeyPerUser      creating a key renews the user's existing one (it dies at once)
     * @param maxKeyLifetimeDays the longest life a key of this organisation may have; empty for no limit
     * @param trialEndsAt        when its trial on {@code plan} ends; empty when it is not on trial
     * @param creditsPurchasedAt when it first bought credits; empty if it never has
     */
    public record Organization(String id, String name, String plan, boolean oneKeyPerUser,
                               Optional<Integer> maxKeyLifetimeDays, Instant createdAt, Optional<Instant> trialEndsAt,
                               Optional<Instant> creditsPurchasedAt) {
        /** The same organization with other key rules. */
        public Organization withKeyRules(boolean oneKey, Optional<Integer> maxDays) {
            return new Organization(id, name, plan, oneKey, maxDays, createdAt, trialEndsAt, creditsPurchasedAt);
        }
    }

    /** @param kind whether the member is a person or one of the organization's service accounts */
    public record Member(String orgId, String userId, String email, User.Kind kind, Role role, Instant createdAt) {
    }

    public record Workspace(String id, String orgId, String name, Instant createdAt) {
    }

    public record WorkspaceMember(String workspaceId, String userId, String email, Instant createdAt) {
    }
}
