package io.gatehouse.examples;

import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema.AudioContent;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageRequest;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageResult;
import io.modelcontextprotocol.spec.McpSchema.ElicitFormRequest;
import io.modelcontextprotocol.spec.McpSchema.ElicitResult;
import io.modelcontextprotocol.spec.McpSchema.EmbeddedResource;
import io.modelcontextprotocol.spec.McpSchema.ImageContent;
import io.modelcontextprotocol.spec.McpSchema.LoggingLevel;
import io.modelcontextprotocol.spec.McpSchema.LoggingMessageNotification;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import io.modelcontextprotocol.spec.McpSchema.Role;
import io.modelcontextprotocol.spec.McpSchema.SamplingMessage;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.TextResourceContents;
import io.modelcontextprotocol.spec.McpSchema.Tool;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Supplier;

import static io.gatehouse.examples.ToolResults.arguments;
import static io.gatehouse.examples.ToolResults.content;
import static io.gatehouse.examples.ToolResults.error;
import static io.gatehouse.examples.ToolResults.noArguments;
import static io.gatehouse.examples.ToolResults.objectSchema;
import static io.gatehouse.examples.ToolResults.progressToken;
import static io.gatehouse.examples.ToolResults.property;
import static io.gatehouse.examples.ToolResults.text;

/**
 * The tools the official conformance suite ({@code @modelcontextprotocol/conformance} 0.1.16,
 * server mode) calls by name. Names, arguments and texts are the ones its scenarios expect; each
 * method names its scenario.
 */
final class ConformanceTools {
    /** A 1x1 PNG, small enough to inline. */
    static final String PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
    /** A WAV header with no samples: valid audio, zero length. */
    static final String WAV_EMPTY = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQAAAAA=";

    private ConformanceTools() {
    }

    static List<SyncToolSpecification> all() {
        return List.of(
                simple("test_simple_text", "Returns a simple text response",
                        () -> text("This is a simple text response for testing.")),
                simple("test_image_content", "Returns a 1x1 PNG image",
                        () -> content(ImageContent.builder(PNG_1X1, "image/png").build())),
                simple("test_audio_content", "Returns a tiny WAV audio clip",
                        () -> content(AudioContent.builder(WAV_EMPTY, "audio/wav").build())),
                simple("test_embedded_resource", "Returns an embedded text resource",
                        () -> content(embedded("test://embedded-resource", "text/plain",
                                "This is an embedded resource content."))),
                simple("test_multiple_content_types", "Returns text, an image and an embedded resource",
                        () -> content(TextContent.builder("Multiple content types test:").build(),
                                ImageContent.builder(PNG_1X1, "image/png").build(),
                                embedded("test://mixed-content-resource", "application/json",
                                        "{\"test\":\"data\",\"value\":123}"))),
                simple("test_error_handling", "Always fails, as a tool error result",
                        () -> error("This tool intentionally returns an error for testing")),
                tool("test_tool_with_logging", "Sends three info log notifications while it runs", noArguments(),
                        ConformanceTools::withLogging),
                tool("test_tool_with_progress", "Reports progress 0, 50 and 100 of 100", noArguments(),
                        ConformanceTools::withProgress),
                tool("test_sampling", "Asks the client's LLM to answer a prompt (sampling/createMessage)",
                        objectSchema(Map.of("prompt", property("string", "The prompt to send to the LLM")),
                                List.of("prompt")),
                        ConformanceTools::sampling),
                tool("test_elicitation", "Asks the user for a username and an email (elicitation/create)",
                        objectSchema(Map.of("message", property("string", "The message to show the user")),
                                List.of("message")),
                        ConformanceTools::elicitation),
                tool("test_elicitation_sep1034_defaults", "Elicits values whose schema has defaults (SEP-1034)",
                        noArguments(), (exchange, request) -> elicit(exchange,
                                "Please review and update the form fields with defaults",
                                ElicitationSchemas.withDefaults(), "Elicitation completed")),
                tool("test_elicitation_sep1330_enums", "Elicits every enum schema variant (SEP-1330)",
                        noArguments(), (exchange, request) -> elicit(exchange, "Please select options from the enum fields",
                                ElicitationSchemas.allEnumKinds(), "Elicitation completed")),
                tool("json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features (SEP-1613)",
                        jsonSchema202012(), (exchange, request) -> text("ok")));
    }

    /** Scenario tools-call-with-logging: three info messages about 50 ms apart. */
    private static CallToolResult withLogging(McpSyncServerExchange exchange, CallToolRequest request) {
        String[] messages = {"Tool execution started", "Tool processing data", "Tool execution completed"};
        for (int i = 0; i < messages.length; i++) {
            if (i > 0 && !pause(50)) {
                return error("interrupted");
            }
            exchange.loggingNotification(LoggingMessageNotification.builder(LoggingLevel.INFO, messages[i])
                    .logger("test_tool_with_logging")
                    .build());
        }
        return text("Tool with logging executed successfully");
    }

    /** Scenario tools-call-with-progress: 0/100, 50/100, 100/100, about 50 ms apart. */
    private static CallToolResult withProgress(McpSyncServerExchange exchange, CallToolRequest request) {
        Object token = progressToken(request);
        for (double progress : new double[]{0, 50, 100}) {
            if (progress > 0 && !pause(50)) {
                return error("interrupted");
            }
            if (token != null) {
                exchange.progressNotification(ProgressNotification.builder(token, progress).total(100.0).build());
            }
        }
        return text("Tool with progress executed successfully");
    }

    /** Scenario tools-call-sampling; a client without the sampling capability gets a tool error. */
    private static CallToolResult sampling(McpSyncServerExchange exchange, CallToolRequest request) {
        if (exchange.getClientCapabilities() == null || exchange.getClientCapabilities().sampling() == null) {
            return error("The client does not support sampling");
        }
        String prompt = String.valueOf(arguments(request).get("prompt"));
        CreateMessageRequest ask = CreateMessageRequest.builder(
                List.of(SamplingMessage.builder(Role.USER, TextContent.builder(prompt).build()).build()), 100).build();
        CreateMessageResult answer = exchange.createMessage(ask);
        String reply = answer.content() instanceof TextContent t ? t.text() : String.valueOf(answer.content());
        return text("LLM response: " + reply);
    }

    /** Scenario tools-call-elicitation. */
    private static CallToolResult elicitation(McpSyncServerExchange exchange, CallToolRequest request) {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("username", property("string", "User's response"));
        properties.put("email", property("string", "User's email address"));
        return elicit(exchange, String.valueOf(arguments(request).get("message")),
                objectSchema(properties, List.of("username", "email")), "User response");
    }

    /**
     * Sends {@code elicitation/create} and reports the answer as "label: action=…, content={…}".
     * A client that did not declare the elicitation capability gets a tool error instead
     * (MCP 2025-11-25, client/elicitation, "Capabilities").
     */
    private static CallToolResult elicit(McpSyncServerExchange exchange, String message, Map<String, Object> schema,
                                         String label) {
        if (exchange.getClientCapabilities() == null || exchange.getClientCapabilities().elicitation() == null) {
            return error("The client does not support elicitation");
        }
        ElicitResult answer = exchange.createElicitation(ElicitFormRequest.builder(message, schema).build());
        String content = answer.content() == null ? "{}" : Json.write(answer.content());
        return text(label + ": action=" + answer.action().name().toLowerCase(Locale.ROOT) + ", content=" + content);
    }

    /** Scenario json-schema-2020-12: $schema, $defs and additionalProperties must survive tools/list. */
    private static Map<String, Object> jsonSchema202012() {
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        schema.put("type", "object");
        schema.put("$defs", Map.of("address", Map.of("type", "object", "properties",
                Map.of("street", Map.of("type", "string"), "city", Map.of("type", "string")))));
        schema.put("properties", Map.of("name", Map.of("type", "string"), "address", Map.of("$ref", "#/$defs/address")));
        schema.put("additionalProperties", false);
        return schema;
    }

    private static EmbeddedResource embedded(String uri, String mimeType, String text) {
        return EmbeddedResource.builder(TextResourceContents.builder(uri, text).mimeType(mimeType).build()).build();
    }

    private static SyncToolSpecification simple(String name, String description,
                                                Supplier<CallToolResult> result) {
        return tool(name, description, noArguments(), (exchange, request) -> result.get());
    }

    private static SyncToolSpecification tool(String name, String description, Map<String, Object> schema,
                                              BiFunction<McpSyncServerExchange, CallToolRequest, CallToolResult> handler) {
        return new SyncToolSpecification(Tool.builder(name, schema).description(description).build(), handler);
    }

    private static boolean pause(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
