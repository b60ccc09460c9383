package io.gatehouse.examples;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.InitializeResult;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The demo MCP server through the MCP Java SDK's own client over Streamable HTTP. */
final class DemoUpstreamMcpTest {
    private static DemoUpstream upstream;

    private final List<Arrival> progress = new CopyOnWriteArrayList<>();
    private McpSyncClient client;

    private record Arrival(ProgressNotification notification, long nanos) {
    }

    @BeforeAll
    static void start() {
        upstream = DemoUpstream.start("127.0.0.1", 0);
    }

    @AfterAll
    static void stop() {
        upstream.close();
    }

    @AfterEach
    void closeClient() {
        if (client != null) {
            client.closeGracefully();
        }
    }

    private McpSyncClient connect() {
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport
                .builder(upstream.baseUrl().toString())
                .endpoint("/mcp")
                .addHttpRequestCustomizer((request, method, uri, body, context) -> request
                        .header("Authorization", "Bearer client-credential")
                        .header("X-Demo-Probe", "probe-42"))
                .build();
        client = McpClient.sync(transport)
                .requestTimeout(Duration.ofSeconds(20))
                .progressConsumer(notification -> progress.add(new Arrival(notification, System.nanoTime())))
                .build();
        return client;
    }

    @Test
    void urlsFollowTheChosenPort() {
        assertThat(upstream.port()).isPositive();
        assertThat(upstream.baseUrl()).hasToString("http://127.0.0.1:" + upstream.port());
        assertThat(upstream.mcpUrl()).hasToString("http://127.0.0.1:" + upstream.port() + "/mcp");
    }

    @Test
    void initializeNegotiatesTheLatestRevisionTheSdkKnows() {
        InitializeResult init = connect().initialize();
        assertThat(init.protocolVersion()).isEqualTo("2025-11-25");
        assertThat(init.serverInfo().name()).isEqualTo(DemoMcpServer.NAME);
        assertThat(init.capabilities().tools()).isNotNull();
    }

    @Test
    void listToolsShowsTheDemoAndConformanceTools() {
        McpSyncClient mcp = connect();
        mcp.initialize();
        List<String> names = mcp.listTools().tools().stream().map(Tool::name).toList();
        assertThat(names).contains("echo", "add", "slow", "whoami", "test_simple_text", "test_tool_with_progress");
        assertThat(mcp.listTools().tools()).allSatisfy(tool -> assertThat(tool.description()).isNotBlank());
    }

    @Test
    void echoReturnsTheText() {
        McpSyncClient mcp = connect();
        mcp.initialize();
        CallToolResult result = mcp.callTool(call("echo", Map.of("text", "hello gatehouse")));
        assertThat(result.isError()).isFalse();
        assertThat(text(result)).isEqualTo("hello gatehouse");
    }

    @Test
    void addReturnsTheSumAsText() {
        McpSyncClient mcp = connect();
        mcp.initialize();
        assertThat(text(mcp.callTool(call("add", Map.of("a", 2, "b", 3))))).isEqualTo("5");
        assertThat(text(mcp.callTool(call("add", Map.of("a", 0.1, "b", 0.2))))).isEqualTo("0.3");
    }

    @Test
    void addWithoutNumbersIsAToolError() {
        McpSyncClient mcp = connect();
        mcp.initialize();
        CallToolResult result = mcp.callTool(call("add", Map.of("a", "two", "b", 3)));
        assertThat(result.isError()).isTrue();
    }

    @Test
    void slowStreamsEveryProgressStepBeforeTheResult() {
        McpSyncClient mcp = connect();
        mcp.initialize();
        long started = System.nanoTime();
        CallToolResult result = mcp.callTool(CallToolRequest.builder("slow")
                .arguments(Map.of("steps", 4, "delay_ms", 300))
                .progressToken("slow-test")
                .build());
        long finished = System.nanoTime();

        assertThat(text(result)).isEqualTo("done after 4 steps");
        assertThat(progress).extracting(a -> a.notification().progress()).containsExactly(1.0, 2.0, 3.0, 4.0);
        assertThat(progress).allSatisfy(a -> {
            assertThat(a.notification().total()).isEqualTo(4.0);
            assertThat(a.notification().progressToken()).isEqualTo("slow-test");
        });
        assertThat(progress.get(0).notification().message()).isEqualTo("step 1 of 4");
        // Streaming, not buffering: the first step is reported about 300 ms in, the result
        // comes about 900 ms after that.
        assertThat(Duration.ofNanos(finished - started)).isGreaterThanOrEqualTo(Duration.ofMillis(1_200));
        assertThat(Duration.ofNanos(finished - progress.get(0).nanos())).isGreaterThanOrEqualTo(Duration.ofMillis(600));
    }

    @Test
    void slowWithoutAProgressTokenSendsNoProgress() {
        McpSyncClient mcp = connect();
        mcp.initialize();
        CallToolResult result = mcp.callTool(call("slow", Map.of("steps", 2, "delay_ms", 10)));
        assertThat(text(result)).isEqualTo("done after 2 steps");
        assertThat(progress).isEmpty();
    }

    @Test
    void whoamiShowsTheHeadersThisUpstreamReceived() throws Exception {
        McpSyncClient mcp = connect();
        mcp.initialize();
        String json = text(mcp.callTool(call("whoami", Map.of())));
        @SuppressWarnings("unchecked")
        Map<String, Object> headers = McpJsonDefaults.getMapper().readValue(json, Map.class);
        assertThat(headers)
                .containsEntry("authorization", "Bearer client-credential")
                .containsEntry("x-demo-probe", "probe-42")
                .containsKey("mcp-session-id")
                .containsKey("host");
        assertThat(headers.keySet()).allSatisfy(name -> assertThat(name).isLowerCase());
    }

    @Test
    void foreignOriginIsRefused() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(upstream.mcpUrl())
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .header("Origin", "http://evil.example.com")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",\
                        "capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"""))
                .build();
        HttpResponse<String> response;
        try (HttpClient http = HttpClient.newHttpClient()) {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        }
        assertThat(response.statusCode()).isEqualTo(403);
    }

    @Test
    void aMessageTheServerCannotTakeIsAnsweredWithAJsonRpcErrorAndNoStackTrace() throws Exception {
        String initialize = """
                {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",\
                "capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""";
        // a batch (no longer in MCP), a message with no session, a body that is not a message
        for (String body : List.of("[" + initialize + "]",
                "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}", "42")) {
            HttpRequest request = HttpRequest.newBuilder(upstream.mcpUrl())
                    .header("Content-Type", "application/json")
                    .header("Accept", "application/json, text/event-stream")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build();
            HttpResponse<String> response;
            try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
                response = http.send(request, HttpResponse.BodyHandlers.ofString());
            }
            assertThat(response.statusCode()).as(body).isEqualTo(400);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/json"));
            assertThat(response.headers().firstValueAsLong("Content-Length"))
                    .hasValue(response.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
            Map<String, Object> answer = Json.readObject(response.body().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertThat(answer).as(body).containsOnlyKeys("jsonrpc", "id", "error").containsEntry("jsonrpc", "2.0")
                    .containsEntry("id", null);
            @SuppressWarnings("unchecked")
            Map<String, Object> error = (Map<String, Object>) answer.get("error");
            assertThat(error).containsOnlyKeys("code", "message").extractingByKey("code").isInstanceOf(Number.class);
            assertThat(response.body()).doesNotContain("stackTrace").doesNotContain("\tat ").doesNotContain("java.");
        }
    }

    private static CallToolRequest call(String tool, Map<String, Object> arguments) {
        return CallToolRequest.builder(tool).arguments(arguments).build();
    }

    private static String text(CallToolResult result) {
        assertThat(result.content()).first().isInstanceOf(TextContent.class);
        return ((TextContent) result.content().get(0)).text();
    }
}
