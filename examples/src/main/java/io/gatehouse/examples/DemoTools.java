package io.gatehouse.examples;

import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import io.modelcontextprotocol.spec.McpSchema.Tool;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.gatehouse.examples.ToolResults.arguments;
import static io.gatehouse.examples.ToolResults.error;
import static io.gatehouse.examples.ToolResults.intArgument;
import static io.gatehouse.examples.ToolResults.noArguments;
import static io.gatehouse.examples.ToolResults.objectSchema;
import static io.gatehouse.examples.ToolResults.progressToken;
import static io.gatehouse.examples.ToolResults.property;
import static io.gatehouse.examples.ToolResults.text;

/**
 * The demo's own tools, the ones {@code ./gatehouse demo}, the integration tests and the
 * benchmarks call through the gateway: {@code echo}, {@code add}, {@code slow} (streams progress)
 * and {@code whoami} (shows the headers that reached the upstream).
 */
final class DemoTools {
    static final int MAX_STEPS = 1_000;
    static final int MAX_DELAY_MS = 60_000;

    private DemoTools() {
    }

    static List<SyncToolSpecification> all() {
        return List.of(echo(), add(), slow(), whoami());
    }

    static SyncToolSpecification echo() {
        Tool tool = Tool.builder("echo", objectSchema(
                        Map.of("text", property("string", "The text to send back")), List.of("text")))
                .title("Echo")
                .description("Returns the text it is given.")
                .build();
        return new SyncToolSpecification(tool, (exchange, request) -> {
            Object value = arguments(request).get("text");
            return value instanceof String text ? text(text) : error("echo needs a string argument 'text'");
        });
    }

    static SyncToolSpecification add() {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("a", property("number", "First addend"));
        properties.put("b", property("number", "Second addend"));
        Tool tool = Tool.builder("add", objectSchema(properties, List.of("a", "b")))
                .title("Add")
                .description("Adds two numbers and returns the sum as text.")
                .build();
        return new SyncToolSpecification(tool, (exchange, request) -> {
            Object a = arguments(request).get("a");
            Object b = arguments(request).get("b");
            if (!(a instanceof Number x) || !(b instanceof Number y)) {
                return error("add needs two numbers 'a' and 'b'");
            }
            // BigDecimal through the decimal text: 2 + 3 reads "5", 0.1 + 0.2 reads "0.3".
            BigDecimal sum = new BigDecimal(x.toString()).add(new BigDecimal(y.toString()));
            return text(sum.stripTrailingZeros().toPlainString());
        });
    }

    static SyncToolSpecification slow() {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("steps", Map.of("type", "integer", "description", "How many steps to run",
                "default", 5, "minimum", 1, "maximum", MAX_STEPS));
        properties.put("delay_ms", Map.of("type", "integer", "description", "Milliseconds each step takes",
                "default", 500, "minimum", 0, "maximum", MAX_DELAY_MS));
        Tool tool = Tool.builder("slow", objectSchema(properties, List.of()))
                .title("Slow")
                .description("Runs for steps x delay_ms milliseconds and reports progress after every step "
                        + "when the call carries a progress token.")
                .build();
        return new SyncToolSpecification(tool, DemoTools::runSlowly);
    }

    /**
     * Each step sleeps, then reports {@code notifications/progress} with progress = step and
     * total = steps (MCP 2025-11-25, basic/utilities/progress): the first event leaves the server
     * one step in, long before the result, which is what proves a proxy streams instead of buffering.
     */
    private static CallToolResult runSlowly(McpSyncServerExchange exchange, CallToolRequest request) {
        int steps = intArgument(request, "steps", 5, 1, MAX_STEPS);
        int delayMs = intArgument(request, "delay_ms", 500, 0, MAX_DELAY_MS);
        Object token = progressToken(request);
        for (int step = 1; step <= steps; step++) {
            try {
                Thread.sleep(delayMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return error("interrupted after " + (step - 1) + " steps");
            }
            if (token != null) {
                exchange.progressNotification(ProgressNotification.builder(token, (double) step)
                        .total((double) steps)
                        .message("step " + step + " of " + steps)
                        .build());
            }
        }
        return text("done after " + steps + " steps");
    }

    static SyncToolSpecification whoami() {
        Tool tool = Tool.builder("whoami", noArguments())
                .title("Who am I")
                .description("Returns, as JSON, the HTTP request headers this upstream received with the call "
                        + "(lower-cased names), so a test can see what a gateway forwarded.")
                .build();
        return new SyncToolSpecification(tool,
                (exchange, request) -> text(Json.write(RequestHeaders.from(exchange.transportContext()))));
    }
}
