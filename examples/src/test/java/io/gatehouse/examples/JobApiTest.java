package io.gatehouse.examples;

import io.modelcontextprotocol.json.McpJsonDefaults;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The demo job API over real HTTP with java.net.http. */
final class JobApiTest {
    private static DemoUpstream upstream;
    private static HttpClient http;

    @BeforeAll
    static void start() {
        upstream = DemoUpstream.start("127.0.0.1", 0);
        http = HttpClient.newHttpClient();
    }

    @AfterAll
    static void stop() {
        http.close();
        upstream.close();
    }

    @Test
    void generateQueuesAJobThatSucceedsAboutASecondLater() throws Exception {
        long started = System.nanoTime();
        HttpResponse<String> created = send(post("/api/v1/generate", "application/json", "{\"prompt\": \"a lighthouse\"}"));
        assertThat(created.statusCode()).isEqualTo(202);
        Map<String, Object> job = json(created);
        assertThat(job).containsEntry("status", "queued");
        assertThat((String) job.get("id")).matches("job_[0-9a-f]{24}");
        String location = created.headers().firstValue("Location").orElseThrow();
        assertThat(location).isEqualTo("/api/v1/jobs/" + job.get("id"));

        Map<String, Object> polled = json(send(get(location)));
        while (polled.get("status").equals("running")) {
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
            assertThat(polled).containsEntry("id", job.get("id")).containsEntry("result", null);
            Thread.sleep(100);
            polled = json(send(get(location)));
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
        assertThat(polled).containsEntry("status", "succeeded")
                .containsEntry("result", Map.of("output", "echo: a lighthouse"));
    }

    @Test
    void generateWithoutAJsonContentTypeIs415() throws Exception {
        HttpResponse<String> response = send(post("/api/v1/generate", "text/plain", "{\"prompt\": \"x\"}"));
        assertThat(response.statusCode()).isEqualTo(415);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        assertThat(error(response)).containsEntry("code", "unsupported_media_type");
    }

    @Test
    void generateAcceptsACharsetParameter() throws Exception {
        HttpResponse<String> response = send(post("/api/v1/generate", "Application/JSON; charset=utf-8",
                "{\"prompt\": \"x\"}"));
        assertThat(response.statusCode()).isEqualTo(202);
    }

    @Test
    void generateWithBrokenJsonIs400() throws Exception {
        assertThat(send(post("/api/v1/generate", "application/json", "{\"prompt\": ")).statusCode()).isEqualTo(400);
        assertThat(send(post("/api/v1/generate", "application/json", "[1, 2]")).statusCode()).isEqualTo(400);
        HttpResponse<String> noPrompt = send(post("/api/v1/generate", "application/json", "{\"prompt\": 7}"));
        assertThat(noPrompt.statusCode()).isEqualTo(400);
        assertThat(error(noPrompt)).containsEntry("code", "bad_request");
    }

    @Test
    void generateOnlyTakesPost() throws Exception {
        HttpResponse<String> response = send(get("/api/v1/generate"));
        assertThat(response.statusCode()).isEqualTo(405);
        assertThat(response.headers().firstValue("Allow")).hasValue("POST");
    }

    @Test
    void unknownJobIs404() throws Exception {
        HttpResponse<String> response = send(get("/api/v1/jobs/job_doesnotexist"));
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(error(response)).containsEntry("code", "not_found");
    }

    @Test
    void headersShowsWhatArrivedWithLowerCasedNames() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(url("/api/v1/headers"))
                .header("X-Forwarded-For-Test", "alpha")
                .header("Authorization", "Bearer upstream-assertion")
                .POST(HttpRequest.BodyPublishers.ofString("ignored"))
                .build();
        HttpResponse<String> response = send(request);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response))
                .containsEntry("x-forwarded-for-test", "alpha")
                .containsEntry("authorization", "Bearer upstream-assertion")
                .containsKey("host");
        assertThat(send(get("/api/v1/headers")).statusCode()).isEqualTo(200);
    }

    private static HttpRequest post(String path, String contentType, String body) {
        return HttpRequest.newBuilder(url(path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static HttpRequest get(String path) {
        return HttpRequest.newBuilder(url(path)).GET().build();
    }

    private static URI url(String path) {
        return URI.create(upstream.baseUrl() + path);
    }

    private static HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(HttpResponse<String> response) throws IOException {
        return McpJsonDefaults.getMapper().readValue(response.body(), Map.class);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> error(HttpResponse<String> response) throws IOException {
        return (Map<String, Object>) json(response).get("error");
    }
}
