package io.gatehouse.gateway;

import io.gatehouse.billing.Alerts;
import io.gatehouse.billing.Billing;
import io.gatehouse.billing.CreditPool;
import io.gatehouse.billing.UsageMeter;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.door.Principal;
import io.gatehouse.edge.Call;
import io.gatehouse.edge.Outbound;
import io.gatehouse.errors.ApiError;
import io.gatehouse.errors.ErrorCode;
import io.gatehouse.limits.Outcome;
import io.gatehouse.limits.RateLimitHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The door's last two steps on the data plane, after scope: the rate limits (step 6), then the
 * call's price from the organization's credit pool (step 7). Both decide from memory on the event
 * loop; only a lease that runs dry goes off the loop. A call refused earlier, at either step or by
 * the door, spends nothing. Then, as the upstream answers, the call is counted ({@link UsageMeter})
 * and a failed one is refunded by {@code credits.refund}.
 */
final class Metering {
    private final Billing billing;
    private final CreditPool credits;
    private final UsageMeter usage;
    private final Alerts alerts;
    private final GatehouseConfig.Refund refund;
    private final Clock clock;
    private final ToolNames toolNames = new ToolNames();

    Metering(Billing billing, GatehouseConfig.Refund refund, Clock clock) {
        this.billing = billing;
        this.credits = billing.credits();
        this.usage = billing.usage();
        this.alerts = billing.alerts();
        this.refund = refund;
        this.clock = clock;
    }

    /** One admitted call: what it was charged (null: nothing), counted once the upstream has answered. */
    final class Meter {
        private final Optional<Principal> caller;
        private final Server server;
        private final String tool;
        private final CreditPool.Charge charge;
        private final String address;
        /** The charge's write: a refund follows it, and only a written charge is refunded. */
        private java.util.concurrent.CompletableFuture<Boolean> written;
        private boolean settled;
        /** A charged answer's result by its head, settled when its body ends: a body cut short is a failure. */
        private UsageMeter.Result headResult;

        private Meter(Optional<Principal> caller, Server server, String tool, CreditPool.Charge charge,
                      String address) {
            this.caller = caller;
            this.server = server;
            this.tool = tool;
            this.charge = charge;
            this.address = address;
        }

        /** {@code answer}, with the call counted and, by the refund rule, refunded as the upstream answers. */
        Outbound.Answer around(Outbound.Answer answer) {
            return new Outbound.Answer() {
                @Override
                public HttpHeaders head(HttpResponse upstream) {
                    int status = upstream.status().code();
                    boolean gatehouseRefused = status == 401 || status == 407; // checkAccepted makes it a 502
                    UsageMeter.Result result = status >= 500 || gatehouseRefused ? UsageMeter.Result.SERVER_ERROR
                            : status >= 400 ? UsageMeter.Result.CLIENT_ERROR : UsageMeter.Result.OK;
                    boolean giveBack = gatehouseRefused || status >= 500 && refund == GatehouseConfig.Refund.FAILED;
                    if (charge != null && !giveBack) {
                        // An MCP tool's result, or an API's body, comes after the head: an answer that
                        // breaks off before its end is the upstream failing (failed, below), not a call paid for.
                        headResult = result;
                    } else {
                        settle(result, giveBack);
                    }
                    return answer.head(upstream);
                }

                @Override
                public void ended() {
                    if (headResult != null) {
                        settle(headResult, false);
                    }
                    answer.ended();
                }

                @Override
                public Outbound.Shape shape(HttpResponse upstream) {
                    return answer.shape(upstream);
                }

                @Override
                public ApiError failed(IOException cause, boolean timedOut) {
                    settle(UsageMeter.Result.SERVER_ERROR, refund != GatehouseConfig.Refund.NEVER);
                    return answer.failed(cause, timedOut);
                }
            };
        }

        /** The call was answered without reaching the upstream (a refused tool, an unknown session). */
        void answeredHere(boolean error) {
            settle(error ? UsageMeter.Result.CLIENT_ERROR : UsageMeter.Result.OK, true);
        }

        private void settle(UsageMeter.Result result, boolean giveBack) {
            if (settled) {
                return;
            }
            settled = true;
            long spent = charge == null || giveBack ? 0 : charge.credits();
            if (charge != null && giveBack) {
                String credentialId = credentialId();
                written.thenAccept(recorded -> {
                    if (recorded) { // a charge never written was never paid: nothing to give back
                        credits.refund(charge, credentialId, server.id(), tool);
                    }
                });
            }
            caller.ifPresent(p -> usage.record(p.orgId(), p.credentialId(), server.id(), tool, result, spent,
                    address, clock.millis()));
        }

        private String credentialId() {
            return caller.map(Principal::credentialId).orElse(null);
        }
    }

    /**
     * A call refused for its tools (not the caller's to use) before steps 6 and 7: counted as a client
     * error under {@code tool}, charged nothing.
     */
    void refusedTools(Call call, Server server, Optional<Principal> caller, String tool) {
        caller.ifPresent(p -> countRefused(call, p, server, tool, UsageMeter.Result.CLIENT_ERROR));
    }

    /** A call of {@code p}'s refused before it went upstream, charged nothing: counted as {@code result}. */
    private void countRefused(Call call, Principal p, Server server, String tool, UsageMeter.Result result) {
        usage.record(p.orgId(), p.credentialId(), server.id(), tool, result, 0, call.clientAddress(), clock.millis());
    }

    /**
     * The name a {@code tools/call} of {@code tool} by {@code caller} is counted and charged under:
     * its own, or {@link ToolNames#OTHER} past the names a credential may have counted a minute.
     */
    String toolLabel(Optional<Principal> caller, Server server, String tool) {
        return caller.isEmpty() ? tool : toolNames.label(caller.get().credentialId(), server, tool, clock.millis());
    }

    /** Whether a rate limit besides a tool's own applies to {@code p} on {@code server}: its key's, credential's, organization's or the server's. */
    boolean rateLimited(Principal p, Server server) {
        return !billing.limits(p, server.id(), server.rateLimit(), "", Optional.empty()).isEmpty();
    }

    /**
     * Applies the caller's rate limits, then charges {@code cost}, then goes on with the call's meter
     * once the charge is written (a charge the client is answered for is never lost).
     *
     * @param tool          the tool called (MCP), or empty
     * @param onInsufficient how a 402 is answered when it is not thrown (an MCP client reads JSON-RPC); null throws
     */
    void admit(Call call, Server server, Optional<Principal> caller, String tool, long cost,
               Consumer<ApiError> onInsufficient, Consumer<Meter> then) {
        if (caller.isEmpty()) {
            then.accept(new Meter(caller, server, tool, null, call.clientAddress()));
            return;
        }
        Principal p = caller.get();
        alerts.sawAddress(p.orgId(), p.credentialId(), call.clientAddress());
        Billing.Limits limits = billing.limits(p, server.id(), server.rateLimit(), tool,
                server.toolRate(tool));
        long now = System.nanoTime(); // one clock read for steps 6 and 7
        if (limits.isEmpty()) {
            charge(call, server, caller, tool, cost, now, onInsufficient, then);
        } else if (billing.limitsInRedis()) {
            billing.takeInRedis(limits).thenAccept(outcome -> call.onLoop(() -> {
                answerLimits(call, p, server, tool, limits, outcome);
                charge(call, server, caller, tool, cost, System.nanoTime(), onInsufficient, then);
            }, () -> { }));
        } else {
            answerLimits(call, p, server, tool, limits, billing.take(limits, now));
            charge(call, server, caller, tool, cost, now, onInsufficient, then);
        }
    }

    /** Step 7: {@code cost} credits from this node's leases, or from a new lease off the loop. */
    private void charge(Call call, Server server, Optional<Principal> caller, String tool, long cost, long nowNanos,
                        Consumer<ApiError> onInsufficient, Consumer<Meter> then) {
        Principal p = caller.get();
        if (cost == 0 || p.operator()) {
            // free, or the operator's: no organization pays
            then.accept(new Meter(caller, server, tool, null, call.clientAddress()));
            return;
        }
        Optional<CreditPool.Charge> charge = billing.charge(p, cost, nowNanos, server.id(), tool);
        if (charge.isPresent()) {
            record(call, server, caller, tool, charge.get(), then);
            return;
        }
        call.offLoop(() -> {
            try {
                return new Taken(credits.take(p.orgId(), cost, p.credentialId(), server.id(), tool), null);
            } catch (ApiError e) {
                if (e.code() == ErrorCode.PAYMENT_REQUIRED && onInsufficient != null) {
                    return new Taken(null, e);
                }
                if (e.code() == ErrorCode.PAYMENT_REQUIRED) { // an API call's 402, answered by the throw
                    countRefused(call, p, server, tool, UsageMeter.Result.UNPAID);
                }
                throw e;
            }
        }, t -> {
            if (t.refusal() != null) {
                countRefused(call, p, server, tool, UsageMeter.Result.UNPAID);
                onInsufficient.accept(t.refusal());
                return;
            }
            record(call, server, caller, tool, t.charge(), then);
        }, t -> {
            if (t.charge() != null) {
                credits.cancel(t.charge(), p.credentialId(), server.id(), tool); // the client left meanwhile
            }
        });
    }

    private record Taken(CreditPool.Charge charge, ApiError refusal) {
    }

    /**
     * Keeps the charge and goes on with the call: journaled, it is kept on return; with
     * {@code credits.charges=database}, the upstream works while the charge commits, and only the
     * client's answer waits for it ({@link Call#holdAnswerUntil}). Either way no client is answered
     * for a charge that is not kept.
     */
    private void record(Call call, Server server, Optional<Principal> caller, String tool, CreditPool.Charge charge,
                        Consumer<Meter> then) {
        String credentialId = caller.get().credentialId();
        java.util.concurrent.CompletableFuture<Boolean> written = credits.record(charge, credentialId, server.id(), tool);
        call.holdAnswerUntil(written, () -> ApiError.of(ErrorCode.UNAVAILABLE, "credits_unavailable",
                "The call's charge could not be recorded, so its answer is withheld; try again"));
        Meter meter = new Meter(caller, server, tool, charge, call.clientAddress());
        meter.written = written;
        then.accept(meter);
    }

    /** Step 6's answer: the RateLimit fields on every answer, and a 429 when a limit is spent. */
    private void answerLimits(Call call, Principal p, Server server, String tool, Billing.Limits limits,
                              Outcome outcome) {
        HttpHeaders headers = call.answerHeaders();
        headers.set("RateLimit-Policy", limits.policy());
        headers.set("RateLimit", RateLimitHeaders.limit(List.of(outcome)));
        if (!outcome.allowed()) {
            headers.set(HttpHeaderNames.RETRY_AFTER, RateLimitHeaders.retryAfter(outcome));
            countRefused(call, p, server, tool, UsageMeter.Result.RATE_LIMITED);
            String who = switch (outcome.limit().policy()) {
                case "org" -> "Your organization";
                case "credential" -> p.identity().kind().noun() + ", under its own rate limit,";
                case "server" -> p.identity().kind().noun() + ", on this server,";
                case "tool" -> p.identity().kind().noun() + (server.kind() == Server.Kind.MCP ? ", for this tool,"
                        : ", on this route,");
                default -> p.identity().kind().noun();
            };
            throw ApiError.of(ErrorCode.TOO_MANY_REQUESTS, "rate_limited", who + " has made more than "
                    + outcome.rate().count() + " requests in " + outcome.rate().window().getSeconds()
                    + " seconds; retry in " + outcome.resetSeconds() + " s")
                    .withData(Map.of("retry_after", outcome.resetSeconds()));
        }
    }
}
