package io.gatehouse.examples;

import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Content;
import io.modelcontextprotocol.spec.McpSchema.TextContent;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small helpers every tool handler needs: results, argument access, input schemas. */
final class ToolResults {
    private ToolResults() {
    }

    static CallToolResult text(String text) {
        return CallToolResult.builder().content(List.of(TextContent.builder(text).build())).isError(false).build();
    }

    static CallToolResult content(Content... content) {
        return CallToolResult.builder().content(List.of(content)).isError(false).build();
    }

    /**
     * A tool failure is a result with {@code isError: true}, not a JSON-RPC error, so the model
     * can see it (MCP 2025-11-25, server/tools, "Error Handling").
     */
    static CallToolResult error(String message) {
        return CallToolResult.builder().content(List.of(TextContent.builder(message).build())).isError(true).build();
    }

    static Map<String, Object> arguments(CallToolRequest request) {
        return request.arguments() == null ? Map.of() : request.arguments();
    }

    static Object progressToken(CallToolRequest request) {
        return request.meta() == null ? null : request.meta().get("progressToken");
    }

    /** An integer argument with a default, clamped to [min, max]. */
    static int intArgument(CallToolRequest request, String name, int fallback, int min, int max) {
        Object value = arguments(request).get(name);
        int number = value instanceof Number n ? n.intValue() : fallback;
        return Math.max(min, Math.min(max, number));
    }

    /** An object schema: properties as given (in order), with the listed required names. */
    static Map<String, Object> objectSchema(Map<String, Object> properties, List<String> required) {
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        schema.put("properties", properties);
        if (!required.isEmpty()) {
            schema.put("required", required);
        }
        return schema;
    }

    static Map<String, Object> noArguments() {
        return objectSchema(Map.of(), List.of());
    }

    static Map<String, Object> property(String type, String description) {
        return Map.of("type", type, "description", description);
    }
}
