package io.gatehouse.client;

import java.util.List;

/**
 * Upstream servers behind the gateway: {@code /v1/servers}. An organization's owners and admins
 * register its servers; the instance's own servers (no organization) are for operators.
 *
 * @see "docs/gateway.md, Register a server"
 */
public final class Servers {
    private final Transport transport;

    Servers(Transport transport) {
        this.transport = transport;
    }

    /**
     * {@code POST /v1/servers}.
     *
     * @param request the server to register
     * @return the registered server
     */
    public Server create(CreateServerRequest request) {
        return transport.call("POST", "/v1/servers", request, Server.class);
    }

    /**
     * {@code GET /v1/servers}.
     *
     * @return the servers the caller may see
     */
    public List<Server> list() {
        return transport.list("/v1/servers", Server.class);
    }

    /**
     * {@code GET /v1/servers/{id}}.
     *
     * @param id the server's id
     * @return the server
     */
    public Server get(String id) {
        return transport.get(Transport.path("/v1/servers/", id), Server.class);
    }

    /**
     * {@code PATCH /v1/servers/{id}}: changes the fields the request sets.
     *
     * @param id the server's id
     * @param changes the fields to change
     * @return the server after the change
     */
    public Server update(String id, UpdateServerRequest changes) {
        return transport.call("PATCH", Transport.path("/v1/servers/", id), changes, Server.class);
    }

    /**
     * {@code DELETE /v1/servers/{id}}.
     *
     * @param id the server's id
     */
    public void delete(String id) {
        transport.callForNothing("DELETE", Transport.path("/v1/servers/", id));
    }
}
