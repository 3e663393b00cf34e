package dev.corral.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The allow-listing HTTP(S) proxy of one sandbox in network mode {@code proxy}. It listens on a Unix socket that the
 * sandbox reaches through a relay on its own {@code 127.0.0.1:3128} ({@code HTTP_PROXY}/{@code HTTPS_PROXY} point
 * there). {@code CONNECT host:port} tunnels and absolute-form plain HTTP requests are let through only to allowed hosts;
 * everything else gets a 403 that names the host. Every decision is logged.
 *
 * <p>Allow entries: {@code example.com} (that host, any port), {@code *.example.com} (any subdomain),
 * {@code host:port} (that port only).
 */
public final class EgressProxy implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EgressProxy.class);
    /** Port of the relay inside the sandbox. */
    public static final int SANDBOX_PORT = 3128;
    private static final int MAX_HEAD = 64 * 1024;

    private final String workspace;
    private final List<String> allow;
    private final ServerSocketChannel server;
    private final Set<AutoCloseable> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private EgressProxy(String workspace, List<String> allow, ServerSocketChannel server) {
        this.workspace = workspace;
        this.allow = allow.stream().map(a -> a.trim().toLowerCase(Locale.ROOT)).filter(a -> !a.isEmpty()).toList();
        this.server = server;
    }

    public static EgressProxy start(String workspace, Path socket, List<String> allow) throws IOException {
        Files.deleteIfExists(socket);
        var server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        var proxy = new EgressProxy(workspace, allow, server);
        Thread.ofVirtual().name("egress-" + workspace).start(proxy::acceptLoop);
        return proxy;
    }

    /** Whether {@code host:port} is on the allow list. */
    public boolean allows(String host, int port) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
        for (String a : allow) {
            String pattern = a;
            int colon = a.lastIndexOf(':');
            if (colon > 0 && !a.endsWith("]") && a.indexOf(':') == colon) {
                if (!a.substring(colon + 1).equals(String.valueOf(port))) continue;
                pattern = a.substring(0, colon);
            }
            if (pattern.startsWith("*.") ? h.endsWith(pattern.substring(1)) : h.equals(pattern)) return true;
        }
        return false;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel c = server.accept();
                Thread.ofVirtual().start(() -> serve(c));
            } catch (IOException e) {
                if (closed) return;
            }
        }
    }

    private void serve(SocketChannel client) {
        open.add(client);
        try (client) {
            OutputStream out = new ChannelOut(client);
            var headAndRest = readHead(client);
            if (headAndRest == null) return;
            String text = headAndRest[0];
            byte[] rest = headAndRest[1].getBytes(StandardCharsets.ISO_8859_1);
            int eol = text.indexOf("\r\n");
            String[] requestLine = text.substring(0, eol < 0 ? text.length() : eol).split(" ");
            if (requestLine.length != 3) {
                refuse(out, 400, "malformed proxy request");
                return;
            }
            String method = requestLine[0];
            String host;
            int port;
            String originForm = null;
            if (method.equals("CONNECT")) {
                int colon = requestLine[1].lastIndexOf(':');
                if (colon <= 0) {
                    refuse(out, 400, "CONNECT needs host:port");
                    return;
                }
                host = requestLine[1].substring(0, colon);
                port = parsePort(requestLine[1].substring(colon + 1));
            } else {
                URI uri;
                try {
                    uri = URI.create(requestLine[1]);
                } catch (IllegalArgumentException e) {
                    refuse(out, 400, "malformed request target");
                    return;
                }
                if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                    refuse(out, 400, "only absolute http:// URLs and CONNECT go through this proxy");
                    return;
                }
                host = uri.getHost();
                port = uri.getPort() > 0 ? uri.getPort() : 80;
                originForm = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                        + (uri.getRawQuery() != null ? "?" + uri.getRawQuery() : "");
            }
            if (port <= 0 || !allows(host, port)) {
                log.warn("egress denied: workspace {} -> {}:{} ({})", workspace, host, port, method);
                refuse(out, 403, "egress to " + host + ":" + port + " is not allowed for workspace " + workspace
                        + " (add it to network.allow)");
                return;
            }
            log.info("egress allowed: workspace {} -> {}:{} ({})", workspace, host, port, method);
            try (Socket upstream = new Socket()) {
                upstream.connect(new InetSocketAddress(host, port), 10_000);
                open.add(upstream);
                OutputStream up = upstream.getOutputStream();
                if (originForm != null) {
                    up.write(rewrite(text, method, originForm, requestLine[2]).getBytes(StandardCharsets.ISO_8859_1));
                    up.write(rest);
                } else {
                    up.write(rest);
                    out.write("HTTP/1.1 200 Connection Established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                }
                if (originForm != null) {
                    // One request per client connection: the upstream was asked to close after its answer, and the
                    // client is told the same, so it never sends a second request down a connection that is done.
                    Thread forward = Thread.ofVirtual().start(() -> {
                        pipe(new ChannelIn(client), up);
                        shutdownOutput(upstream);
                    });
                    InputStream upIn = new java.io.BufferedInputStream(upstream.getInputStream());
                    if (copyResponseHead(upIn, out)) pipe(upIn, out);
                    client.close();
                    upstream.close();
                    forward.join();
                } else {
                    Thread back = Thread.ofVirtual().start(() -> pipe(upstreamIn(upstream), out));
                    pipe(new ChannelIn(client), up);
                    upstream.shutdownOutput();
                    back.join();
                }
            } catch (IOException e) {
                refuse(out, 502, "cannot reach " + host + ":" + port + ": " + e.getMessage());
            } finally {
                open.removeIf(o -> o instanceof Socket s && s.isClosed());
            }
        } catch (IOException | InterruptedException e) {
            // client went away
        } finally {
            open.remove(client);
        }
    }

    private static void shutdownOutput(Socket s) {
        try {
            s.shutdownOutput();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /**
     * Copies the upstream's response head to the client with {@code Connection: close} in place of its own
     * connection headers (interim 1xx heads pass as they are, up to the final one). False at EOF or on a head
     * larger than 64 KiB.
     */
    private static boolean copyResponseHead(InputStream in, OutputStream out) throws IOException {
        while (true) {
            var head = new java.io.ByteArrayOutputStream();
            int last4 = 0;
            while (last4 != 0x0d0a0d0a) {
                int b = in.read();
                if (b < 0 || head.size() > MAX_HEAD) return false;
                head.write(b);
                last4 = (last4 << 8) | b;
            }
            String text = head.toString(StandardCharsets.ISO_8859_1);
            if (text.matches("(?s)HTTP/1\\.\\d 1\\d\\d .*")) {
                out.write(head.toByteArray());
                if (text.startsWith(" 101 ", 8)) return true; // switched protocols: the rest is not HTTP
                continue;
            }
            var sb = new StringBuilder();
            for (String l : text.split("\r\n")) {
                if (l.isEmpty()) continue;
                String lower = l.toLowerCase(Locale.ROOT);
                if (lower.startsWith("connection:") || lower.startsWith("keep-alive:") || lower.startsWith("proxy-connection:")) continue;
                sb.append(l).append("\r\n");
            }
            out.write(sb.append("Connection: close\r\n\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return true;
        }
    }

    private static InputStream upstreamIn(Socket s) {
        try {
            return s.getInputStream();
        } catch (IOException e) {
            return InputStream.nullInputStream();
        }
    }

    /** The request head in origin form, without hop-by-hop proxy headers, asking the server to close afterwards. */
    private static String rewrite(String head, String method, String originForm, String version) {
        var sb = new StringBuilder(method).append(' ').append(originForm).append(' ').append(version).append("\r\n");
        String[] lines = head.split("\r\n");
        for (int i = 1; i < lines.length; i++) {
            String l = lines[i];
            if (l.isEmpty()) continue;
            String lower = l.toLowerCase(Locale.ROOT);
            if (lower.startsWith("proxy-") || lower.startsWith("connection:") || lower.startsWith("keep-alive:")) continue;
            sb.append(l).append("\r\n");
        }
        return sb.append("Connection: close\r\n\r\n").toString();
    }

    private static int parsePort(String s) {
        try {
            int p = Integer.parseInt(s);
            return p > 0 && p < 65536 ? p : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Reads the request head (up to the blank line); returns it and any bytes read past it, as ISO-8859-1 strings.
     * Null on EOF or a head larger than 64 KiB.
     */
    private static String[] readHead(SocketChannel in) throws IOException {
        var buf = new StringBuilder();
        var chunk = java.nio.ByteBuffer.allocate(4096);
        while (buf.length() <= MAX_HEAD) {
            chunk.clear();
            if (in.read(chunk) < 0) return null;
            buf.append(new String(chunk.array(), 0, chunk.position(), StandardCharsets.ISO_8859_1));
            int end = buf.indexOf("\r\n\r\n");
            if (end >= 0) return new String[] {buf.substring(0, end + 4), buf.substring(end + 4)};
        }
        return null;
    }

    /** Blocking stream views of a socket channel (reads and writes may run on different threads). */
    private static final class ChannelIn extends InputStream {
        private final SocketChannel ch;

        ChannelIn(SocketChannel ch) {
            this.ch = ch;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return ch.read(java.nio.ByteBuffer.wrap(b, off, len));
        }
    }

    private static final class ChannelOut extends OutputStream {
        private final SocketChannel ch;

        ChannelOut(SocketChannel ch) {
            this.ch = ch;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            var buf = java.nio.ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) ch.write(buf);
        }
    }

    private static void refuse(OutputStream out, int status, String why) throws IOException {
        String reason = switch (status) {
            case 403 -> "Forbidden";
            case 502 -> "Bad Gateway";
            default -> "Bad Request";
        };
        byte[] body = ("corral: " + why + "\n").getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: text/plain\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    private static void pipe(InputStream from, OutputStream to) {
        byte[] buf = new byte[32 * 1024];
        try {
            int n;
            while ((n = from.read(buf)) >= 0) {
                to.write(buf, 0, n);
                to.flush();
            }
        } catch (IOException ignored) {
            // one side closed
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing anyway
            }
        }
    }
}
