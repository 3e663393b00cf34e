package dev.corral.api;

import dev.corral.preview.PortRelays;
import dev.corral.preview.PreviewTarget;
import dev.corral.preview.Previews;
import dev.corral.preview.WsUpstream;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsContext;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * WebSocket upgrades on a preview URL: the grant is checked before the upgrade (see {@link PreviewProxy#target}),
 * then each browser socket is bridged message by message to a WebSocket opened to the previewed port inside the sandbox.
 */
final class PreviewSocket {
    private final Previews previews;
    private final PortRelays relays;
    private final Map<String, WsUpstream> upstreams = new ConcurrentHashMap<>();

    PreviewSocket(Previews previews, PortRelays relays) {
        this.previews = previews;
        this.relays = relays;
    }

    Consumer<WsConfig> config() {
        return ws -> {
            ws.onConnect(ctx -> {
                // Jetty's 64 KiB default would cut off messages a dev server may well send (hot-reload payloads).
                ctx.session.setMaxTextMessageSize(WsUpstream.MAX_MESSAGE);
                ctx.session.setMaxBinaryMessageSize(WsUpstream.MAX_MESSAGE);
                var uri = ctx.session.getUpgradeRequest().getRequestURI();
                PreviewTarget t = PreviewTarget.parse(uri.getRawPath(), uri.getRawQuery());
                t = t.withGrant(previews.authorize(t.previewId(), t.signature()));
                var headers = new ArrayList<Map.Entry<String, String>>();
                ctx.session.getUpgradeRequest().getHeaders().forEach((name, values) -> {
                    String n = name.toLowerCase(java.util.Locale.ROOT);
                    if (n.equals("cookie")) values = values.stream().map(PreviewTarget::withoutDaemonCookie).toList();
                    values.forEach(v -> headers.add(Map.entry(name, v)));
                });
                try {
                    var up = WsUpstream.open(relays.connect(t.grant().workspaceId(), t.grant().port()), t.upstreamTarget(),
                            "localhost:" + t.grant().port(), headers, listener(ctx));
                    upstreams.put(ctx.sessionId(), up);
                    ctx.enableAutomaticPings(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    ctx.closeSession(1011, truncate("cannot reach the preview: " + e.getMessage()));
                }
            });
            ws.onMessage(ctx -> {
                var up = upstreams.get(ctx.sessionId());
                if (up != null) up.sendText(ctx.message());
            });
            ws.onBinaryMessage(ctx -> {
                var up = upstreams.get(ctx.sessionId());
                if (up != null) up.sendBinary(ctx.data(), ctx.offset(), ctx.length());
            });
            ws.onClose(ctx -> {
                var up = upstreams.remove(ctx.sessionId());
                if (up != null) up.close(ctx.status(), ctx.reason());
            });
            ws.onError(ctx -> {
                var up = upstreams.remove(ctx.sessionId());
                if (up != null) up.close();
            });
        };
    }

    private WsUpstream.Listener listener(WsContext ctx) {
        return new WsUpstream.Listener() {
            @Override
            public void text(String message) {
                if (ctx.session.isOpen()) ctx.send(message);
            }

            @Override
            public void binary(ByteBuffer message) {
                if (ctx.session.isOpen()) ctx.send(message);
            }

            @Override
            public void closed(int code, String reason) {
                upstreams.remove(ctx.sessionId());
                if (ctx.session.isOpen()) ctx.closeSession(code == 1005 || code == 1006 ? 1000 : code, truncate(reason));
            }
        };
    }

    private static String truncate(String s) {
        return s == null ? "" : s.length() > 120 ? s.substring(0, 120) : s;
    }
}
