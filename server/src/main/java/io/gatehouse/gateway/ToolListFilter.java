package io.gatehouse.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.gatehouse.http.Json;
import io.helidon.webserver.http.ServerResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Relays an answer to a request containing {@code tools/list}, keeping only the tools the caller
 * may use, whether the upstream answered with one JSON body or with Server-Sent Events (each
 * event is rewritten only if it carries that answer; every other event passes as it came, at once).
 */
final class ToolListFilter {
    private static final int MAX_JSON_ANSWER = 16 * 1024 * 1024;

    private ToolListFilter() {
    }

    static void relay(Upstream.Answer answer, ServerResponse res, Consumer<ServerResponse> headerHook,
                      Set<String> listIds, Predicate<String> usable) {
        boolean sse = answer.isEventStream();
        Upstream.copyHead(answer, res, false);
        headerHook.accept(res);
        try (InputStream in = answer.body(); OutputStream out = res.outputStream()) {
            if (sse) {
                events(in, out, listIds, usable);
            } else {
                byte[] body = in.readNBytes(MAX_JSON_ANSWER);
                out.write(json(body, listIds, usable));
            }
        } catch (IOException | RuntimeException e) {
            throw Upstream.streamBroken(e);
        }
    }

    private static byte[] json(byte[] body, Set<String> listIds, Predicate<String> usable) throws IOException {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (IOException notJson) {
            return body; // not ours to judge: the client sees what the upstream sent
        }
        if (root == null) {
            return body;
        }
        if (root.isArray()) {
            ArrayNode out = Json.MAPPER.createArrayNode();
            root.forEach(m -> out.add(JsonRpc.filterToolList(m, listIds, usable).orElse(m)));
            return Json.MAPPER.writeValueAsBytes(out);
        }
        Optional<JsonNode> filtered = JsonRpc.filterToolList(root, listIds, usable);
        return filtered.isPresent() ? Json.MAPPER.writeValueAsBytes(filtered.get()) : body;
    }

    /** SSE framing per the HTML Living Standard § 9.2.6: events end at a blank line. */
    private static void events(InputStream in, OutputStream out, Set<String> listIds, Predicate<String> usable)
            throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        List<String> event = new ArrayList<>();
        String line;
        while ((line = reader.readLine()) != null) {
            if (!line.isEmpty()) {
                event.add(line);
                continue;
            }
            out.write(rewrite(event, listIds, usable).getBytes(StandardCharsets.UTF_8));
            out.flush();
            event.clear();
        }
        if (!event.isEmpty()) {
            out.write(rewrite(event, listIds, usable).getBytes(StandardCharsets.UTF_8));
        }
    }

    private static String rewrite(List<String> event, Set<String> listIds, Predicate<String> usable) {
        StringBuilder data = new StringBuilder();
        StringBuilder others = new StringBuilder();
        for (String l : event) {
            if (l.startsWith("data:")) {
                data.append(data.isEmpty() ? "" : "\n").append(l.substring(l.startsWith("data: ") ? 6 : 5));
            } else {
                others.append(l).append('\n');
            }
        }
        if (!data.isEmpty()) {
            try {
                Optional<JsonNode> filtered = JsonRpc.filterToolList(Json.MAPPER.readTree(data.toString()), listIds, usable);
                if (filtered.isPresent()) {
                    return others + "data: " + Json.MAPPER.writeValueAsString(filtered.get()) + "\n\n";
                }
            } catch (IOException notJson) {
                // passed on as it came
            }
        }
        return String.join("\n", event) + "\n\n";
    }
}
