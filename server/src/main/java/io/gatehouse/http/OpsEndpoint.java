package io.gatehouse.http;

import io.gatehouse.store.Database;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;

/** {@code /readyz} (the database answers) and {@code /metrics} (Prometheus); {@code /healthz} is the edge's own. */
public final class OpsEndpoint {
    private final Database db;
    private final PrometheusMeterRegistry metrics;

    public OpsEndpoint(Database db, PrometheusMeterRegistry metrics) {
        this.db = db;
        this.metrics = metrics;
    }

    public void register(Routes routes) {
        routes.operational(Method.GET, "/readyz", (req, res) -> {
                    boolean ready = db.reachable();
                    Json.send(res, ready ? Status.OK_200 : Status.SERVICE_UNAVAILABLE_503,
                            Map.of("status", ready ? "ready" : "database unreachable"));
                })
                .operational(Method.GET, "/metrics", (req, res) -> {
                    res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                    res.send(metrics.scrape());
                });
    }
}
