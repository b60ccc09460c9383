package io.gatehouse.examples;

import io.modelcontextprotocol.common.McpTransportContext;
import jakarta.servlet.http.HttpServletRequest;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The HTTP request headers this upstream received, as lower-cased names mapped to their values
 * (repeated headers joined with ", "). Tests read them back through the {@code whoami} tool and
 * {@code /api/v1/headers} to prove what Gatehouse forwarded and what it replaced.
 */
final class RequestHeaders {
    /** Where the MCP transport context carries the headers of the POST that delivered a request. */
    static final String CONTEXT_KEY = "io.gatehouse.examples.request-headers";

    private RequestHeaders() {
    }

    static Map<String, String> of(HttpServletRequest request) {
        Map<String, String> headers = new TreeMap<>();
        for (String name : Collections.list(request.getHeaderNames())) {
            String value = String.join(", ", Collections.list(request.getHeaders(name)));
            headers.merge(name.toLowerCase(Locale.ROOT), value, (first, more) -> first + ", " + more);
        }
        return Collections.unmodifiableMap(headers);
    }

    /**
     * The SDK's servlet transport calls this for every HTTP request and hands the result to the
     * handler of the JSON-RPC request that HTTP request carried ({@code exchange.transportContext()}).
     */
    static McpTransportContext transportContext(HttpServletRequest request) {
        return McpTransportContext.create(Map.of(CONTEXT_KEY, of(request)));
    }

    static Map<String, String> from(McpTransportContext context) {
        Object headers = context == null ? null : context.get(CONTEXT_KEY);
        if (!(headers instanceof Map<?, ?> map)) {
            return Map.of();
        }
        Map<String, String> copy = new TreeMap<>();
        map.forEach((name, value) -> copy.put(String.valueOf(name), String.valueOf(value)));
        return copy;
    }
}
