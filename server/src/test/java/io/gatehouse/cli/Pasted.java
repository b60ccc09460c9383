package io.gatehouse.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A person at a shell, pasting what the README or a banner shows: one line at a time, in bash, with
 * the variables they exported, each {@code …} placeholder replaced by what the last command printed
 * (a key, an invitation token, an id), and {@code ./gatehouse} meaning this checkout's launcher.
 */
final class Pasted {
    static final Pattern KEY = Pattern.compile("gk_live_[0-9A-Za-z]{32}_[0-9A-Za-z]{6}");
    static final Pattern TOKEN = Pattern.compile("gh_inv_[0-9A-Za-z]{32}");
    private static final Pattern EXPORT = Pattern.compile("^export\\s+(.*?)\\s*(#.*)?$");

    private final Path root;
    private final Path cwd;
    private final Map<String, String> env = new HashMap<>();
    private final Map<String, String> replacements = new HashMap<>();
    private String lastKey;
    private String lastToken;

    /** What one line printed, and how it ended. */
    record Ran(String line, int exit, String out) {
    }

    Pasted(Path root, Path cwd) {
        this.root = root;
        this.cwd = cwd;
    }

    /** A literal of the text to replace wherever it appears (a port, an id), as a person would. */
    Pasted replacing(String text, String with) {
        replacements.put(text, with);
        return this;
    }

    Pasted exporting(String name, String value) {
        env.put(name, value);
        return this;
    }

    String lastKey() {
        return lastKey;
    }

    /** Runs {@code line}; an {@code export} line sets variables for the lines after it. */
    Ran run(String line) throws IOException, InterruptedException {
        String pasted = fill(line);
        Matcher export = EXPORT.matcher(pasted);
        if (export.matches()) {
            for (String assignment : export.group(1).split("\\s+")) {
                int eq = assignment.indexOf('=');
                env.put(assignment.substring(0, eq), assignment.substring(eq + 1));
            }
            return new Ran(pasted, 0, "");
        }
        ProcessBuilder bash = new ProcessBuilder("bash", "-c", pasted).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        bash.environment().putAll(env);
        // The build that runs this test made the jars; a launcher rebuilding them now would pull the classes
        // out from under the tests still running.
        bash.environment().put("GATEHOUSE_NO_BUILD", "1");
        Process p = bash.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("did not finish: " + pasted);
        }
        String text = new String(out, StandardCharsets.UTF_8);
        remember(text);
        return new Ran(pasted, p.exitValue(), text);
    }

    /** Notes the key and the token a command printed, for the placeholders of the lines after it. */
    void remember(String printed) {
        lastKey = last(KEY, printed, lastKey);
        lastToken = last(TOKEN, printed, lastToken);
    }

    /** The line without its trailing shell comment (a '#' after a blank, outside quotes). */
    static String uncommented(String line) {
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                quote = c == quote ? 0 : quote;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return line.substring(0, i).stripTrailing();
            }
        }
        return line;
    }

    private String fill(String line) {
        line = uncommented(line);
        String out = line.replace("./gatehouse ", root.resolve("gatehouse") + " ");
        for (Map.Entry<String, String> r : replacements.entrySet()) {
            out = out.replace(r.getKey(), r.getValue());
        }
        if (out.contains("gk_live_…")) {
            out = out.replace("gk_live_…", require(lastKey, "a key printed before: " + line));
        }
        if (out.contains("gh_inv_…")) {
            out = out.replace("gh_inv_…", require(lastToken, "a token printed before: " + line));
        }
        return out;
    }

    private static String require(String value, String what) {
        if (value == null) {
            throw new AssertionError("nothing to paste: " + what);
        }
        return value;
    }

    private static String last(Pattern p, String text, String otherwise) {
        String found = otherwise;
        Matcher m = p.matcher(text);
        while (m.find()) {
            found = m.group();
        }
        return found;
    }

    /** The lines of every {@code ```bash} block of a Markdown file, continuation lines joined. */
    static List<List<String>> bashBlocks(Path markdown) throws IOException {
        List<List<String>> blocks = new ArrayList<>();
        List<String> current = null;
        StringBuilder pending = new StringBuilder();
        for (String line : Files.readAllLines(markdown)) {
            if (current == null && line.strip().equals("```bash")) {
                current = new ArrayList<>();
            } else if (current != null && line.strip().equals("```")) {
                blocks.add(current);
                current = null;
            } else if (current != null) {
                pending.append(line);
                if (line.endsWith("\\")) {
                    pending.append('\n');
                } else {
                    current.add(pending.toString());
                    pending.setLength(0);
                }
            }
        }
        return blocks;
    }
}
