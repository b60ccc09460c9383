package io.gatehouse.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Documents that let clients find their way: the management API's OpenAPI description, and the
 * RFC 9728 protected-resource metadata the 401 challenge points at, naming Gatehouse itself as the
 * authorization server.
 */
public final class DiscoveryEndpoint {
    private final PublicUrl publicUrl;
    private final byte[] openApi;

    public DiscoveryEndpoint(PublicUrl publicUrl) {
        this.publicUrl = publicUrl;
        try (InputStream in = DiscoveryEndpoint.class.getResourceAsStream("/openapi.json")) {
            if (in == null) {
                throw new IllegalStateException("openapi.json is missing from the jar");
            }
            this.openApi = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void register(Routes routes) {
        routes.get("/v1/openapi.json", (req, res) -> {
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.send(openApi);
        });
        // RFC 9728 §3: the metadata of the resource at the root of this server.
        routes.operational(Method.GET, "/.well-known/oauth-protected-resource", (req, res) -> {
            Map<String, Object> metadata = new LinkedHashMap<>();
            metadata.put("resource", publicUrl.get().toString());
            metadata.put("authorization_servers", List.of(publicUrl.get().toString()));
            metadata.put("scopes_supported", List.of(io.gatehouse.door.Permissions.MCP_USE,
                    io.gatehouse.door.Permissions.API_READ, io.gatehouse.door.Permissions.API_WRITE));
            metadata.put("bearer_methods_supported", List.of("header"));
            metadata.put("resource_name", "Gatehouse");
            metadata.put("resource_documentation", publicUrl + "/v1/openapi.json");
            res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
            Json.ok(res, metadata);
        });
        routes.operational(Method.OPTIONS, "/.well-known/oauth-protected-resource", Cors::publicPreflight);
    }
}
