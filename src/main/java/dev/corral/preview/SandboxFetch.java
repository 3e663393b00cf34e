package dev.corral.preview;

import dev.corral.CorralException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One HTTP request to a port inside a workspace's sandbox, answered as JSON ({@code POST …/fetch}, vmFetch). */
public final class SandboxFetch {
    static final int MAX_BODY = 8 * 1024 * 1024;

    /**
     * @param bodyEncoding "text" (default) or "base64" for {@code body}
     * @param timeoutMs    how long the whole exchange may take (default 30 s)
     */
    public record Request(Integer port, String path, String method, Map<String, String> headers, String body,
                          String bodyEncoding, Long timeoutMs) {}

    /** @param bodyEncoding "text" when the body is valid UTF-8, else "base64" */
    public record Response(int status, Map<String, String> headers, String body, String bodyEncoding, boolean truncated) {}

    private final PortRelays relays;

    public SandboxFetch(PortRelays relays) {
        this.relays = relays;
    }

    public Response fetch(String workspace, Request req) {
        if (req.port() == null) throw CorralException.badRequest("missing_port", "\"port\" is required");
        PortRelays.checkPort(req.port());
        String path = req.path() == null || req.path().isEmpty() ? "/" : req.path();
        if (!path.startsWith("/") || path.chars().anyMatch(ch -> ch <= ' ' || ch == 127)) {
            throw CorralException.badRequest("invalid_path", "path must start with '/' and contain no spaces or control characters");
        }
        String method = req.method() == null ? "GET" : req.method().toUpperCase(java.util.Locale.ROOT);
        if (!method.matches("[A-Z]{1,16}")) throw CorralException.badRequest("invalid_method", "invalid method " + req.method());
        var headers = new ArrayList<Map.Entry<String, String>>();
        if (req.headers() != null) {
            for (var h : req.headers().entrySet()) {
                if (h.getKey() == null || h.getValue() == null || !UnixHttp.validHeader(h.getKey(), h.getValue())) {
                    throw CorralException.badRequest("invalid_header", "invalid header " + h.getKey());
                }
                headers.add(Map.entry(h.getKey(), h.getValue()));
            }
        }
        byte[] body = null;
        if (req.body() != null) {
            if ("base64".equals(req.bodyEncoding())) {
                try {
                    body = Base64.getDecoder().decode(req.body());
                } catch (IllegalArgumentException e) {
                    throw CorralException.badRequest("invalid_body", "body is not valid base64");
                }
            } else if (req.bodyEncoding() == null || "text".equals(req.bodyEncoding())) {
                body = req.body().getBytes(StandardCharsets.UTF_8);
            } else {
                throw CorralException.badRequest("invalid_body_encoding", "bodyEncoding must be \"text\" or \"base64\"");
            }
        }
        long timeout = req.timeoutMs() == null ? 30_000 : req.timeoutMs();
        if (timeout < 1 || timeout > 600_000) throw CorralException.badRequest("invalid_timeout", "timeoutMs must be between 1 and 600000");

        var http = new UnixHttp(relays.connect(workspace, req.port()));
        // A watchdog closes the socket at the deadline, which ends any blocked read or write.
        var watchdog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(timeout);
                http.close();
            } catch (InterruptedException ignored) {
                // finished in time
            }
        });
        try {
            http.sendRequest(method, path, "localhost:" + req.port(), headers,
                    body == null ? null : new ByteArrayInputStream(body), body == null ? -1 : body.length);
            UnixHttp.Response r = http.readResponse(method.equals("HEAD"));
            var out = new ByteArrayOutputStream();
            boolean truncated = copyAtMost(r.body(), out, MAX_BODY);
            var hs = new LinkedHashMap<String, String>();
            for (var h : r.headers()) hs.merge(h.getKey().toLowerCase(java.util.Locale.ROOT), h.getValue(), (a, b) -> a + ", " + b);
            byte[] bytes = out.toByteArray();
            String text = utf8(bytes);
            return text != null ? new Response(r.status(), hs, text, "text", truncated)
                    : new Response(r.status(), hs, Base64.getEncoder().encodeToString(bytes), "base64", truncated);
        } catch (IOException e) {
            if (!watchdog.isAlive()) {
                throw new CorralException(CorralException.Kind.TIMEOUT, "fetch_timeout", "no complete answer from port "
                        + req.port() + " within " + timeout + " ms");
            }
            throw new CorralException(CorralException.Kind.UNAVAILABLE, "upstream_unreachable",
                    "no HTTP answer from port " + req.port() + " inside the sandbox (is a server listening on 127.0.0.1:"
                            + req.port() + "?): " + e.getMessage());
        } finally {
            watchdog.interrupt();
            http.close();
        }
    }

    private static boolean copyAtMost(InputStream in, ByteArrayOutputStream out, int max) throws IOException {
        byte[] buf = new byte[16 * 1024];
        int n;
        while ((n = in.read(buf)) >= 0) {
            int keep = Math.min(n, max - out.size());
            out.write(buf, 0, keep);
            if (keep < n) return true;
        }
        return false;
    }

    static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

}
