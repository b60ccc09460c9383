package io.gatehouse.http;

import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.gateway.FastMcp;
import io.gatehouse.gateway.Front;
import io.helidon.http.HeaderNames;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http1.Http1Config;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The HTTP listener: limits, the request-id and access-log filter, error rendering, the routes. */
public final class HttpServer implements AutoCloseable {
    private static final Logger ACCESS = Logger.getLogger("gatehouse.access");
    private final WebServer server;
    private final Front front;

    private HttpServer(WebServer server, Front front) {
        this.server = server;
        this.front = front;
    }

    /**
     * Starts Helidon with the routes; with {@code http.event-loop}, on an internal loopback port
     * behind the {@link Front}, which owns the public one.
     */
    public static HttpServer start(GatehouseConfig.Http config, Routes routes, Errors errors, FastMcp fast,
                                   MeterRegistry metrics) {
        boolean trustForwarded = config.trustForwardedFor();
        boolean behindFront = config.eventLoop();
        WebServer server = WebServer.builder()
                .host(behindFront ? "127.0.0.1" : config.host())
                .port(behindFront ? 0 : config.port())
                .enableProxyProtocol(behindFront)
                .maxPayloadSize(config.maxBodyBytes())
                .shutdownGracePeriod(Duration.ofSeconds(5))
                // A streamed answer ends with a small last chunk written after the data: with Nagle's
                // algorithm on, it waits for the client's delayed ACK (40 ms on Linux) on every call.
                .connectionOptions(o -> o.tcpNoDelay(true))
                .addProtocol(Http1Config.builder()
                        .maxHeadersSize(config.maxHeaderBytes())
                        .maxPrologueLength(8192)
                        .build())
                .directHandlers(DirectErrors.handlers())
                .routing(routing -> {
                    routing.addFilter((chain, req, res) -> {
                        RequestInfo info = RequestInfo.create(req, trustForwarded);
                        res.header(RequestInfo.X_REQUEST_ID, info.requestId());
                        try {
                            refuseControlCharacters(req);
                            chain.proceed();
                        } finally {
                            if (ACCESS.isLoggable(Level.INFO)) {
                                ACCESS.info(info.requestId() + " " + info.clientAddress() + " "
                                        + req.prologue().method().text() + " " + loggable(req.path().path()) + " "
                                        + res.status().code() + " " + info.elapsedMicros() + "us "
                                        + info.credentialId());
                            }
                        }
                    });
                    routing.error(ApiError.class, errors::send);
                    routing.error(Throwable.class, errors::unexpected);
                    routes.register(routing);
                })
                .build()
                .start();
        if (!server.isRunning()) {
            // Helidon logs a listener that could not bind and returns a server that is not running.
            throw new IllegalStateException("could not listen on " + config.host() + ":" + config.port()
                    + " (is the port in use?)");
        }
        if (!behindFront) {
            return new HttpServer(server, null);
        }
        try {
            return new HttpServer(server, Front.start(config.host(), config.port(),
                    new InetSocketAddress("127.0.0.1", server.port()), fast, config.maxBodyBytes(),
                    config.maxHeaderBytes(), trustForwarded, metrics));
        } catch (RuntimeException e) {
            server.stop();
            throw e;
        }
    }

    /** Paths and queries with control characters (a NUL, say) stop here: no store should see them. */
    private static void refuseControlCharacters(io.helidon.webserver.http.ServerRequest req) {
        String path = req.path().path();
        String query = req.query().value();
        for (String part : new String[]{path, query}) {
            for (int i = 0; i < part.length(); i++) {
                if (Character.isISOControl(part.charAt(i))) {
                    throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_path",
                            "The path or query contains control characters");
                }
            }
        }
    }

    /**
     * The path as logged: a segment longer than any id (a key pasted into a URL by mistake) is
     * replaced, and control characters are escaped.
     */
    static String loggable(String path) {
        String[] segments = path.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            segments[i] = segments[i].length() > 30 ? "[redacted]" : segments[i].replaceAll("\\p{Cntrl}", "?");
        }
        return String.join("/", segments);
    }

    public int port() {
        return front != null ? front.port() : server.port();
    }

    @Override
    public void close() {
        if (front != null) {
            front.close();
        }
        server.stop();
    }
}
