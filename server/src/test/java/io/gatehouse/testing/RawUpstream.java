package io.gatehouse.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream that misbehaves on purpose: it reads each request (head, and a body of declared
 * length) and answers with whatever bytes its script writes, framing and all, so that tests can
 * send what no well-kept HTTP library would (a bad chunk size, status 999, a request dropped after
 * it was read). Every request it read is counted and kept.
 */
public final class RawUpstream implements AutoCloseable {
    /** What to do with the {@code n}th request (from 1): write an answer, or return false to close the connection. */
    public interface Script {
        boolean serve(int n, String head, OutputStream out) throws IOException, InterruptedException;
    }

    private final ServerSocket listener;
    private final Script script;
    private final AtomicInteger requests = new AtomicInteger();
    private final List<String> heads = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    private RawUpstream(Script script) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.script = script;
        Thread.ofVirtual().start(this::accept);
    }

    public static RawUpstream start(Script script) {
        try {
            return new RawUpstream(script);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public URI url(String path) {
        return URI.create("http://127.0.0.1:" + listener.getLocalPort() + path);
    }

    public int requests() {
        return requests.get();
    }

    public List<String> heads() {
        return heads;
    }

    /** How many connections were made to it. */
    public int connections() {
        return sockets.size();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket s = listener.accept();
                sockets.add(s);
                Thread.ofVirtual().start(() -> serve(s));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                long length = 0;
                for (String line : head.split("\r\n")) {
                    if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                        length = Long.parseLong(line.substring(15).strip());
                    }
                }
                in.readNBytes((int) length);
                heads.add(head);
                if (!script.serve(requests.incrementAndGet(), head, out)) {
                    return;
                }
                out.flush();
            }
        } catch (IOException | InterruptedException gone) {
            // the test is over, or Gatehouse closed the connection
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    /** Writes {@code text} (ISO-8859-1) as it is. */
    public static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException ignored) {
            // closed
        }
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closed
            }
        }
    }
}
