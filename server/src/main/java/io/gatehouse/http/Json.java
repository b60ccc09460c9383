package io.gatehouse.http;

import io.gatehouse.errors.ErrorCode;
import io.gatehouse.errors.ApiError;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.HttpMediaType;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.OptionalLong;

/** Reading request bodies and writing JSON answers. */
public final class Json {
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(32).maxStringLength(65_536).maxNumberLength(32).build());
    }

    private Json() {
    }

    /**
     * The request body as a JSON object: 415 unless it says {@code application/json}, 413 past
     * {@code maxBytes}, 400 when it is not one well-formed JSON object.
     */
    public static Body body(ServerRequest req, long maxBytes) {
        String contentType;
        try {
            contentType = req.headers().contentType().map(HttpMediaType::text).orElse(null);
        } catch (RuntimeException unparsable) {
            contentType = null;
        }
        requireJson(contentType);
        return parse(read(req, maxBytes));
    }

    /** 415 unless {@code contentType} says JSON ({@code application/json} or {@code application/*+json}). */
    public static void requireJson(String contentType) {
        if (contentType != null && contentType.regionMatches(true, 0, "application/json", 0, 16)
                && (contentType.length() == 16 || contentType.charAt(16) == ';')) {
            return; // what nearly every client sends, told without parsing (the MCP data plane asks on every POST)
        }
        boolean json;
        try {
            json = contentType != null && java.util.Optional.of(HttpMediaType.create(contentType))
                    .map(HttpMediaType::mediaType)
                    .map(m -> m.type().equals("application") && (m.subtype().equals("json") || m.subtype().endsWith("+json")))
                    .orElse(false);
        } catch (RuntimeException unparsable) {
            json = false;
        }
        if (!json) {
            throw ApiError.of(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "content_type",
                    "Send the body as JSON with Content-Type: application/json");
        }
    }

    /** {@code bytes} as a JSON object: 400 when it is not one well-formed JSON object in strict UTF-8. */
    public static Body parse(byte[] bytes) {
        JsonNode node;
        try {
            // Strict UTF-8 first: Jackson accepts overlong sequences (C0 AF reads as '/').
            java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes));
            node = MAPPER.readTree(bytes);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_json", "The body is not valid UTF-8");
        } catch (com.fasterxml.jackson.core.exc.StreamConstraintsException e) {
            throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_json", "The body is JSON past this API's limits: "
                    + "numbers of at most 32 digits, strings of at most 65,536 characters, at most 32 levels deep");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // Only the location is logged: Jackson's message quotes the offending token, which may be a key.
            throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_json", "The body is not valid JSON")
                    .withDetail("at " + (e.getLocation() == null ? "?" : e.getLocation().offsetDescription()));
        } catch (IOException e) {
            throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_json", "The body is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_json", "The body must be a JSON object");
        }
        return new Body(node);
    }

    /** The body of a call that takes an optional JSON object: an empty body is an empty object. */
    public static Body optionalBody(ServerRequest req, long maxBytes) {
        if (!req.content().hasEntity()) {
            return new Body(MAPPER.createObjectNode());
        }
        return body(req, maxBytes);
    }

    /** The raw body, at most {@code maxBytes} (413 past it, 400 when it cannot be read). */
    public static byte[] bytes(ServerRequest req, long maxBytes) {
        return read(req, maxBytes);
    }

    private static byte[] read(ServerRequest req, long maxBytes) {
        OptionalLong declared = req.headers().contentLength();
        if (declared.isPresent() && declared.getAsLong() > maxBytes) {
            throw tooLarge(maxBytes);
        }
        try (InputStream in = req.content().inputStream()) {
            if (declared.isPresent()) { // memory as the bytes arrive: a declared length costs its sender nothing
                byte[] bytes = in.readNBytes((int) declared.getAsLong());
                if (bytes.length < declared.getAsLong()) {
                    throw new EOFException("the body is shorter than its Content-Length");
                }
                return bytes;
            }
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            if (bytes.length > maxBytes) {
                throw tooLarge(maxBytes);
            }
            return bytes;
        } catch (IOException | RuntimeException e) {
            if (e instanceof ApiError a) {
                throw a;
            }
            if (e instanceof io.helidon.http.RequestException r && r.status().code() == 413
                    || e instanceof io.helidon.http.HttpException h && h.status().code() == 413) {
                throw tooLarge(maxBytes);
            }
            // A body shorter than its Content-Length, bad chunking: the client's fault, never a 500.
            throw ApiError.of(ErrorCode.INVALID_REQUEST, "unreadable_body", "The body could not be read")
                    .withDetail(e.getClass().getSimpleName());
        }
    }

    private static ApiError tooLarge(long maxBytes) {
        return ApiError.of(ErrorCode.PAYLOAD_TOO_LARGE, "body_too_large", "The body exceeds " + maxBytes + " bytes");
    }

    /** Reads a nested JSON object with the same checks as a body. */
    public record Reader(JsonNode node) {
        public Body body() {
            return new Body(node);
        }
    }

    /** Sends {@code body} as JSON; answers are never cached. */
    /** {@code value} as JSON bytes; it is always serializable (maps, lists, records of ours). */
    public static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void send(ServerResponse res, Status status, Object body) {
        byte[] bytes;
        try {
            bytes = MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        res.status(status);
        res.header(HeaderValues.CONTENT_TYPE_JSON);
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(bytes);
    }

    public static void ok(ServerResponse res, Object body) {
        send(res, Status.OK_200, body);
    }
}
