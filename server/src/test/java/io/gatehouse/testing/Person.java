package io.gatehouse.testing;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A person at a browser, as far as Gatehouse's pages go: follows redirects on Gatehouse's origin
 * by hand (so the one that leaves for a client's redirect URI is caught, not followed), keeps the
 * cookies Gatehouse sets, and fills in forms the way a person would, from the page's own fields.
 * Pages are read as served: no scripts are needed (none run there).
 */
public final class Person {
    private static final HttpClient CLIENT = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern FORM = Pattern.compile("<form[^>]*action=\"([^\"]*)\"[^>]*>(.*?)</form>", Pattern.DOTALL);
    private static final Pattern INPUT = Pattern.compile("<input([^>]*)>");
    private static final Pattern ATTR = Pattern.compile("([a-z-]+)=\"([^\"]*)\"");
    private static final Pattern OPTION = Pattern.compile("<select[^>]*name=\"([^\"]+)\"[^>]*>(.*?)</select>", Pattern.DOTALL);
    private static final Pattern SELECTED = Pattern.compile("<option value=\"([^\"]*)\"( selected)?");
    private final URI base;
    private final Map<String, String> cookies = new LinkedHashMap<>();

    /** A page as it arrived: status, where it redirects, its body. */
    public record Page(int status, URI uri, Optional<String> location, HttpResponse<String> response) {
        public String body() {
            return response.body();
        }

        public String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }
    }

    public Person(URI base) {
        this.base = base;
    }

    public Map<String, String> cookies() {
        return cookies;
    }

    /** GETs {@code uri}, following redirects while they stay on Gatehouse; returns the last page or the redirect out. */
    public Page open(URI uri) {
        Page page = send(HttpRequest.newBuilder(uri).GET());
        int hops = 0;
        while (page.location().isPresent() && hops++ < 10) {
            URI next = page.uri().resolve(page.location().get());
            if (!sameOrigin(next)) {
                return page;
            }
            page = send(HttpRequest.newBuilder(next).GET());
        }
        return page;
    }

    /**
     * Submits the form whose action is {@code action}, with its hidden and pre-filled fields, the
     * ones given replacing or adding to them; follows redirects as {@link #open} does.
     */
    public Page submit(Page page, String action, Map<String, List<String>> fields) {
        Map<String, List<String>> values = formFields(page.body(), action);
        values.putAll(fields);
        StringBuilder body = new StringBuilder();
        values.forEach((k, vs) -> vs.forEach(v -> {
            if (!body.isEmpty()) {
                body.append('&');
            }
            body.append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        }));
        Page answer = send(HttpRequest.newBuilder(page.uri().resolve(action))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Origin", base.getScheme() + "://" + base.getRawAuthority())
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
        if (answer.location().isPresent() && sameOrigin(answer.uri().resolve(answer.location().get()))) {
            return open(answer.uri().resolve(answer.location().get()));
        }
        return answer;
    }

    /** The named fields of the form posting to {@code action}, as a person would send them untouched. */
    public static Map<String, List<String>> formFields(String html, String action) {
        Matcher form = FORM.matcher(html);
        while (form.find()) {
            if (!form.group(1).equals(action)) {
                continue;
            }
            Map<String, List<String>> out = new LinkedHashMap<>();
            Matcher input = INPUT.matcher(form.group(2));
            while (input.find()) {
                Map<String, String> attrs = new LinkedHashMap<>();
                Matcher a = ATTR.matcher(input.group(1));
                while (a.find()) {
                    attrs.put(a.group(1), unescape(a.group(2)));
                }
                String type = attrs.getOrDefault("type", "text");
                String name = attrs.get("name");
                if (name == null || type.equals("password")) {
                    continue;
                }
                if (type.equals("checkbox") && !input.group(1).contains(" checked")) {
                    continue;
                }
                out.computeIfAbsent(name, n -> new ArrayList<>()).add(attrs.getOrDefault("value", ""));
            }
            Matcher select = OPTION.matcher(form.group(2));
            while (select.find()) {
                Matcher o = SELECTED.matcher(select.group(2));
                String chosen = null;
                while (o.find()) {
                    if (chosen == null || o.group(2) != null) {
                        chosen = unescape(o.group(1));
                    }
                }
                if (chosen != null) {
                    out.put(select.group(1), List.of(chosen));
                }
            }
            return out;
        }
        throw new AssertionError("no form posting to " + action + " in:\n" + html);
    }

    /** The query parameters of a redirect to a client. */
    public static Map<String, List<String>> query(URI uri) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        String q = uri.getRawQuery();
        if (q == null) {
            return out;
        }
        for (String pair : q.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(k, n -> new ArrayList<>()).add(v);
        }
        return out;
    }

    private Page send(HttpRequest.Builder request) {
        if (!cookies.isEmpty()) {
            request.header("Cookie", String.join("; ", cookies.entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).toList()));
        }
        request.timeout(Duration.ofSeconds(20));
        HttpRequest built = request.build();
        try {
            HttpResponse<String> r = CLIENT.send(built, HttpResponse.BodyHandlers.ofString());
            for (String set : r.headers().allValues("Set-Cookie")) {
                String pair = set.split(";", 2)[0];
                int eq = pair.indexOf('=');
                String name = pair.substring(0, eq).strip();
                String value = pair.substring(eq + 1).strip();
                if (value.isEmpty() || set.toLowerCase().contains("max-age=0")) {
                    cookies.remove(name);
                } else {
                    cookies.put(name, value);
                }
            }
            return new Page(r.statusCode(), built.uri(), r.headers().firstValue("Location"), r);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private boolean sameOrigin(URI uri) {
        return base.getScheme().equals(uri.getScheme()) && base.getRawAuthority().equals(uri.getRawAuthority());
    }

    private static String unescape(String s) {
        return s.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")
                .replace("&amp;", "&");
    }
}
