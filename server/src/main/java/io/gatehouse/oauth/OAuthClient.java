package io.gatehouse.oauth;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A client as Gatehouse knows it.
 *
 * @param id              {@code client_id}: {@code gh_client_…}, or the URL of its metadata document
 * @param kind            how it became known
 * @param name            {@code client_name}, shown on the consent page
 * @param redirectUris    where authorization responses may go
 * @param applicationType {@code web} or {@code native} (OpenID Dynamic Registration §2)
 * @param authMethod      {@code none} (a public client) or a secret method (an operator's confidential client)
 * @param secretHash      the secret's hash, for confidential clients
 * @param clientUri       {@code client_uri}, if given
 * @param createdAt       when it was first seen
 * @param scope           the scopes it registered for, if it named any: it may ask for no others
 */
public record OAuthClient(String id, Kind kind, String name, List<String> redirectUris, String applicationType,
                          String authMethod, Optional<String> secretHash, Optional<String> clientUri, Instant createdAt,
                          Optional<java.util.Set<String>> scope) {

    public enum Kind {
        /** Registered by anyone at {@code /oauth/register} (RFC 7591). */
        DYNAMIC,
        /** Its id is the URL of its client ID metadata document (CIMD). */
        METADATA,
        /** Registered by an operator through the management API. */
        ADMIN;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public boolean confidential() {
        return !authMethod.equals("none");
    }

    /** The registered redirect URI {@code presented} matches (a loopback port aside), if any. */
    public Optional<String> redirect(String presented) {
        return redirectUris.stream().filter(r -> Redirects.matches(r, presented)).findFirst();
    }
}
