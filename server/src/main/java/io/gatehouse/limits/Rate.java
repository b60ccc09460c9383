package io.gatehouse.limits;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A limit of {@code count} requests per {@code window}, as written in configuration: {@code 10/s},
 * {@code 100/min}, {@code 100/60s}, {@code 5000/h}, {@code 20000/day}. The window is whole seconds
 * because the RateLimit-Policy field can only say whole seconds ({@code w}); {@link #toString} gives
 * the one canonical spelling, which {@link #parse} reads back to an equal rate.
 */
public record Rate(long count, Duration window) {
    public static final long MAX_COUNT = 1_000_000_000L;
    public static final Duration MAX_WINDOW = Duration.ofDays(1);

    private static final Pattern FORM = Pattern.compile("(\\d{1,10})/(\\d{1,5})?(s|sec|m|min|h|hour|d|day)");

    public Rate {
        if (count < 1 || count > MAX_COUNT) {
            throw new IllegalArgumentException("a rate's count must be 1 to " + MAX_COUNT + ", not " + count);
        }
        if (window.toNanosPart() != 0 || window.getSeconds() < 1 || window.compareTo(MAX_WINDOW) > 0) {
            throw new IllegalArgumentException("a rate's window must be whole seconds from 1s to 1 day, not " + window);
        }
    }

    /**
     * Reads {@code <count>/<window>}, the window a unit ({@code s}, {@code min}, {@code h}, {@code day},
     * or {@code sec}, {@code m}, {@code hour}, {@code d}) with an optional whole number before it.
     *
     * @throws IllegalArgumentException naming the text and what was expected
     */
    public static Rate parse(String text) {
        Matcher m = FORM.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a rate: expected <count>/<window>"
                    + " such as 10/s, 100/min, 100/60s, 5000/h or 20000/day");
        }
        long unit = switch (m.group(3)) {
            case "s", "sec" -> 1;
            case "m", "min" -> 60;
            case "h", "hour" -> 3600;
            default -> 86_400;
        };
        long times = m.group(2) == null ? 1 : Long.parseLong(m.group(2));
        try {
            return new Rate(Long.parseLong(m.group(1)), Duration.ofSeconds(times * unit));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a rate: " + e.getMessage(), e);
        }
    }

    /**
     * Whether this rate is no looser than {@code ceiling}: at most its count, over at least its window.
     * Sufficient, not necessary: such a rate never admits more than {@code ceiling} in any stretch of
     * time, but some rates that never do either fail it ({@code 5/30s} under {@code 10/min}: a smaller
     * burst at the same pace). What a credential may give the credentials it creates ({@code keys.KeyReach}).
     */
    public boolean noLooserThan(Rate ceiling) {
        return count <= ceiling.count && window.compareTo(ceiling.window) >= 0;
    }

    /** The largest unit that divides the window, without a count of one: {@code 100/min}, {@code 100/90s}. */
    @Override
    public String toString() {
        long seconds = window.getSeconds();
        long unit = seconds % 86_400 == 0 ? 86_400 : seconds % 3600 == 0 ? 3600 : seconds % 60 == 0 ? 60 : 1;
        String name = switch ((int) unit) {
            case 86_400 -> "day";
            case 3600 -> "h";
            case 60 -> "min";
            default -> "s";
        };
        long times = seconds / unit;
        return count + "/" + (times == 1 ? "" : times) + name;
    }
}
