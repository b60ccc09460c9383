package io.gatehouse.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Reads one sample of a node's {@code /metrics} (Prometheus text), as a scraper would. */
public final class Metrics {
    private Metrics() {
    }

    /** The sample's value, or 0 when the series does not exist yet. Labels are matched exactly (none: none). */
    public static double value(Http http, String name, Map<String, String> labels) {
        Http.Response r = http.send("GET", "/metrics", Map.of(), null);
        assertThat(r.status()).isEqualTo(200);
        String series = labels.isEmpty() ? name : name + new TreeMap<>(labels).entrySet().stream()
                .map(e -> e.getKey() + "=\"" + e.getValue() + "\"").collect(Collectors.joining(",", "{", "}"));
        for (String line : r.text().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).strip());
            }
        }
        return 0;
    }
}
