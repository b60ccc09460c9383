package io.gatehouse.edge;

import io.gatehouse.errors.ApiError;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A request to send on through {@link Upstreams}, and what to do with its answer.
 *
 * @param uri      the request target, origin form ({@code /path?query}), as it goes on the wire
 * @param headers  the end-to-end fields to send; {@code Host} and the body's framing are set here
 * @param body     null: the client's body is streamed as it comes (or there is none); else this whole body
 * @param deadline how long the upstream has to start its answer (its head), and, unless the answer is an
 *                 event stream, the longest its body may pause between pieces
 * @param answer   how the answer travels back
 */
public record Outbound(Upstreams.Target target, HttpMethod method, String uri, HttpHeaders headers, ByteBuf body,
                       Duration deadline, Answer answer) {

    /** Whether {@code answer} is a stream of Server-Sent Events ({@code text/event-stream}, any parameters). */
    public static boolean isEventStream(HttpResponse answer) {
        String type = answer.headers().get(HttpHeaderNames.CONTENT_TYPE);
        return type != null && type.stripLeading().regionMatches(true, 0, "text/event-stream", 0, 17);
    }

    /** How an upstream's answer becomes the client's. */
    public interface Answer {
        /**
         * The fields the client gets, from the upstream's head (its status is a final one, 200 to 599,
         * or 1xx never reaches here). Framing fields are the edge's to set. Throws an {@link ApiError}
         * to answer with that instead (the upstream's answer is then discarded with its connection).
         */
        HttpHeaders head(HttpResponse upstream);

        /** How the body travels: as it comes, unless this says otherwise. */
        default Shape shape(HttpResponse upstream) {
            return Shape.STREAM;
        }

        /**
         * What the client is told when no answer came: the upstream could not be reached, failed or
         * timed out. Also called when the answer broke off after its head (the upstream closed
         * mid-body, or its body was malformed): the client's connection is then closed instead.
         */
        ApiError failed(IOException cause, boolean timedOut);

        /**
         * The answer after {@link #head} is over without failing: its body reached its end, or the
         * client went away. Exactly one of this and {@link #failed} follows a head.
         */
        default void ended() {
        }
    }

    /** How an answer's body travels to the client. */
    public sealed interface Shape permits Stream, Whole, Events {
        Stream STREAM = new Stream();
    }

    /** Each piece as it arrives, the length kept when the upstream gave one. */
    public record Stream() implements Shape {
    }

    /**
     * The whole body is read first (up to {@code limit} bytes), then handed to {@code finish}, which
     * gives what the client gets (on the event loop, now or later). Past the limit: a 502 when
     * {@code overflowFails}, else the body passes unchanged and {@code finish} is not called.
     */
    public record Whole(int limit, boolean overflowFails, Finisher finish) implements Shape {
    }

    /**
     * Server-Sent Events, each rewritten as it completes; an event longer than {@code maxEvent}, or
     * one {@code rewrite} throws an {@link java.io.UncheckedIOException} for, ends the answer as broken.
     */
    public record Events(int maxEvent, UnaryOperator<String> rewrite) implements Shape {
    }

    /**
     * What a {@link Whole} answer's body becomes; {@code then} takes ownership of the buffer it is
     * given. An {@link java.io.UncheckedIOException} thrown by {@code finish} says the body cannot be
     * answered with: the exchange fails as if the upstream had sent it broken ({@link Answer#failed}).
     */
    public interface Finisher {
        void finish(ByteBuf whole, Consumer<ByteBuf> then);
    }
}
