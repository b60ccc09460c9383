package io.gatehouse.client;

import java.util.Objects;

/**
 * The body of {@code POST /v1/orgs/{id}/service-accounts} ({@code CreateServiceAccountRequest}).
 *
 * @param name 1–200 characters
 * @param role {@code admin} or {@code member} (default); never {@code owner}
 * @see "docs/operations.md, Service accounts"
 */
public record CreateServiceAccountRequest(String name, String role) {
    /** Requires the name. */
    public CreateServiceAccountRequest {
        Objects.requireNonNull(name, "name");
    }

    /**
     * @param name 1–200 characters
     * @param role {@code admin} or {@code member}
     * @return the request
     */
    public static CreateServiceAccountRequest of(String name, String role) {
        return new CreateServiceAccountRequest(name, role);
    }
}
