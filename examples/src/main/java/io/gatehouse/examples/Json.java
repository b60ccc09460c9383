package io.gatehouse.examples;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * JSON for the job API and tool results, through the SDK's own mapper (Jackson 3) so the module
 * carries one JSON library and one version of it.
 */
final class Json {
    private static final McpJsonMapper MAPPER = McpJsonDefaults.getMapper();
    private static final TypeRef<Map<String, Object>> OBJECT = new TypeRef<>() {
    };

    private Json() {
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses a JSON object; anything else (an array, a scalar, broken text) is an IOException. */
    static Map<String, Object> readObject(byte[] body) throws IOException {
        try {
            Map<String, Object> object = MAPPER.readValue(body, OBJECT);
            if (object == null) {
                throw new IOException("expected a JSON object");
            }
            return object;
        } catch (RuntimeException e) {
            // Jackson 3 reports malformed input with unchecked exceptions.
            throw new IOException(e.getMessage(), e);
        }
    }
}
