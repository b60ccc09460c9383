package io.gatehouse.client;

import java.util.Objects;

/**
 * The body of {@code POST /v1/users} ({@code CreateUserRequest}); operator credentials only.
 *
 * @param email an unused email; stored lower-cased
 * @param name a display name, or {@code null} for none
 * @see "docs/operations.md"
 */
public record CreateUserRequest(String email, String name) {
    /** Requires the email. */
    public CreateUserRequest {
        Objects.requireNonNull(email, "email");
    }

    /**
     * @param email an unused email
     * @return a request without a name
     */
    public static CreateUserRequest of(String email) {
        return new CreateUserRequest(email, null);
    }
}
