package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.errors.ApiError;
import io.gatehouse.http.Json;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JsonRpcTest {
    private static JsonRpc.Inspection inspect(String body) {
        return JsonRpc.inspect(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void inspectWhenBatchThenEveryCallAndListIdFound() {
        JsonRpc.Inspection rpc = inspect("""
                [{"jsonrpc":"2.0","id":1,"method":"tools/list"},
                 {"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"echo","arguments":{}}},
                 {"jsonrpc":"2.0","method":"notifications/initialized"}]""");
        assertThat(rpc.batch()).isTrue();
        assertThat(rpc.toolsListIds()).containsExactly("1");
        assertThat(rpc.toolCalls()).extracting(JsonRpc.Message::toolName).containsExactly("echo");
        assertThat(rpc.toolCalls().getFirst().id().toString()).isEqualTo("\"a\"");
        assertThat(rpc.messages()).extracting(JsonRpc.Message::isRequest).containsExactly(true, true, false);
    }

    @Test
    void inspectWhenNestedValuesThenOnlyTopLevelMembersCount() {
        JsonRpc.Inspection rpc = inspect("""
                {"jsonrpc":"2.0","params":{"arguments":{"name":"not this","method":"tools/list"},"name":"echo",
                 "_meta":{"progressToken":[1,{"id":2}]}},"id":"n-1","method":"tools/call"}""");
        assertThat(rpc.batch()).isFalse();
        assertThat(rpc.toolsListIds()).isEmpty();
        assertThat(rpc.toolCalls()).extracting(JsonRpc.Message::toolName).containsExactly("echo");
        assertThat(rpc.toolCalls().getFirst().id().toString()).isEqualTo("\"n-1\"");
        // MCP ids are strings or integers: a 1.0 could come back as 1 and slip past the tools/list filter.
        for (String id : new String[]{"1.0", "1e0", "{\"weird\":[1]}", "[1]", "true"}) {
            assertThatThrownBy(() -> inspect("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/list\"}"))
                    .as(id).isInstanceOf(ApiError.class).hasMessageContaining("invalid_json");
        }
        assertThat(inspect("{\"jsonrpc\":\"2.0\",\"id\":12345678901,\"method\":\"tools/list\"}").toolsListIds())
                .containsExactly("12345678901");
        assertThatThrownBy(() -> inspect("{\"jsonrpc\":\"2.0\",\"id\":123456789012345678901,\"method\":\"tools/list\"}"))
                .as("an id past 64 bits").isInstanceOf(ApiError.class).hasMessageContaining("invalid_json");
    }

    @Test
    void inspectWhenMemberTwiceThenRefused() {
        // Parsers disagree on which of two equal names wins: the tool checked must be the tool run.
        assertThatThrownBy(() -> inspect("""
                {"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name":"secret"}}"""))
                .isInstanceOf(ApiError.class).hasMessageContaining("invalid_json");
        assertThatThrownBy(() -> inspect("""
                {"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":{"name":"x"}}"""))
                .isInstanceOf(ApiError.class).hasMessageContaining("invalid_json");
        assertThatThrownBy(() -> inspect("{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"ping\"}"))
                .isInstanceOf(ApiError.class).hasMessageContaining("invalid_json");
        // Go's encoding/json matches names ignoring case, folding 'ſ' and 'K'; some parsers drop NULs.
        for (String lookalike : new String[]{"\"Name\"", "\"NAME\"", "\"nam\u0000e\"", "\"name\\u0000\""}) {
            assertThatThrownBy(() -> inspect("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
                    + "{\"name\":\"echo\"," + lookalike + ":\"secret\"}}")).as(lookalike)
                    .isInstanceOf(ApiError.class).hasMessageContaining("invalid_json");
        }
        for (String lookalike : new String[]{"\"Method\"", "\"param\u017f\"", "\"ID\""}) {
            assertThatThrownBy(() -> inspect("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\","
                    + lookalike + ":\"x\"}")).as(lookalike).isInstanceOf(ApiError.class);
        }
    }

    @Test
    void inspectWhenNotUtf8OrWithAByteOrderMarkThenRefused() {
        String ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
        assertThat(JsonRpc.inspect(ping.getBytes(java.nio.charset.StandardCharsets.UTF_8)).messages()).hasSize(1);
        for (java.nio.charset.Charset charset : new java.nio.charset.Charset[]{java.nio.charset.StandardCharsets.UTF_16LE,
                java.nio.charset.StandardCharsets.UTF_16BE, java.nio.charset.StandardCharsets.UTF_16,
                java.nio.charset.Charset.forName("UTF-32")}) {
            assertThatThrownBy(() -> JsonRpc.inspect(ping.getBytes(charset))).as(charset.name())
                    .isInstanceOf(ApiError.class).hasMessageContaining("invalid_json");
        }
        assertThatThrownBy(() -> JsonRpc.inspect(("\ufeff" + ping).getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .as("a byte order mark").isInstanceOf(ApiError.class).hasMessageContaining("invalid_json");
    }

    @Test
    void inspectWhenNotJsonRpcThenInvalidRequest() {
        assertThatThrownBy(() -> inspect("not json")).isInstanceOf(ApiError.class);
        assertThatThrownBy(() -> inspect("[]")).isInstanceOf(ApiError.class);
        assertThatThrownBy(() -> inspect("[1]")).isInstanceOf(ApiError.class);
        assertThatThrownBy(() -> inspect("42")).isInstanceOf(ApiError.class);
        assertThatThrownBy(() -> inspect("{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1} {}")).isInstanceOf(ApiError.class);
        assertThatThrownBy(() -> inspect("{\"jsonrpc\":\"2.0\",\"method\":\"ping\"")).isInstanceOf(ApiError.class);
        assertThatThrownBy(() -> inspect("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":3}}"))
                .isInstanceOf(ApiError.class).hasMessageContaining("invalid_tool_call");
        assertThatThrownBy(() -> inspect("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{}}"))
                .isInstanceOf(ApiError.class).hasMessageContaining("invalid_tool_call");
        // A tools/call without an id is a notification: answered by no one, it must not be priced or run
        for (String call : new String[]{"{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":{\"name\":\"add\"}}",
                "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"tools/call\",\"params\":{\"name\":\"add\"}}",
                "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\","
                        + "\"params\":{\"name\":\"add\"}}]"}) {
            assertThatThrownBy(() -> inspect(call)).as(call).isInstanceOf(ApiError.class)
                    .hasMessageContaining("invalid_tool_call");
        }
        assertThat(inspect("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"x\"}}")
                .messages()).as("an error answer's id may be null").hasSize(1);
        String longest = "t".repeat(JsonRpc.MAX_TOOL_NAME);
        assertThat(inspect("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\""
                + longest + "\"}}").toolCalls().getFirst().toolName()).isEqualTo(longest);
        assertThatThrownBy(() -> inspect("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\""
                + longest + "x\"}}")).isInstanceOf(ApiError.class).hasMessageContaining("invalid_tool_call");
    }

    @Test
    void filterToolListWhenAnswerToListThenOnlyUsableToolsKept() throws Exception {
        JsonNode answer = Json.MAPPER.readTree("""
                {"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"echo"},{"name":"add"},{"name":"secret"}],"nextCursor":"c"}}""");
        JsonNode filtered = JsonRpc.filterToolList(answer, Set.of("1"), t -> !t.equals("secret")).orElseThrow();
        assertThat(filtered.path("result").path("tools").findValuesAsText("name")).containsExactly("echo", "add");
        assertThat(filtered.path("result").path("nextCursor").asText()).isEqualTo("c");
        assertThat(JsonRpc.filterToolList(answer, Set.of("2"), t -> false)).isEmpty();
        assertThat(JsonRpc.filterToolList(answer, Set.of("\"1\""), t -> false)).as("id 1 is not id \"1\"").isEmpty();
    }

    @Test
    void errorWhenRequestHasIdThenSameIdAndReason() throws Exception {
        JsonRpc.Message req = inspect("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"x\"}}")
                .messages().getFirst();
        JsonNode err = JsonRpc.error(req, JsonRpc.FORBIDDEN, "no", "tool_not_allowed");
        assertThat(err.path("id").asInt()).isEqualTo(7);
        assertThat(err.path("error").path("code").asInt()).isEqualTo(-32003);
        assertThat(err.path("error").path("data").path("reason").asText()).isEqualTo("tool_not_allowed");
    }
}
