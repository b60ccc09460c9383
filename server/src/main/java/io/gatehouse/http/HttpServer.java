package io.gatehouse.http;

import io.gatehouse.config.GatehouseConfig;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http1.Http1Config;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The HTTP listener: limits, the request-id and access-log filter, error rendering, the routes. */
public final class HttpServer implements AutoCloseable {
    private static final Logger ACCESS = Logger.getLogger("gatehouse.access");
    private final WebServer server;

    private HttpServer(WebServer server) {
        this.server = server;
    }

    public static HttpServer start(GatehouseConfig.Http config, Routes routes, Errors errors) {
        boolean trustForwarded = config.trustForwardedFor();
        WebServer server = WebServer.builder()
                .host(config.host())
                .port(config.port())
                .maxPayloadSize(config.maxBodyBytes())
                .shutdownGracePeriod(Duration.ofSeconds(5))
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
                            chain.proceed();
                        } finally {
                            if (ACCESS.isLoggable(Level.INFO)) {
                                ACCESS.info(info.requestId() + " " + info.clientAddress() + " "
                                        + req.prologue().method().text() + " " + req.path().path() + " "
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
        return new HttpServer(server);
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.stop();
    }
}
