package io.gatehouse.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.http.ApiError;
import io.gatehouse.http.ErrorCode;
import io.gatehouse.http.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What the gateway reads of MCP's JSON-RPC messages: which tools a request calls, which requests
 * list tools (so their answers can be filtered), and the error answer for a refused call.
 * Everything else passes through untouched.
 */
final class JsonRpc {
    /** JSON-RPC 2.0 §5.1: -32000 to -32099 are for implementation-defined server errors. */
    static final int FORBIDDEN = -32003;

    private JsonRpc() {
    }

    /**
     * A POSTed body: one message, or a batch (MCP 2025-03-26 only).
     *
     * @param toolsListIds ids (as JSON text) of the {@code tools/list} requests in it
     */
    record Inspection(boolean batch, List<JsonNode> messages, Set<String> toolsListIds) {
        /** Tool names the body calls, with the request they are in. */
        List<JsonNode> toolCalls() {
            return messages.stream().filter(m -> "tools/call".equals(m.path("method").asText())).toList();
        }
    }

    static Inspection inspect(byte[] body) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_json", "The body is not a JSON-RPC message");
        }
        if (root == null || !(root.isObject() || root.isArray() && !root.isEmpty())) {
            throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_json", "The body is not a JSON-RPC message");
        }
        List<JsonNode> messages = new ArrayList<>();
        if (root.isArray()) {
            root.forEach(messages::add);
        } else {
            messages.add(root);
        }
        Set<String> listIds = new HashSet<>();
        for (JsonNode m : messages) {
            if (!m.isObject()) {
                throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_json", "Every JSON-RPC message must be an object");
            }
            if ("tools/list".equals(m.path("method").asText()) && m.has("id")) {
                listIds.add(m.get("id").toString());
            }
            if ("tools/call".equals(m.path("method").asText()) && !m.path("params").path("name").isTextual()) {
                throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_tool_call", "tools/call needs params.name");
            }
        }
        return new Inspection(root.isArray(), messages, listIds);
    }

    static String toolName(JsonNode call) {
        return call.path("params").path("name").asText();
    }

    /** A JSON-RPC error answer to {@code request}. */
    static ObjectNode error(JsonNode request, int code, String message, String reason) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("jsonrpc", "2.0");
        out.set("id", request.has("id") ? request.get("id") : Json.MAPPER.nullNode());
        ObjectNode err = out.putObject("error");
        err.put("code", code);
        err.put("message", message);
        err.putObject("data").put("reason", reason);
        return out;
    }

    /**
     * Drops the tools {@code visible} refuses from a {@code tools/list} answer whose id is in
     * {@code listIds}; returns empty when {@code message} is not such an answer.
     */
    static Optional<JsonNode> filterToolList(JsonNode message, Set<String> listIds, Predicate<String> visible) {
        if (!message.isObject() || !message.has("id") || !listIds.contains(message.get("id").toString())
                || !message.path("result").path("tools").isArray()) {
            return Optional.empty();
        }
        ObjectNode copy = message.deepCopy();
        ArrayNode kept = Json.MAPPER.createArrayNode();
        for (JsonNode tool : message.path("result").path("tools")) {
            if (visible.test(tool.path("name").asText())) {
                kept.add(tool);
            }
        }
        ((ObjectNode) copy.get("result")).set("tools", kept);
        return Optional.of(copy);
    }
}
