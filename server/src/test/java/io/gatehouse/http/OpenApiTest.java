package io.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.accounts.AccountsEndpoint;
import io.gatehouse.accounts.InvitationsEndpoint;
import io.gatehouse.audit.AuditEndpoint;
import io.gatehouse.gateway.ServersEndpoint;
import io.gatehouse.keys.KeysEndpoint;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.gatehouse.keys.DoorRoutes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code openapi.json} in step with the routing table: every documented route is in the
 * document and the document describes nothing else, and every operation is complete enough for a
 * client generator. Builds the routes the way the server does, without a server or a database:
 * registering only stores handlers, so the endpoints need no services.
 */
class OpenApiTest {
    private static final Set<String> HTTP_METHODS =
            Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
    private static final Pattern TEMPLATE = Pattern.compile("\\{([^}/]+)}");

    private static Routes routes;
    private static JsonNode doc;

    @BeforeAll
    static void load() throws IOException {
        routes = new Routes();
        new OpsEndpoint(null, null).register(routes);
        new DiscoveryEndpoint(new PublicUrl()).register(routes);
        new AccountsEndpoint(null, null, null).register(routes);
        new InvitationsEndpoint(null, null, null).register(routes);
        new KeysEndpoint(null, null, null, null).register(routes);
        new AuditEndpoint(null, null, null).register(routes);
        new ServersEndpoint(null, null, null).register(routes);
        new io.gatehouse.billing.BillingEndpoint(null, null, null, null).register(routes);
        new io.gatehouse.oauth.ConnectedAppsEndpoint(null, null).register(routes);
        new io.gatehouse.oauth.ClientsEndpoint(null, null, null, null, null, null, null).register(routes);
        try (InputStream in = OpenApiTest.class.getResourceAsStream("/openapi.json")) {
            assertThat(in).as("openapi.json on the class path").isNotNull();
            doc = Json.MAPPER.readTree(in);
        }
    }

    @Test
    void everyRouteIsDocumentedAndNothingElse() {
        Set<String> served = new TreeSet<>();
        for (Routes.Route r : routes.all()) {
            if (r.documented()) {
                served.add(key(r.method().text(), r.pattern()));
            }
        }
        served.addAll(DoorRoutes.DOCUMENTED); // the door's own endpoints, served on the edge
        Set<String> documented = new TreeSet<>();
        operations().forEach(o -> documented.add(key(o.method(), o.path())));

        assertThat(served).as("routes registered as documented").isNotEmpty();
        assertThat(documented).as("operations in openapi.json").containsExactlyInAnyOrderElementsOf(served);
    }

    @Test
    void operationalRoutesStayOutOfTheDocument() {
        List<String> operational = routes.all().stream().filter(r -> !r.documented()).map(Routes.Route::pattern).toList();
        assertThat(operational).contains("/readyz", "/metrics", "/.well-known/oauth-protected-resource");
        assertThat(doc.path("paths").has("/healthz")).as("/healthz, the edge's own, in openapi.json").isFalse();
        for (String path : operational) {
            assertThat(doc.path("paths").has(path)).as(path + " in openapi.json").isFalse();
        }
    }

    @Test
    void noRouteIsRegisteredTwice() {
        List<String> keys = routes.all().stream().map(r -> key(r.method().text(), r.pattern())).toList();
        assertThat(keys).doesNotHaveDuplicates();
    }

    @Test
    void documentIsOpenApi31WithTheSecuritySchemes() {
        assertThat(doc.path("openapi").asText()).startsWith("3.1.");
        assertThat(doc.path("info").path("title").asText()).isNotBlank();
        assertThat(doc.path("info").path("version").asText()).isNotBlank();
        JsonNode schemes = doc.path("components").path("securitySchemes");
        assertThat(schemes.path("bearer").path("type").asText()).isEqualTo("http");
        assertThat(schemes.path("bearer").path("scheme").asText()).isEqualTo("bearer");
        assertThat(schemes.path("apiKeyHeader").path("type").asText()).isEqualTo("apiKey");
        assertThat(schemes.path("apiKeyHeader").path("in").asText()).isEqualTo("header");
        assertThat(schemes.path("apiKeyHeader").path("name").asText()).isEqualTo("X-API-Key");
    }

    @Test
    void everyOperationHasAnIdASummaryAndSuccessAndErrorResponses() {
        Set<String> ids = new TreeSet<>();
        for (Operation o : operations()) {
            String where = o.method().toUpperCase(Locale.ROOT) + " " + o.path();
            String id = o.node().path("operationId").asText("");
            assertThat(id).as(where + " operationId").isNotBlank();
            assertThat(ids.add(id)).as(where + " operationId " + id + " is unique").isTrue();
            assertThat(o.node().path("summary").asText("")).as(where + " summary").isNotBlank();
            assertThat(o.node().path("description").asText("")).as(where + " description").isNotBlank();
            List<String> statuses = new ArrayList<>();
            o.node().path("responses").fieldNames().forEachRemaining(statuses::add);
            assertThat(statuses).as(where + " responses").anyMatch(s -> s.startsWith("2"));
            assertThat(statuses).as(where + " responses").anyMatch(s -> s.startsWith("4"));
        }
    }

    @Test
    void everyErrorResponseIsTheSharedErrorSchema() {
        for (Operation o : operations()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = o.node().path("responses").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> response = it.next();
                if (!response.getKey().startsWith("4") && !response.getKey().startsWith("5")) {
                    continue;
                }
                JsonNode resolved = resolve(response.getValue());
                assertThat(resolved.path("content").path("application/json").path("schema").path("$ref").asText())
                        .as(o.method() + " " + o.path() + " " + response.getKey())
                        .isEqualTo("#/components/schemas/Error");
            }
        }
    }

    @Test
    void everyPathParameterIsDeclared() {
        for (Operation o : operations()) {
            Set<String> inTemplate = new TreeSet<>();
            Matcher m = TEMPLATE.matcher(o.path());
            while (m.find()) {
                inTemplate.add(m.group(1));
            }
            Set<String> declared = new TreeSet<>();
            for (JsonNode p : o.node().path("parameters")) {
                JsonNode param = resolve(p);
                if (param.path("in").asText().equals("path")) {
                    assertThat(param.path("required").asBoolean()).as(o.path() + " " + param.path("name")).isTrue();
                    declared.add(param.path("name").asText());
                }
            }
            assertThat(declared).as(o.method() + " " + o.path() + " path parameters").isEqualTo(inTemplate);
        }
    }

    @Test
    void everyRefResolves() {
        List<String> refs = new ArrayList<>();
        collectRefs(doc, refs);
        assertThat(refs).as("$refs in openapi.json").isNotEmpty();
        for (String ref : refs) {
            assertThat(ref).as("a local $ref").startsWith("#/");
            assertThat(doc.at(ref.substring(1)).isMissingNode()).as(ref + " resolves").isFalse();
        }
    }

    private record Operation(String method, String path, JsonNode node) {
    }

    private static List<Operation> operations() {
        List<Operation> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = doc.path("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                if (HTTP_METHODS.contains(op.getKey())) {
                    out.add(new Operation(op.getKey(), path.getKey(), op.getValue()));
                }
            }
        }
        return out;
    }

    private static String key(String method, String path) {
        return method.toUpperCase(Locale.ROOT) + " " + path;
    }

    /** Follows a local {@code $ref}, if the node is one. */
    private static JsonNode resolve(JsonNode node) {
        JsonNode current = node;
        for (int hops = 0; current.has("$ref") && hops < 10; hops++) {
            String ref = current.get("$ref").asText();
            assertThat(ref).startsWith("#/");
            current = doc.at(ref.substring(1));
            assertThat(current.isMissingNode()).as(ref + " resolves").isFalse();
        }
        return current;
    }

    private static void collectRefs(JsonNode node, List<String> out) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("$ref") && e.getValue().isTextual()) {
                    out.add(e.getValue().asText());
                } else {
                    collectRefs(e.getValue(), out);
                }
            }
        } else if (node.isArray()) {
            node.forEach(child -> collectRefs(child, out));
        }
    }
}
