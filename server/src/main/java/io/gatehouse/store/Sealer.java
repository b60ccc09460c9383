package io.gatehouse.store;

import io.gatehouse.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keeps secrets Gatehouse must be able to use again (signing keys, static upstream credentials) out
 * of the database in plaintext: each is sealed with AES-256-GCM under a key derived from the node
 * secret ({@code secret-key}, or a random one kept in {@code <data-dir>/secret.key}). Also derives
 * other purpose-bound keys from the same secret (e.g. the MCP session binding), so one setting is
 * all a cluster must share.
 */
public final class Sealer {
    private static final String PREFIX = "sealed:v1:";
    private static final SecureRandom RANDOM = new SecureRandom();
    private final SecretKeySpec sealingKey;
    private final byte[] root;

    private Sealer(byte[] root) {
        this.root = root.clone();
        this.sealingKey = new SecretKeySpec(derive("gatehouse sealing v1"), "AES");
    }

    /** From the configured secret, or from the data directory's secret file (made on first use). */
    public static Sealer open(Optional<String> configured, Path dataDir) {
        if (configured.isPresent()) {
            return new Sealer(configured.get().getBytes(StandardCharsets.UTF_8));
        }
        Path file = dataDir.resolve("secret.key");
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(dataDir);
                byte[] fresh = new byte[32];
                RANDOM.nextBytes(fresh);
                Path tmp = Files.createTempFile(dataDir, "secret", ".tmp");
                try {
                    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException ignored) {
                    // not a POSIX file system: the directory's own protection applies
                }
                Files.writeString(tmp, Base64.getEncoder().encodeToString(fresh) + "\n");
                Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            String text = Files.readString(file).strip();
            if (text.length() < 32) {
                throw new ConfigException(file + ": the node secret is shorter than 32 characters");
            }
            return new Sealer(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ConfigException("cannot read or create the node secret " + file + ": " + e.getMessage());
        }
    }

    /** A 32-byte key for one purpose, derived from the node secret (HMAC-SHA-256 as a PRF). */
    public byte[] derive(String purpose) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(root, "HmacSHA256"));
            return mac.doFinal(purpose.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public String seal(String plaintext) {
        try {
            byte[] iv = new byte[12];
            RANDOM.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, sealingKey, new GCMParameterSpec(128, iv));
            byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[iv.length + sealed.length];
            System.arraycopy(iv, 0, out, 0, iv.length);
            System.arraycopy(sealed, 0, out, iv.length, sealed.length);
            return PREFIX + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @throws ConfigException when the value was sealed under another node secret */
    public String open(String sealed) {
        if (!sealed.startsWith(PREFIX)) {
            throw new IllegalArgumentException("not a sealed value");
        }
        try {
            byte[] in = Base64.getDecoder().decode(sealed.substring(PREFIX.length()));
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, sealingKey, new GCMParameterSpec(128, in, 0, 12));
            return new String(cipher.doFinal(in, 12, in.length - 12), StandardCharsets.UTF_8);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new ConfigException("a stored secret was sealed with a different node secret: every node sharing "
                    + "the database must use the same secret-key (GATEHOUSE_SECRET_KEY)");
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException("a sealed value is damaged", e);
        }
    }
}
