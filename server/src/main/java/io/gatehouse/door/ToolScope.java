package io.gatehouse.door;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.errors.ApiError;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The tools a credential may use, as {@link Targets}: everything, or entries {@code server/tool}
 * where {@code server} is a server's id or slug and {@code tool} a tool name or {@code *}. A list is
 * an allow-list: a tool it does not name is neither listed nor callable, on any server.
 */
public final class ToolScope {
    /** MCP tool names (2025-11-25, "Tools" § Tool names): 1 to 128 of A-Z a-z 0-9 _ - . */
    private static final Pattern ENTRY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}/(\\*|[A-Za-z0-9_.-]{1,128})");

    private ToolScope() {
    }

    /** Reads {@code "*"} or a list of {@code server/tool} entries, the value of {@code field} if it was sent. */
    public static Optional<Targets> read(Optional<JsonNode> value, String field) {
        if (value.isEmpty()) {
            return Optional.empty();
        }
        JsonNode v = value.get();
        if (v.isTextual() && v.textValue().equals("*")) {
            return Optional.of(Targets.ALL);
        }
        if (!v.isArray() || v.size() > 1000) {
            throw ApiError.invalid(field + ": must be \"*\" or a list of at most 1000 'server/tool' entries");
        }
        Set<String> entries = new LinkedHashSet<>();
        for (JsonNode item : v) {
            if (!item.isTextual() || !ENTRY.matcher(item.textValue()).matches()) {
                throw ApiError.invalid(field + ": every entry must look like 'server/tool' or 'server/*'");
            }
            entries.add(item.textValue());
        }
        return Optional.of(Targets.of(entries));
    }

    /** Whether {@code scope} lets a caller use {@code tool} on the server known as {@code serverId} or {@code slug}. */
    public static boolean allows(Targets scope, String serverId, String slug, String tool) {
        return scope.all()
                || scope.ids().contains(serverId + "/" + tool) || scope.ids().contains(slug + "/" + tool)
                || scope.ids().contains(serverId + "/*") || scope.ids().contains(slug + "/*");
    }
}
