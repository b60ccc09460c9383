package io.gatehouse.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The SDK's hand-written records against the server's OpenAPI document ({@code /v1/openapi.json},
 * the same file the server jar serves): every property of an answer schema is a component of its
 * record and no record invents one, and every field a request can send is a property of its
 * request schema (and every property can be sent). A change to the contract fails here first.
 */
class OpenApiContractTest {
    private static final JsonNode OPENAPI = load();

    @Test
    void answerRecordsHaveExactlyTheSchemaProperties() {
        Map<String, Class<?>> answers = Map.ofEntries(
                Map.entry("ApiKey", ApiKey.class), Map.entry("IssuedApiKey", IssuedApiKey.class),
                Map.entry("WhoAmI", WhoAmI.class), Map.entry("User", User.class),
                Map.entry("ServiceAccount", ServiceAccount.class), Map.entry("Organization", Organization.class),
                Map.entry("Member", Member.class), Map.entry("Workspace", Workspace.class),
                Map.entry("WorkspaceMember", WorkspaceMember.class), Map.entry("Invitation", Invitation.class),
                Map.entry("IssuedInvitation", IssuedInvitation.class),
                Map.entry("InvitationAcceptance", InvitationAcceptance.class), Map.entry("AuditEvent", AuditEvent.class),
                Map.entry("Server", Server.class), Map.entry("VerifiedKey", VerifiedKey.class),
                Map.entry("RejectedKey", RejectedKey.class), Map.entry("ErrorDetail", ErrorDetail.class),
                Map.entry("CreditPool", CreditPool.class), Map.entry("CreditMovement", CreditMovement.class),
                Map.entry("Usage", Usage.class), Map.entry("Alert", Alert.class));
        answers.forEach((schema, type) -> assertThat(jsonNames(type)).as(schema + " ↔ " + type.getSimpleName())
                .isEqualTo(properties(schema(schema))));
    }

    @Test
    void nestedAnswerRecordsHaveExactlyTheSchemaProperties() {
        JsonNode apiKey = schema("ApiKey").path("properties");
        assertThat(jsonNames(ApiKey.Scope.class)).isEqualTo(properties(apiKey.path("scope")));
        assertThat(jsonNames(ApiKey.ServerPermissions.class)).isEqualTo(properties(apiKey.path("permissions")));
        assertThat(jsonNames(Server.UpstreamAuth.class))
                .isEqualTo(properties(schema("Server").path("properties").path("upstream_auth")));
        assertThat(jsonNames(Usage.Bucket.class))
                .isEqualTo(properties(schema("Usage").path("properties").path("data").path("items")));
    }

    @Test
    void requestRecordsSendOnlyAndAllTheSchemaProperties() {
        Map<String, Object> requests = Map.ofEntries(
                Map.entry("CreateKeyRequest", CreateKeyRequest.named("n").withUser("u").withOrganization("o")
                        .withWorkspaces(Targets.ALL).withServers(Targets.ALL).withPermissions("mcp:*")
                        .withExpires("90d").withExpiresInDays(3).withExpiresAt(Instant.EPOCH).withTools(Targets.ALL)
                        .withKind("standard").withRateLimit("10/min")),
                Map.entry("CreateOwnKeyRequest", CreateOwnKeyRequest.named("n").withWorkspaces(Targets.ALL)
                        .withServers(Targets.ALL).withPermissions("mcp:*").withExpires("90d").withExpiresInDays(3)
                        .withExpiresAt(Instant.EPOCH).withTools(Targets.ALL).withRateLimit("10/min")),
                Map.entry("ImportKey", ImportKey.of("ab", "pre_", "n").withOwner("o", "u").withKind("legacy")
                        .withDisplay("pre_ab", "1234").withScope(Targets.ALL, Targets.ALL, Targets.ALL)
                        .withPermissions("api:*").withTimes(Instant.EPOCH, Instant.EPOCH)),
                Map.entry("ImportKeysRequest", new Requests.ImportKeys(List.of())),
                Map.entry("RollKeyRequest", new Requests.RollKey(1)),
                Map.entry("VerifyKeyRequest", VerifyKeyRequest.of("k").withWorkspace("w").withServer("s")
                        .withPermission("p").withPlanGated(false).withClientAddress("a")),
                Map.entry("CreateUserRequest", new CreateUserRequest("e@x", "n")),
                Map.entry("CreateOrganizationRequest", CreateOrganizationRequest.named("n").withPlan("p")
                        .withOwner("u").withOwnerEmail("e@x")),
                Map.entry("UpdateOrganizationRequest", UpdateOrganizationRequest.changes().withName("n")
                        .withPlan("p").withOneKeyPerUser(true).withMaxKeyLifetimeDays(3)
                        .withTrialEndsAt(java.time.Instant.EPOCH)),
                Map.entry("PutMemberRequest", new Requests.PutMember("admin")),
                Map.entry("CreateWorkspaceRequest", new Requests.CreateWorkspace("n")),
                Map.entry("CreateInvitationRequest", CreateInvitationRequest.to("e@x").withRole("admin")
                        .withWorkspaces("w").withExpiresInDays(3)),
                Map.entry("AcceptInvitationRequest", new Requests.AcceptInvitation("t")),
                Map.entry("CreateServiceAccountRequest", CreateServiceAccountRequest.of("n", "member")),
                Map.entry("CreditChange", CreditChange.adjustment(-1, "k").withNote("n")),
                Map.entry("CreateServerRequest", everyServerField(CreateServerRequest.of("n", "s", "http://u")
                        .withKind("http").withOrganization("o"))),
                Map.entry("UpdateServerRequest", everyServerField(UpdateServerRequest.changes().withName("n")
                        .withSlug("s").withUpstreamUrl("http://u"))));
        requests.forEach((schema, request) -> assertThat(sent(request)).as(schema)
                .isEqualTo(properties(schema(schema))));
        assertThat(sent(CreateServerRequest.UpstreamAuth.fixed("H", "v")))
                .isEqualTo(properties(schema("CreateServerRequest").path("properties").path("upstream_auth")));
        assertThat(sent(new Server.Jobs("POST /a", "GET /a/{id}", "id")))
                .isEqualTo(properties(schema("CreateServerRequest").path("properties").path("jobs")));
    }

    @Test
    void patchRequestsSendNullToRemoveALimit() throws IOException {
        assertThat(Json.MAPPER.writeValueAsString(UpdateOrganizationRequest.changes().withoutMaxKeyLifetime()))
                .isEqualTo("{\"max_key_lifetime_days\":null}");
        assertThat(Json.MAPPER.writeValueAsString(UpdateServerRequest.changes().withoutMount().withoutJobs()))
                .isEqualTo("{\"mount\":null,\"jobs\":null}");
        assertThat(Json.MAPPER.writeValueAsString(CreateKeyRequest.named("n"))).isEqualTo("{\"name\":\"n\"}");
    }

    private static <T> T everyServerField(T request) {
        Object r = request;
        if (r instanceof CreateServerRequest c) {
            return cast(c.withMount("/api/x").withDefault(false).withPublic(false).withWorkspaces(Targets.ALL)
                    .withHiddenTools("t").withCreditCost(1).withCosts(Map.of("t", 2L)).withRateLimit("1/s").withRateLimits(Map.of("t", "2/min")).withUpstreamAuth(CreateServerRequest.UpstreamAuth.none())
                    .withJobs(new Server.Jobs("POST /a", "GET /a/{id}", null)).withConnectTimeoutMs(100)
                    .withTimeoutMs(1000));
        }
        UpdateServerRequest u = (UpdateServerRequest) r;
        return cast(u.withMount("/api/x").withDefault(false).withPublic(false).withWorkspaces(Targets.ALL)
                .withHiddenTools("t").withCreditCost(1).withCosts(Map.of("t", 2L)).withRateLimit("1/s").withRateLimits(Map.of("t", "2/min")).withUpstreamAuth(CreateServerRequest.UpstreamAuth.none())
                .withJobs(new Server.Jobs("POST /a", "GET /a/{id}", null)).withConnectTimeoutMs(100)
                .withTimeoutMs(1000));
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object o) {
        return (T) o;
    }

    /** The JSON member names a request writes. */
    private static Set<String> sent(Object request) {
        Set<String> names = new TreeSet<>();
        Json.MAPPER.valueToTree(request).fieldNames().forEachRemaining(names::add);
        return names;
    }

    /**
     * The JSON names of a record's components. A record read through a delegating creator
     * ({@code IssuedApiKey}: an {@code ApiKey} and more) has its first component's names in place of it.
     */
    static Set<String> jsonNames(Class<?> record) {
        Set<String> names = new TreeSet<>();
        RecordComponent[] components = record.getRecordComponents();
        boolean flattened = hasDelegatingCreator(record);
        for (int i = 0; i < components.length; i++) {
            if (i == 0 && flattened) {
                names.addAll(jsonNames(components[0].getType()));
                continue;
            }
            JsonProperty explicit = components[i].getAccessor().getAnnotation(JsonProperty.class);
            JsonProperty onField = fieldAnnotation(record, components[i].getName());
            String name = explicit != null ? explicit.value() : onField != null ? onField.value() : snake(components[i].getName());
            names.add(name);
        }
        return names;
    }

    private static JsonProperty fieldAnnotation(Class<?> record, String field) {
        try {
            return record.getDeclaredField(field).getAnnotation(JsonProperty.class);
        } catch (NoSuchFieldException e) {
            return null;
        }
    }

    private static boolean hasDelegatingCreator(Class<?> type) {
        for (Method m : type.getDeclaredMethods()) {
            JsonCreator c = m.getAnnotation(JsonCreator.class);
            if (c != null && c.mode() == JsonCreator.Mode.DELEGATING) {
                return true;
            }
        }
        return false;
    }

    private static String snake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    private static JsonNode schema(String name) {
        JsonNode s = OPENAPI.path("components").path("schemas").path(name);
        assertThat(s.isMissingNode()).as("schema " + name + " in openapi.json").isFalse();
        return s;
    }

    /** A schema's property names, following {@code $ref} and {@code allOf}. */
    static Set<String> properties(JsonNode schema) {
        Set<String> names = new TreeSet<>();
        if (schema.has("$ref")) {
            String ref = schema.get("$ref").asText();
            return properties(schema(ref.substring(ref.lastIndexOf('/') + 1)));
        }
        schema.path("properties").fieldNames().forEachRemaining(names::add);
        schema.path("allOf").forEach(part -> names.addAll(properties(part)));
        return names;
    }

    static JsonNode openapi() {
        return OPENAPI;
    }

    private static JsonNode load() {
        try (InputStream in = OpenApiContractTest.class.getResourceAsStream("/openapi.json")) {
            assertThat(in).as("openapi.json from the gatehouse-server jar (a test dependency)").isNotNull();
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Set<String> pathTemplates(String method) {
        Set<String> out = new LinkedHashSet<>();
        OPENAPI.path("paths").fields().forEachRemaining(e -> {
            if (e.getValue().has(method.toLowerCase(java.util.Locale.ROOT))) {
                out.add(e.getKey());
            }
        });
        return out;
    }
}
