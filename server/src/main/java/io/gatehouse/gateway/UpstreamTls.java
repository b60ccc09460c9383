package io.gatehouse.gateway;

import io.gatehouse.config.ConfigException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Optional;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Which certificates Gatehouse believes when it speaks TLS to an upstream: the JDK's authorities,
 * plus those of {@code gateway.upstream-ca-file} (a company's own CA, which internal MCP servers
 * often use). The edge's upstream client checks each certificate against the upstream's host name.
 */
final class UpstreamTls {
    private final SslContext eventLoop;

    private UpstreamTls(TrustManagerFactory trust) throws SSLException {
        this.eventLoop = SslContextBuilder.forClient().trustManager(trust).endpointIdentificationAlgorithm("HTTPS")
                .build();
    }

    /** The JDK's authorities, and those in {@code caFile} (PEM) if given. */
    static UpstreamTls of(Optional<Path> caFile) {
        try {
            TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            jdk.init((KeyStore) null);
            if (caFile.isEmpty()) {
                return new UpstreamTls(jdk);
            }
            KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
            anchors.load(null, null);
            int n = 0;
            for (javax.net.ssl.TrustManager tm : jdk.getTrustManagers()) {
                if (tm instanceof X509TrustManager x509) {
                    for (X509Certificate ca : x509.getAcceptedIssuers()) {
                        anchors.setCertificateEntry("jdk-" + n++, ca);
                    }
                }
            }
            Collection<? extends Certificate> own = read(caFile.get());
            for (Certificate ca : own) {
                anchors.setCertificateEntry("file-" + n++, ca);
            }
            TrustManagerFactory both = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            both.init(anchors);
            return new UpstreamTls(both);
        } catch (GeneralSecurityException | IOException e) {
            throw new ConfigException("gateway.upstream-ca-file: " + e.getMessage());
        }
    }

    private static Collection<? extends Certificate> read(Path file) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(in);
            if (certificates.isEmpty()) {
                throw new ConfigException("gateway.upstream-ca-file: " + file + " holds no PEM certificate");
            }
            return certificates;
        }
    }

    /** For the upstream client's connections. */
    SslContext eventLoop() {
        return eventLoop;
    }
}
