package io.gatehouse.examples;

import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.DefaultServerTransportSecurityValidator;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo MCP server: the SDK's Streamable HTTP servlet transport at {@link #ENDPOINT} and what
 * it serves — the demo tools, plus the tools, resources, prompts and completions the conformance
 * suite asks for.
 */
final class DemoMcpServer {
    static final String ENDPOINT = "/mcp";
    static final String NAME = "gatehouse-demo-upstream";
    static final String VERSION = "0.1.0";

    private static final List<String> LOOPBACK_NAMES = List.of("localhost", "127.0.0.1", "[::1]");

    private DemoMcpServer() {
    }

    static HttpServletStreamableServerTransportProvider transport(String bindHost) {
        return HttpServletStreamableServerTransportProvider.builder()
                .mcpEndpoint(ENDPOINT)
                .contextExtractor(RequestHeaders::transportContext)
                .httpHeaderValidator(originPolicy(bindHost))
                .build();
    }

    static McpSyncServer create(HttpServletStreamableServerTransportProvider transport) {
        List<SyncToolSpecification> tools = new ArrayList<>(DemoTools.all());
        tools.addAll(ConformanceTools.all());
        return McpServer.sync(transport)
                .serverInfo(NAME, VERSION)
                .instructions("Demo upstream for Gatehouse. echo and add answer at once; slow reports progress; "
                        + "whoami shows the HTTP headers this server received.")
                // Servers that send log messages declare "logging" (MCP 2025-11-25, server/utilities/logging).
                .capabilities(ServerCapabilities.builder()
                        .tools(false)
                        .resources(true, false)
                        .prompts(false)
                        .logging()
                        .completions()
                        .build())
                .tools(tools)
                .resources(ConformanceCatalog.resources())
                .resourceTemplates(ConformanceCatalog.resourceTemplates())
                .prompts(ConformanceCatalog.prompts())
                .completions(ConformanceCatalog.completions())
                // The servlet transport holds its request thread until the response is written, and
                // Jetty runs requests on virtual threads: run handlers right there rather than hop to
                // Reactor's bounded pool, which would cap how many slow calls run at once.
                .immediateExecution(true)
                // How long a tool waits for the client to answer sampling or elicitation.
                .requestTimeout(Duration.ofSeconds(60))
                .build();
    }

    /**
     * DNS-rebinding protection (MCP 2025-11-25, basic/transports, "Security Warning": servers MUST
     * validate Origin; bound to loopback they SHOULD accept only local names). A request whose
     * Origin is not a loopback origin gets 403; when bound to a loopback address a Host that is not
     * a loopback name gets 421. Bound to a wildcard address the Host cannot be known, so only
     * Origin is checked; bound to a named interface that name is allowed too.
     */
    static DefaultServerTransportSecurityValidator originPolicy(String bindHost) {
        DefaultServerTransportSecurityValidator.Builder policy = DefaultServerTransportSecurityValidator.builder();
        for (String name : LOOPBACK_NAMES) {
            policy.allowedOrigin("http://" + name + ":*").allowedOrigin("https://" + name + ":*");
        }
        if (!isWildcard(bindHost)) {
            LOOPBACK_NAMES.forEach(name -> policy.allowedHost(name + ":*"));
            if (!isLoopback(bindHost)) {
                String host = bindHost.contains(":") ? "[" + bindHost + "]" : bindHost;
                policy.allowedHost(host + ":*").allowedOrigin("http://" + host + ":*");
            }
        }
        return policy.build();
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }

    private static boolean isLoopback(String host) {
        try {
            return host.equals("localhost") || InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
