package io.gatehouse.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** What browsers are told (CORS): the headers MCP clients send and read, and public preflights. */
public final class Cors {
    /** The request headers a browser MCP client sends (CLIENTS.md), and X-API-Key and X-Request-Id. */
    public static final String ALLOW_HEADERS = "Authorization, Content-Type, Accept, X-API-Key, Mcp-Session-Id, "
            + "MCP-Protocol-Version, Last-Event-ID, Mcp-Method, Mcp-Name, X-Request-Id";
    /** The answer headers a browser MCP client must be able to read. */
    public static final String EXPOSE_HEADERS = "WWW-Authenticate, Mcp-Session-Id, MCP-Protocol-Version, X-Request-Id, "
            + "Retry-After, Location";

    private Cors() {
    }

    /**
     * The preflight for public discovery documents: any origin may read them, sending the headers MCP
     * clients send (a browser client sends MCP-Protocol-Version on discovery too).
     */
    public static void publicPreflight(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "GET, OPTIONS");
        res.header(HeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS);
        res.header(HeaderNames.ACCESS_CONTROL_MAX_AGE, "86400");
        res.status(Status.NO_CONTENT_204).send();
    }
}
