package io.gatehouse.door;

import io.gatehouse.errors.ApiError;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import java.util.List;
import java.util.Optional;

/**
 * Finds the credential in a request: {@code Authorization: Bearer …} (RFC 6750 §2.1),
 * {@code Authorization: ApiKey …}, or {@code X-API-Key: …}. Anything else that claims to carry one is
 * malformed; several that disagree are malformed too.
 */
public final class Credentials {
    public static final HeaderName X_API_KEY = HeaderNames.create("X-API-Key");
    /** Longer than any key or token Gatehouse issues or imports. */
    static final int MAX_LENGTH = 512;

    private Credentials() {
    }

    /** The credential, or empty when the request carries none. */
    public static Optional<String> extract(Headers headers) {
        return extract(headers.all(HeaderNames.AUTHORIZATION, List::of), headers.all(X_API_KEY, List::of));
    }

    /** The same from the values of each header as received (none: an empty list). */
    public static Optional<String> extract(List<String> authorization, List<String> xApiKey) {
        String fromAuthorization = null;
        if (!authorization.isEmpty()) {
            if (authorization.size() != 1) {
                throw malformed("send one Authorization header");
            }
            fromAuthorization = fromAuthorization(authorization.getFirst());
        }
        String fromHeader = null;
        if (!xApiKey.isEmpty()) {
            if (xApiKey.size() != 1) {
                throw malformed("send one X-API-Key header");
            }
            fromHeader = token(xApiKey.getFirst().strip());
        }
        if (fromAuthorization != null && fromHeader != null && !fromAuthorization.equals(fromHeader)) {
            throw malformed("Authorization and X-API-Key carry different credentials");
        }
        return Optional.ofNullable(fromAuthorization != null ? fromAuthorization : fromHeader);
    }

    private static String fromAuthorization(String value) {
        String v = value.strip();
        int space = v.indexOf(' ');
        if (space < 0) {
            throw malformed("the Authorization header must be 'Bearer <key>' or 'ApiKey <key>'");
        }
        String scheme = v.substring(0, space);
        // RFC 7235 §2.1: the scheme is case-insensitive.
        if (!scheme.equalsIgnoreCase("Bearer") && !scheme.equalsIgnoreCase("ApiKey")) {
            throw ApiError.unauthorized("unsupported_scheme",
                    "Unsupported authorization scheme; use 'Bearer <key>' or 'ApiKey <key>'", true);
        }
        return token(v.substring(space + 1).strip());
    }

    /** A credential is 1 to 512 visible ASCII characters, no spaces. */
    private static String token(String candidate) {
        if (candidate.isEmpty() || candidate.length() > MAX_LENGTH) {
            throw malformed("the credential is empty or too long");
        }
        for (int i = 0; i < candidate.length(); i++) {
            char c = candidate.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                throw malformed("the credential contains characters no key has");
            }
        }
        return candidate;
    }

    static ApiError malformed(String message) {
        return ApiError.unauthorized("malformed", "Invalid or missing API key: " + message, true);
    }
}
