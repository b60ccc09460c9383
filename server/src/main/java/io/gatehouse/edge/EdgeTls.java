package io.gatehouse.edge;

import io.gatehouse.config.ConfigException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * TLS on the public port, from a PEM certificate chain and private key ({@code http.tls-cert-file},
 * {@code http.tls-key-file}). The files are looked at again every few seconds; when either changed,
 * new connections get the new certificate (a renewal by certbot or cert-manager needs no restart),
 * and one that cannot be read leaves the old in use, with a warning.
 */
final class EdgeTls {
    private static final Logger LOG = Logger.getLogger(EdgeTls.class.getName());
    private final Path cert;
    private final Path key;
    private volatile SslContext context;
    private FileTime certTime;
    private FileTime keyTime;

    EdgeTls(Path cert, Path key) {
        this.cert = cert;
        this.key = key;
        try {
            this.context = load();
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("http.tls-cert-file / http.tls-key-file: " + e.getMessage());
        }
    }

    SslContext context() {
        return context;
    }

    private SslContext load() throws IOException {
        FileTime c = Files.getLastModifiedTime(cert);
        FileTime k = Files.getLastModifiedTime(key);
        SslContext built = SslContextBuilder.forServer(cert.toFile(), key.toFile()).build();
        certTime = c;
        keyTime = k;
        return built;
    }

    /** Reloads the files if they changed since they were read. */
    void reloadIfChanged() {
        try {
            if (Files.getLastModifiedTime(cert).equals(certTime) && Files.getLastModifiedTime(key).equals(keyTime)) {
                return;
            }
            context = load();
            LOG.info("TLS certificate reloaded from " + cert);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "TLS certificate not reloaded, the previous one stays in use: " + e.getMessage());
        }
    }
}
