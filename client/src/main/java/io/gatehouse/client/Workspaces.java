package io.gatehouse.client;

import java.util.List;
import java.util.Map;

/**
 * Workspaces: {@code /v1/orgs/{id}/workspaces} and {@code /v1/workspaces/{id}}, with their
 * members. Removing someone from a workspace cuts off their keys' access to it at once.
 *
 * @see "docs/operations.md"
 */
public final class Workspaces {
    private final Transport transport;

    Workspaces(Transport transport) {
        this.transport = transport;
    }

    /**
     * {@code POST /v1/orgs/{id}/workspaces}.
     *
     * @param organizationId the organization
     * @param name 1–200 characters
     * @return the new workspace
     */
    public Workspace create(String organizationId, String name) {
        return transport.call("POST", Transport.path("/v1/orgs/", organizationId, "/workspaces"),
                new Requests.CreateWorkspace(name), Workspace.class);
    }

    /**
     * {@code GET /v1/orgs/{id}/workspaces}.
     *
     * @param organizationId the organization
     * @return its workspaces
     */
    public List<Workspace> list(String organizationId) {
        return transport.list(Transport.path("/v1/orgs/", organizationId, "/workspaces"), Workspace.class);
    }

    /**
     * {@code GET /v1/workspaces/{id}}.
     *
     * @param id the workspace's id
     * @return the workspace
     */
    public Workspace get(String id) {
        return transport.get(Transport.path("/v1/workspaces/", id), Workspace.class);
    }

    /**
     * {@code DELETE /v1/workspaces/{id}}.
     *
     * @param id the workspace's id
     */
    public void delete(String id) {
        transport.callForNothing("DELETE", Transport.path("/v1/workspaces/", id));
    }

    /**
     * {@code GET /v1/workspaces/{id}/members}.
     *
     * @param id the workspace's id
     * @return its members
     */
    public List<WorkspaceMember> members(String id) {
        return transport.list(Transport.path("/v1/workspaces/", id, "/members"), WorkspaceMember.class);
    }

    /**
     * {@code PUT /v1/workspaces/{id}/members/{user}}: the user must be a member of the organization.
     *
     * @param id the workspace's id
     * @param userId the user
     * @return the workspace membership
     */
    public WorkspaceMember addMember(String id, String userId) {
        return transport.call("PUT", Transport.path("/v1/workspaces/", id, "/members/", userId), Map.of(),
                WorkspaceMember.class);
    }

    /**
     * {@code DELETE /v1/workspaces/{id}/members/{user}}.
     *
     * @param id the workspace's id
     * @param userId the user
     */
    public void removeMember(String id, String userId) {
        transport.callForNothing("DELETE", Transport.path("/v1/workspaces/", id, "/members/", userId));
    }
}
