package io.gatehouse.examples;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The demo HTTP job API under {@code /api/v1}, the kind of API Gatehouse puts keys in front of:
 * <pre>
 * POST /api/v1/generate   {"prompt": "…"}  → 202 {"id", "status": "queued"}, Location: /api/v1/jobs/{id}
 * GET  /api/v1/jobs/{id}                   → 200 {"id", "status": "running" | "succeeded", "result"}
 * ANY  /api/v1/headers                     → 200 the request headers received (lower-cased names)
 * </pre>
 * Errors are {@code {"error": {"code", "message"}}}.
 */
final class JobApiServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    static final String PREFIX = "/api/v1";
    private static final int MAX_BODY_BYTES = 1 << 20;

    private final transient JobStore jobs;

    JobApiServlet(JobStore jobs) {
        this.jobs = jobs;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getPathInfo() == null ? "" : request.getPathInfo();
        String method = request.getMethod();
        if (path.equals("/headers")) {
            send(response, 200, RequestHeaders.of(request));
        } else if (path.equals("/generate")) {
            if (method.equals("POST")) {
                generate(request, response);
            } else {
                methodNotAllowed(response, "POST");
            }
        } else if (path.startsWith("/jobs/") && path.length() > "/jobs/".length()) {
            if (method.equals("GET") || method.equals("HEAD")) {
                job(path.substring("/jobs/".length()), response);
            } else {
                methodNotAllowed(response, "GET, HEAD");
            }
        } else {
            error(response, 404, "not_found", "No such endpoint: " + PREFIX + path);
        }
    }

    private void generate(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!isJson(request.getContentType())) {
            error(response, 415, "unsupported_media_type", "Send the job as Content-Type: application/json");
            return;
        }
        byte[] body;
        try (InputStream in = request.getInputStream()) {
            body = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (body.length > MAX_BODY_BYTES) {
            error(response, 413, "payload_too_large", "The body is larger than " + MAX_BODY_BYTES + " bytes");
            return;
        }
        Object prompt;
        try {
            prompt = Json.readObject(body).get("prompt");
        } catch (IOException e) {
            error(response, 400, "bad_request", "The body is not a JSON object");
            return;
        }
        if (!(prompt instanceof String text)) {
            error(response, 400, "bad_request", "The body needs a string field \"prompt\"");
            return;
        }
        JobStore.Job job = jobs.create(text);
        response.setHeader("Location", PREFIX + "/jobs/" + job.id());
        send(response, 202, Map.of("id", job.id(), "status", "queued"));
    }

    private void job(String id, HttpServletResponse response) throws IOException {
        JobStore.Job job = jobs.find(id).orElse(null);
        if (job == null) {
            error(response, 404, "not_found", "No job with id " + id);
            return;
        }
        boolean done = jobs.status(job) == JobStore.Status.SUCCEEDED;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", job.id());
        body.put("status", done ? "succeeded" : "running");
        body.put("result", done ? Map.of("output", "echo: " + job.prompt()) : null);
        send(response, 200, body);
    }

    /** application/json with or without parameters (charset), any case. */
    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String mediaType = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim();
        return mediaType.toLowerCase(Locale.ROOT).equals("application/json");
    }

    private static void methodNotAllowed(HttpServletResponse response, String allow) throws IOException {
        response.setHeader("Allow", allow);
        error(response, 405, "method_not_allowed", "Allowed: " + allow);
    }

    private static void error(HttpServletResponse response, int status, String code, String message)
            throws IOException {
        send(response, status, Map.of("error", Map.of("code", code, "message", message)));
    }

    private static void send(HttpServletResponse response, int status, Object body) throws IOException {
        byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("application/json");
        response.setContentLength(bytes.length);
        response.setHeader("Cache-Control", "no-store");
        response.getOutputStream().write(bytes);
    }
}
