package dev.corral.api;

import dev.corral.CorralException;
import dev.corral.preview.PortRelays;
import dev.corral.preview.PreviewTarget;
import dev.corral.preview.Previews;
import dev.corral.preview.UnixHttp;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Serves {@code /preview/{previewId}/{signature}/…} without the API token (the signature is the credential): checks
 * the grant, then proxies the request to the previewed port inside the sandbox, streaming both bodies.
 */
final class PreviewProxy {
    private final Previews previews;
    private final PortRelays relays;

    PreviewProxy(Previews previews, PortRelays relays) {
        this.previews = previews;
        this.relays = relays;
    }

    /** The target of a preview request whose grant checks out; throws 403/404 for a bad URL. */
    PreviewTarget target(Context ctx) {
        PreviewTarget t = PreviewTarget.parse(ctx.req().getRequestURI(), ctx.req().getQueryString());
        return t.withGrant(previews.authorize(t.previewId(), t.signature()));
    }

    void handle(Context ctx) throws IOException {
        PreviewTarget t = target(ctx);
        if (t.needsSlash()) {
            ctx.status(307).header("Location", ctx.req().getRequestURI() + "/"
                    + (ctx.req().getQueryString() == null ? "" : "?" + ctx.req().getQueryString()));
            return;
        }
        var headers = new ArrayList<Map.Entry<String, String>>();
        for (String name : Collections.list(ctx.req().getHeaderNames())) {
            for (String value : Collections.list(ctx.req().getHeaders(name))) {
                if (name.equalsIgnoreCase("Cookie")) value = PreviewTarget.withoutDaemonCookie(value);
                if (value != null && !value.isEmpty()) headers.add(Map.entry(name, value));
            }
        }
        headers.add(Map.entry("X-Forwarded-Host", String.valueOf(ctx.host())));
        headers.add(Map.entry("X-Forwarded-Proto", ctx.scheme()));
        headers.add(Map.entry("X-Forwarded-Prefix", t.prefix()));
        String method = ctx.method().name();
        long length = ctx.req().getContentLengthLong();
        boolean chunked = ctx.header("Transfer-Encoding") != null;
        InputStream body = length > 0 || chunked ? ctx.req().getInputStream() : null;

        var exchange = new UnixHttp(relays.connect(t.grant().workspaceId(), t.grant().port()));
        try {
            exchange.sendRequest(method, t.upstreamTarget(), "localhost:" + t.grant().port(), headers, body,
                    chunked ? -1 : length);
            var r = exchange.readResponse(method.equals("HEAD"));
            ctx.status(r.status());
            for (var h : r.headers()) {
                String n = h.getKey().toLowerCase(Locale.ROOT);
                if (n.equals("transfer-encoding") || n.equals("connection") || n.equals("keep-alive")) continue;
                ctx.res().addHeader(h.getKey(), h.getValue());
            }
            OutputStream out = ctx.res().getOutputStream();
            ctx.res().flushBuffer();
            byte[] buf = new byte[16 * 1024];
            int n;
            InputStream in = r.body();
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                // Flush per read so server-sent events and long polls reach the browser as they come.
                if (in.available() == 0) out.flush();
            }
            out.flush();
        } catch (IOException e) {
            if (ctx.res().isCommitted()) throw e;
            throw new CorralException(CorralException.Kind.UNAVAILABLE, "upstream_unreachable",
                    "nothing answered on port " + t.grant().port() + " inside the sandbox: " + e.getMessage());
        } finally {
            exchange.close();
        }
    }

    static List<String> methods() {
        return List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");
    }
}
