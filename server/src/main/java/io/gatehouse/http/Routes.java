package io.gatehouse.http;

import io.gatehouse.errors.ErrorCode;
import io.gatehouse.errors.ApiError;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The routing table: every route Gatehouse serves, in one list. Unmatched requests get a 404, or a
 * 405 with {@code Allow} when the path exists for other methods. The OpenAPI test reads the same list.
 */
public final class Routes {
    public record Route(Method method, String pattern, Handler handler, boolean documented, Pattern compiled) {
        Route(Method method, String pattern, Handler handler, boolean documented) {
            this(method, pattern, handler, documented, regex(pattern)); // compiled once, not per unmatched request
        }

        boolean matches(String path) {
            return compiled.matcher(path).matches();
        }
    }

    private final List<Route> routes = new ArrayList<>();

    public Routes get(String pattern, Handler handler) {
        return add(Method.GET, pattern, handler, true);
    }

    public Routes post(String pattern, Handler handler) {
        return add(Method.POST, pattern, handler, true);
    }

    public Routes put(String pattern, Handler handler) {
        return add(Method.PUT, pattern, handler, true);
    }

    public Routes patch(String pattern, Handler handler) {
        return add(Method.PATCH, pattern, handler, true);
    }

    public Routes delete(String pattern, Handler handler) {
        return add(Method.DELETE, pattern, handler, true);
    }

    /** A route for operators and crawlers that the management API's OpenAPI document does not list. */
    public Routes operational(Method method, String pattern, Handler handler) {
        return add(method, pattern, handler, false);
    }

    private Routes add(Method method, String pattern, Handler handler, boolean documented) {
        routes.add(new Route(method, pattern, handler, documented));
        return this;
    }

    public List<Route> all() {
        return List.copyOf(routes);
    }

    void register(HttpRouting.Builder routing) {
        for (Route r : routes) {
            routing.route(r.method(), r.pattern(), r.handler());
        }
        routing.any((req, res) -> {
            String path = req.path().path();
            Set<String> allowed = new TreeSet<>();
            for (Route r : routes) {
                if (r.matches(path)) {
                    allowed.add(r.method().text());
                }
            }
            if (allowed.isEmpty()) {
                throw ApiError.of(ErrorCode.NOT_FOUND, "no_route", "No such endpoint");
            }
            res.header(HeaderNames.ALLOW, String.join(", ", allowed));
            throw ApiError.of(ErrorCode.METHOD_NOT_ALLOWED, "method_not_allowed",
                    "Use " + String.join(" or ", allowed) + " on this endpoint");
        });
    }

    private static Pattern regex(String pattern) {
        return Pattern.compile(pattern.replaceAll("\\{\\+[^}/]*}", ".+").replaceAll("\\{[^}/]+}", "[^/]+"));
    }
}
