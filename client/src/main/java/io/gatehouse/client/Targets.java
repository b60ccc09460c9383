package io.gatehouse.client;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a key or server reaches along one axis (workspaces, servers, tools): {@code "*"} for
 * everything, current and future, or a list of ids. The OpenAPI document calls the answer form
 * {@code Targets} and the request form {@code TargetsInput} (or {@code ToolsInput} for tools,
 * whose entries are {@code server/tool}); the JSON is the same.
 *
 * @param all whether the value is {@code "*"}
 * @param ids the ids when {@code all} is false; empty when it is true
 * @see "docs/keys.md, Scope"
 */
public record Targets(boolean all, List<String> ids) {
    /** {@code "*"}: everything, current and future. */
    public static final Targets ALL = new Targets(true, List.of());

    /** Copies {@code ids}; a {@code Targets} that is {@code all} has none. */
    public Targets {
        ids = List.copyOf(ids);
        if (all && !ids.isEmpty()) {
            throw new IllegalArgumentException("\"*\" has no ids");
        }
    }

    /**
     * A list of ids (or slugs, or {@code server/tool} entries for tools).
     *
     * @param ids the ids, none of them null
     * @return the targets
     */
    public static Targets of(String... ids) {
        return new Targets(false, List.of(ids));
    }

    /**
     * A list of ids.
     *
     * @param ids the ids, none of them null
     * @return the targets
     */
    public static Targets of(List<String> ids) {
        return new Targets(false, ids);
    }

    /**
     * Whether {@code id} is reached: always when {@code all}, else when listed.
     *
     * @param id an id
     * @return whether it is covered
     */
    public boolean covers(String id) {
        return all || ids.contains(Objects.requireNonNull(id));
    }

    @JsonValue
    Object json() {
        return all ? "*" : ids;
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static Targets fromJson(JsonNode node) {
        if (node.isTextual() && node.asText().equals("*")) {
            return ALL;
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException("targets are \"*\" or a list, not " + node.getNodeType());
        }
        List<String> ids = new ArrayList<>();
        node.forEach(n -> ids.add(n.asText()));
        return of(ids);
    }

    @Override
    public String toString() {
        return all ? "*" : ids.toString();
    }
}
