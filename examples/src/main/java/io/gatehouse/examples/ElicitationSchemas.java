package io.gatehouse.examples;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code requestedSchema}s the conformance elicitation scenarios inspect. Written as plain
 * maps so what goes on the wire is visible here (MCP 2025-11-25, client/elicitation,
 * "Requested Schema": a flat object of primitive properties).
 */
final class ElicitationSchemas {
    private ElicitationSchemas() {
    }

    /** SEP-1034: a default for each primitive type (scenario elicitation-sep1034-defaults). */
    static Map<String, Object> withDefaults() {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("name", Map.of("type", "string", "description", "User name", "default", "John Doe"));
        properties.put("age", Map.of("type", "integer", "description", "User age", "default", 30));
        properties.put("score", Map.of("type", "number", "description", "User score", "default", 95.5));
        properties.put("status", Map.of("type", "string", "description", "User status",
                "enum", List.of("active", "inactive", "pending"), "default", "active"));
        properties.put("verified", Map.of("type", "boolean", "description", "Verification status",
                "default", true));
        return ToolResults.objectSchema(properties, List.of());
    }

    /** SEP-1330: the five enum shapes (scenario elicitation-sep1330-enums). */
    static Map<String, Object> allEnumKinds() {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("untitledSingle", Map.of("type", "string", "description", "Untitled single-select",
                "enum", List.of("option1", "option2", "option3")));
        properties.put("titledSingle", Map.of("type", "string", "description", "Titled single-select",
                "oneOf", titled("value", "Option")));
        properties.put("legacyEnum", Map.of("type", "string", "description", "Legacy titled enum",
                "enum", List.of("opt1", "opt2", "opt3"),
                "enumNames", List.of("Option One", "Option Two", "Option Three")));
        properties.put("untitledMulti", Map.of("type", "array", "description", "Untitled multi-select",
                "items", Map.of("type", "string", "enum", List.of("option1", "option2", "option3"))));
        properties.put("titledMulti", Map.of("type", "array", "description", "Titled multi-select",
                "items", Map.of("anyOf", titled("value", "Choice"))));
        return ToolResults.objectSchema(properties, List.of());
    }

    private static List<Map<String, Object>> titled(String valuePrefix, String noun) {
        return List.of(
                Map.of("const", valuePrefix + "1", "title", "First " + noun),
                Map.of("const", valuePrefix + "2", "title", "Second " + noun),
                Map.of("const", valuePrefix + "3", "title", "Third " + noun));
    }
}
