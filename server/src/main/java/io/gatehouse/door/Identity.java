package io.gatehouse.door;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * What a resolver knows about a live credential and its owner, as of its last load. The door turns
 * it into a {@link Principal} by checking entitlement and scope against the request.
 *
 * @param credentialId     public id of the credential ({@code key_…})
 * @param kind             what sort of credential it is
 * @param displayPrefix    safe-to-show beginning of the credential
 * @param userId           owner
 * @param orgId            organisation the credential belongs to
 * @param plan             the organisation's plan name
 * @param standing         what else decides the plan's answer: the trial's end, whether credits were bought
 * @param role             the owner's role in the organisation; empty once the owner has left it
 * @param userDisabled     whether the owner's account is disabled
 * @param workspaces       the credential's workspace scope
 * @param servers          the credential's server scope
 * @param tools            the credential's tool scope ({@link ToolScope})
 * @param permissions      the credential's permissions as granted
 * @param memberWorkspaces the owner's current workspaces in the organisation
 * @param expiresAt        when the credential stops working, if ever
 * @param rateLimit        the credential's own rate limit, besides its plan's (an API key's {@code rate_limit});
 *                         empty for none, and for OAuth tokens
 */
public record Identity(String credentialId, CredentialKind kind, String displayPrefix, String userId, String orgId,
                       String plan, Standing standing, Optional<Role> role, boolean userDisabled,
                       Targets workspaces, Targets servers, Targets tools, Set<String> permissions, Set<String> memberWorkspaces,
                       Optional<Instant> expiresAt, Optional<io.gatehouse.limits.Rate> rateLimit) {

    /**
     * Whether this credential acts for the whole instance. Only the credential's kind says so: an
     * operator key, or the command line's one-process credential. Never its owner, whatever they are.
     */
    public boolean operator() {
        return kind == CredentialKind.OPERATOR || kind == CredentialKind.INTERNAL;
    }

    /**
     * The organization's standing beside its plan name, loaded with it.
     *
     * @param trialEndsAt      when its trial ends, if it is on one; compared with the clock at each call
     * @param purchasedCredits whether it has ever bought credits (a plan may entitle such organizations)
     */
    public record Standing(Optional<Instant> trialEndsAt, boolean purchasedCredits) {
        public static final Standing NONE = new Standing(Optional.empty(), false);
    }

    public enum CredentialKind {
        API_KEY("api_key"), LEGACY_KEY("legacy_key"), OPERATOR("operator"), INTERNAL("internal"),
        /** An OAuth access token: acts for one person through one grant (a connected app). */
        OAUTH_TOKEN("oauth_token");

        private final String wire;

        CredentialKind(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        /** What the door calls it in a refusal. */
        public String noun() {
            return this == OAUTH_TOKEN ? "Access token" : "API key";
        }

        /** What the door calls the person it acts for. */
        public String owner() {
            return this == OAUTH_TOKEN ? "The token's person" : "The key's owner";
        }
    }
}
