package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.testing.Certificates;
import io.gatehouse.testing.TestNode;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on the public port: with a certificate and key configured, one node serves HTTPS itself
 * (the OAuth endpoints need it without a proxy in front), and a renewed certificate is taken up by
 * new connections without a restart.
 */
class EdgeTlsIT {
    @TempDir
    Path dir;

    @Test
    void thePublicPortSpeaksTlsAndTakesUpARenewedCertificate() throws Exception {
        KeyStore first = Certificates.create(dir, "first", "ip:127.0.0.1");
        Path cert = Certificates.pem(first, dir.resolve("cert.pem"));
        Path key = Certificates.keyPem(first, dir.resolve("key.pem"));
        try (TestNode node = TestNode.start(Map.of("http.tls-cert-file", cert.toString(),
                "http.tls-key-file", key.toString()))) {
            URI base = node.server.publicUrl();
            assertThat(base.getScheme()).as("the public URL names the scheme it serves").isEqualTo("https");
            HttpClient client = HttpClient.newBuilder().sslContext(Certificates.trusting(first)).build();
            HttpResponse<String> health = client.send(HttpRequest.newBuilder(base.resolve("/healthz"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            HttpResponse<String> whoami = client.send(HttpRequest.newBuilder(base.resolve("/v1/whoami"))
                    .header("Authorization", "Bearer " + node.adminKey).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(whoami.statusCode()).isEqualTo(200);

            // Plain HTTP on the TLS port gets no HTTP answer.
            try (Socket plain = new Socket(base.getHost(), base.getPort())) {
                plain.setSoTimeout(5_000);
                plain.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] got = plain.getInputStream().readNBytes(12);
                assertThat(new String(got, StandardCharsets.ISO_8859_1)).doesNotStartWith("HTTP/1.1 200");
            } catch (IOException closed) {
                // closed on us: no answer either
            }

            assertThat(presented(base, first)).isEqualTo("CN=first");
            KeyStore second = Certificates.create(dir, "second", "ip:127.0.0.1");
            Path newCert = Certificates.pem(second, dir.resolve("new-cert.pem"));
            Path newKey = Certificates.keyPem(second, dir.resolve("new-key.pem"));
            Files.move(newKey, key, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(newCert, cert, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            String now = "";
            for (int i = 0; i < 100 && !now.equals("CN=second"); i++) {
                Thread.sleep(200);
                now = presented(base, second);
            }
            assertThat(now).as("a new connection after the files changed").isEqualTo("CN=second");
            HttpClient fresh = HttpClient.newBuilder().sslContext(Certificates.trusting(first)).build();
            assertThatThrownBy(() -> fresh.send(HttpRequest.newBuilder(base.resolve("/healthz"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()))
                    .as("a client that trusts only the old certificate").isInstanceOf(IOException.class);
        }
    }

    /** The subject of the certificate a new connection is shown ("" when the handshake fails). */
    private static String presented(URI base, KeyStore trusted) throws Exception {
        SSLContext ctx = Certificates.trusting(trusted);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(base.getHost(), base.getPort())) {
            s.setSoTimeout(5_000);
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        } catch (IOException untrusted) {
            return "";
        }
    }
}
