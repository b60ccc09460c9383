package io.gatehouse.client;

import java.util.Optional;

/**
 * The {@code error} object of every Gatehouse error answer, and of a refused key in
 * {@code POST /v1/keys/verify} ({@code ErrorDetail} in the OpenAPI document).
 *
 * @param code the error class, which fixes the HTTP status ({@code unauthorized}, {@code forbidden}, …)
 * @param reason exactly why, stable and machine-readable; absent only on {@code internal_error}
 * @param message a sentence that may be shown to a person; never contains a secret
 * @param scope only with {@code insufficient_scope}: the permission that would let the call through
 * @param requestId the request's id, also sent as {@code X-Request-Id}; quote it to an operator
 * @see "docs/errors.md, The error body"
 */
public record ErrorDetail(String code, Optional<String> reason, String message, Optional<String> scope,
                          String requestId) {
}
