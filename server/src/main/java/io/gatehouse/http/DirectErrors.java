package io.gatehouse.http;

import io.gatehouse.errors.ErrorCode;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.DirectHandlers;
import java.nio.charset.StandardCharsets;

/**
 * Errors the HTTP parser raises before any route runs (a malformed request line, an oversized head,
 * bad chunking): answered in the documented JSON shape with a fixed message. The parser's own
 * message is never echoed, since it can quote a header — and a header can hold a credential.
 */
final class DirectErrors {
    private DirectErrors() {
    }

    static DirectHandlers handlers() {
        DirectHandler handler = (request, eventType, status, headers, message) -> {
            ErrorCode code = switch (status.code()) {
                case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
                case 431 -> ErrorCode.HEADERS_TOO_LARGE;
                case 403 -> ErrorCode.FORBIDDEN;
                // Direct handlers see only transport-level failures (route failures go through
                // Errors.unexpected); the parser reports some malformed requests, such as an illegal
                // method token, as 500. They are the client's: 400.
                case 500 -> ErrorCode.INVALID_REQUEST;
                default -> ErrorCode.INVALID_REQUEST;
            };
            int statusCode = code == ErrorCode.INVALID_REQUEST && status.code() >= 400 && status.code() < 500
                    ? status.code() : code.status();
            if (status.code() == 500 && code == ErrorCode.INVALID_REQUEST) {
                statusCode = 400;
            }
            String text = switch (code) {
                case PAYLOAD_TOO_LARGE -> "The request body is too large";
                case HEADERS_TOO_LARGE -> "The request headers are too large";
                case INTERNAL -> "Internal error";
                default -> "The HTTP request is malformed";
            };
            // The edge's id for the request, when the parser got as far as the headers (a sane one, so
            // it can be written into the body as it is); the client's X-Request-Id field is the edge's.
            String requestId = "-";
            try {
                requestId = request.headers().first(RequestInfo.X_REQUEST_ID)
                        .filter(id -> RequestInfo.SANE_ID.matcher(id).matches()).orElse("-");
            } catch (RuntimeException noHeaders) {
                // the request broke before its headers
            }
            String body = "{\"success\":false,\"error\":{\"code\":\"" + code.code() + "\",\"reason\":\"http_"
                    + statusCode + "\",\"message\":\"" + text + "\",\"request_id\":\"" + requestId + "\"}}";
            return DirectHandler.TransportResponse.builder()
                    .status(io.helidon.http.Status.create(statusCode))
                    .header(HeaderValues.CONTENT_TYPE_JSON)
                    .header(HeaderNames.CACHE_CONTROL, "no-store")
                    .keepAlive(false)
                    .entity(body.getBytes(StandardCharsets.UTF_8))
                    .build();
        };
        DirectHandlers.Builder builder = DirectHandlers.builder();
        for (DirectHandler.EventType type : DirectHandler.EventType.values()) {
            builder.addHandler(type, handler);
        }
        return builder.build();
    }
}
