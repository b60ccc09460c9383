package io.gatehouse.billing;

import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.http.Json;
import io.gatehouse.store.Database;
import io.gatehouse.store.Ids;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Seed 004's "unusual request patterns, unexpected locations, error rate spikes", per credential:
 * <ul>
 *   <li>{@code burst}: a minute with at least {@value #BURST_FLOOR} calls and at least
 *       {@value #BURST_FACTOR}× the credential's average minute over the last 7 days;</li>
 *   <li>{@code error_spike}: a minute with at least {@value #ERROR_FLOOR} calls, at least half of them
 *       errors, where the last 7 days had under a tenth;</li>
 *   <li>{@code new_network}: a call from a network (an IPv4 /24, an IPv6 /48) the credential had not
 *       been used from, once it has been used from another. Without a GeoIP data set, a network is
 *       what "an unexpected location" can honestly mean.</li>
 * </ul>
 * Each alert is stored with its evidence, at most one per credential and kind an hour, shown by the
 * management API and, when {@code alerts.webhook-url} is set, posted there signed as Standard Webhooks.
 */
public final class Alerts implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Alerts.class.getName());
    static final int BURST_FLOOR = 60;
    static final int BURST_FACTOR = 10;
    static final int ERROR_FLOOR = 20;
    private static final long WEEK = Duration.ofDays(7).toMillis();
    private static final long HOUR = Duration.ofHours(1).toMillis();

    private final Database db;
    private final GatehouseConfig.Credits config;
    private final Clock clock;
    /** Per credential and minute, what was flushed so far: a minute is judged as it fills. */
    private final Map<String, long[]> minutes = new ConcurrentHashMap<>();
    private final Map<String, Long> lastAlert = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> networks = new ConcurrentHashMap<>();
    private final Map<String, String> lastAddress = new ConcurrentHashMap<>();
    private final HttpClient http;

    Alerts(Database db, GatehouseConfig.Credits config, Clock clock) {
        this.db = db;
        this.config = config;
        this.clock = clock;
        this.http = config.alertWebhookUrl().isPresent()
                ? HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build() : null;
    }

    /** An alert as stored. */
    public record Alert(String id, String orgId, String credentialId, String kind, Map<String, Object> evidence,
                        Instant createdAt, Optional<Instant> deliveredAt) {
    }

    /** Judges each credential's minute as usage is written. */
    void observe(List<UsageMeter.Flushed> rows) {
        for (UsageMeter.Flushed r : rows) {
            String key = r.credentialId() + " " + r.minute();
            long[] m = minutes.computeIfAbsent(key, k -> new long[3]);
            long calls;
            long errors;
            synchronized (m) {
                m[0] += r.calls();
                m[1] += r.errors();
                calls = m[0];
                errors = m[1];
            }
            if (calls >= BURST_FLOOR || calls >= ERROR_FLOOR && errors * 2 >= calls) {
                judge(r.orgId(), r.credentialId(), r.minute(), calls, errors);
            }
        }
        long old = clock.millis() - 3 * 60_000;
        minutes.keySet().removeIf(k -> Long.parseLong(k.substring(k.indexOf(' ') + 1)) < old);
    }

    private void judge(String orgId, String credentialId, long minute, long calls, long errors) {
        long[] week = db.withHandle(h -> h.createQuery("SELECT COALESCE(SUM(calls), 0) AS calls, "
                        + "COALESCE(SUM(client_errors + server_errors + rate_limited + unpaid), 0) AS errors, MIN(minute) AS first "
                        + "FROM usage_minutes WHERE credential_id = :cred AND minute >= :from AND minute < :to")
                .bind("cred", credentialId).bind("from", minute - WEEK).bind("to", minute)
                .map((rs, ctx) -> new long[]{rs.getLong("calls"), rs.getLong("errors"), rs.getLong("first")})
                .one());
        long span = week[0] == 0 ? 60 : Math.max(60, (minute - week[2]) / 60_000);
        double perMinute = (double) week[0] / span;
        if (calls >= BURST_FLOOR && calls >= BURST_FACTOR * perMinute) {
            Map<String, Object> evidence = new LinkedHashMap<>();
            evidence.put("minute", Instant.ofEpochMilli(minute).toString());
            evidence.put("calls", calls);
            evidence.put("usual_calls_per_minute", Math.round(perMinute * 100) / 100.0);
            evidence.put("baseline_minutes", span);
            raise(orgId, credentialId, "burst", evidence);
        }
        if (calls >= ERROR_FLOOR && errors * 2 >= calls && (week[0] == 0 || week[1] * 10 < week[0])) {
            Map<String, Object> evidence = new LinkedHashMap<>();
            evidence.put("minute", Instant.ofEpochMilli(minute).toString());
            evidence.put("calls", calls);
            evidence.put("errors", errors);
            evidence.put("usual_error_rate", week[0] == 0 ? 0.0 : Math.round(1000.0 * week[1] / week[0]) / 1000.0);
            raise(orgId, credentialId, "error_spike", evidence);
        }
    }

    /**
     * Notes that {@code credentialId} was used from {@code address}: a map read on the hot path;
     * the first use from a network is written, and alerted when the credential knew another.
     */
    public void sawAddress(String orgId, String credentialId, String address) {
        if (address.equals(lastAddress.get(credentialId))) {
            return; // the usual case: the same client again, no parsing
        }
        lastAddress.put(credentialId, address);
        if (lastAddress.size() > 100_000) {
            lastAddress.clear();
        }
        Optional<String> network = network(address);
        if (network.isEmpty()) {
            return;
        }
        Set<String> known = networks.get(credentialId);
        if (known != null && known.contains(network.get())) {
            return;
        }
        Set<String> set = networks.computeIfAbsent(credentialId, k -> ConcurrentHashMap.newKeySet());
        if (!set.add(network.get())) {
            return;
        }
        // Bounds, not a cache policy: the table remembers. A credential used from over a thousand
        // networks starts again from an empty set here, and its networks are looked up there again.
        if (set.size() > 1_000) {
            set.clear();
        }
        if (networks.size() > 100_000) {
            networks.clear();
        }
        Thread.ofVirtual().name("gatehouse-alerts").start(() -> firstUse(orgId, credentialId, network.get(), address));
    }

    private void firstUse(String orgId, String credentialId, String network, String address) {
        try {
            long now = clock.millis();
            int added = db.inTransaction(h -> h.createUpdate("INSERT INTO credential_networks (credential_id, network, "
                            + "first_seen_at) VALUES (:cred, :net, :now) ON CONFLICT (credential_id, network) DO NOTHING")
                    .bind("cred", credentialId).bind("net", network).bind("now", now).execute());
            if (added == 0) {
                return;
            }
            List<String> others = db.withHandle(h -> h.createQuery("SELECT network FROM credential_networks "
                            + "WHERE credential_id = :cred AND network <> :net ORDER BY first_seen_at LIMIT 5")
                    .bind("cred", credentialId).bind("net", network).mapTo(String.class).list());
            if (!others.isEmpty()) {
                Map<String, Object> evidence = new LinkedHashMap<>();
                evidence.put("network", network);
                evidence.put("address", address);
                evidence.put("known_networks", others);
                raise(orgId, credentialId, "new_network", evidence);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not record the network of a credential's use: " + e.getMessage());
        }
    }

    /** An IPv4 address's /24 or an IPv6 address's /48, as text; empty for what is not an address. */
    static Optional<String> network(String address) {
        if (address == null || address.isEmpty() || !(address.indexOf(':') >= 0 || Character.isDigit(address.charAt(0)))) {
            return Optional.empty();
        }
        try {
            byte[] b = InetAddress.getByName(address).getAddress(); // a literal: no lookup
            if (b.length == 4) {
                return Optional.of((b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + ".0/24");
            }
            return Optional.of(String.format("%x:%x:%x::/48", ((b[0] & 0xff) << 8) | (b[1] & 0xff),
                    ((b[2] & 0xff) << 8) | (b[3] & 0xff), ((b[4] & 0xff) << 8) | (b[5] & 0xff)));
        } catch (UnknownHostException notAnAddress) {
            return Optional.empty();
        }
    }

    private void raise(String orgId, String credentialId, String kind, Map<String, Object> evidence) {
        long now = clock.millis();
        String key = credentialId + " " + kind;
        Long last = lastAlert.get(key);
        if (last != null && now - last < HOUR) {
            return;
        }
        lastAlert.put(key, now);
        boolean recent = db.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM alerts WHERE credential_id = :cred "
                        + "AND kind = :kind AND created_at > :since").bind("cred", credentialId).bind("kind", kind)
                .bind("since", now - HOUR).mapTo(Long.class).one() > 0);
        if (recent) {
            return; // another node raised it
        }
        Alert alert = new Alert(Ids.ordered("alert", now), orgId, credentialId, kind, evidence,
                Instant.ofEpochMilli(now), Optional.empty());
        db.inTransaction(h -> h.createUpdate("INSERT INTO alerts (id, org_id, credential_id, kind, evidence, created_at) "
                        + "VALUES (:id, :org, :cred, :kind, :ev, :at)")
                .bind("id", alert.id()).bind("org", orgId).bind("cred", credentialId).bind("kind", kind)
                .bind("ev", new String(Json.bytes(evidence), java.nio.charset.StandardCharsets.UTF_8))
                .bind("at", now).execute());
        LOG.info("alert " + kind + " for " + credentialId + ": " + evidence);
        if (http != null) {
            Thread.ofVirtual().name("gatehouse-alert-webhook").start(() -> deliver(alert));
        }
    }

    /** Posts the alert, signed; three tries, then it stays undelivered (the API still shows it). */
    private void deliver(Alert alert) {
        byte[] body = Json.bytes(view(alert));
        URI url = config.alertWebhookUrl().orElseThrow();
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                HttpRequest.Builder req = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
                WebhookSignatures.sign(config.alertWebhookSecret().orElseThrow(), alert.id(), clock.instant(), body)
                        .forEach(req::header);
                HttpResponse<Void> res = http.send(req.build(), HttpResponse.BodyHandlers.discarding());
                if (res.statusCode() / 100 == 2) {
                    db.inTransaction(h -> h.createUpdate("UPDATE alerts SET delivered_at = :now WHERE id = :id")
                            .bind("id", alert.id()).bind("now", clock.millis()).execute());
                    return;
                }
            } catch (java.io.IOException | RuntimeException e) {
                LOG.log(Level.FINE, "alert webhook attempt failed", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            try {
                Thread.sleep(1000L << attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        LOG.warning("alert " + alert.id() + " could not be delivered to the webhook");
    }

    /** The organization's alerts, newest first; those before the alert {@code before} when given. */
    public List<Alert> list(String orgId, int limit, Optional<String> before) {
        return db.withHandle(h -> h.createQuery("SELECT * FROM alerts WHERE org_id = :org"
                        + (before.isPresent() ? " AND id < :before" : "") + " ORDER BY id DESC LIMIT :n")
                .bind("org", orgId).bind("n", limit).bind("before", before.orElse(null))
                .map((rs, ctx) -> {
                    long delivered = rs.getLong("delivered_at");
                    Optional<Instant> at = rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(delivered));
                    Map<String, Object> evidence;
                    try {
                        evidence = Json.MAPPER.readValue(rs.getString("evidence"), Map.class);
                    } catch (java.io.IOException e) {
                        evidence = Map.of();
                    }
                    return new Alert(rs.getString("id"), rs.getString("org_id"), rs.getString("credential_id"),
                            rs.getString("kind"), evidence, Instant.ofEpochMilli(rs.getLong("created_at")), at);
                }).list());
    }

    public static Map<String, Object> view(Alert a) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", a.id());
        out.put("object", "alert");
        out.put("organization_id", a.orgId());
        out.put("credential_id", a.credentialId());
        out.put("kind", a.kind());
        out.put("evidence", a.evidence());
        out.put("created_at", a.createdAt().toString());
        out.put("delivered_at", a.deliveredAt().map(Instant::toString).orElse(null));
        return out;
    }

    @Override
    public void close() {
        if (http != null) {
            http.close();
        }
    }
}
