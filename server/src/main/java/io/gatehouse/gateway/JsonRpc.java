package io.gatehouse.gateway;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
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
    /** The organization's credits cannot pay for the call: HTTP's 402, as an MCP client reads it. */
    static final int PAYMENT_REQUIRED = -32402;
    /** Reads one value in place; the body's end is checked once, by {@link #inspect}. */
    private static final ObjectReader VALUE_READER = Json.MAPPER.reader()
            .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private JsonRpc() {
    }

    /**
     * One message of a POSTed body, as far as the gateway reads it.
     *
     * @param method   its method, or null (a response, or a method that is not a string)
     * @param id       its id, or null when it has none (a notification)
     * @param toolName {@code params.name} of a {@code tools/call}, else null
     * @param target   what MCP 2026-07-28 mirrors into {@code Mcp-Name}: {@code params.name} of a
     *                 {@code tools/call} or {@code prompts/get}, {@code params.uri} of a
     *                 {@code resources/read}, {@code /subscribe} or {@code /unsubscribe}; else null
     */
    record Message(String method, JsonNode id, String toolName, String target) {
        boolean isRequest() {
            return id != null && method != null;
        }
    }

    /**
     * A POSTed body: one message, or a batch (MCP 2025-03-26 only).
     *
     * @param toolsListIds ids (as JSON text) of the {@code tools/list} requests in it
     */
    record Inspection(boolean batch, List<Message> messages, Set<String> toolsListIds) {
        /** The body's {@code tools/call} requests. */
        List<Message> toolCalls() {
            List<Message> calls = new ArrayList<>(1);
            for (Message m : messages) {
                if (m.toolName() != null) {
                    calls.add(m);
                }
            }
            return calls;
        }
    }

    /**
     * Reads a body as a stream of tokens, never as a tree: only {@code method}, {@code id} and
     * {@code params.name} are looked at, the rest is skipped. Those members may appear only once:
     * a second {@code name} that this gateway and the upstream's parser might each pick differently
     * would let a refused tool through.
     */
    static Inspection inspect(byte[] body) {
        // MCP's messages are UTF-8 JSON. Jackson would also read UTF-16 or UTF-32, and a byte order mark,
        // which an upstream's parser may not: a call that parses here and not there is paid for nothing.
        if (body.length >= 3 && (body[0] & 0xff) == 0xef && (body[1] & 0xff) == 0xbb && (body[2] & 0xff) == 0xbf
                || body.length >= 2 && (body[0] == 0 || body[1] == 0 || (body[0] & 0xfe) == 0xfe)) {
            throw invalid("The body must be UTF-8 JSON, without a byte order mark");
        }
        try (JsonParser p = Json.MAPPER.createParser(body)) {
            JsonToken first = p.nextToken();
            List<Message> messages = new ArrayList<>(1);
            boolean batch = first == JsonToken.START_ARRAY;
            if (first == JsonToken.START_OBJECT) {
                messages.add(message(p));
            } else if (batch) {
                JsonToken t;
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (t != JsonToken.START_OBJECT) {
                        throw invalid("Every JSON-RPC message must be an object");
                    }
                    messages.add(message(p));
                }
            }
            if (messages.isEmpty() || p.nextToken() != null) {
                throw invalid("The body is not a JSON-RPC message");
            }
            Set<String> listIds = new HashSet<>();
            for (Message m : messages) {
                if ("tools/list".equals(m.method()) && m.id() != null) {
                    listIds.add(m.id().toString());
                }
            }
            return new Inspection(batch, messages, listIds);
        } catch (IOException e) {
            throw invalid("The body is not a JSON-RPC message");
        }
    }

    /** One message; the parser is on its START_OBJECT and is left on its END_OBJECT. */
    /** The longest {@code params.name} of a {@code tools/call}: twice what MCP recommends (128). */
    static final int MAX_TOOL_NAME = 256;

    private static Message message(JsonParser p) throws IOException {
        String method = null;
        JsonNode id = null;
        String name = null;
        String uri = null;
        boolean sawMethod = false;
        boolean sawId = false;
        boolean sawParams = false;
        boolean nameIsText = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            checkNotLookalike(field, "method", "id", "params", "jsonrpc");
            JsonToken value = p.nextToken();
            switch (field) {
                case "method" -> {
                    sawMethod = once(sawMethod);
                    method = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    p.skipChildren();
                }
                case "id" -> {
                    sawId = once(sawId);
                    // MCP: "a string or integer ID". A 1.0 might come back as 1, and then a tools/list
                    // answer would not be recognised as one to filter.
                    id = switch (value) {
                        case VALUE_NUMBER_INT -> switch (p.getNumberType()) {
                            case INT -> IntNode.valueOf(p.getIntValue());
                            case LONG -> VALUE_READER.readTree(p);
                            // past 64 bits: no MCP SDK reads such an id back as the same number
                            default -> throw invalid("A JSON-RPC id must be a string or an integer of at most 64 bits");
                        };
                        case VALUE_STRING -> TextNode.valueOf(p.getText());
                        case VALUE_NULL -> VALUE_READER.readTree(p); // JSON-RPC: an error answer's id
                        default -> throw invalid("A JSON-RPC id must be a string or an integer");
                    };
                }
                case "params" -> {
                    sawParams = once(sawParams);
                    if (value == JsonToken.START_OBJECT) {
                        boolean sawName = false;
                        boolean sawUri = false;
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            checkNotLookalike(p.currentName(), "name", "uri");
                            String member = p.currentName();
                            JsonToken v = p.nextToken();
                            if (member.equals("name")) {
                                sawName = once(sawName);
                                nameIsText = v == JsonToken.VALUE_STRING;
                                name = nameIsText ? p.getText() : null;
                            } else if (member.equals("uri")) {
                                sawUri = once(sawUri);
                                uri = v == JsonToken.VALUE_STRING ? p.getText() : null;
                            }
                            p.skipChildren();
                        }
                    } else {
                        p.skipChildren();
                    }
                }
                default -> p.skipChildren();
            }
        }
        boolean toolCall = "tools/call".equals(method);
        if (toolCall && (id == null || id.isNull())) {
            // A notification is never answered and, by MCP, never runs a tool: priced, it would be paid for
            // nothing; forwarded, an upstream that ran it anyway would run it unanswered and unseen. A null
            // id is no request's either (MCP: it "MUST NOT be null").
            throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_tool_call",
                    "tools/call is a request: it needs a string or integer id");
        }
        if (toolCall && !nameIsText) {
            throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_tool_call", "tools/call needs params.name");
        }
        if (toolCall && name.length() > MAX_TOOL_NAME) {
            // MCP asks for 1 to 128 characters: a name far past that is no tool, and would be priced,
            // counted and journaled as one
            throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_tool_call",
                    "A tool's name is at most " + MAX_TOOL_NAME + " characters");
        }
        String target = method == null ? null : switch (method) {
            case "tools/call", "prompts/get" -> name;
            case "resources/read", "resources/subscribe", "resources/unsubscribe" -> uri;
            default -> null;
        };
        return new Message(method, id, toolCall ? name : null, target);
    }

    /**
     * Refuses a member whose name is one of {@code names} in another spelling. Some upstream parsers
     * match names loosely (Go's encoding/json ignores case and folds 'ſ' to 's' and 'K' to 'k'; some
     * drop trailing NULs), so {@code "Name": "secret"} beside {@code "name": "echo"} could run the tool
     * this gateway never checked.
     */
    private static void checkNotLookalike(String field, String... names) {
        if (isPlainLowerAscii(field)) {
            return; // folding would leave it as it is: it is one of the names exactly, or none of them
        }
        String folded = field.replace("\u0000", "").replace('\u017f', 's').replace('\u212a', 'k')
                .toLowerCase(java.util.Locale.ROOT);
        for (String name : names) {
            if (folded.equals(name) && !field.equals(name)) {
                throw invalid("A JSON-RPC message has a member spelled like '" + name + "' but not as it");
            }
        }
    }

    private static boolean isPlainLowerAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == 0 || ch >= 0x80 || (ch >= 'A' && ch <= 'Z')) {
                return false;
            }
        }
        return true;
    }

    private static boolean once(boolean seen) {
        if (seen) {
            throw invalid("A JSON-RPC message has a member twice");
        }
        return true;
    }

    private static ApiError invalid(String message) {
        return ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_json", message);
    }

    /** A JSON-RPC error answer to {@code request}. */
    static ObjectNode error(Message request, int code, String message, String reason) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("jsonrpc", "2.0");
        out.set("id", request.id() != null ? request.id() : Json.MAPPER.nullNode());
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
