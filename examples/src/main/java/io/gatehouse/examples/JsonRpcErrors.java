package io.gatehouse.examples;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The MCP endpoint's refusals as JSON-RPC errors. The SDK's servlet transport answers a message it
 * cannot take (no session, a JSON-RPC batch, a body it cannot read) with a 4xx whose body is its
 * {@code McpError} serialized whole: the Java stack trace included, 4 KB of it. A client reads
 * {@code {"jsonrpc":"2.0","id":null,"error":{…}}}; this filter gives it that, with the SDK's own
 * code and message, and leaves every other answer (an event stream above all) untouched.
 */
final class JsonRpcErrors extends HttpFilter {
    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        Refusal refusal = new Refusal(response);
        try {
            chain.doFilter(request, refusal);
        } finally {
            refusal.finish();
        }
    }

    /** Holds back the body of an answer whose status is 400 or more when its body is begun. */
    private static final class Refusal extends HttpServletResponseWrapper {
        private final ByteArrayOutputStream held = new ByteArrayOutputStream();
        private boolean holding;
        private boolean finished;
        private PrintWriter writer;
        private ServletOutputStream stream;

        Refusal(HttpServletResponse response) {
            super(response);
        }

        private boolean refusing() {
            return !finished && getStatus() >= 400;
        }

        @Override
        public ServletOutputStream getOutputStream() throws IOException {
            if (!refusing()) {
                return super.getOutputStream();
            }
            holding = true;
            if (stream == null) {
                stream = new ServletOutputStream() {
                    @Override
                    public void write(int b) {
                        held.write(b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) {
                        held.write(b, off, len);
                    }

                    @Override
                    public boolean isReady() {
                        return true;
                    }

                    @Override
                    public void setWriteListener(WriteListener listener) {
                        throw new UnsupportedOperationException("a refusal is written at once");
                    }
                };
            }
            return stream;
        }

        @Override
        public PrintWriter getWriter() throws IOException {
            if (!refusing()) {
                return super.getWriter();
            }
            holding = true;
            if (writer == null) {
                writer = new PrintWriter(new OutputStreamWriter(held, StandardCharsets.UTF_8));
            }
            return writer;
        }

        // The body is rewritten, so a length set for the SDK's would be wrong.
        @Override
        public void setContentLength(int len) {
            if (!refusing()) {
                super.setContentLength(len);
            }
        }

        @Override
        public void setContentLengthLong(long len) {
            if (!refusing()) {
                super.setContentLengthLong(len);
            }
        }

        void finish() throws IOException {
            finished = true;
            if (!holding) {
                return;
            }
            if (writer != null) {
                writer.flush();
            }
            byte[] body = held.toByteArray();
            byte[] answer = body;
            try {
                Object error = Json.readObject(body).get("jsonRpcError");
                if (error instanceof Map<?, ?> e && e.get("code") instanceof Number code) {
                    Map<String, Object> plain = new LinkedHashMap<>();
                    plain.put("code", code);
                    plain.put("message", String.valueOf(e.get("message")));
                    Map<String, Object> message = new LinkedHashMap<>();
                    message.put("jsonrpc", "2.0");
                    message.put("id", null);
                    message.put("error", plain);
                    answer = Json.write(message).getBytes(StandardCharsets.UTF_8);
                    super.setContentType("application/json");
                }
            } catch (IOException notJson) {
                // not the SDK's serialized error: passed on as it was
            }
            super.setContentLength(answer.length);
            super.getOutputStream().write(answer);
        }
    }
}
