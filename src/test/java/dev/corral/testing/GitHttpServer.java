package dev.corral.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A git smart-HTTP server for tests: {@code git http-backend} behind HTTP Basic auth that accepts exactly one
 * user and token, on 127.0.0.1. Serves every repository under {@code root}; pushes are allowed for the user.
 */
public final class GitHttpServer implements AutoCloseable {
    private final HttpServer server;
    private final AtomicInteger refused = new AtomicInteger();

    public GitHttpServer(Path root, String user, String token) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        String expected = "Basic " + Base64.getEncoder().encodeToString((user + ":" + token).getBytes(StandardCharsets.UTF_8));
        server.createContext("/", ex -> {
            try (ex) {
                if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                    refused.incrementAndGet();
                    ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"git\"");
                    ex.sendResponseHeaders(401, -1);
                    return;
                }
                cgi(ex, root, user);
            }
        });
        server.start();
    }

    private static void cgi(HttpExchange ex, Path root, String user) throws IOException {
        var pb = new ProcessBuilder("git", "http-backend");
        var env = pb.environment();
        env.put("GIT_PROJECT_ROOT", root.toString());
        env.put("GIT_HTTP_EXPORT_ALL", "1");
        env.put("REMOTE_USER", user);
        env.put("REQUEST_METHOD", ex.getRequestMethod());
        env.put("PATH_INFO", ex.getRequestURI().getPath());
        env.put("QUERY_STRING", ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery());
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        if (type != null) env.put("CONTENT_TYPE", type);
        String encoding = ex.getRequestHeaders().getFirst("Content-Encoding");
        if (encoding != null) env.put("HTTP_CONTENT_ENCODING", encoding);
        String protocol = ex.getRequestHeaders().getFirst("Git-Protocol");
        if (protocol != null) env.put("GIT_PROTOCOL", protocol);
        Process p = pb.start();
        Thread feeder = Thread.ofVirtual().start(() -> {
            try (var in = ex.getRequestBody(); var out = p.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException ignored) {
                // backend stopped reading
            }
        });
        byte[] output = p.getInputStream().readAllBytes();
        try {
            feeder.join();
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // CGI output: headers, blank line, body.
        int split = indexOf(output, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        int skip = 4;
        if (split < 0) {
            split = indexOf(output, "\n\n".getBytes(StandardCharsets.ISO_8859_1));
            skip = 2;
        }
        String head = new String(output, 0, Math.max(0, split), StandardCharsets.ISO_8859_1);
        int status = 200;
        for (String line : head.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon <= 0) continue;
            String name = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Status")) status = Integer.parseInt(value.split(" ")[0]);
            else ex.getResponseHeaders().add(name, value);
        }
        byte[] body = split < 0 ? output : java.util.Arrays.copyOfRange(output, split + skip, output.length);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) ex.getResponseBody().write(body);
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= data.length; i++) {
            for (int j = 0; j < pattern.length; j++) if (data[i + j] != pattern[j]) continue outer;
            return i;
        }
        return -1;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Requests refused for a missing or wrong credential. */
    public int refused() {
        return refused.get();
    }

    static byte[] readAll(InputStream in) throws IOException {
        var out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
