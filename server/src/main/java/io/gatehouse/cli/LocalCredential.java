package io.gatehouse.cli;

import io.gatehouse.door.Role;
import io.gatehouse.door.CredentialResolver;
import io.gatehouse.door.Identity;
import io.gatehouse.door.Permissions;
import io.gatehouse.door.Targets;
import io.gatehouse.store.Ids;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * The operator at the command line, acting on the local store: a random credential that lives only
 * in this process's memory, for the one in-process server the CLI starts on loopback. Holding the
 * server's files already means holding everything, so it acts as an operator.
 */
public final class LocalCredential implements CredentialResolver {
    private final String secret = "gh_local_" + Ids.random(40);

    public String secret() {
        return secret;
    }

    @Override
    public Optional<Identity> resolve(String credential, Instant now) {
        if (!credential.startsWith("gh_local_")) {
            return Optional.empty();
        }
        if (!MessageDigest.isEqual(credential.getBytes(StandardCharsets.US_ASCII),
                secret.getBytes(StandardCharsets.US_ASCII))) {
            return Optional.empty();
        }
        return Optional.of(new Identity("operator", Identity.CredentialKind.INTERNAL, "gh_local_", "operator", "",
                "", Identity.Standing.NONE, Optional.of(Role.OWNER), false, Targets.ALL, Targets.ALL, Targets.ALL,
                Set.of(Permissions.ADMIN_READ, Permissions.ADMIN_WRITE, Permissions.KEYS_VERIFY), Set.of(),
                Optional.empty(), Optional.empty()));
    }

    /** Never reads the store: the secret is in this process's memory. */
    @Override
    public Recall recall(String credential, Instant now) {
        return resolve(credential, now).map(Recall::of).orElse(Recall.NOT_MINE);
    }

    @Override
    public void recordUse(Identity identity, String clientAddress, Instant at) {
        // nothing to record: the credential dies with the process
    }
}
