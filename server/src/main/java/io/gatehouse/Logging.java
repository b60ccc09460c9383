package io.gatehouse;

import java.time.Instant;
import java.util.logging.StreamHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Logs go to standard error, one line each: time, level, logger, message. Standard output is kept
 * for what a command prints for its user (a new key, a JSON answer).
 */
public final class Logging {
    private Logging() {
    }

    public static void configure(String level) {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        Level jul = switch (level) {
            case "ERROR" -> Level.SEVERE;
            case "WARN" -> Level.WARNING;
            case "DEBUG" -> Level.FINE;
            default -> Level.INFO;
        };
        root.setLevel(jul);
        // A plain StreamHandler on stderr: ConsoleHandler.setOutputStream would close System.err itself.
        Handler handler = new StreamHandler(System.err, new OneLine()) {
            @Override
            public synchronized void publish(LogRecord record) {
                super.publish(record);
                flush();
            }

            @Override
            public synchronized void close() {
                flush(); // never close standard error
            }
        };
        handler.setLevel(jul);
        handler.setFormatter(new OneLine());
        root.addHandler(handler);
        // Libraries' DEBUG chatter is not ours to show; their warnings are.
        // Their DEBUG lines can quote a request's path, where a key pasted by mistake would be in plain text.
        // java.util.logging holds loggers weakly: a level set on one nobody references is lost at the next
        // garbage collection, and the library's FINE lines (a path with a pasted key) come back. Kept here.
        CLAMPED.clear();
        for (String noisy : new String[]{"io.helidon", "io.netty", "com.zaxxer.hikari", "org.flywaydb", "org.jdbi"}) {
            Logger logger = Logger.getLogger(noisy);
            logger.setLevel(jul.intValue() < Level.INFO.intValue() ? Level.INFO : jul);
            CLAMPED.add(logger);
        }
    }

    /** The clamped libraries' loggers, strongly held so their levels last. */
    private static final java.util.List<Logger> CLAMPED = new java.util.concurrent.CopyOnWriteArrayList<>();

    static final class OneLine extends Formatter {
        @Override
        public String format(LogRecord r) {
            StringBuilder sb = new StringBuilder(160)
                    .append(Instant.ofEpochMilli(r.getMillis())).append(' ')
                    .append(r.getLevel().getName()).append(' ')
                    .append(r.getLoggerName()).append(": ")
                    .append(formatMessage(r)).append('\n');
            if (r.getThrown() != null) {
                java.io.StringWriter sw = new java.io.StringWriter();
                r.getThrown().printStackTrace(new java.io.PrintWriter(sw));
                sb.append(sw);
            }
            return sb.toString();
        }
    }
}
