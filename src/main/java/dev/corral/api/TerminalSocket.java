package dev.corral.api;

import dev.corral.CorralException;
import dev.corral.pty.Subscription;
import dev.corral.pty.Terminal;
import dev.corral.pty.TerminalEvent;
import io.javalin.websocket.WsBinaryMessageContext;
import io.javalin.websocket.WsCloseContext;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsConnectContext;
import io.javalin.websocket.WsContext;
import io.javalin.websocket.WsErrorContext;
import io.javalin.websocket.WsMessageContext;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.jetty.websocket.api.WriteCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The terminal WebSocket of SPEC §4, {@code /api/v1/workspaces/{id}/terminals/{tid}?offset=N}. Register it with
 * {@code app.ws(path, new TerminalSocket(lookup))} (or {@code router.ws}); authentication happens before, elsewhere.
 *
 * <p>Server to client: a text frame {@code {"type":"replay","from":X,"to":Y}} first, then binary frames of PTY output
 * from offset X on; another replay frame whenever bytes were skipped (from greater than the offset reached so far);
 * finally {@code {"type":"exit","code":N}}, after which the server closes with 1000 "terminal exited". Client to
 * server: binary frames are keyboard input; text frames are JSON control, today only
 * {@code {"type":"resize","cols":C,"rows":R}}. Output goes through the terminal's viewer machinery, so a slow socket
 * never blocks the PTY or other sockets; a socket that falls too far behind is skipped forward. A client that gets a
 * replay frame whose {@code from} is past the bytes it has should reset its screen before writing what follows.
 *
 * <p>Broken rules close the socket, never the terminal, with a reason saying which rule:
 * <ul>
 *   <li>4404 the terminal does not exist (the lookup threw a NOT_FOUND {@link CorralException}); 4400 a bad
 *       {@code offset}; 4000 + the HTTP-like status for other lookup failures</li>
 *   <li>1009 an input frame over {@link Limits#maxInputFrameBytes()} or a text frame over
 *       {@link Limits#maxControlFrameBytes()} (frames beyond four times the limit are refused by Jetty itself, also
 *       with 1009)</li>
 *   <li>1008 input faster than {@link Limits#inputBytesPerSecond()} beyond a burst of {@link Limits#inputBurstBytes()},
 *       or input the process is not reading (1 MiB pending)</li>
 *   <li>1007 a text frame that is not a valid control message (bad JSON, unknown type, bad size)</li>
 * </ul>
 */
public final class TerminalSocket implements Consumer<WsConfig> {

    /** Finds the terminal a connection is for, from its path parameters. Throws a {@link CorralException} if none. */
    @FunctionalInterface
    public interface TerminalLookup {
        Terminal find(WsContext ctx);
    }

    /**
     * Limits on what a client may send.
     *
     * @param maxInputFrameBytes   largest binary (input) frame
     * @param maxControlFrameBytes largest text (control) frame
     * @param inputBytesPerSecond  sustained input rate (binary and text frames together)
     * @param inputBurstBytes      input allowed at once above the sustained rate
     */
    public record Limits(int maxInputFrameBytes, int maxControlFrameBytes, long inputBytesPerSecond,
                         long inputBurstBytes) {
        public Limits {
            if (maxInputFrameBytes <= 0 || maxControlFrameBytes <= 0 || inputBytesPerSecond <= 0
                    || inputBurstBytes <= 0) {
                throw new IllegalArgumentException("terminal socket limits must be positive");
            }
        }

        /** 64 KiB input frames, 4 KiB control frames, 256 KiB/s input with a 1 MiB burst (a large paste). */
        public static Limits defaults() {
            return new Limits(64 * 1024, 4 * 1024, 256 * 1024, 1024 * 1024);
        }
    }

    public static final int CLOSE_NORMAL = 1000;
    public static final int CLOSE_BAD_DATA = 1007;
    public static final int CLOSE_POLICY = 1008;
    public static final int CLOSE_TOO_BIG = 1009;
    public static final int CLOSE_INTERNAL = 1011;

    private static final Logger log = LoggerFactory.getLogger(TerminalSocket.class);
    private static final Duration PING_INTERVAL = Duration.ofSeconds(15);
    /** A close reason may carry at most 123 bytes of UTF-8. */
    private static final int MAX_REASON_BYTES = 123;

    private record Connection(Terminal terminal, Subscription subscription, TokenBucket input) {}

    private final TerminalLookup lookup;
    private final Limits limits;
    private final Map<String, Connection> connections = new ConcurrentHashMap<>();

    public TerminalSocket(TerminalLookup lookup) {
        this(lookup, Limits.defaults());
    }

    public TerminalSocket(TerminalLookup lookup, Limits limits) {
        this.lookup = Objects.requireNonNull(lookup, "lookup");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Override
    public void accept(WsConfig ws) {
        ws.onConnect(this::connect);
        ws.onBinaryMessage(this::input);
        ws.onMessage(this::control);
        ws.onClose(this::closed);
        ws.onError(this::failed);
    }

    /** Number of sockets currently attached to terminals (for tests and metrics). */
    public int connectionCount() {
        return connections.size();
    }

    private void connect(WsConnectContext ctx) {
        // Let oversized frames reach us, up to a point, so the close reason can name our limit.
        ctx.session.setMaxBinaryMessageSize(4L * limits.maxInputFrameBytes());
        ctx.session.setMaxTextMessageSize(4L * limits.maxControlFrameBytes());
        long offset;
        try {
            var param = ctx.queryParam("offset");
            offset = param == null ? 0 : Long.parseLong(param);
            if (offset < 0) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            close(ctx, 4400, "offset must be a non-negative integer");
            return;
        }
        Terminal terminal;
        try {
            terminal = lookup.find(ctx);
        } catch (CorralException e) {
            close(ctx, closeCode(e), e.getMessage());
            return;
        } catch (RuntimeException e) {
            log.warn("terminal lookup failed for {}", ctx.matchedPath(), e);
            close(ctx, CLOSE_INTERNAL, "internal error");
            return;
        }
        // Pings keep an idle terminal's socket from hitting Jetty's idle timeout.
        ctx.enableAutomaticPings(PING_INTERVAL.toSeconds(), TimeUnit.SECONDS);
        var bucket = new TokenBucket(limits.inputBurstBytes(), limits.inputBytesPerSecond());
        // Jetty compresses a message in the thread that sends it. Uncompressed, that is cheap enough for the PTY's
        // reader thread, which usually sends; compressing (permessage-deflate, which browsers ask for) cost it as
        // much again as the rest of its work and slowed the PTY for every viewer, so those sockets send from a
        // virtual thread of their own.
        boolean deflate = ctx.session.getUpgradeResponse().getExtensions().stream()
                .anyMatch(e -> "permessage-deflate".equals(e.getName()));
        var subscription = terminal.attach(offset, deflate
                ? (event, next) -> Thread.startVirtualThread(() -> send(ctx, event, next))
                : (event, next) -> send(ctx, event, next));
        var connection = new Connection(terminal, subscription, bucket);
        var id = ctx.sessionId();
        connections.put(id, connection);
        // The subscription may end first (exit delivered, send failed), even before the put above. If it ended
        // while the socket is still open (not after the exit, which closes it), the socket would go silent: close it.
        subscription.onEnd().thenRun(() -> {
            connections.remove(id, connection);
            if (ctx.session.isOpen() && terminal.isAlive()) close(ctx, CLOSE_INTERNAL, "terminal output stopped");
        });
    }

    /**
     * Queues one event on the socket without blocking (often on the PTY reader's thread); {@code next} runs once Jetty
     * has written it, so at most one frame per socket waits in Jetty at a time. A failed write closes the socket, and
     * the close detaches the subscription.
     */
    private void send(WsContext ctx, TerminalEvent event, Runnable next) {
        var remote = ctx.session.getRemote();
        switch (event) {
            case TerminalEvent.Replay r -> remote.sendString(TerminalControl.replay(r.from(), r.to()), written(ctx, next));
            case TerminalEvent.Output o -> remote.sendBytes(ByteBuffer.wrap(o.bytes()), written(ctx, next));
            case TerminalEvent.Exit e -> remote.sendString(TerminalControl.exit(e.code()), written(ctx, () -> {
                close(ctx, CLOSE_NORMAL, "terminal exited");
                next.run();
            }));
        }
    }

    private static WriteCallback written(WsContext ctx, Runnable next) {
        return new WriteCallback() {
            @Override
            public void writeSuccess() {
                next.run();
            }

            @Override
            public void writeFailed(Throwable error) {
                log.debug("terminal socket {}: send failed", ctx.sessionId(), error);
                close(ctx, CLOSE_INTERNAL, "send failed");
            }
        };
    }

    private void input(WsBinaryMessageContext ctx) {
        var connection = connections.get(ctx.sessionId());
        if (connection == null) {
            return;
        }
        int length = ctx.length();
        if (length > limits.maxInputFrameBytes()) {
            close(ctx, CLOSE_TOO_BIG, "input frame too large: " + length + " bytes, limit "
                    + limits.maxInputFrameBytes());
            return;
        }
        if (!allowed(ctx, connection, length)) {
            return;
        }
        try {
            connection.terminal().write(Arrays.copyOfRange(ctx.data(), ctx.offset(), ctx.offset() + length));
        } catch (CorralException e) {
            close(ctx, CLOSE_POLICY, e.getMessage());
        }
    }

    private void control(WsMessageContext ctx) {
        var connection = connections.get(ctx.sessionId());
        if (connection == null) {
            return;
        }
        String text = ctx.message();
        int length = text.getBytes(StandardCharsets.UTF_8).length;
        if (length > limits.maxControlFrameBytes()) {
            close(ctx, CLOSE_TOO_BIG, "control frame too large: " + length + " bytes, limit "
                    + limits.maxControlFrameBytes());
            return;
        }
        if (!allowed(ctx, connection, length)) {
            return;
        }
        try {
            connection.terminal().resize(TerminalControl.parseResize(text));
        } catch (TerminalControl.BadFrame e) {
            close(ctx, CLOSE_BAD_DATA, "bad control frame: " + e.getMessage());
        }
    }

    private boolean allowed(WsContext ctx, Connection connection, int length) {
        if (connection.input().tryTake(length)) {
            return true;
        }
        close(ctx, CLOSE_POLICY, "input rate limit exceeded: " + limits.inputBytesPerSecond() + " bytes/s");
        return false;
    }

    private void closed(WsCloseContext ctx) {
        detach(ctx);
    }

    private void failed(WsErrorContext ctx) {
        log.debug("terminal socket {} failed", ctx.sessionId(), ctx.error());
        detach(ctx);
    }

    private void detach(WsContext ctx) {
        var connection = connections.remove(ctx.sessionId());
        if (connection != null) {
            connection.subscription().close();
        }
    }

    private static int closeCode(CorralException e) {
        return switch (e.kind()) {
            case BAD_REQUEST -> 4400;
            case UNAUTHORIZED -> 4401;
            case FORBIDDEN -> 4403;
            case NOT_FOUND -> 4404;
            case CONFLICT -> 4409;
            case TOO_MANY -> 4429;
            case UNAVAILABLE -> 4503;
            default -> CLOSE_INTERNAL;
        };
    }

    private static void close(WsContext ctx, int code, String reason) {
        try {
            ctx.closeSession(code, truncate(reason));
        } catch (RuntimeException e) {
            log.debug("cannot close terminal socket {}", ctx.sessionId(), e);
        }
    }

    private static String truncate(String reason) {
        var bytes = reason.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_REASON_BYTES) {
            return reason;
        }
        int end = MAX_REASON_BYTES;
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
            end--; // do not cut a multi-byte character
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }
}
