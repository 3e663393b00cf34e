package dev.corral.preview;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One HTTP/1.1 exchange over an already connected socket (a relay into a sandbox), with {@code Connection: close}.
 * Request and response bodies are streamed. Not thread-safe; one instance per exchange.
 */
public final class UnixHttp {
    /** Hop-by-hop headers, never forwarded in either direction. */
    static final Set<String> HOP = Set.of("connection", "keep-alive", "proxy-connection", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host", "expect", "content-length");

    /** A response head and its body (de-chunked, bounded by Content-Length, or until the server closes). */
    public record Response(int status, List<Map.Entry<String, String>> headers, InputStream body) {
        public String header(String name) {
            for (var h : headers) if (h.getKey().equalsIgnoreCase(name)) return h.getValue();
            return null;
        }
    }

    private final SocketChannel channel;
    private final InputStream in;
    private final OutputStream out;

    public UnixHttp(SocketChannel channel) {
        this.channel = channel;
        this.in = new BufferedInputStream(Channels.newInputStream(channel), 16 * 1024);
        this.out = new BufferedOutputStream(Channels.newOutputStream(channel), 16 * 1024);
    }

    public InputStream in() {
        return in;
    }

    public OutputStream out() {
        return out;
    }

    /** Writes a request head; {@code extra} headers are written as given (after hop-by-hop ones are dropped). */
    public void writeHead(String method, String target, String host, List<Map.Entry<String, String>> headers,
                   List<String> rawExtra) throws IOException {
        var s = new StringBuilder();
        s.append(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
        for (var h : headers) {
            if (HOP.contains(h.getKey().toLowerCase(Locale.ROOT))) continue;
            if (!validHeader(h.getKey(), h.getValue())) continue;
            s.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
        }
        for (String line : rawExtra) s.append(line).append("\r\n");
        s.append("\r\n");
        out.write(s.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Sends a request whose body (if any) is {@code body}; {@code length} -1 means unknown (sent chunked). */
    public void sendRequest(String method, String target, String host, List<Map.Entry<String, String>> headers,
                     InputStream body, long length) throws IOException {
        var extra = new ArrayList<String>();
        extra.add("Connection: close");
        if (body != null) extra.add(length >= 0 ? "Content-Length: " + length : "Transfer-Encoding: chunked");
        writeHead(method, target, host, headers, extra);
        if (body != null) {
            byte[] buf = new byte[16 * 1024];
            int n;
            while ((n = body.read(buf)) >= 0) {
                if (n == 0) continue;
                if (length < 0) out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(buf, 0, n);
                if (length < 0) out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            if (length < 0) out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.flush();
    }

    /** Reads the response head (skipping 1xx interim responses other than 101) and frames its body. */
    public Response readResponse(boolean headRequest) throws IOException {
        while (true) {
            String status = line();
            if (status == null) throw new EOFException("the server closed the connection without answering");
            String[] parts = status.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) throw new IOException("not an HTTP response: " + status);
            int code;
            try {
                code = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IOException("not an HTTP response: " + status);
            }
            var headers = new ArrayList<Map.Entry<String, String>>();
            String l;
            while ((l = line()) != null && !l.isEmpty()) {
                int colon = l.indexOf(':');
                if (colon > 0) headers.add(Map.entry(l.substring(0, colon).trim(), l.substring(colon + 1).trim()));
            }
            if (code >= 100 && code < 200 && code != 101) continue;
            var r = new Response(code, headers, InputStream.nullInputStream());
            InputStream body;
            String te = r.header("Transfer-Encoding");
            String cl = r.header("Content-Length");
            if (headRequest || code == 204 || code == 304 || code == 101) body = InputStream.nullInputStream();
            else if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) body = new Chunked(in);
            else if (cl != null) body = new Bounded(in, Long.parseLong(cl.trim()));
            else body = in;
            return new Response(code, headers, body);
        }
    }

    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private String line() throws IOException {
        return readLine(in);
    }

    static String readLine(InputStream in) throws IOException {
        var b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') break;
            if (b.size() > 64 * 1024) throw new IOException("header line too long");
            b.write(c);
        }
        if (c < 0 && b.size() == 0) return null;
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    static boolean validHeader(String name, String value) {
        return name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+") && value.indexOf('\r') < 0 && value.indexOf('\n') < 0;
    }

    /** A Content-Length body. */
    private static final class Bounded extends FilterInputStream {
        private long left;

        Bounded(InputStream in, long length) {
            super(in);
            this.left = length;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) return -1;
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) throw new EOFException("the server closed the connection before the whole body");
            left -= n;
            return n;
        }
    }

    /** A chunked body, de-chunked; trailers are read and dropped. */
    private static final class Chunked extends FilterInputStream {
        private long left;
        private boolean done;

        Chunked(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) return -1;
            if (left == 0) {
                String size = readLine(in);
                if (size == null) throw new EOFException("truncated chunked body");
                int semi = size.indexOf(';');
                left = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
                if (left == 0) {
                    String t;
                    while ((t = readLine(in)) != null && !t.isEmpty()) { /* trailer */ }
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) throw new EOFException("truncated chunked body");
            left -= n;
            if (left == 0) readLine(in);
            return n;
        }
    }
}
