package io.gatehouse.edge;

import io.gatehouse.errors.ApiError;
import io.gatehouse.http.Errors;
import io.gatehouse.http.Json;
import io.gatehouse.http.PublicUrl;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Every answer the edge writes itself: a refusal or failure in the documented JSON shape (with the
 * RFC 6750 challenge on a 401 or an insufficient scope, never cached), or a JSON body of its own (a
 * JSON-RPC error inside an MCP answer). The body of an answer to HEAD is dropped where it is sent
 * ({@link Call#respond}); its length stays.
 */
public final class Renderer {
    private final PublicUrl publicUrl;

    public Renderer(PublicUrl publicUrl) {
        this.publicUrl = publicUrl;
    }

    /** {@code error} in the documented shape, for a request to {@code path}. */
    public FullHttpResponse error(ApiError error, String path, String requestId) {
        FullHttpResponse response = json(HttpResponseStatus.valueOf(error.code().status()),
                Json.bytes(Errors.body(error, requestId)));
        Errors.challenge(error, path, publicUrl)
                .ifPresent(c -> response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, c));
        return response;
    }

    /** A JSON answer that is never cached. */
    public FullHttpResponse json(HttpResponseStatus status, byte[] body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(body));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return response;
    }

    /** An answer with no body (a CORS preflight's 204, say). */
    public FullHttpResponse empty(HttpResponseStatus status) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
        if (status.code() != 204 && status.code() != 304) {
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
        }
        return response;
    }
}
