package io.gatehouse.edge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * The one HTTP client: every request Gatehouse sends on, to an MCP server, an HTTP API or its own
 * control plane, leaves through here. Netty's codecs frame it ({@link HttpRequestEncoder} and a
 * strict {@link HttpResponseDecoder}); connections are kept per event loop and upstream, so a call
 * never leaves the loop its client is on; a host name is resolved at every new connection, off the
 * loop, and each address is checked against the target's rule before it is dialled (a name that
 * moved to an internal address is refused then, not when the server was registered).
 *
 * <p>Nothing here retries: once a byte of a request was written, it is never written again
 * (RFC 9110 §9.2.2), and an exchange whose connection fails is a failure its caller reports.
 */
public final class Upstreams implements AutoCloseable {
    /**
     * Where requests go and how a connection to it is made.
     *
     * @param key            which kept connections a call may reuse: equal keys, equal connections
     * @param host           the host as written (a name, or an address literal without brackets)
     * @param literal        the address when {@code host} is a literal, else null (resolved per connection)
     * @param allowed        the addresses a connection may be made to
     * @param tls            for {@code https}: the context that checks the certificate against {@code host}
     * @param hostHeader     the {@code Host} field requests carry
     */
    public record Target(String key, String host, int port, InetSocketAddress literal, Predicate<InetAddress> allowed,
                         SslContext tls, Duration connectTimeout, String hostHeader) {
    }

    /** A connection could not be made: nothing was sent. */
    public static final class ConnectFailed extends IOException {
        ConnectFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The host resolved only to addresses the target may not reach: nothing was tried. */
    public static final class AddressNotAllowed extends IOException {
        AddressNotAllowed(String message) {
            super(message);
        }
    }

    /** Limits of the kept connections. */
    public record Limits(int maxIdlePerUpstream, Duration idleTimeout) {
    }

    private final FastThreadLocal<Map<String, ArrayDeque<Channel>>> idle = new FastThreadLocal<>() {
        @Override
        protected Map<String, ArrayDeque<Channel>> initialValue() {
            return new HashMap<>();
        }
    };
    private final Class<? extends Channel> socketClass;
    private final Limits limits;
    private final int maxAnswerHeadBytes;
    /** Every connection open, kept or carrying a call: closing the client ends them all. */
    private final ChannelGroup open = new DefaultChannelGroup("upstreams", GlobalEventExecutor.INSTANCE);
    private final AtomicInteger kept = new AtomicInteger();
    private final Counter connects;
    private final Counter reuses;
    private volatile boolean closed;

    public Upstreams(Class<? extends Channel> socketClass, Limits limits, int maxAnswerHeadBytes, MeterRegistry metrics) {
        this.socketClass = socketClass;
        this.limits = limits;
        this.maxAnswerHeadBytes = maxAnswerHeadBytes;
        this.connects = Counter.builder("gatehouse.upstream.connects")
                .description("Connections made to upstreams (the control plane included)").register(metrics);
        this.reuses = Counter.builder("gatehouse.upstream.reuses")
                .description("Calls sent on a kept upstream connection").register(metrics);
        Gauge.builder("gatehouse.upstream.open", open, ChannelGroup::size)
                .description("Upstream connections open, kept or busy").register(metrics);
        Gauge.builder("gatehouse.upstream.kept", kept, AtomicInteger::get)
                .description("Upstream connections kept for reuse").register(metrics);
        Gauge.builder("gatehouse.upstream.max.kept.per.upstream", limits, l -> l.maxIdlePerUpstream())
                .description("The most connections kept per event loop and upstream").register(metrics);
        Gauge.builder("gatehouse.upstream.idle.timeout.seconds", limits, l -> l.idleTimeout().toSeconds())
                .description("How long a kept upstream connection may stay unused").register(metrics);
    }

    /**
     * A connection to {@code target} on {@code loop}, kept or new, handed to {@code then} on that
     * loop with its {@link Link}; or the reason none could be made.
     */
    void acquire(EventLoop loop, Target target, BiConsumer<Link, IOException> then) {
        ArrayDeque<Channel> kept = idle.get().get(target.key());
        Channel channel;
        long now = System.nanoTime();
        while (kept != null && (channel = kept.pollLast()) != null) {
            this.kept.decrementAndGet();
            Link link = channel.pipeline().get(Link.class);
            if (channel.isActive() && link.usableAt(now)) {
                reuses.increment();
                then.accept(link, null);
                return;
            }
            channel.close();
        }
        if (closed) {
            then.accept(null, new ConnectFailed("Gatehouse is stopping", null));
            return;
        }
        if (target.literal() != null) {
            if (!target.allowed().test(target.literal().getAddress())) {
                then.accept(null, new AddressNotAllowed(target.host() + " is an address this server may not reach"));
                return;
            }
            dial(loop, target, List.of(target.literal()), 0, then);
            return;
        }
        // A lookup blocks: it runs on a virtual thread, and the dialling goes on on the loop.
        Thread.ofVirtual().name("gatehouse-resolve").start(() -> {
            try {
                List<InetSocketAddress> addresses = resolve(target);
                loop.execute(() -> dial(loop, target, addresses, 0, then));
            } catch (IOException refused) {
                loop.execute(() -> then.accept(null, refused));
            }
        });
    }

    /** The host's addresses that the target may reach, in the resolver's order. Blocks. */
    static List<InetSocketAddress> resolve(Target target) throws IOException {
        InetAddress[] all;
        try {
            all = InetAddress.getAllByName(target.host());
        } catch (UnknownHostException e) {
            throw new ConnectFailed("cannot resolve " + target.host(), e);
        }
        List<InetSocketAddress> usable = new ArrayList<>(all.length);
        for (InetAddress address : all) {
            if (target.allowed().test(address)) {
                usable.add(new InetSocketAddress(address, target.port()));
            }
        }
        if (usable.isEmpty()) {
            throw new AddressNotAllowed(target.host() + " resolves only to addresses this server may not reach");
        }
        return usable;
    }

    private void dial(EventLoop loop, Target target, List<InetSocketAddress> candidates, int index,
                      BiConsumer<Link, IOException> then) {
        InetSocketAddress address = candidates.get(index);
        connects.increment();
        new Bootstrap().group(loop).channel(socketClass)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, target.connectTimeout().toMillis()))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (target.tls() != null) {
                            ch.pipeline().addLast(target.tls().newHandler(ch.alloc(), target.host(), target.port()));
                        }
                        Link link = new Link(Upstreams.this, target.key());
                        ch.pipeline().addLast(new HttpRequestEncoder(), new AnswerDecoder(link, maxAnswerHeadBytes),
                                new IdleStateHandler(0, 0, limits.idleTimeout().toMillis(), TimeUnit.MILLISECONDS),
                                link);
                    }
                })
                .connect(address)
                .addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        open.add(f.channel());
                        then.accept(f.channel().pipeline().get(Link.class), null);
                    } else if (index + 1 < candidates.size()) {
                        dial(loop, target, candidates, index + 1, then);
                    } else {
                        then.accept(null, new ConnectFailed("cannot connect to " + target.host() + ":"
                                + address.getPort() + ": " + f.cause(), f.cause()));
                    }
                });
    }

    /** Keeps a connection whose last exchange ended cleanly, or closes it when enough are kept. */
    void release(Link link) {
        Channel channel = link.channel();
        if (closed || !channel.isActive()) {
            channel.close();
            return;
        }
        ArrayDeque<Channel> kept = idle.get().computeIfAbsent(link.key(), k -> new ArrayDeque<>());
        if (kept.size() >= limits.maxIdlePerUpstream()) {
            channel.close();
            return;
        }
        link.kept(System.nanoTime());
        kept.addLast(channel);
        this.kept.incrementAndGet();
    }

    /** A kept connection closed by its upstream: forgotten (it is on this loop's list). */
    void forget(Link link) {
        ArrayDeque<Channel> kept = idle.get().get(link.key());
        if (kept != null && kept.remove(link.channel())) {
            this.kept.decrementAndGet();
        }
    }

    Duration idleTimeout() {
        return limits.idleTimeout();
    }

    /** Closes every upstream connection: those kept, and those carrying an answer, which then ends. */
    @Override
    public void close() {
        closed = true;
        open.close().awaitUninterruptibly();
    }

    /**
     * Netty's response decoder, stricter where a proxy must be: a message with both
     * {@code Transfer-Encoding} and {@code Content-Length} is refused (RFC 9112 §6.3: a sender that
     * does this may be smuggling), header values are validated, lines must end in CRLF, and the
     * answer to a HEAD has no body whatever its fields say.
     */
    static final class AnswerDecoder extends HttpResponseDecoder {
        private final Link link;

        AnswerDecoder(Link link, int maxHeadBytes) {
            super(new HttpDecoderConfig()
                    .setMaxInitialLineLength(8192)
                    .setMaxHeaderSize(maxHeadBytes)
                    .setStrictLineParsing(true)
                    .setHeadersFactory(DefaultHttpHeadersFactory.headersFactory().withValidation(true)
                            .withValueValidation(true))
                    .setTrailersFactory(DefaultHttpHeadersFactory.trailersFactory().withValidation(true)
                            .withValueValidation(true)));
            this.link = link;
        }

        @Override
        protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
            throw new IllegalArgumentException("the upstream sent both Transfer-Encoding and Content-Length");
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage msg) {
            return link.answeringHead() || super.isContentAlwaysEmpty(msg);
        }
    }
}
