package io.gatehouse.examples;

import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import jakarta.servlet.DispatcherType;
import org.eclipse.jetty.ee11.servlet.FilterHolder;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A small upstream for Gatehouse to proxy to, on one embedded Jetty: an MCP server over
 * Streamable HTTP at {@code /mcp} and a job API at {@code /api/v1}. Used by {@code ./gatehouse
 * demo}, by integration tests (start it on port 0) and by benchmarks.
 */
public final class DemoUpstream implements AutoCloseable {
    static final Duration JOB_RUN_TIME = Duration.ofSeconds(1);
    /** Long enough for an idle GET stream between messages; Jetty's default 30 s would cut it. */
    private static final Duration IDLE_TIMEOUT = Duration.ofMinutes(5);
    /** Strong references: java.util.logging forgets a level set on a logger nobody holds. */
    private static final List<Logger> QUIET = List.of(
            Logger.getLogger("org.eclipse.jetty"), Logger.getLogger("io.modelcontextprotocol"),
            Logger.getLogger("reactor"));

    private final Server jetty;
    private final McpSyncServer mcp;
    private final int port;
    private final URI baseUrl;

    private DemoUpstream(Server jetty, McpSyncServer mcp, int port, URI baseUrl) {
        this.jetty = jetty;
        this.mcp = mcp;
        this.port = port;
        this.baseUrl = baseUrl;
    }

    /** Starts on {@code host}:{@code port}; port 0 picks a free port (see {@link #port()}). */
    public static DemoUpstream start(String host, int port) {
        quietLibraryLogs();
        HttpServletStreamableServerTransportProvider transport = DemoMcpServer.transport(host);
        McpSyncServer mcp = DemoMcpServer.create(transport);

        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("demo-upstream");
        // One virtual thread per request: a slow tool call or an open SSE stream costs no platform thread.
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        Server jetty = new Server(threads);
        ServerConnector connector = new ServerConnector(jetty);
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(IDLE_TIMEOUT.toMillis());
        jetty.addConnector(connector);

        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        ServletHolder mcpServlet = new ServletHolder("mcp", transport);
        mcpServlet.setAsyncSupported(true); // the transport answers with SSE through AsyncContext
        context.addServlet(mcpServlet, DemoMcpServer.ENDPOINT);
        context.addFilter(new FilterHolder(new JsonRpcErrors()), DemoMcpServer.ENDPOINT,
                EnumSet.of(DispatcherType.REQUEST));
        JobStore jobs = new JobStore(JOB_RUN_TIME, Clock.systemUTC());
        context.addServlet(new ServletHolder("jobs", new JobApiServlet(jobs)), JobApiServlet.PREFIX + "/*");
        jetty.setHandler(context);
        jetty.setStopTimeout(2_000);

        try {
            jetty.start();
        } catch (Exception e) {
            mcp.close();
            stopQuietly(jetty);
            throw new IllegalStateException("Demo upstream could not listen on " + host + ":" + port + ": "
                    + e.getMessage(), e);
        }
        int actualPort = connector.getLocalPort();
        String urlHost = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return new DemoUpstream(jetty, mcp, actualPort, URI.create("http://" + urlHost + ":" + actualPort));
    }

    public int port() {
        return port;
    }

    /** {@code http://host:port}, no trailing slash. */
    public URI baseUrl() {
        return baseUrl;
    }

    public URI mcpUrl() {
        return URI.create(baseUrl + DemoMcpServer.ENDPOINT);
    }

    /** Blocks until the server stops (for {@link #main}). */
    void join() throws InterruptedException {
        jetty.join();
    }

    @Override
    public void close() {
        // Sessions first (their streams end cleanly), then the listener.
        try {
            mcp.closeGracefully();
        } finally {
            stopQuietly(jetty);
        }
    }

    public static void main(String[] args) throws InterruptedException {
        String host = "127.0.0.1";
        int port = 9090;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value = i + 1 < args.length ? args[i + 1] : null;
            if (arg.equals("--help") || arg.equals("-h")) {
                System.out.println("Usage: java -jar gatehouse-examples.jar [--host 127.0.0.1] [--port 9090]");
                return;
            } else if (arg.equals("--host") && value != null) {
                host = value;
                i++;
            } else if (arg.equals("--port") && value != null) {
                port = parsePort(value);
                i++;
            } else if (arg.startsWith("--host=")) {
                host = arg.substring("--host=".length());
            } else if (arg.startsWith("--port=")) {
                port = parsePort(arg.substring("--port=".length()));
            } else {
                System.err.println("Unknown argument: " + arg + " (try --help)");
                System.exit(2);
            }
        }
        DemoUpstream upstream = start(host, port);
        Runtime.getRuntime().addShutdownHook(new Thread(upstream::close, "demo-upstream-shutdown"));
        System.out.println("Demo upstream listening on " + upstream.baseUrl() + " (MCP at /mcp, jobs at /api/v1)");
        System.out.flush();
        upstream.join();
    }

    private static int parsePort(String value) {
        try {
            int port = Integer.parseInt(value);
            if (port >= 0 && port <= 65_535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        System.err.println("Not a port: " + value);
        System.exit(2);
        return -1;
    }

    /** Jetty and the SDK at WARN unless someone already chose a level for them. */
    private static void quietLibraryLogs() {
        for (Logger logger : QUIET) {
            if (logger.getLevel() == null) {
                logger.setLevel(Level.WARNING);
            }
        }
    }

    private static void stopQuietly(Server jetty) {
        try {
            jetty.stop();
        } catch (Exception e) {
            Logger.getLogger(DemoUpstream.class.getName()).log(Level.WARNING, "Demo upstream did not stop cleanly", e);
        }
    }
}
