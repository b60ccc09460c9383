package io.gatehouse.billing;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.audit.Actor;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.door.Permissions;
import io.gatehouse.door.Principal;
import io.gatehouse.door.Requirement;
import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import io.gatehouse.http.Body;
import io.gatehouse.http.Guard;
import io.gatehouse.http.Json;
import io.gatehouse.http.RequestInfo;
import io.gatehouse.http.Routes;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The management API of credits, usage and alerts: {@code /v1/orgs/{id}/credits} (the pool, and an
 * operator's purchases and adjustments), {@code …/credits/ledger}, {@code …/usage} and
 * {@code …/usage/summary} (also to a member, for their own credentials), {@code …/alerts},
 * and {@code POST /v1/webhooks/credits}, where a payment system reports a purchase, signed.
 */
public final class BillingEndpoint {
    private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[A-Za-z0-9_.:-]{1,200}");
    private static final Pattern ORG_ID = Pattern.compile("org_[A-Za-z0-9]{1,40}");
    private static final long MAX_WEBHOOK_BYTES = 256 * 1024;

    private final Billing billing;
    private final Guard guard;
    private final GatehouseConfig.Credits config;
    private final Clock clock;

    public BillingEndpoint(Billing billing, Guard guard, GatehouseConfig.Credits config, Clock clock) {
        this.billing = billing;
        this.guard = guard;
        this.config = config;
        this.clock = clock;
    }

    public void register(Routes routes) {
        routes.get("/v1/orgs/{id}/credits", (req, res) -> Json.ok(res, billing.pool(read(req), id(req))))
                .post("/v1/orgs/{id}/credits", this::addCredits)
                .get("/v1/orgs/{id}/credits/ledger", this::ledger)
                .get("/v1/orgs/{id}/usage", this::usage)
                .get("/v1/orgs/{id}/usage/summary", this::usageSummary)
                .get("/v1/orgs/{id}/alerts", (req, res) -> Json.ok(res, Map.of("data",
                        billing.alerts(read(req), id(req), limit(req),
                                cursor(req, "alert")).stream().map(Alerts::view).toList())))
                .post("/v1/webhooks/credits", this::webhook);
    }

    private void addCredits(ServerRequest req, ServerResponse res) {
        Principal p = guard.admit(req, Requirement.management(Permissions.ADMIN_WRITE));
        Body body = guard.body(req).allow("credits", "kind", "idempotency_key", "note");
        long credits = body.optLong("credits", -1_000_000_000_000L, 1_000_000_000_000L)
                .orElseThrow(() -> ApiError.invalid("credits: required"));
        String kind = body.optString("kind", 16).orElse("purchase");
        if (!kind.equals("purchase") && !kind.equals("adjustment")) {
            throw ApiError.invalid("kind: must be purchase or adjustment");
        }
        if (credits == 0 || kind.equals("purchase") && credits < 0) {
            throw ApiError.invalid("credits: a purchase adds a positive number; an adjustment any but 0");
        }
        String key = body.string("idempotency_key", 200);
        if (!IDEMPOTENCY_KEY.matcher(key).matches()) {
            throw ApiError.invalid("idempotency_key: 1 to 200 of letters, digits and _ . : -");
        }
        boolean added = billing.addCredits(p, Actor.of(p, req), id(req), kind.equals("purchase") ? "purchase" : "adjust",
                credits, key, body.optString("note", 500));
        Map<String, Object> out = new LinkedHashMap<>(billing.pool(p, id(req)));
        out.put("added", added);
        Json.send(res, added ? Status.CREATED_201 : Status.OK_200, out);
    }

    private void ledger(ServerRequest req, ServerResponse res) {
        Principal p = read(req);
        Optional<String> before = cursor(req, "cl");
        Json.ok(res, Map.of("data", billing.ledger(p, id(req), limit(req), before).stream().map(e -> {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("id", e.id());
            out.put("object", "credit_movement");
            out.put("kind", e.kind());
            out.put("pool_delta", e.poolDelta());
            out.put("lease_delta", e.leaseDelta());
            out.put("lease_id", e.leaseId());
            out.put("call_id", e.callId());
            out.put("calls", e.calls());
            out.put("credential_id", e.credentialId());
            out.put("server_id", e.serverId());
            out.put("tool", e.tool());
            out.put("note", e.note());
            out.put("created_at", e.at().toString());
            return out;
        }).toList()));
    }

    /** Any credential passes the door: which usage it reads is {@link UsageReport}'s to decide. */
    private void usage(ServerRequest req, ServerResponse res) {
        Principal p = guard.admit(req, Requirement.management());
        Instant to = instant(req, "to").orElse(clock.instant());
        Instant from = instant(req, "from").orElse(to.minus(Duration.ofDays(1)));
        String granularity = req.query().first("granularity").asOptional().orElse("hour");
        Json.ok(res, Map.of("object", "usage", "granularity", granularity, "from", from.toString(), "to", to.toString(),
                "data", billing.report().buckets(p, id(req), from, to, granularity,
                        req.query().first("group_by").asOptional(), req.query().first("credential_id").asOptional())));
    }

    private void usageSummary(ServerRequest req, ServerResponse res) {
        Principal p = guard.admit(req, Requirement.management());
        Instant to = instant(req, "to").orElse(clock.instant());
        Instant from = instant(req, "from").orElse(to.minus(Duration.ofDays(30)));
        Optional<String> groupBy = req.query().first("group_by").asOptional();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("object", "usage_summary");
        out.put("from", from.toString());
        out.put("to", to.toString());
        out.put("group_by", groupBy.orElse(null));
        out.put("data", billing.report().summary(p, id(req), from, to, groupBy,
                req.query().first("credential_id").asOptional()));
        Json.ok(res, out);
    }

    /**
     * A payment system's purchase. Standard Webhooks ({@code webhook-id}, {@code webhook-timestamp},
     * {@code webhook-signature}) with a body {@code {"type": "credits.purchased", "data":
     * {"organization_id", "credits"}}}; or, with {@code credits.webhook-scheme=stripe}, a Stripe
     * event ({@code Stripe-Signature}) of a paid Checkout Session ({@link #paidCheckout}) whose
     * {@code metadata} names {@code organization_id} and {@code credits}. A bad signature is a 401
     * and changes nothing; a message delivered again is answered 200 and changes nothing.
     */
    private void webhook(ServerRequest req, ServerResponse res) {
        String secret = config.webhookSecret().orElseThrow(() -> ApiError.of(ErrorCode.NOT_FOUND, "webhook_off",
                "No purchase webhook is configured (credits.webhook-secret)"));
        byte[] body = Json.bytes(req, MAX_WEBHOOK_BYTES);
        boolean stripe = config.webhookScheme().equals("stripe");
        WebhookSignatures.Verified verified;
        try {
            verified = WebhookSignatures.verify(stripe ? WebhookSignatures.Scheme.STRIPE
                            : WebhookSignatures.Scheme.STANDARD_WEBHOOKS, secret,
                    name -> req.headers().first(HeaderNames.create(name)), body, clock.instant(),
                    WebhookSignatures.DEFAULT_TOLERANCE);
        } catch (WebhookSignatures.Rejected rejected) {
            throw ApiError.unauthorized("bad_signature", "The webhook's signature does not verify ("
                    + rejected.reason().name().toLowerCase(java.util.Locale.ROOT) + ")", true);
        }
        JsonNode event = Json.parse(body).node(); // 400 invalid_json, as every body of the API
        String type = event.path("type").asText("");
        JsonNode data = stripe ? event.path("data").path("object").path("metadata") : event.path("data");
        if (!(stripe ? paidCheckout(type, event.path("data").path("object")) : type.equals("credits.purchased"))) {
            Json.ok(res, Map.of("received", true, "applied", false)); // another event: acknowledged, not ours
            return;
        }
        String id = stripe ? event.path("id").asText("") : verified.id().orElse("");
        String orgId = data.path("organization_id").asText("");
        JsonNode creditsNode = data.path("credits");
        // canConvertToLong: a number past 64 bits would otherwise be cut to its low bits (2^64 + 1 is 1)
        long credits = creditsNode.isIntegralNumber() && creditsNode.canConvertToLong() ? creditsNode.longValue()
                : creditsNode.isTextual() && creditsNode.asText().matches("[0-9]{1,13}") ? Long.parseLong(creditsNode.asText()) : -1;
        if (id.isEmpty() || !IDEMPOTENCY_KEY.matcher("webhook:" + id).matches()) {
            throw ApiError.invalid("The webhook has no usable message id");
        }
        if (!ORG_ID.matcher(orgId).matches()) {
            throw ApiError.invalid("data.organization_id: required, an organization id");
        }
        if (credits <= 0 || credits > 1_000_000_000_000L) {
            throw ApiError.invalid("data.credits: required, a positive whole number");
        }
        RequestInfo info = RequestInfo.of(req);
        Actor actor = new Actor(Optional.empty(), Optional.empty(), true, info.clientAddress(), info.requestId());
        boolean added = billing.purchased(actor, orgId, credits, "webhook:" + id);
        Json.ok(res, Map.of("received", true, "applied", added));
    }

    /**
     * Whether a Stripe event says a Checkout Session's money arrived: {@code checkout.session.completed}
     * with {@code payment_status} {@code paid} (or {@code no_payment_required}: a fully discounted
     * session), or {@code checkout.session.async_payment_succeeded}. A session paid by a delayed method
     * (SEPA, ACH) completes {@code unpaid} first; its credits wait for the second event, and none come
     * if the payment fails ({@code checkout.session.async_payment_failed}).
     */
    static boolean paidCheckout(String type, JsonNode session) {
        String status = session.path("payment_status").asText("");
        return switch (type) {
            case "checkout.session.completed" -> status.equals("paid") || status.equals("no_payment_required");
            case "checkout.session.async_payment_succeeded" -> status.equals("paid");
            default -> false;
        };
    }

    private Principal read(ServerRequest req) {
        return guard.admit(req, Requirement.management(Permissions.ADMIN_READ));
    }

    private static String id(ServerRequest req) {
        return req.path().pathParameters().get("id");
    }

    /**
     * {@code before}, the id a page ends at: one of the list's own ({@code type_} and 20 letters or
     * digits). Anything else is a 400: compared as text, {@code zzz} would list everything and an
     * empty one nothing, and a client would page on without knowing why.
     */
    private static Optional<String> cursor(ServerRequest req, String type) {
        Optional<String> before = req.query().first("before").asOptional();
        if (before.isPresent() && !before.get().matches(type + "_[0-9A-Za-z]{20}")) {
            throw ApiError.invalid("before: the id of an entry of this list (" + type + "_…)");
        }
        return before;
    }

    private static int limit(ServerRequest req) {
        String raw = req.query().first("limit").asOptional().orElse("100");
        try {
            int n = Integer.parseInt(raw);
            if (n >= 1 && n <= 1000) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiError.invalid("limit: a whole number from 1 to 1000");
    }

    private static Optional<Instant> instant(ServerRequest req, String name) {
        return req.query().first(name).asOptional().map(v -> {
            try {
                return io.gatehouse.http.Body.ofOurEra(Instant.parse(v), name);
            } catch (DateTimeParseException e) {
                throw ApiError.invalid(name + ": an ISO-8601 time such as 2027-01-31T00:00:00Z");
            }
        });
    }
}
