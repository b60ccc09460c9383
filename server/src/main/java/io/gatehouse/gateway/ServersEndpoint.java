package io.gatehouse.gateway;

import io.gatehouse.audit.Actor;
import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Requirement;
import io.gatehouse.door.Targets;
import io.gatehouse.errors.ApiError;
import io.gatehouse.http.Body;
import io.gatehouse.http.Guard;
import io.gatehouse.http.Json;
import io.gatehouse.http.PublicUrl;
import io.gatehouse.http.Routes;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * {@code /v1/servers}: register, list, change and remove upstream servers. {@code /v1/mcps} is the
 * same collection under the name seed 004 uses.
 */
public final class ServersEndpoint {
    private static final Pattern SLUG = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Pattern MOUNT = Pattern.compile("/api(/[A-Za-z0-9._~-]+)+");
    private static final Pattern TOOL = Pattern.compile("[A-Za-z0-9_.-]{1,128}");
    private static final Pattern HEADER = Pattern.compile("[A-Za-z0-9-]{1,64}");
    /** A method and a path of non-empty segments, no '.' or '..' (requests are matched normalised so). */
    private static final Pattern JOB_ROUTE = Pattern.compile(
            "(GET|POST|PUT|PATCH|DELETE) ((?:/(?!\\.\\.?(?:/|$))[A-Za-z0-9._~{}-]+)+)");
    private static final Set<String> REFUSED_STATIC_HEADERS = Set.of("host", "content-length", "transfer-encoding",
            "connection", "mcp-session-id", "mcp-protocol-version");
    private static final String[] FIELDS = {"name", "slug", "kind", "organization_id", "upstream_url", "mount",
            "default", "public", "workspaces", "hidden_tools", "credit_cost", "costs", "rate_limit", "rate_limits", "upstream_auth", "jobs",
            "connect_timeout_ms", "timeout_ms"};

    private final ServerService servers;
    private final Guard guard;
    private final PublicUrl publicUrl;

    public ServersEndpoint(ServerService servers, Guard guard, PublicUrl publicUrl) {
        this.servers = servers;
        this.guard = guard;
        this.publicUrl = publicUrl;
    }

    public void register(Routes routes) {
        for (String base : new String[]{"/v1/servers", "/v1/mcps"}) {
            routes.post(base, this::create)
                    .get(base, (req, res) -> Json.ok(res, Map.of("data",
                            servers.list(read(req)).stream().map(this::view).toList())))
                    .get(base + "/{id}", (req, res) -> Json.ok(res, view(servers.get(read(req), id(req)))))
                    .get(base + "/{id}/setup", this::setup)
                    .patch(base + "/{id}", this::update)
                    .delete(base + "/{id}", (req, res) -> {
                        Principal p = write(req);
                        servers.delete(p, Actor.of(p, req), id(req));
                        res.status(Status.NO_CONTENT_204).send();
                    });
        }
    }

    private void create(ServerRequest req, ServerResponse res) {
        Principal p = write(req);
        Body body = guard.body(req).allow(FIELDS);
        String kind = body.optString("kind", 8).orElse("mcp");
        if (!kind.equals("mcp") && !kind.equals("http")) {
            throw ApiError.invalid("kind: must be mcp or http");
        }
        ServerService.Changes c = changes(body);
        if (c.name().isEmpty() || c.slug().isEmpty() || c.upstream().isEmpty()) {
            throw ApiError.invalid("name, slug and upstream_url are required");
        }
        Server s = servers.create(p, Actor.of(p, req), body.optString("organization_id", 64),
                Server.Kind.valueOf(kind.toUpperCase(Locale.ROOT)), c);
        Json.send(res, Status.CREATED_201, view(s));
    }

    private void update(ServerRequest req, ServerResponse res) {
        Principal p = write(req);
        Body body = guard.body(req).allow(FIELDS);
        if (body.has("kind") || body.has("organization_id")) {
            throw ApiError.invalid("kind and organization_id cannot change; register a new server instead");
        }
        Json.ok(res, view(servers.update(p, Actor.of(p, req), id(req), changes(body))));
    }

    private static ServerService.Changes changes(Body body) {
        Optional<String> slug = body.optString("slug", 63).map(s -> {
            if (!SLUG.matcher(s).matches()) {
                throw ApiError.invalid("slug: 1 to 63 lower-case letters, digits and '-', starting with a letter or digit");
            }
            return s;
        });
        Optional<String> name = body.optString("name", 200).map(String::strip).map(n -> {
            if (n.isEmpty()) {
                throw ApiError.invalid("name: must not be blank");
            }
            return n;
        });
        Optional<URI> upstream = body.optString("upstream_url", 2048).map(ServersEndpoint::upstreamUrl);
        Optional<Optional<String>> mount = body.raw("mount") != null && body.raw("mount").isNull()
                ? Optional.of(Optional.empty())
                : body.optString("mount", 200).map(m -> {
                    if (!MOUNT.matcher(m).matches()) {
                        throw ApiError.invalid("mount: a path under /api such as /api/v1");
                    }
                    return Optional.of(m);
                });
        Optional<Targets> workspaces = body.optIdsOrAll("workspaces", 1000)
                .map(ids -> ids.map(Targets::of).orElse(Targets.ALL));
        Optional<Set<String>> hidden = body.optStringSet("hidden_tools", 1000).map(tools -> {
            for (String t : tools) {
                if (!TOOL.matcher(t).matches()) {
                    throw ApiError.invalid("hidden_tools: '" + t.replaceAll("[^\\x20-\\x7e]", "?") + "' is not a tool name");
                }
            }
            return Set.copyOf(tools);
        });
        return new ServerService.Changes(slug, name, upstream, mount, body.optBoolean("default"),
                body.optBoolean("public"), workspaces, hidden, body.optLong("credit_cost", 0, 1_000_000),
                costs(body), rateLimit(body), rateLimits(body), auth(body), jobs(body),
                body.optLong("connect_timeout_ms", 100, 60_000).map(Duration::ofMillis),
                body.optLong("timeout_ms", 1_000, 3_600_000).map(Duration::ofMillis));
    }

    /** {@code rate_limit}: "100/min", or null to remove it. */
    private static Optional<Optional<io.gatehouse.limits.Rate>> rateLimit(Body body) {
        com.fasterxml.jackson.databind.JsonNode n = body.raw("rate_limit");
        if (n == null) {
            return Optional.empty();
        }
        if (n.isNull()) {
            return Optional.of(Optional.empty());
        }
        try {
            return Optional.of(Optional.of(io.gatehouse.limits.Rate.parse(body.optString("rate_limit", 32).orElseThrow())));
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("rate_limit: " + e.getMessage());
        }
    }

    /** {@code rate_limits}: tool names (MCP) or path prefixes starting with / (HTTP APIs) to rates; null for none. */
    private static Optional<Map<String, io.gatehouse.limits.Rate>> rateLimits(Body body) {
        com.fasterxml.jackson.databind.JsonNode n = body.raw("rate_limits");
        if (n == null) {
            return Optional.empty();
        }
        if (n.isNull()) {
            return Optional.of(Map.of());
        }
        if (!n.isObject() || n.size() > 1000) {
            throw ApiError.invalid("rate_limits: an object of up to 1000 tool names or path prefixes to rates");
        }
        Map<String, io.gatehouse.limits.Rate> out = new java.util.HashMap<>();
        for (var it = n.fields(); it.hasNext(); ) {
            var e = it.next();
            String name = toolOrRoute("rate_limits", e.getKey());
            if (!e.getValue().isTextual() || e.getValue().asText().length() > 32) {
                throw ApiError.invalid("rate_limits." + name + ": a rate such as 10/min");
            }
            try {
                out.put(name, io.gatehouse.limits.Rate.parse(e.getValue().asText()));
            } catch (IllegalArgumentException bad) {
                throw ApiError.invalid("rate_limits." + name + ": " + bad.getMessage());
            }
        }
        return Optional.of(Map.copyOf(out));
    }

    /** {@code name}, when it is a tool name or a path prefix starting with /; else 400 naming {@code field}. */
    private static String toolOrRoute(String field, String name) {
        if (!(TOOL.matcher(name).matches() || name.startsWith("/") && name.length() <= 200
                && name.chars().allMatch(c -> c > 0x20 && c < 0x7f))) {
            throw ApiError.invalid(field + ": '" + name.replaceAll("[^\\x20-\\x7e]", "?")
                    + "' is neither a tool name nor a path starting with /");
        }
        return name;
    }

    /** {@code costs}: tool names (MCP) or path prefixes starting with / (HTTP APIs) to credits. */
    private static Optional<Map<String, Long>> costs(Body body) {
        com.fasterxml.jackson.databind.JsonNode n = body.raw("costs");
        if (n == null) {
            return Optional.empty();
        }
        if (n.isNull()) {
            return Optional.of(Map.of());
        }
        if (!n.isObject() || n.size() > 1000) {
            throw ApiError.invalid("costs: an object of up to 1000 tool names or path prefixes to credits");
        }
        Map<String, Long> out = new java.util.HashMap<>();
        for (var it = n.fields(); it.hasNext(); ) {
            var e = it.next();
            String name = toolOrRoute("costs", e.getKey());
            com.fasterxml.jackson.databind.JsonNode v = e.getValue();
            if (!v.isIntegralNumber() || v.longValue() < 0 || v.longValue() > 1_000_000) {
                throw ApiError.invalid("costs." + name + ": must be a whole number from 0 to 1000000");
            }
            out.put(name, v.longValue());
        }
        return Optional.of(Map.copyOf(out));
    }

    private static URI upstreamUrl(String raw) {
        URI uri;
        try {
            uri = new URI(raw);
        } catch (java.net.URISyntaxException e) {
            throw ApiError.invalid("upstream_url: not a URL");
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                || uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw ApiError.invalid("upstream_url: an absolute http(s) URL without credentials, query or fragment");
        }
        String s = uri.toString();
        return URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    }

    private static Optional<ServerService.AuthChange> auth(Body body) {
        if (!body.has("upstream_auth")) {
            return Optional.empty();
        }
        if (!body.raw("upstream_auth").isObject()) {
            throw ApiError.invalid("upstream_auth: must be an object such as {\"type\": \"assertion\"}");
        }
        Body a = new Json.Reader(body.raw("upstream_auth")).body().allow("type", "header", "value");
        String type = a.string("type", 16);
        Server.UpstreamAuth.Mode mode = switch (type) {
            case "assertion" -> Server.UpstreamAuth.Mode.ASSERTION;
            case "static" -> Server.UpstreamAuth.Mode.STATIC;
            case "none" -> Server.UpstreamAuth.Mode.NONE;
            default -> throw ApiError.invalid("upstream_auth.type: must be assertion, static or none");
        };
        Optional<String> header = a.optString("header", 64);
        header.ifPresent(h -> {
            if (!HEADER.matcher(h).matches() || REFUSED_STATIC_HEADERS.contains(h.toLowerCase(Locale.ROOT))) {
                throw ApiError.invalid("upstream_auth.header: a header name such as Authorization or X-Api-Key");
            }
        });
        Optional<String> value = a.optString("value", 4096);
        value.ifPresent(v -> { // RFC 9110 §5.5: it travels as a field value, byte for byte
            if (v.isEmpty() || !v.chars().allMatch(c -> c == '\t' || (c >= 0x20 && c < 0x7f))) {
                throw ApiError.invalid("upstream_auth.value: printable ASCII, no line breaks");
            }
        });
        if (mode != Server.UpstreamAuth.Mode.STATIC && (header.isPresent() || value.isPresent())) {
            throw ApiError.invalid("upstream_auth: header and value go with type static only");
        }
        return Optional.of(new ServerService.AuthChange(mode, header, value));
    }

    private static Optional<Optional<Server.JobRoutes>> jobs(Body body) {
        if (body.raw("jobs") != null && body.raw("jobs").isNull()) {
            return Optional.of(Optional.empty());
        }
        if (!body.has("jobs")) {
            return Optional.empty();
        }
        if (!body.raw("jobs").isObject()) {
            throw ApiError.invalid("jobs: must be an object such as {\"create\": \"POST /generate\", \"poll\": \"GET /jobs/{id}\"}");
        }
        Body j = new Json.Reader(body.raw("jobs")).body().allow("create", "poll", "id_field");
        var create = JOB_ROUTE.matcher(j.string("create", 200));
        var poll = JOB_ROUTE.matcher(j.string("poll", 200));
        if (!create.matches() || !poll.matches()) {
            throw ApiError.invalid("jobs.create and jobs.poll: a method and a path, such as 'POST /generate'");
        }
        if (!poll.group(2).contains("{id}") || create.group(2).contains("{")) {
            throw ApiError.invalid("jobs.poll must contain {id}; jobs.create has no parameters");
        }
        String idField = j.optString("id_field", 64).orElse("id");
        return Optional.of(Optional.of(new Server.JobRoutes(create.group(1), create.group(2), poll.group(1),
                poll.group(2), idField)));
    }

    /**
     * How to connect each MCP client to this server with a key ({@link ClientSetup}), the secret left as
     * {@value ClientSetup#KEY_PLACEHOLDER}: it is shown once, when a key is made, and never again. Any
     * credential that sees the server may ask; {@code client} narrows the answer to one client.
     */
    private void setup(ServerRequest req, ServerResponse res) {
        Principal p = guard.admit(req, Requirement.management());
        String wanted = id(req); // its id, or the slug a person knows it by
        // A key sees the set-up of the servers it reaches; a manager (admin:read) of all it may list.
        Server s = servers.list(p).stream().filter(x -> x.id().equals(wanted) || x.slug().equals(wanted))
                .filter(x -> p.may(Permissions.ADMIN_READ) || p.identity().servers().allows(x.id())
                        || p.identity().servers().allows(x.slug()))
                .findFirst().orElseThrow(() -> ApiError.notFound("server"));
        if (s.kind() != Server.Kind.MCP) {
            throw ApiError.invalid("server: '" + s.slug() + "' is an HTTP API, not an MCP server");
        }
        Optional<String> client = req.query().first("client").asOptional();
        java.util.List<ClientSetup.Client> clients = client.map(c -> java.util.List.of(ClientSetup.Client.parse(c)
                .orElseThrow(() -> ApiError.invalid("client: one of " + ClientSetup.Client.names()))))
                .orElse(java.util.List.of(ClientSetup.Client.values()));
        String url = publicUrl + "/mcp/" + s.slug();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("object", "client_setup");
        out.put("server", s.slug());
        out.put("url", url);
        out.put("key_placeholder", ClientSetup.KEY_PLACEHOLDER);
        out.put("data", clients.stream().map(c -> {
            ClientSetup.Snippet snippet = ClientSetup.of(c, s.slug(), url, ClientSetup.KEY_PLACEHOLDER);
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("client", c.wire());
            one.put("title", c.title());
            one.put("where", snippet.where());
            one.put("format", snippet.format());
            one.put("content", snippet.content());
            return one;
        }).toList());
        Json.ok(res, out);
    }

    private Map<String, Object> view(Server s) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", s.id());
        out.put("object", "server");
        out.put("name", s.name());
        out.put("slug", s.slug());
        out.put("kind", s.kind().wire());
        out.put("organization_id", s.orgId().orElse(null));
        out.put("upstream_url", s.upstream().toString());
        out.put("endpoint", publicUrl + (s.kind() == Server.Kind.MCP ? "/mcp/" : "/api/") + s.slug());
        out.put("mount", s.mount().orElse(null));
        out.put("default", s.isDefault());
        out.put("public", s.isPublic());
        out.put("workspaces", s.workspaces().all() ? "*" : new TreeSet<>(s.workspaces().ids()));
        out.put("hidden_tools", new TreeSet<>(s.hiddenTools()));
        out.put("credit_cost", s.creditCost());
        out.put("costs", new TreeMap<>(s.costs()));
        out.put("rate_limit", s.rateLimit().map(Object::toString).orElse(null));
        Map<String, String> rates = new TreeMap<>();
        s.rateLimits().forEach((name, rate) -> rates.put(name, rate.toString()));
        out.put("rate_limits", rates);
        Map<String, Object> auth = new LinkedHashMap<>();
        auth.put("type", s.auth().mode().wire());
        s.auth().header().ifPresent(h -> auth.put("header", h));
        if (s.auth().mode() == Server.UpstreamAuth.Mode.STATIC) {
            auth.put("value_set", s.auth().sealedValue().isPresent()); // the value itself is never shown
        }
        out.put("upstream_auth", auth);
        out.put("jobs", s.jobs().map(j -> Map.of("create", j.createMethod() + " " + j.createPath(),
                "poll", j.pollMethod() + " " + j.pollPath(), "id_field", j.idField())).orElse(null));
        out.put("connect_timeout_ms", s.connectTimeout().toMillis());
        out.put("timeout_ms", s.timeout().toMillis());
        out.put("created_at", s.createdAt().toString());
        out.put("updated_at", s.updatedAt().toString());
        return out;
    }

    private Principal read(ServerRequest req) {
        return guard.admit(req, Requirement.management(Permissions.ADMIN_READ));
    }

    private Principal write(ServerRequest req) {
        return guard.admit(req, Requirement.management(Permissions.ADMIN_WRITE));
    }

    private static String id(ServerRequest req) {
        return req.path().pathParameters().get("id");
    }
}
