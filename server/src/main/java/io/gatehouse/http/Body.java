package io.gatehouse.http;

import io.gatehouse.errors.ApiError;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A JSON object body read against an allow-list: each endpoint names the fields it accepts, and
 * every read checks the type and says which field is wrong.
 */
public final class Body {
    private final JsonNode node;

    Body(JsonNode node) {
        this.node = node;
    }

    /** Refuses any field not in {@code allowed}. */
    public Body allow(String... allowed) {
        Set<String> names = Set.of(allowed);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!names.contains(field)) {
                throw ApiError.invalid(printable(field) + ": unknown field; accepted: " + String.join(", ", allowed));
            }
        }
        return this;
    }

    public boolean has(String field) {
        return node.has(field) && !node.get(field).isNull();
    }

    /** The whole object, for a reader of its own shape (a payment system's event, say). */
    public JsonNode node() {
        return node;
    }

    public JsonNode raw(String field) {
        return node.get(field);
    }

    public String string(String field, int maxLength) {
        return optString(field, maxLength).orElseThrow(() -> ApiError.invalid(field + ": required"));
    }

    public Optional<String> optString(String field, int maxLength) {
        if (!has(field)) {
            return Optional.empty();
        }
        return Optional.of(text(node.get(field), field, maxLength));
    }

    public Optional<Boolean> optBoolean(String field) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonNode v = node.get(field);
        if (!v.isBoolean()) {
            throw ApiError.invalid(field + ": must be true or false");
        }
        return Optional.of(v.booleanValue());
    }

    public Optional<Long> optLong(String field, long min, long max) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonNode v = node.get(field);
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < min || v.longValue() > max) {
            throw ApiError.invalid(field + ": must be a whole number from " + min + " to " + max);
        }
        return Optional.of(v.longValue());
    }

    /** A time given as an ISO-8601 instant ({@code 2027-01-31T00:00:00Z}) or a date (midnight UTC). */
    public Optional<Instant> optInstant(String field) {
        return optString(field, 64).map(s -> {
            Instant t;
            try {
                t = s.length() == 10 ? LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(s);
            } catch (DateTimeParseException e) {
                throw ApiError.invalid(field + ": must be an ISO-8601 date or time such as 2027-01-31T00:00:00Z");
            }
            return ofOurEra(t, field);
        });
    }

    private static final Instant FIRST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LAST = Instant.parse("9999-12-31T23:59:59.999Z");

    /**
     * {@code t}, when it lies in the years 1 to 9999 (ISO 8601's four digits); else 400 naming
     * {@code field}. Java parses times from year -999,999,999 on, past what milliseconds since 1970
     * hold in a long: such a time must be refused here, not overflow where it is stored or compared.
     */
    public static Instant ofOurEra(Instant t, String field) {
        if (t.isBefore(FIRST) || t.isAfter(LAST)) {
            throw ApiError.invalid(field + ": a time in the years 1 to 9999");
        }
        return t;
    }

    private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    /**
     * A list of ids, or {@code "*"} (returned as empty). Ids are letters, digits, {@code _ . -}: they
     * are stored space-separated, and {@code "*"} inside a list would read back as "everything".
     */
    public Optional<Optional<Set<String>>> optIdsOrAll(String field, int maxItems) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonNode v = node.get(field);
        if (v.isTextual() && v.textValue().equals("*")) {
            return Optional.of(Optional.empty());
        }
        Set<String> ids = stringSet(v, field, maxItems);
        for (String id : ids) {
            if (!ID.matcher(id).matches()) {
                throw ApiError.invalid(field + ": '" + printable(id) + "' is not an id (letters, digits, _ . -)");
            }
        }
        return Optional.of(Optional.of(ids));
    }

    public Optional<Set<String>> optStringSet(String field, int maxItems) {
        return has(field) ? Optional.of(stringSet(node.get(field), field, maxItems)) : Optional.empty();
    }

    public List<Body> objects(String field, int maxItems) {
        JsonNode v = node.get(field);
        if (v == null || !v.isArray() || v.isEmpty() || v.size() > maxItems) {
            throw ApiError.invalid(field + ": must be a list of 1 to " + maxItems + " objects");
        }
        List<Body> out = new ArrayList<>();
        for (JsonNode item : v) {
            if (!item.isObject()) {
                throw ApiError.invalid(field + ": every item must be an object");
            }
            out.add(new Body(item));
        }
        return out;
    }

    private static Set<String> stringSet(JsonNode v, String field, int maxItems) {
        if (!v.isArray() || v.size() > maxItems) {
            throw ApiError.invalid(field + ": must be \"*\" or a list of at most " + maxItems + " strings");
        }
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode item : v) {
            out.add(text(item, field, 128));
        }
        return out;
    }

    private static String text(JsonNode v, String field, int maxLength) {
        if (!v.isTextual()) {
            throw ApiError.invalid(field + ": must be a string");
        }
        String s = v.textValue();
        if (s.length() > maxLength) {
            throw ApiError.invalid(field + ": longer than " + maxLength + " characters");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c)) {
                throw ApiError.invalid(field + ": contains control characters");
            }
            if (Character.isHighSurrogate(c) ? i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(++i))
                    : Character.isLowSurrogate(c)) {
                throw ApiError.invalid(field + ": contains an unpaired surrogate");
            }
        }
        return s;
    }

    private static String printable(String field) {
        String cut = field.length() > 40 ? field.substring(0, 40) + "…" : field;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
