package dev.corral.api;

import dev.corral.CorralException;
import dev.corral.logs.LogBuffer;
import io.javalin.http.Context;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsContext;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * {@code GET /api/v1/logs?level=&limit=&before=} (newest first; page with {@code before=nextBefore}) and
 * {@code WS /api/v1/logs/stream?level=} (the last {@code LOG_STREAM_BUFFER_SIZE} entries, then live; pings every
 * {@code LOG_STREAM_PING_INTERVAL}, closed when nothing — not even a pong — arrives for {@code LOG_STREAM_PONG_TIMEOUT}).
 */
final class LogRoutes implements Consumer<WsConfig> {

    /** The defaults of SPEC §4, each overridable by its environment variable. */
    record Settings(int defaultLimit, int maxLimit, int streamBuffer, Duration pingInterval, Duration pongTimeout) {
        static Settings fromEnvironment(Map<String, String> env) {
            return new Settings(Integer.parseInt(env.getOrDefault("LOG_RETRIEVAL_DEFAULT_LIMIT", "200")),
                    Integer.parseInt(env.getOrDefault("LOG_RETRIEVAL_MAX_LIMIT", "1000")),
                    Integer.parseInt(env.getOrDefault("LOG_STREAM_BUFFER_SIZE", "100")),
                    duration(env.getOrDefault("LOG_STREAM_PING_INTERVAL", "30s")),
                    duration(env.getOrDefault("LOG_STREAM_PONG_TIMEOUT", "90s")));
        }

        private static Duration duration(String s) {
            String v = s.trim().toLowerCase();
            if (v.endsWith("ms")) return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            if (v.endsWith("s")) return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            if (v.endsWith("m")) return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
            return Duration.ofSeconds(Long.parseLong(v));
        }
    }

    private final LogBuffer buffer;
    private final Settings settings;
    private final ScheduledExecutorService pinger = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "log-stream-pinger");
        t.setDaemon(true);
        return t;
    });
    private final Map<WsContext, Runnable> feeds = new ConcurrentHashMap<>();

    LogRoutes(LogBuffer buffer, Settings settings) {
        this.buffer = buffer;
        this.settings = settings;
    }

    void list(Context ctx) {
        int limit = intParam(ctx, "limit", settings.defaultLimit());
        if (limit < 1 || limit > settings.maxLimit()) {
            throw CorralException.badRequest("invalid_limit", "limit must be between 1 and " + settings.maxLimit());
        }
        long before = intParam(ctx, "before", 0);
        List<LogBuffer.Entry> page = buffer.page(ctx.queryParam("level"), before, limit);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("entries", page);
        body.put("nextBefore", page.isEmpty() ? null : page.get(page.size() - 1).id());
        ctx.json(body);
    }

    private static int intParam(Context ctx, String name, int def) {
        String v = ctx.queryParam(name);
        if (v == null) return def;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw CorralException.badRequest("invalid_" + name, name + " must be a number");
        }
    }

    @Override
    public void accept(WsConfig ws) {
        ws.onConnect(ctx -> {
            String level = ctx.queryParam("level");
            LogBuffer.parseLevel(level);
            ctx.session.setIdleTimeout(settings.pongTimeout());
            var lastSent = new AtomicLong();
            var queue = new java.util.concurrent.LinkedBlockingQueue<LogBuffer.Entry>(10_000);
            // Live entries queue up from now on; the catch-up is read after, so nothing falls between the two.
            var closing = new java.util.concurrent.atomic.AtomicBoolean();
            Runnable unsubscribe = buffer.feed(level, e -> {
                // Runs under the log buffer's lock: hand off only (closing may log, so do it elsewhere).
                if (!queue.offer(e) && closing.compareAndSet(false, true)) {
                    Thread.ofVirtual().start(() -> ctx.closeSession(1008, "log stream client too slow"));
                }
            });
            var catchUp = buffer.recent(level, settings.streamBuffer());
            // One sender per connection keeps entries in order and sends each once (ids only grow).
            Thread sender = Thread.ofVirtual().name("log-stream").start(() -> {
                try {
                    for (LogBuffer.Entry e : catchUp) {
                        lastSent.set(e.id());
                        ctx.send(e);
                    }
                    while (ctx.session.isOpen()) {
                        LogBuffer.Entry e = queue.poll(1, TimeUnit.SECONDS);
                        if (e == null || e.id() <= lastSent.get()) continue;
                        lastSent.set(e.id());
                        ctx.send(e);
                    }
                } catch (InterruptedException ignored) {
                    // connection closed
                } catch (RuntimeException e) {
                    ctx.closeSession(1011, "log stream failed");
                }
            });
            var ping = pinger.scheduleAtFixedRate(() -> {
                if (ctx.session.isOpen()) ctx.sendPing(ByteBuffer.wrap(new byte[] {1}));
            }, settings.pingInterval().toMillis(), settings.pingInterval().toMillis(), TimeUnit.MILLISECONDS);
            feeds.put(ctx, () -> {
                unsubscribe.run();
                ping.cancel(false);
                sender.interrupt();
            });
        });
        ws.onClose(ctx -> close(ctx));
        ws.onError(ctx -> close(ctx));
    }

    private void close(WsContext ctx) {
        Runnable r = feeds.remove(ctx);
        if (r != null) r.run();
    }
}
