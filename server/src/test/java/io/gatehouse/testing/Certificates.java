package io.gatehouse.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** Self-signed certificates made by the JDK's own keytool, for TLS upstreams in tests. */
public final class Certificates {
    public static final String PASSWORD = "test-only";

    private Certificates() {
    }

    /** A key pair and self-signed certificate for {@code san} ({@code ip:127.0.0.1}, {@code dns:localhost}), in PKCS#12. */
    public static KeyStore create(Path dir, String name, String san) throws Exception {
        Path store = dir.resolve(name + ".p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "upstream", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=" + name, "-ext", "SAN=" + san, "-keystore", store.toString(), "-storetype", "PKCS12",
                "-storepass", PASSWORD, "-keypass", PASSWORD).redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(keytool.waitFor()).as(output).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        return ks;
    }

    /** The certificate of {@code identity}, as a PEM file an operator would hand Gatehouse. */
    public static Path pem(KeyStore identity, Path file) throws Exception {
        byte[] der = identity.getCertificate("upstream").getEncoded();
        Files.writeString(file, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der) + "\n-----END CERTIFICATE-----\n");
        return file;
    }

    /** The private key of {@code identity}, as an unencrypted PKCS#8 PEM file. */
    public static Path keyPem(KeyStore identity, Path file) throws Exception {
        byte[] der = identity.getKey("upstream", PASSWORD.toCharArray()).getEncoded();
        Files.writeString(file, "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der) + "\n-----END PRIVATE KEY-----\n");
        return file;
    }

    /** A client-side TLS context that trusts {@code identity}'s certificate alone. */
    public static SSLContext trusting(KeyStore identity) throws Exception {
        KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
        anchors.load(null, null);
        anchors.setCertificateEntry("trusted", identity.getCertificate("upstream"));
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(anchors);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** A server-side TLS context presenting {@code identity}. */
    public static SSLContext serving(KeyStore identity) throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(identity, PASSWORD.toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }
}
