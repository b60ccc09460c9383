package io.gatehouse.http;

import io.gatehouse.errors.ApiError;
import io.gatehouse.config.GatehouseConfig;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http1.Http1Config;
import java.time.Duration;

/**
 * The control plane's listener: Helidon, for the handlers that block (management API, discovery,
 * ops), on virtual threads, on a loopback port that only this process's edge talks to. Each request
 * must carry the edge's secret ({@link RequestInfo#EDGE_SECRET}), compared in constant time; the
 * client's address and the request id come from the edge, which writes the access log.
 */
public final class HttpServer implements AutoCloseable {
    private final WebServer server;

    private HttpServer(WebServer server) {
        this.server = server;
    }

    /** Starts Helidon with the routes on a free loopback port; requests without {@code edgeSecret} are refused. */
    public static HttpServer start(GatehouseConfig.Http config, Routes routes, Errors errors, String edgeSecret) {
        byte[] secret = edgeSecret.getBytes(StandardCharsets.US_ASCII);
        WebServer server = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .maxPayloadSize(config.maxBodyBytes())
                .shutdownGracePeriod(Duration.ofSeconds(5))
                // A streamed answer ends with a small last chunk written after the data: with Nagle's
                // algorithm on, it waits for the delayed ACK (40 ms on Linux) on every call.
                .connectionOptions(o -> o.tcpNoDelay(true))
                .addProtocol(Http1Config.builder()
                        .maxHeadersSize(config.maxHeaderBytes() + 1024) // the edge adds its own fields
                        .maxPrologueLength(8192)
                        .build())
                .directHandlers(DirectErrors.handlers())
                .routing(routing -> {
                    routing.addFilter((chain, req, res) -> {
                        String presented = req.headers().first(HeaderNames.create(RequestInfo.EDGE_SECRET)).orElse("");
                        if (!MessageDigest.isEqual(secret, presented.getBytes(StandardCharsets.US_ASCII))) {
                            res.status(Status.FORBIDDEN_403).send();
                            return;
                        }
                        RequestInfo info = RequestInfo.create(req, res);
                        res.header(RequestInfo.X_REQUEST_ID, info.requestId());
                        if (req.path().path().startsWith("/v1/")) { // decoded, as routes match: %761 is v1
                            refuseRepeatedParameters(req);
                        }
                        chain.proceed();
                    });
                    routing.error(ApiError.class, errors::send);
                    routing.error(Throwable.class, errors::unexpected);
                    routes.register(routing);
                })
                .build()
                .start();
        if (!server.isRunning()) {
            throw new IllegalStateException("could not start the control plane's loopback listener");
        }
        return new HttpServer(server);
    }

    /**
     * The management API reads each query parameter once: {@code ?limit=1&limit=1000} would mean
     * what the first says to us and perhaps the last to a proxy or log in front of us, so it is a
     * 400 rather than a guess. (OAuth's endpoints apply RFC 6749 §3.1's own rule.)
     */
    private static void refuseRepeatedParameters(io.helidon.webserver.http.ServerRequest req) {
        for (String name : req.query().names()) {
            if (req.query().all(name).size() > 1) {
                throw ApiError.invalid(name.length() <= 40 && name.chars().allMatch(c -> c > 0x20 && c < 0x7f)
                        ? name + ": given more than once" : "a query parameter is given more than once");
            }
        }
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.stop();
    }
}
