package io.gatehouse.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.door.Targets;
import io.gatehouse.http.Json;
import io.gatehouse.store.Rows;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.StatementContext;

/** SQL for servers and job ownership. Every method runs on the caller's handle. */
final class ServerStore {

    List<Server> all(Handle h) {
        return h.createQuery("SELECT * FROM servers ORDER BY created_at, id").map(ServerStore::server).list();
    }

    Optional<Server> find(Handle h, String id) {
        return h.createQuery("SELECT * FROM servers WHERE id = :id").bind("id", id).map(ServerStore::server).findOne();
    }

    boolean slugTaken(Handle h, String slug, String exceptId) {
        return h.createQuery("SELECT COUNT(*) FROM servers WHERE slug = :slug AND id <> :id")
                .bind("slug", slug).bind("id", exceptId).mapTo(Long.class).one() > 0;
    }

    void upsert(Handle h, Server s, boolean insert) {
        String sql = insert
                ? "INSERT INTO servers (id, org_id, slug, name, kind, upstream_url, mount, is_default, is_public, "
                + "scope_workspaces, hidden_tools, credit_cost, costs, rate_limit, rate_limits, upstream_auth, static_header, static_value, jobs, "
                + "connect_timeout_ms, timeout_ms, created_at, updated_at) VALUES (:id, :org, :slug, :name, :kind, "
                + ":url, :mount, :dflt, :pub, :ws, :hidden, :cost, :costs, :rate, :rates, :auth, :sheader, :svalue, :jobs, :connect, "
                + ":timeout, :created, :updated)"
                : "UPDATE servers SET slug = :slug, name = :name, upstream_url = :url, mount = :mount, "
                + "is_default = :dflt, is_public = :pub, scope_workspaces = :ws, hidden_tools = :hidden, "
                + "credit_cost = :cost, costs = :costs, rate_limit = :rate, rate_limits = :rates, upstream_auth = :auth, static_header = :sheader, static_value = :svalue, "
                + "jobs = :jobs, connect_timeout_ms = :connect, timeout_ms = :timeout, updated_at = :updated "
                + "WHERE id = :id";
        var update = h.createUpdate(sql)
                .bind("id", s.id()).bind("slug", s.slug()).bind("name", s.name())
                .bind("url", s.upstream().toString()).bind("mount", s.mount().orElse(null))
                .bind("dflt", s.isDefault() ? 1 : 0).bind("pub", s.isPublic() ? 1 : 0)
                .bind("ws", s.workspaces().format()).bind("hidden", String.join(" ", new java.util.TreeSet<>(s.hiddenTools())))
                .bind("cost", s.creditCost()).bind("rate", s.rateLimit().map(Object::toString).orElse(null)).bind("rates", rateLimitsJson(s.rateLimits())).bind("costs", s.costs().isEmpty() ? null : new String(Json.bytes(new java.util.TreeMap<>(s.costs())), java.nio.charset.StandardCharsets.UTF_8)).bind("auth", s.auth().mode().wire())
                .bind("sheader", s.auth().header().orElse(null)).bind("svalue", s.auth().sealedValue().orElse(null))
                .bind("jobs", s.jobs().map(ServerStore::jobsJson).orElse(null))
                .bind("connect", s.connectTimeout().toMillis()).bind("timeout", s.timeout().toMillis())
                .bind("updated", s.updatedAt().toEpochMilli());
        if (insert) {
            update.bind("org", s.orgId().orElse(null)).bind("kind", s.kind().wire())
                    .bind("created", s.createdAt().toEpochMilli());
        }
        update.execute();
    }

    /** Only one MCP server answers a bare {@code /mcp}. */
    void clearDefault(Handle h, String exceptId) {
        h.createUpdate("UPDATE servers SET is_default = 0 WHERE id <> :id").bind("id", exceptId).execute();
    }

    void delete(Handle h, String id) {
        h.createUpdate("DELETE FROM servers WHERE id = :id").bind("id", id).execute();
    }

    void recordJob(Handle h, String serverId, String jobId, String credentialId, Instant at) {
        h.createUpdate("INSERT INTO jobs (server_id, job_id, credential_id, created_at) VALUES (:s, :j, :c, :at)")
                .bind("s", serverId).bind("j", jobId).bind("c", credentialId).bind("at", at.toEpochMilli()).execute();
    }

    Optional<String> jobOwner(Handle h, String serverId, String jobId) {
        return h.createQuery("SELECT credential_id FROM jobs WHERE server_id = :s AND job_id = :j")
                .bind("s", serverId).bind("j", jobId).mapTo(String.class).findOne();
    }

    private static String jobsJson(Server.JobRoutes j) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("create", j.createMethod() + " " + j.createPath());
        m.put("poll", j.pollMethod() + " " + j.pollPath());
        m.put("id_field", j.idField());
        try {
            return Json.MAPPER.writeValueAsString(m);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Optional<Server.JobRoutes> jobs(String json) {
        if (json == null) {
            return Optional.empty();
        }
        try {
            JsonNode n = Json.MAPPER.readTree(json);
            String[] create = n.path("create").asText().split(" ", 2);
            String[] poll = n.path("poll").asText().split(" ", 2);
            return Optional.of(new Server.JobRoutes(create[0], create[1], poll[0], poll[1], n.path("id_field").asText()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code {"search": "10/min"}}, names in order; null for none. */
    private static String rateLimitsJson(Map<String, io.gatehouse.limits.Rate> rates) {
        if (rates.isEmpty()) {
            return null;
        }
        Map<String, String> out = new java.util.TreeMap<>();
        rates.forEach((name, rate) -> out.put(name, rate.toString()));
        return new String(Json.bytes(out), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static Map<String, io.gatehouse.limits.Rate> rateLimits(String json) {
        if (json == null) {
            return Map.of();
        }
        try {
            Map<String, io.gatehouse.limits.Rate> out = new java.util.HashMap<>();
            Json.MAPPER.readTree(json).fields().forEachRemaining(e ->
                    out.put(e.getKey(), io.gatehouse.limits.Rate.parse(e.getValue().asText())));
            return Map.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static java.util.Map<String, Long> costs(String json) {
        if (json == null) {
            return java.util.Map.of();
        }
        try {
            java.util.Map<String, Long> out = new java.util.HashMap<>();
            Json.MAPPER.readTree(json).fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asLong()));
            return java.util.Map.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Server server(ResultSet rs, StatementContext ctx) throws SQLException {
        String hidden = rs.getString("hidden_tools");
        Set<String> hiddenTools = hidden.isBlank() ? Set.of()
                : Arrays.stream(hidden.split(" ")).collect(Collectors.toUnmodifiableSet());
        Server.UpstreamAuth auth = new Server.UpstreamAuth(
                Server.UpstreamAuth.Mode.valueOf(rs.getString("upstream_auth").toUpperCase(Locale.ROOT)),
                Optional.ofNullable(rs.getString("static_header")), Optional.ofNullable(rs.getString("static_value")));
        return new Server(rs.getString("id"), Optional.ofNullable(rs.getString("org_id")), rs.getString("slug"),
                rs.getString("name"), Server.Kind.valueOf(rs.getString("kind").toUpperCase(Locale.ROOT)),
                URI.create(rs.getString("upstream_url")), Optional.ofNullable(rs.getString("mount")),
                rs.getInt("is_default") == 1, rs.getInt("is_public") == 1,
                Targets.parse(rs.getString("scope_workspaces")), hiddenTools, rs.getLong("credit_cost"), costs(rs.getString("costs")),
                Optional.ofNullable(rs.getString("rate_limit")).map(io.gatehouse.limits.Rate::parse),
                rateLimits(rs.getString("rate_limits")), auth,
                jobs(rs.getString("jobs")), Duration.ofMillis(rs.getLong("connect_timeout_ms")),
                Duration.ofMillis(rs.getLong("timeout_ms")), Rows.instant(rs, "created_at").orElseThrow(),
                Rows.instant(rs, "updated_at").orElseThrow());
    }
}
