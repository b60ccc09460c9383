package io.gatehouse.limits;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Rate limits decided by one Valkey or Redis server for every node ({@code rate-limits.store = redis}):
 * exact across nodes at any rate, for one round trip per limited call. The algorithm is
 * {@link RateLimiter}'s GCRA, run as one Lua script so that all of a call's limits are checked and
 * taken together, atomically, on the server's clock ({@code TIME}), so that nodes' clocks do not
 * matter. Lettuce speaks the protocol, asynchronously: no thread waits on Redis.
 *
 * <p>Each bucket is one string key, {@code gatehouse:rl:} and {@link Limit#sharedId()}, holding its
 * theoretical arrival time in microseconds, and expiring when the bucket is full again, so Redis
 * holds only the buckets in use. Resolution is one microsecond per request.
 */
public final class RedisRateLimiter implements AutoCloseable {
    private static final String PREFIX = "gatehouse:rl:";
    /**
     * KEYS: one bucket per limit. ARGV: per limit, its interval and its burst (interval × count), in
     * microseconds. Answers {1, ahead…} with each bucket's new distance past now when every limit
     * allows (and takes one from each), or {0, i, wait} with the limit that waits longest.
     * {@code %.0f} writes a time whole: Lua's own number formatting keeps only 14 digits.
     */
    static final String SCRIPT = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
            local ahead = {}
            local worst, worstWait = 0, -1
            for i = 1, #KEYS do
              local interval, burst = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
              local tat = tonumber(redis.call('GET', KEYS[i]) or now)
              local a = math.max(tat - now, 0) + interval
              if a > burst and a - burst > worstWait then
                worst, worstWait = i, a - burst
              end
              ahead[i] = a
            end
            if worst > 0 then
              return {0, worst, worstWait}
            end
            local out = {1}
            for i = 1, #KEYS do
              redis.call('SET', KEYS[i], string.format('%.0f', now + ahead[i]), 'PX', math.ceil(ahead[i] / 1000) + 1)
              out[i + 1] = ahead[i]
            end
            return out
            """;

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisAsyncCommands<String, String> redis;
    private final String sha;
    private final Duration timeout;

    /**
     * Connects, and loads the script.
     *
     * @throws io.lettuce.core.RedisException when the server cannot be reached: a node configured for
     *     Redis does not start without it
     */
    public RedisRateLimiter(String url, Duration timeout) {
        RedisURI uri = RedisURI.create(url); // its own timeouts (connecting, loading) stay Lettuce's; a call has timeout
        this.timeout = timeout;
        this.client = RedisClient.create(uri);
        try {
            this.connection = client.connect();
            this.redis = connection.async();
            this.sha = connection.sync().scriptLoad(SCRIPT);
        } catch (RuntimeException e) {
            client.shutdown();
            throw e;
        }
    }

    /**
     * Takes one request from each of {@code limits}, or from none, as {@link RateLimiter#takeAll}
     * answers. Completes exceptionally when Redis does not answer in time.
     */
    public CompletableFuture<Outcome> takeAll(List<Limit> limits) {
        if (limits.isEmpty()) {
            throw new IllegalArgumentException("no limits to take from");
        }
        String[] keys = new String[limits.size()];
        String[] args = new String[limits.size() * 2];
        for (int i = 0; i < keys.length; i++) {
            Limit limit = limits.get(i);
            long interval = intervalMicros(limit.rate());
            keys[i] = PREFIX + limit.sharedId();
            args[2 * i] = Long.toString(interval);
            args[2 * i + 1] = Long.toString(interval * limit.rate().count());
        }
        CompletionStage<List<Object>> answer = redis.<List<Object>>evalsha(sha, ScriptOutputType.MULTI, keys, args)
                .handle((reply, failure) -> {
                    if (failure == null) {
                        return CompletableFuture.completedFuture(reply);
                    }
                    if (String.valueOf(failure.getMessage()).startsWith("NOSCRIPT")) { // the server restarted
                        return redis.<List<Object>>eval(SCRIPT, ScriptOutputType.MULTI, keys, args);
                    }
                    return CompletableFuture.<List<Object>>failedFuture(failure);
                })
                .thenCompose(stage -> stage);
        return answer.thenApply(reply -> outcome(limits, reply)).toCompletableFuture()
                .orTimeout(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    private static Outcome outcome(List<Limit> limits, List<Object> reply) {
        if (((Long) reply.get(0)) == 0) {
            Limit limit = limits.get((int) (long) (Long) reply.get(1) - 1);
            long wait = (Long) reply.get(2);
            return new Outcome(limit, false, 0, Math.max(1, Math.ceilDiv(wait, 1_000_000L)));
        }
        Outcome best = null;
        for (int i = 0; i < limits.size(); i++) {
            Limit limit = limits.get(i);
            long ahead = (Long) reply.get(i + 1);
            long interval = intervalMicros(limit.rate());
            Outcome o = new Outcome(limit, true, (interval * limit.rate().count() - ahead) / interval,
                    Math.ceilDiv(ahead, 1_000_000L));
            if (best == null || o.remaining() < best.remaining()
                    || o.remaining() == best.remaining() && o.resetSeconds() > best.resetSeconds()) {
                best = o;
            }
        }
        return best;
    }

    /** Microseconds per request, rounded up, never 0. */
    private static long intervalMicros(Rate rate) {
        return Math.max(1, Math.ceilDiv(rate.window().toNanos() / 1000, rate.count()));
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown();
    }
}
