package io.gatehouse.client;

import java.util.List;

/**
 * Users: {@code /v1/users}. Creating, disabling and enabling users needs an operator credential;
 * a disabled user's keys get {@code 401 user_disabled} at once.
 *
 * @see "docs/operations.md"
 */
public final class Users {
    private final Transport transport;

    Users(Transport transport) {
        this.transport = transport;
    }

    /**
     * {@code POST /v1/users}.
     *
     * @param request the email and name
     * @return the new user
     */
    public User create(CreateUserRequest request) {
        return transport.call("POST", "/v1/users", request, User.class);
    }

    /**
     * {@code GET /v1/users}.
     *
     * @return the users the caller may see
     */
    public List<User> list() {
        return transport.list("/v1/users", User.class);
    }

    /**
     * {@code GET /v1/users/{id}}.
     *
     * @param id the user's id
     * @return the user
     */
    public User get(String id) {
        return transport.get(Transport.path("/v1/users/", id), User.class);
    }

    /**
     * {@code POST /v1/users/{id}/disable}.
     *
     * @param id the user's id
     * @return the user, now disabled
     */
    public User disable(String id) {
        return transport.call("POST", Transport.path("/v1/users/", id, "/disable"), null, User.class);
    }

    /**
     * {@code POST /v1/users/{id}/enable}.
     *
     * @param id the user's id
     * @return the user, enabled again
     */
    public User enable(String id) {
        return transport.call("POST", Transport.path("/v1/users/", id, "/enable"), null, User.class);
    }
}
