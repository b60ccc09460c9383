package io.gatehouse.gateway;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Predicate;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A small blocking HTTP/1.1 client for the proxy's upstream side, written for virtual threads: one
 * request is one write, the answer is read straight off the socket, and a chunked body hands each
 * chunk's bytes to the reader as soon as they arrive (the CRLF that ends a chunk is consumed on the
 * next read, not waited for), so every Server-Sent Event is relayed the moment the upstream sends
 * it. Connections are kept alive and reused per origin.
 *
 * <p>Why not an existing client: Helidon's delivers a chunk only once its trailing CRLF arrives,
 * which servers such as Jetty send with the next chunk (every event one event late); the JDK's
 * streams correctly but its asynchronous machinery cost more than everything else on the proxy's
 * path put together (see docs/benchmarks.md).
 *
 * <p>RFC 9112 §6.3 (message body length) and §7.1 (chunked transfer coding) are what it implements.
 */
final class Http1Client implements AutoCloseable {
    private static final int MAX_IDLE_PER_ORIGIN = 64;
    private static final long MAX_IDLE_MILLIS = 30_000;
    static final int MAX_HEAD_BYTES = 64 * 1024;

    /** The connection could not be made: nothing was sent. */
    static final class ConnectFailed extends IOException {
        ConnectFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The connection ended before a byte of the answer: a kept-alive one the server had closed. */
    static final class ClosedBeforeAnswer extends EOFException {
        ClosedBeforeAnswer() {
            super("the upstream closed the connection before answering");
        }
    }

    /** The host resolved only to addresses this client may not connect to: nothing was tried. */
    static final class AddressNotAllowed extends IOException {
        AddressNotAllowed(String message) {
            super(message);
        }
    }

    /** The answer: its status, its headers (names as sent), and its body, to be read or closed. */
    record Response(int status, Map<String, List<String>> headers, InputStream body) {
    }

    private record Origin(String scheme, String host, int port) {
    }

    private static final class Connection {
        final Socket socket;
        final SocketReader in;
        final OutputStream out;
        final Set<Connection> open;
        long idleSince;

        Connection(Socket socket, Set<Connection> open) throws IOException {
            this.socket = socket;
            this.in = new SocketReader(socket.getInputStream());
            this.out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
            this.open = open;
            open.add(this);
        }

        void close() {
            open.remove(this);
            try {
                socket.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }

    private final Duration connectTimeout;
    private final Predicate<InetAddress> allowed;
    private final SSLSocketFactory tls;
    private final Map<Origin, ConcurrentLinkedDeque<Connection>> idle = new ConcurrentHashMap<>();
    /** Every connection not yet closed, idle or carrying an answer: closing the client ends them all. */
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    Http1Client(Duration connectTimeout) {
        this(connectTimeout, address -> true);
    }

    /** @param allowed the addresses it may connect to, checked against every resolution of a host */
    Http1Client(Duration connectTimeout, Predicate<InetAddress> allowed) {
        this(connectTimeout, allowed, (SSLSocketFactory) SSLSocketFactory.getDefault());
    }

    /** @param tls the JVM's trust by default; another for tests with their own certificate authority */
    Http1Client(Duration connectTimeout, Predicate<InetAddress> allowed, SSLSocketFactory tls) {
        this.connectTimeout = connectTimeout;
        this.allowed = allowed;
        this.tls = tls;
    }

    /**
     * Sends one request and reads the answer's head.
     *
     * @param headers    name/value pairs, sent as given (no Host, Content-Length or Transfer-Encoding)
     * @param body       the whole body, or null for none or a streamed one
     * @param streamed   a body of unknown or given length ({@code length} -1: chunked), or null
     * @param headTimeout how long the answer's head may take
     */
    Response send(String method, URI target, List<String[]> headers, byte[] body, InputStream streamed, long length,
                  Duration headTimeout) throws IOException {
        Origin origin = origin(target);
        byte[] head = head(method, target, origin, headers, body, streamed, length);
        Connection reused = checkout(origin);
        if (reused != null) {
            try {
                return exchange(reused, origin, method, head, body, streamed, length, headTimeout);
            } catch (IOException stale) {
                reused.close();
                // RFC 9112 §9.3.1: a kept-alive connection the server closed meanwhile is retried on a new
                // one, but only then: not a timeout, not a broken answer (the request may have run), and
                // never with a streamed body (it cannot be sent twice).
                boolean closedMeanwhile = stale instanceof ClosedBeforeAnswer || stale instanceof java.net.SocketException;
                if (streamed != null || !closedMeanwhile) {
                    throw stale;
                }
            }
        }
        return exchange(connect(origin), origin, method, head, body, streamed, length, headTimeout);
    }

    private Response exchange(Connection c, Origin origin, String method, byte[] head, byte[] body, InputStream streamed,
                              long length, Duration headTimeout) throws IOException {
        try {
            c.out.write(head);
            if (body != null) {
                c.out.write(body);
            } else if (streamed != null) {
                copyBody(streamed, length, c.out);
            }
            c.out.flush();
            c.socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, headTimeout.toMillis())));
            int status;
            String statusLine;
            Map<String, List<String>> headers;
            do {
                statusLine = line(c.in);
                if (statusLine == null) {
                    throw new ClosedBeforeAnswer();
                }
                status = status(statusLine);
                headers = headers(c.in);
            } while (interim(status));
            c.socket.setSoTimeout(0);
            // RFC 9112 §9.3: HTTP/1.1 persists unless it says close; HTTP/1.0 only if it says keep-alive.
            boolean http11 = statusLine.charAt(7) == '1';
            boolean keepAlive = http11
                    ? !token(headers, "connection", "close") : token(headers, "connection", "keep-alive");
            InputStream bodyStream = body(c, origin, method, status, headers, keepAlive, http11);
            return new Response(status, headers, bodyStream);
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private InputStream body(Connection c, Origin origin, String method, int status, Map<String, List<String>> headers,
                             boolean keepAlive, boolean http11) throws IOException {
        if (method.equals("HEAD") || status == 204 || status == 304) {
            release(c, origin, keepAlive);
            return InputStream.nullInputStream();
        }
        List<String> codings = headers.get("transfer-encoding");
        if (codings != null) {
            // RFC 9112 §6.1: chunked is the only coding a proxy can pass on as it is, since a relayed
            // body is framed afresh. §6.3 (3): a Content-Length next to it is dropped, so the client
            // never sees a length that is not the relayed body's, and the connection is not reused;
            // §6.1 again: Transfer-Encoding in an HTTP/1.0 answer means faulty framing, so no reuse.
            if (codings.size() != 1 || !codings.getFirst().equalsIgnoreCase("chunked")) {
                throw new IOException("the upstream sent a transfer coding other than chunked");
            }
            boolean alsoLength = headers.remove("content-length") != null;
            return new Chunked(c, origin, keepAlive && http11 && !alsoLength);
        }
        List<String> length = headers.get("content-length");
        if (length != null && !length.isEmpty()) {
            long n = contentLength(length);
            if (n == 0) {
                release(c, origin, keepAlive);
                return InputStream.nullInputStream();
            }
            return new Fixed(c, origin, keepAlive, n);
        }
        return new UntilClose(c); // RFC 9112 §6.3 (8): the body ends when the connection does
    }

    /**
     * RFC 9110 §8.6: digits only; RFC 9112 §6.3 (5): several values (in several fields or one list)
     * are accepted only when they are all the same, since otherwise the body's end is ambiguous.
     */
    static long contentLength(List<String> fields) throws IOException {
        String agreed = null;
        for (String field : fields) {
            for (String part : field.split(",", -1)) {
                String given = part.strip();
                if (given.isEmpty() || given.length() > 18 || !given.chars().allMatch(ch -> digit((char) ch))) {
                    throw new IOException("the upstream sent a malformed Content-Length");
                }
                if (agreed != null && Long.parseLong(agreed) != Long.parseLong(given)) {
                    throw new IOException("the upstream sent differing Content-Length values");
                }
                agreed = given;
            }
        }
        return Long.parseLong(agreed);
    }

    private static void copyBody(InputStream in, long length, OutputStream out) throws IOException {
        if (length >= 0) {
            in.transferTo(out);
            return;
        }
        byte[] buffer = new byte[16 * 1024];
        int n;
        while ((n = in.read(buffer)) > 0) {
            out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(buffer, 0, n);
            out.write('\r');
            out.write('\n');
        }
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] head(String method, URI target, Origin origin, List<String[]> headers, byte[] body,
                               InputStream streamed, long length) {
        Head h = new Head();
        String path = target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath();
        h.text(method).text(" ").text(path);
        if (target.getRawQuery() != null) {
            h.text("?").text(target.getRawQuery());
        }
        h.text(" HTTP/1.1").crlf().text("Host: ").text(origin.host().contains(":") ? "[" + origin.host() + "]" : origin.host());
        if (origin.port() != (origin.scheme().equals("https") ? 443 : 80)) {
            h.text(":").text(Integer.toString(origin.port()));
        }
        h.crlf();
        for (String[] field : headers) {
            h.text(field[0]).text(": ").text(field[1]).crlf();
        }
        if (body != null) {
            h.text("Content-Length: ").text(Integer.toString(body.length)).crlf();
        } else if (streamed != null) {
            h.text(length >= 0 ? "Content-Length: " + length : "Transfer-Encoding: chunked").crlf();
        } else if (method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
            h.text("Content-Length: 0").crlf();
        }
        return h.crlf().bytes();
    }

    /** A request head, encoded as it is built: each character checked as it is copied, in one pass. */
    private static final class Head {
        private byte[] buf = new byte[512];
        private int size;

        /**
         * RFC 9110 §5.5: no CR, LF or NUL inside a field; nothing past Latin-1 either. The text is
         * encoded in bulk (a copy, for a Latin-1 string), then its bytes are checked: a character
         * past Latin-1 shows as a '?' that the text does not have.
         */
        Head text(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
            for (int i = 0; i < bytes.length; i++) {
                byte b = bytes[i];
                if (b == '\r' || b == '\n' || b == 0 || (b == '?' && s.charAt(i) != '?')) {
                    throw new IllegalArgumentException("a header field cannot be forwarded");
                }
            }
            room(bytes.length);
            System.arraycopy(bytes, 0, buf, size, bytes.length);
            size += bytes.length;
            return this;
        }

        Head crlf() {
            room(2);
            buf[size++] = '\r';
            buf[size++] = '\n';
            return this;
        }

        private void room(int n) {
            if (size + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
            }
        }

        byte[] bytes() {
            return Arrays.copyOf(buf, size);
        }
    }

    /**
     * RFC 9112 §7.1: a chunk size line is 1 to 15 hex digits, then optional white space and
     * {@code ;extensions}, then the line end (its CR may still be there). Anything else, a sign or a
     * {@code 0x} included, is -1.
     */
    static long chunkSize(String line) {
        int i = 0;
        long size = 0;
        while (i < line.length() && Character.digit(line.charAt(i), 16) >= 0 && line.charAt(i) < 0x80) {
            if (i == 15) {
                return -1;
            }
            size = size * 16 + Character.digit(line.charAt(i), 16);
            i++;
        }
        if (i == 0) {
            return -1;
        }
        String after = line.substring(i);
        String beforeExtensions = after.contains(";") ? after.substring(0, after.indexOf(';')) : after;
        return beforeExtensions.isBlank() || beforeExtensions.equals("\r") ? size : -1;
    }

    /**
     * The whole of an answer's body when its length was given and all of it has arrived with the
     * head (a small answer usually has): it can then leave in one write. Null otherwise, and then
     * nothing has been taken from {@code body}.
     */
    static byte[] takeIfArrived(InputStream body) throws IOException {
        if (body instanceof Fixed fixed) {
            return fixed.takeIfArrived();
        }
        return body instanceof Chunked chunked ? chunked.takeIfArrived() : null;
    }

    private static Origin origin(URI target) {
        String scheme = target.getScheme().toLowerCase(Locale.ROOT);
        int port = target.getPort() > 0 ? target.getPort() : scheme.equals("https") ? 443 : 80;
        String host = target.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new Origin(scheme, host, port);
    }

    /** Resolves the host now (a name may have moved), then tries each address it may use, in order. */
    private Connection connect(Origin origin) throws IOException {
        IOException last = null;
        for (InetAddress address : resolve(origin.host(), allowed)) {
            try {
                return connect(origin, address);
            } catch (IOException e) {
                last = e;
            }
        }
        throw new ConnectFailed("cannot connect to " + origin.host() + ":" + origin.port() + ": " + last, last);
    }

    /**
     * The addresses {@code host} resolves to now that a connection may use, in the resolver's order,
     * each keeping the host's name (for TLS's SNI and name check). Blocks on a lookup.
     *
     * @throws ConnectFailed      when the host does not resolve
     * @throws AddressNotAllowed  when it resolves only to addresses {@code allowed} refuses
     */
    static List<InetAddress> resolve(String host, Predicate<InetAddress> allowed) throws IOException {
        InetAddress[] all;
        try {
            all = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new ConnectFailed("cannot resolve " + host, e);
        }
        List<InetAddress> usable = new ArrayList<>(all.length);
        for (InetAddress address : all) {
            if (allowed.test(address)) {
                usable.add(InetAddress.getByAddress(host, address.getAddress()));
            }
        }
        if (usable.isEmpty()) {
            throw new AddressNotAllowed(host + " resolves only to addresses this server may not reach");
        }
        return usable;
    }

    private Connection connect(Origin origin, InetAddress address) throws IOException {
        Socket socket;
        if (origin.scheme().equals("https")) {
            SSLSocket tlsSocket = (SSLSocket) tls.createSocket();
            // A bare SSLSocket checks the certificate's chain but not its name: ask for RFC 9110 §4.3.4's check.
            SSLParameters params = tlsSocket.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            tlsSocket.setSSLParameters(params);
            socket = tlsSocket;
        } else {
            socket = new Socket();
        }
        try {
            socket.setTcpNoDelay(true);
            socket.setKeepAlive(true);
            // The address keeps the host's name, so TLS sends it (SNI) and checks the certificate against it.
            socket.connect(new InetSocketAddress(address, origin.port()),
                    (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
            return new Connection(socket, open);
        } catch (IOException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // never opened
            }
            throw e;
        }
    }

    private Connection checkout(Origin origin) {
        ConcurrentLinkedDeque<Connection> pool = idle.get(origin);
        if (pool == null) {
            return null;
        }
        long now = System.currentTimeMillis();
        Connection c;
        while ((c = pool.pollFirst()) != null) {
            if (now - c.idleSince < MAX_IDLE_MILLIS && !c.socket.isClosed()) {
                return c;
            }
            c.close();
        }
        return null;
    }

    private void release(Connection c, Origin origin, boolean keepAlive) {
        // Bytes past the end of the answer: the upstream and this client disagree on framing, and the
        // next request on this connection would read them as its answer.
        if (!keepAlive || closed || c.in.buffered() > 0) {
            c.close();
            return;
        }
        ConcurrentLinkedDeque<Connection> pool = idle.computeIfAbsent(origin, o -> new ConcurrentLinkedDeque<>());
        if (pool.size() >= MAX_IDLE_PER_ORIGIN) {
            c.close();
            return;
        }
        c.idleSince = System.currentTimeMillis();
        pool.addFirst(c);
    }

    /** Closes every connection: the idle ones, and those still carrying an answer (which then ends). */
    @Override
    public void close() {
        closed = true;
        idle.values().forEach(pool -> {
            Connection c;
            while ((c = pool.pollFirst()) != null) {
                c.close();
            }
        });
        List.copyOf(open).forEach(Connection::close);
    }

    // --- reading -----------------------------------------------------------------------------

    /** One line of an answer's head or chunk framing, without its CRLF; null at the end of the stream. */
    private static String line(SocketReader in) throws IOException {
        return in.line(MAX_HEAD_BYTES);
    }

    /** RFC 9112 §4: {@code HTTP/1.x SP 3DIGIT SP [reason]}; the space before an empty reason may be missing. */
    static int status(String line) throws IOException {
        if (line.length() < 12 || !line.startsWith("HTTP/1.") || (line.charAt(7) != '0' && line.charAt(7) != '1')) {
            throw new IOException("the upstream did not answer in HTTP/1.1");
        }
        if (line.charAt(8) != ' ' || !digit(line.charAt(9)) || !digit(line.charAt(10)) || !digit(line.charAt(11))
                || line.length() > 12 && line.charAt(12) != ' ' || line.charAt(9) == '0') {
            throw new IOException("the upstream sent a malformed status line");
        }
        return (line.charAt(9) - '0') * 100 + (line.charAt(10) - '0') * 10 + (line.charAt(11) - '0');
    }

    /**
     * RFC 9110 §15.2: an interim 1xx answer, skipped, never passed on. A 101 is not one here:
     * Gatehouse never asks an upstream to switch protocols, so one that does has failed.
     */
    static boolean interim(int status) throws IOException {
        if (status == 101) {
            throw new IOException("the upstream switched protocols, which Gatehouse never asks it to");
        }
        return status >= 100 && status < 200;
    }

    private static boolean digit(char c) {
        return c >= '0' && c <= '9';
    }

    /** RFC 9110 §5.6.2: a field name is a token. */
    private static boolean tokenChar(char c) {
        return c > ' ' && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
    }

    /** Header names are lower-cased keys; values keep their order. */
    private static Map<String, List<String>> headers(SocketReader in) throws IOException {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        int total = 0;
        String line;
        while ((line = line(in)) != null && !line.isEmpty()) {
            total += line.length();
            if (total > MAX_HEAD_BYTES) {
                throw new IOException("the upstream sent too many headers");
            }
            headerLine(line, headers);
        }
        if (line == null) {
            throw new EOFException("the upstream closed the connection inside its answer's head");
        }
        return headers;
    }

    /**
     * One line of an answer's head into {@code headers}. RFC 9112 §5: a name is a token right before
     * its colon, so no obsolete line folding and no space before the colon; RFC 9110 §5.5: a bare CR
     * or a NUL in a value is refused, since what the client's side would make of it differs from
     * what this side reads.
     */
    static void headerLine(String line, Map<String, List<String>> headers) throws IOException {
        int colon = line.indexOf(':');
        if (colon <= 0) {
            throw new IOException("the upstream sent a malformed header");
        }
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (i < colon ? !tokenChar(ch) : ch == '\r' || ch == 0) {
                throw new IOException("the upstream sent a malformed header");
            }
        }
        headers.computeIfAbsent(line.substring(0, colon).toLowerCase(Locale.ROOT), k -> new ArrayList<>(1))
                .add(line.substring(colon + 1).strip());
    }

    static boolean token(Map<String, List<String>> headers, String name, String token) {
        List<String> values = headers.get(name);
        if (values == null) {
            return false;
        }
        for (String v : values) {
            for (String part : v.split(",")) {
                if (part.strip().equalsIgnoreCase(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * A read buffer without the lock {@link java.io.BufferedInputStream} takes on every call: the
     * answer's head is read a byte at a time, by one virtual thread.
     */
    private static final class SocketReader extends InputStream {
        private final InputStream raw;
        private final byte[] buf = new byte[16 * 1024];
        private int pos;
        private int limit;

        SocketReader(InputStream raw) {
            this.raw = raw;
        }

        private boolean fill() throws IOException {
            int n = raw.read(buf, 0, buf.length);
            if (n <= 0) {
                return false;
            }
            pos = 0;
            limit = n;
            return true;
        }

        @Override
        public int read() throws IOException {
            if (pos == limit && !fill()) {
                return -1;
            }
            return buf[pos++] & 0xff;
        }

        /** What is buffered, else one read of the socket: never waits for more than is there. */
        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (pos == limit) {
                if (len >= buf.length) {
                    return raw.read(b, off, len);
                }
                if (!fill()) {
                    return -1;
                }
            }
            int n = Math.min(len, limit - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public int available() throws IOException {
            return limit - pos + raw.available();
        }

        /** Bytes read off the socket and not yet taken. */
        int buffered() {
            return limit - pos;
        }

        /**
         * A chunked body (RFC 9112 §7.1) decoded from what is buffered, if all of it is there: every
         * chunk, the last chunk and the trailer section's end. Otherwise null, and nothing is taken.
         */
        byte[] takeChunkedBody() {
            ByteArrayOutputStream out = new ByteArrayOutputStream(limit - pos);
            int i = pos;
            while (true) {
                int eol = indexOf('\n', i);
                if (eol < 0) {
                    return null;
                }
                long size = chunkSize(i, eol);
                i = eol + 1;
                if (size < 0) {
                    return null; // malformed: left for the streaming reader to refuse
                }
                if (size == 0) {
                    while (true) { // trailer fields, then the empty line that ends the message
                        int end = indexOf('\n', i);
                        if (end < 0) {
                            return null;
                        }
                        boolean empty = end == i || end == i + 1 && buf[i] == '\r';
                        i = end + 1;
                        if (empty) {
                            pos = i;
                            return out.toByteArray();
                        }
                    }
                }
                if (size > limit - i - 2) {
                    return null;
                }
                out.write(buf, i, (int) size);
                i += (int) size;
                if (buf[i] != '\r' || buf[i + 1] != '\n') {
                    return null;
                }
                i += 2;
            }
        }

        private int indexOf(char b, int from) {
            for (int i = from; i < limit; i++) {
                if (buf[i] == b) {
                    return i;
                }
            }
            return -1;
        }

        /** The size on the line {@code [from, eol)}; -1 unless it is what {@link #chunkSize(String)} accepts. */
        private long chunkSize(int from, int eol) {
            return Http1Client.chunkSize(new String(buf, from, eol - from, StandardCharsets.ISO_8859_1));
        }

        /**
         * A line ending in LF (a CR before it dropped), found in the buffer without copying byte by
         * byte; a line that spans two reads of the socket is put together. Null at the end of the stream.
         */
        String line(int max) throws IOException {
            ByteArrayOutputStream spanning = null;
            while (true) {
                for (int i = pos; i < limit; i++) {
                    if (buf[i] == '\n') {
                        int start = pos;
                        pos = i + 1;
                        if (spanning == null) {
                            int end = i > start && buf[i - 1] == '\r' ? i - 1 : i;
                            return new String(buf, start, end - start, StandardCharsets.ISO_8859_1);
                        }
                        spanning.write(buf, start, i - start);
                        byte[] bytes = spanning.toByteArray();
                        int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                        return new String(bytes, 0, end, StandardCharsets.ISO_8859_1);
                    }
                }
                if (spanning == null) {
                    spanning = new ByteArrayOutputStream(128);
                }
                spanning.write(buf, pos, limit - pos);
                pos = limit;
                if (spanning.size() > max) {
                    throw new IOException("the upstream sent a line too long");
                }
                if (!fill()) {
                    return spanning.size() == 0 ? null : spanning.toString(StandardCharsets.ISO_8859_1);
                }
            }
        }
    }

    /** Bodies read in blocks; a single byte is a block of one. */
    private abstract static class BodyStream extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }
    }

    /** A body of known length; the connection is reused once it has been read to the end. */
    private final class Fixed extends BodyStream {
        private final Connection c;
        private final Origin origin;
        private final boolean keepAlive;
        private long remaining;
        private boolean done;

        Fixed(Connection c, Origin origin, boolean keepAlive, long length) {
            this.c = c;
            this.origin = origin;
            this.keepAlive = keepAlive;
            this.remaining = length;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining == 0) {
                finish();
                return -1;
            }
            int n = c.in.read(b, off, (int) Math.min(len, remaining));
            if (n == -1) {
                done = true;
                c.close();
                throw new EOFException("the upstream's answer ended early");
            }
            remaining -= n;
            if (remaining == 0) {
                finish();
            }
            return n;
        }

        /** The rest of the body if all of it is already in the read buffer, else null. */
        byte[] takeIfArrived() throws IOException {
            if (done || remaining > c.in.buffered()) {
                return null;
            }
            byte[] rest = new byte[(int) remaining];
            c.in.readNBytes(rest, 0, rest.length);
            remaining = 0;
            finish();
            return rest;
        }

        private void finish() {
            if (!done) {
                done = true;
                release(c, origin, keepAlive);
            }
        }

        @Override
        public void close() {
            if (!done) {
                done = true;
                c.close(); // unread bytes left: the connection cannot carry another answer
            }
        }
    }

    /** RFC 9112 §7.1: each chunk's bytes are handed on as they arrive. */
    private final class Chunked extends BodyStream {
        private final Connection c;
        private final Origin origin;
        private final boolean keepAlive;
        private long remaining;
        private boolean afterChunk;
        private boolean done;

        Chunked(Connection c, Origin origin, boolean keepAlive) {
            this.c = c;
            this.origin = origin;
            this.keepAlive = keepAlive;
        }

        /** The whole body, if nothing of it has been read and all of it, last chunk included, is buffered. */
        byte[] takeIfArrived() {
            if (done || remaining != 0 || afterChunk) {
                return null;
            }
            byte[] body = c.in.takeChunkedBody();
            if (body != null) {
                done = true;
                release(c, origin, keepAlive);
            }
            return body;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (remaining == 0) {
                if (afterChunk && !"".equals(line(c.in))) {
                    throw fail("a chunk did not end with CRLF");
                }
                String size = line(c.in);
                if (size == null) {
                    throw fail("the upstream's answer ended inside its chunks");
                }
                remaining = chunkSize(size);
                if (remaining < 0) {
                    throw fail("a chunk size is not a number");
                }
                if (remaining == 0) {
                    String trailer;
                    do { // trailers are read and dropped
                        trailer = line(c.in);
                    } while (trailer != null && !trailer.isEmpty());
                    done = true;
                    release(c, origin, keepAlive);
                    return -1;
                }
                afterChunk = true;
            }
            int n = c.in.read(b, off, (int) Math.min(len, remaining));
            if (n == -1) {
                throw fail("the upstream's answer ended inside a chunk");
            }
            remaining -= n;
            return n;
        }

        private IOException fail(String message) {
            done = true;
            c.close();
            return new EOFException(message);
        }

        @Override
        public void close() {
            if (!done) {
                done = true;
                c.close();
            }
        }
    }

    /** A body that ends with the connection (no length, no chunks); never reused. */
    private static final class UntilClose extends InputStream {
        private final Connection c;

        UntilClose(Connection c) {
            this.c = c;
        }

        @Override
        public int read() throws IOException {
            return c.in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return c.in.read(b, off, len);
        }

        @Override
        public void close() {
            c.close();
        }
    }
}
