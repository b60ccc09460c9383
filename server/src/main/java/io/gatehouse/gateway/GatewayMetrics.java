package io.gatehouse.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What the gateway counts per server (tagged by slug): each upstream exchange by outcome, the time
 * the upstream took to start answering, and the tool calls refused before they were sent. Meters
 * are looked up lock-free after their first use; their number is bounded by the servers registered.
 */
final class GatewayMetrics {
    private final MeterRegistry registry;
    private final Map<String, Counter> exchanges = new ConcurrentHashMap<>();
    private final Map<String, Timer> latencies = new ConcurrentHashMap<>();
    private final Map<String, Counter> refusedTools = new ConcurrentHashMap<>();

    GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The upstream answered with {@code status} after {@code nanos}. */
    void answered(Server server, int status, long nanos) {
        exchange(server, (status / 100) + "xx").increment();
        latency(server).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The upstream gave no answer: {@code outcome} is {@code unreachable}, {@code timeout} or {@code failed}. */
    void failed(Server server, String outcome) {
        exchange(server, outcome).increment();
    }

    void refusedTools(Server server, int calls) {
        Counter c = refusedTools.get(server.slug());
        if (c == null) {
            c = refusedTools.computeIfAbsent(server.slug(), slug -> Counter.builder("gatehouse.gateway.tool.refusals")
                    .description("tools/call requests refused at the gateway (outside the caller's tool scope, or hidden)")
                    .tag("server", slug).register(registry));
        }
        c.increment(calls);
    }

    private Counter exchange(Server server, String outcome) {
        String key = server.slug() + " " + outcome;
        Counter c = exchanges.get(key);
        if (c == null) {
            c = exchanges.computeIfAbsent(key, k -> Counter.builder("gatehouse.upstream.requests")
                    .description("Requests sent to upstream servers, by server and outcome (status class or failure)")
                    .tag("server", server.slug()).tag("outcome", outcome).register(registry));
        }
        return c;
    }

    private Timer latency(Server server) {
        Timer t = latencies.get(server.slug());
        if (t == null) {
            t = latencies.computeIfAbsent(server.slug(), slug -> Timer.builder("gatehouse.upstream.latency")
                    .description("Time from sending a request upstream to the upstream's answer head")
                    .tag("server", slug).register(registry));
        }
        return t;
    }
}
