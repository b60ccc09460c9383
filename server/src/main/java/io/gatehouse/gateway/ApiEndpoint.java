package io.gatehouse.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.http.ApiError;
import io.gatehouse.http.ErrorCode;
import io.gatehouse.http.Json;
import io.gatehouse.http.RequestInfo;
import io.gatehouse.http.Routes;
import io.gatehouse.store.Database;
import io.helidon.http.Method;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code /api/{server}/…}, and any path an HTTP API is mounted at ({@code /api/v1/…}): HTTP APIs
 * proxied through the same door. Request and answer bodies stream; only a job-creating answer is
 * read (to learn the job's id) before it is passed on.
 *
 * <p>Jobs (seed 001: "Use the same API key to poll a job that created it"): when a server declares
 * job routes, Gatehouse records which credential created each job and answers a poll from any
 * other credential with 404, as if the job did not exist, without asking the upstream.
 */
public final class ApiEndpoint {
    private static final String METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
    private static final int MAX_JOB_ANSWER = 1024 * 1024;

    private final ServerRegistry registry;
    private final GatewayAccess access;
    private final Origins origins;
    private final Upstream upstream;
    private final Database db;
    private final ServerStore store = new ServerStore();
    private final Clock clock;
    private final Cache<String, String> jobOwners = Caffeine.newBuilder().maximumSize(100_000)
            .expireAfterWrite(Duration.ofHours(1)).build();

    ApiEndpoint(ServerRegistry registry, GatewayAccess access, Origins origins, Upstream upstream, Database db,
                Clock clock) {
        this.registry = registry;
        this.access = access;
        this.origins = origins;
        this.upstream = upstream;
        this.db = db;
        this.clock = clock;
    }

    public void register(Routes routes) {
        for (Method m : new Method[]{Method.GET, Method.HEAD, Method.POST, Method.PUT, Method.PATCH, Method.DELETE}) {
            routes.operational(m, "/api/{+rest}", this::forward);
        }
        routes.operational(Method.OPTIONS, "/api/{+rest}", (req, res) -> origins.preflight(req, res, METHODS));
    }

    /** The server a path reaches, and the rest of the path (raw, as sent) to send upstream. */
    /**
     * @param rest     the raw rest of the path, forwarded as sent
     * @param resource the rest decoded and normalised as upstreams commonly do (no empty segments, no
     *                 trailing slash), what job routes are matched against: an encoded or doubled
     *                 character must not take a poll past its ownership check
     */
    private record Target(Server server, String rest, String resource) {
    }

    private Target target(ServerRequest req) {
        String path = req.path().path();
        String raw = req.path().rawPath();
        Optional<Server> mounted = registry.mountedAt(path);
        if (mounted.isPresent()) {
            String mount = mounted.get().mount().orElseThrow();
            return new Target(mounted.get(), rawAfter(raw, mount).orElseThrow(ApiEndpoint::noApi),
                    resource(path.substring(mount.length())));
        }
        String afterApi = path.substring("/api/".length());
        int slash = afterApi.indexOf('/');
        String slug = slash < 0 ? afterApi : afterApi.substring(0, slash);
        Server s = registry.bySlug(slug).filter(x -> x.kind() == Server.Kind.HTTP).orElseThrow(ApiEndpoint::noApi);
        return new Target(s, rawAfter(raw, "/api/" + slug).orElseThrow(ApiEndpoint::noApi),
                resource(path.substring(("/api/" + slug).length())));
    }

    /** A decoded path as the upstream will most likely resolve it; dot segments are refused outright. */
    static String resource(String decoded) {
        StringBuilder out = new StringBuilder(decoded.length());
        for (String segment : decoded.split("/")) {
            if (segment.equals(".") || segment.equals("..")) {
                throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_path", "The path has a '.' or '..' segment");
            }
            if (!segment.isEmpty()) {
                out.append('/').append(segment);
            }
        }
        return out.toString();
    }

    private static ApiError noApi() {
        return ApiError.of(ErrorCode.NOT_FOUND, "unknown_server", "No API at this path");
    }

    /**
     * What follows {@code prefix} (decoded, such as {@code /api/v1}) in the raw path: empty or starting
     * with '/', segment for segment, so the rest can be appended to the upstream's URL as sent. The
     * raw segments must decode to the prefix's: {@code /api/v%31/x} is {@code /api/v1} then {@code /x},
     * and {@code /api/jobs%2Fx} (an encoded slash) is no API's path. Cutting the raw path at the
     * prefix's length instead would cut inside an escape and glue its digits to the upstream's
     * URL (its path, or its host when the URL has no path).
     */
    static Optional<String> rawAfter(String raw, String prefix) {
        int at = 0;
        for (String wanted : prefix.substring(1).split("/")) {
            if (at >= raw.length() || raw.charAt(at) != '/') {
                return Optional.empty();
            }
            int end = raw.indexOf('/', at + 1);
            end = end < 0 ? raw.length() : end;
            if (!wanted.equals(decodeSegment(raw.substring(at + 1, end)))) {
                return Optional.empty();
            }
            at = end;
        }
        return Optional.of(raw.substring(at));
    }

    /** RFC 3986 percent-decoding of one path segment ('+' is a plus here, not a space); null if malformed. */
    private static String decodeSegment(String segment) {
        try {
            return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            return null;
        }
    }

    private void forward(ServerRequest req, ServerResponse res) {
        origins.check(req, res);
        Target t = target(req);
        Server server = t.server();
        Method method = req.prologue().method();
        boolean reads = method == Method.GET || method == Method.HEAD;
        Optional<Principal> caller = access.admit(req, server, reads ? Permissions.API_READ : Permissions.API_WRITE);

        Optional<Server.JobRoutes> jobs = server.jobs();
        Optional<String> polled = jobs.flatMap(j -> j.polled(method.text(), t.resource()));
        if (polled.isPresent()) {
            checkOwner(server, polled.get(), caller);
        }
        boolean creates = caller.isPresent() && jobs.map(j -> j.creates(method.text(), t.resource())).orElse(false);

        String query = req.query().rawValue();
        URI target;
        try {
            target = URI.create(server.upstream() + t.rest() + (query.isEmpty() ? "" : "?" + query));
        } catch (IllegalArgumentException e) {
            throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_path", "The path or query cannot be forwarded");
        }
        Upstream.Call call = new Upstream.Call(server, method, target, access.identityHeaders(server, caller),
                Optional.empty(), true, server.timeout());
        RequestInfo info = RequestInfo.of(req);
        try (Upstream.Answer answer = upstream.open(req, call, info.clientAddress(), info.requestId())) {
            McpEndpoint.checkUpstreamAccepted(server, answer);
            if (creates && answer.status() / 100 == 2) {
                recordJob(answer, res, server, caller.get());
            } else {
                Upstream.relay(answer, res, r -> { });
            }
        }
    }

    private void checkOwner(Server server, String jobId, Optional<Principal> caller) {
        String key = server.id() + " " + jobId;
        String owner = jobOwners.getIfPresent(key);
        if (owner == null) {
            owner = db.withHandle(h -> store.jobOwner(h, server.id(), jobId)).orElse(null);
            if (owner != null) {
                jobOwners.put(key, owner);
            }
        }
        if (owner == null || caller.isEmpty() || !owner.equals(caller.get().credentialId())) {
            throw ApiError.of(ErrorCode.NOT_FOUND, "unknown_job", "No such job for this credential");
        }
    }

    /**
     * Reads the creating answer (its first MiB: a job id is near the top of any sane answer),
     * remembers who owns the job, then passes the whole answer on unchanged.
     */
    private void recordJob(Upstream.Answer answer, ServerResponse res, Server server, Principal caller) {
        InputStream in = answer.body();
        byte[] head;
        try {
            head = in.readNBytes(MAX_JOB_ANSWER);
        } catch (IOException e) {
            throw ApiError.of(ErrorCode.BAD_GATEWAY, "upstream_failed", "The upstream's answer could not be read");
        }
        String field = server.jobs().orElseThrow().idField();
        try {
            JsonNode id = Json.MAPPER.readTree(head).path(field);
            if (id.isTextual() || id.isIntegralNumber()) {
                db.inTransaction(h -> {
                    store.recordJob(h, server.id(), id.asText(), caller.credentialId(), clock.instant());
                    return null;
                });
                jobOwners.put(server.id() + " " + id.asText(), caller.credentialId());
            }
        } catch (IOException notJsonOrTooLong) {
            // an answer without a readable job id creates nothing to protect
        }
        Upstream.copyHead(answer, res, true);
        try (in; OutputStream out = res.outputStream()) {
            out.write(head);
            in.transferTo(out);
        } catch (IOException e) {
            throw Upstream.streamBroken(e);
        }
    }
}
