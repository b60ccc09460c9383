package io.gatehouse.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.edge.Call;
import io.gatehouse.edge.Outbound;
import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import io.gatehouse.http.Json;
import io.gatehouse.store.Database;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code /api/{server}/…}, and any path an HTTP API is mounted at ({@code /api/v1/…}): HTTP APIs
 * proxied through the same door, on the edge's event loop. Request and answer bodies stream; only
 * a job-creating answer is read (to learn the job's id) before it is passed on.
 *
 * <p>Jobs (seed 001: "Use the same API key to poll a job that created it"): when a server declares
 * job routes, Gatehouse records which credential created each job and answers a poll from any
 * other credential with 404, as if the job did not exist, without asking the upstream.
 */
final class ApiRoute {
    private static final Logger LOG = Logger.getLogger(ApiRoute.class.getName());
    private static final String METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
    private static final Set<HttpMethod> FORWARDED = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST,
            HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE);
    private static final int MAX_JOB_ANSWER = 1024 * 1024;

    private final ServerRegistry registry;
    private final GatewayAccess access;
    private final Origins origins;
    private final Passage passage;
    private final Database db;
    private final ServerStore store = new ServerStore();
    private final Clock clock;
    private final Cache<String, String> jobOwners = Caffeine.newBuilder().maximumSize(100_000)
            .expireAfterWrite(Duration.ofHours(1)).build();

    private final Metering metering;

    ApiRoute(ServerRegistry registry, GatewayAccess access, Origins origins, Passage passage, Metering metering,
             Database db, Clock clock) {
        this.metering = metering;
        this.registry = registry;
        this.access = access;
        this.origins = origins;
        this.passage = passage;
        this.db = db;
        this.clock = clock;
    }

    /** Whether {@code path} is an HTTP API's: under {@code /api/}, or where one is mounted. */
    boolean claims(String path) {
        return path.startsWith("/api/") || registry.mountedAt(path).isPresent();
    }

    void serve(Call call) {
        Target t = target(call);
        Server server = t.server();
        HttpMethod method = call.method();
        if (method.equals(HttpMethod.OPTIONS)) {
            origins.preflight(call, METHODS);
            return;
        }
        if (!FORWARDED.contains(method)) {
            call.answerHeaders().set(HttpHeaderNames.ALLOW, METHODS);
            throw ApiError.of(ErrorCode.METHOD_NOT_ALLOWED, "method_not_allowed", "An HTTP API takes " + METHODS);
        }
        origins.check(call);
        boolean reads = method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD);
        access.admit(call, server, reads ? Permissions.API_READ : Permissions.API_WRITE, caller -> {
            Optional<Server.JobRoutes> jobs = server.jobs();
            Optional<String> polled = jobs.flatMap(j -> j.polled(method.name(), t.resource()));
            boolean creates = caller.isPresent() && jobs.map(j -> j.creates(method.name(), t.resource())).orElse(false);
            if (polled.isEmpty()) {
                forward(call, t, caller, creates);
                return;
            }
            String key = server.id() + " " + polled.get();
            String owner = jobOwners.getIfPresent(key);
            if (owner != null) {
                checkOwner(owner, caller);
                forward(call, t, caller, creates);
                return;
            }
            call.offLoop(() -> db.withHandle(h -> store.jobOwner(h, server.id(), polled.get())).orElse(""), found -> {
                if (!found.isEmpty()) {
                    jobOwners.put(key, found);
                }
                checkOwner(found, caller);
                forward(call, t, caller, creates);
            });
        });
    }

    private static void checkOwner(String owner, Optional<Principal> caller) {
        if (owner.isEmpty() || caller.isEmpty() || !owner.equals(caller.get().credentialId())) {
            throw ApiError.of(ErrorCode.NOT_FOUND, "unknown_job", "No such job for this credential");
        }
    }

    private void forward(Call call, Target t, Optional<Principal> caller, boolean creates) {
        // The route a rate limit names stands for the tool: limited, and counted in usage, under its name.
        metering.admit(call, t.server(), caller, t.server().limitedRoute(t.resource()),
                t.server().routeCost(t.resource()), null,
                meter -> forward(call, t, caller, creates, meter));
    }

    private void forward(Call call, Target t, Optional<Principal> caller, boolean creates, Metering.Meter meter) {
        Server server = t.server();
        String uri = passage.uri(server, t.rest(), call.rawQuery());
        try {
            URI.create(uri);
        } catch (IllegalArgumentException e) {
            meter.answeredHere(true);
            throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_path", "The path or query cannot be forwarded");
        }
        HttpHeaders headers = Passage.requestHeaders(call, access.identityHeaders(server, caller));
        long start = System.nanoTime();
        call.proxy(new Outbound(passage.target(server), call.method(), uri, headers, null, server.timeout(),
                meter.around(new Outbound.Answer() {
                    @Override
                    public HttpHeaders head(HttpResponse upstream) {
                        passage.metrics().answered(server, upstream.status().code(), System.nanoTime() - start);
                        Passage.checkAccepted(server, upstream);
                        return Passage.answerHeaders(upstream);
                    }

                    @Override
                    public Outbound.Shape shape(HttpResponse upstream) {
                        if (creates && upstream.status().code() / 100 == 2) {
                            return new Outbound.Whole(MAX_JOB_ANSWER, false,
                                    (whole, then) -> recordJob(call, server, caller.get(), whole, then));
                        }
                        return Outbound.Shape.STREAM;
                    }

                    @Override
                    public ApiError failed(IOException cause, boolean timedOut) {
                        return passage.failed(server, cause, timedOut);
                    }
                })));
    }

    /**
     * Learns the created job's id from the answer (its first MiB: a job id is near the top of any
     * sane answer), records who owns it, off the loop, then passes the answer on unchanged.
     */
    private void recordJob(Call call, Server server, Principal caller, ByteBuf whole,
                           java.util.function.Consumer<ByteBuf> then) {
        String field = server.jobs().orElseThrow().idField();
        JsonNode id;
        try {
            id = Json.MAPPER.readTree(new ByteBufInputStream(whole.duplicate())).path(field);
        } catch (IOException notJson) {
            then.accept(whole); // an answer without a readable job id creates nothing to protect
            return;
        }
        if (!id.isTextual() && !id.isIntegralNumber()) {
            then.accept(whole);
            return;
        }
        String jobId = id.asText();
        call.offLoop(() -> {
            try {
                db.inTransaction(h -> {
                    store.recordJob(h, server.id(), jobId, caller.credentialId(), clock.instant());
                    return null;
                });
                return true;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "could not record job " + jobId + " of server " + server.slug(), e);
                return false;
            }
        }, recorded -> {
            if (recorded) {
                jobOwners.put(server.id() + " " + jobId, caller.credentialId());
                then.accept(whole);
            } else {
                whole.release();
                throw ApiError.of(ErrorCode.UNAVAILABLE, "job_not_recorded",
                        "The job was created but could not be recorded; poll it again later");
            }
        }, recorded -> whole.release()); // the client left meanwhile
    }

    /**
     * The server a path reaches, and the rest of the path to send upstream.
     *
     * @param rest     the raw rest of the path, forwarded as sent
     * @param resource the rest decoded and normalised as upstreams commonly do (no empty segments, no
     *                 trailing slash), what job routes are matched against: an encoded or doubled
     *                 character must not take a poll past its ownership check
     */
    private record Target(Server server, String rest, String resource) {
    }

    private Target target(Call call) {
        String path = call.path();
        String raw = call.rawPath();
        Optional<Server> mounted = registry.mountedAt(path);
        if (mounted.isPresent()) {
            String mount = mounted.get().mount().orElseThrow();
            String rest = rawAfter(raw, mount).orElseThrow(ApiRoute::noApi);
            return new Target(mounted.get(), rest, resource(rest));
        }
        String afterApi = path.substring("/api/".length());
        int slash = afterApi.indexOf('/');
        String slug = slash < 0 ? afterApi : afterApi.substring(0, slash);
        Server s = registry.bySlug(slug).filter(x -> x.kind() == Server.Kind.HTTP).orElseThrow(ApiRoute::noApi);
        String rest = rawAfter(raw, "/api/" + slug).orElseThrow(ApiRoute::noApi);
        return new Target(s, rest, resource(rest));
    }

    /**
     * The resource a raw path (as sent, after the API's prefix) names, as the upstream will most
     * likely resolve it: what prices, rate-limited routes and job routes are matched against. Each
     * segment loses its path parameters (from a literal {@code ;} on, RFC 3986 §3.3), which servlet
     * containers and JAX-RS drop before routing: left in, {@code /jobs;x/7} would slip past the job
     * route {@code /jobs/{id}} and its owner check, and {@code /generate;x} past its price and limit,
     * while the upstream served them as {@code /jobs/7} and {@code /generate}. An upstream that keeps
     * the {@code ;} as part of the path is matched more strictly than it routes: that fails closed.
     * Then each segment is percent-decoded (an encoded {@code ;} stays a character of the segment, as
     * every upstream reads it; an encoded slash splits it, as some do); empty segments go, and dot
     * segments are refused outright.
     */
    static String resource(String raw) {
        StringBuilder out = new StringBuilder(raw.length());
        for (String segment : raw.split("/")) {
            int parameters = segment.indexOf(';');
            String decoded = decodeSegment(parameters < 0 ? segment : segment.substring(0, parameters));
            if (decoded == null) {
                throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_path", "The path has a malformed escape");
            }
            for (String part : decoded.split("/")) { // an encoded slash: an upstream may take it for one
                if (part.equals(".") || part.equals("..")) {
                    throw ApiError.of(ErrorCode.INVALID_REQUEST, "invalid_path", "The path has a '.' or '..' segment");
                }
                if (!part.isEmpty()) {
                    out.append('/').append(part);
                }
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

}
