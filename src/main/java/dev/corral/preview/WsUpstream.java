package dev.corral.preview;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The client side of a WebSocket (RFC 6455) to a server inside a sandbox, over a relay socket: the handshake, then
 * masked frames out and whole messages in. Sends are thread-safe; the listener is called from one reader thread.
 */
public final class WsUpstream implements AutoCloseable {
    /** Largest message either way. */
    public static final int MAX_MESSAGE = 16 * 1024 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Called from the reader thread. Fast; never throws. */
    public interface Listener {
        void text(String message);

        void binary(ByteBuffer message);

        /** The upstream closed (code 1006 when it went away without a close frame). */
        void closed(int code, String reason);
    }

    private final UnixHttp http;
    private final OutputStream out;
    private final Object writeLock = new Object();
    private volatile boolean closed;

    private WsUpstream(UnixHttp http) {
        this.http = http;
        this.out = http.out();
    }

    /**
     * Performs the handshake and starts reading.
     *
     * @throws IOException when the upstream does not answer 101 Switching Protocols
     */
    public static WsUpstream open(SocketChannel channel, String target, String host, List<Map.Entry<String, String>> headers,
                                  Listener listener) throws IOException {
        var http = new UnixHttp(channel);
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        var forwarded = new ArrayList<Map.Entry<String, String>>();
        for (var h : headers) {
            String n = h.getKey().toLowerCase(Locale.ROOT);
            // Extensions (compression) were negotiated with the browser by the daemon, not upstream.
            if (n.startsWith("sec-websocket-") && !n.equals("sec-websocket-protocol")) continue;
            forwarded.add(h);
        }
        http.writeHead("GET", target, host, forwarded, List.of("Upgrade: websocket", "Connection: Upgrade",
                "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce), "Sec-WebSocket-Version: 13"));
        http.out().flush();
        var r = http.readResponse(false);
        if (r.status() != 101) {
            http.close();
            throw new IOException("the server answered " + r.status() + " instead of switching to WebSocket");
        }
        var ws = new WsUpstream(http);
        Thread.ofVirtual().name("preview-ws").start(() -> ws.readLoop(listener));
        return ws;
    }

    public void sendText(String message) throws IOException {
        send(1, message.getBytes(StandardCharsets.UTF_8));
    }

    public void sendBinary(byte[] data, int offset, int length) throws IOException {
        byte[] b = new byte[length];
        System.arraycopy(data, offset, b, 0, length);
        send(2, b);
    }

    /** Sends a close frame and closes the connection. */
    public void close(int code, String reason) {
        if (closed) return;
        byte[] r = reason == null ? new byte[0] : reason.getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[2 + Math.min(r.length, 120)];
        // 1005/1006 may not be sent on the wire; say "normal" instead.
        int c = code == 1005 || code == 1006 || code < 1000 ? 1000 : code;
        payload[0] = (byte) (c >> 8);
        payload[1] = (byte) c;
        System.arraycopy(r, 0, payload, 2, payload.length - 2);
        try {
            send(8, payload);
        } catch (IOException ignored) {
            // already gone
        }
        close();
    }

    @Override
    public void close() {
        closed = true;
        http.close();
    }

    private void send(int opcode, byte[] payload) throws IOException {
        byte[] mask = new byte[4];
        RANDOM.nextBytes(mask);
        synchronized (writeLock) {
            out.write(0x80 | opcode);
            int len = payload.length;
            if (len < 126) {
                out.write(0x80 | len);
            } else if (len < 65536) {
                out.write(0x80 | 126);
                out.write(len >> 8);
                out.write(len);
            } else {
                out.write(0x80 | 127);
                for (int i = 7; i >= 0; i--) out.write((int) ((long) len >> (8 * i)));
            }
            out.write(mask);
            byte[] masked = new byte[len];
            for (int i = 0; i < len; i++) masked[i] = (byte) (payload[i] ^ mask[i & 3]);
            out.write(masked);
            out.flush();
        }
    }

    private void readLoop(Listener listener) {
        InputStream in = http.in();
        var message = new ByteArrayOutputStream();
        int messageType = 0;
        int code = 1006;
        String reason = "the server went away";
        try {
            while (true) {
                int b0 = readByte(in);
                int b1 = readByte(in);
                int opcode = b0 & 0x0f;
                long len = b1 & 0x7f;
                if (len == 126) len = (readByte(in) << 8) | readByte(in);
                else if (len == 127) {
                    len = 0;
                    for (int i = 0; i < 8; i++) len = (len << 8) | readByte(in);
                }
                if (len > MAX_MESSAGE || message.size() + len > MAX_MESSAGE) throw new IOException("message too large");
                byte[] mask = (b1 & 0x80) != 0 ? in.readNBytes(4) : null;
                byte[] payload = in.readNBytes((int) len);
                if (payload.length < len) throw new EOFException();
                if (mask != null) for (int i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
                switch (opcode) {
                    case 8 -> {
                        code = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
                        reason = payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
                        close(code, reason);
                        return;
                    }
                    case 9 -> send(10, payload);
                    case 10 -> { /* pong */ }
                    default -> {
                        if (opcode != 0) messageType = opcode;
                        message.write(payload);
                        if ((b0 & 0x80) != 0) {
                            byte[] whole = message.toByteArray();
                            message.reset();
                            if (messageType == 1) listener.text(new String(whole, StandardCharsets.UTF_8));
                            else listener.binary(ByteBuffer.wrap(whole));
                        }
                    }
                }
            }
        } catch (IOException e) {
            if (closed) reason = "closed";
        } finally {
            close();
            listener.closed(code, reason);
        }
    }

    private static int readByte(InputStream in) throws IOException {
        int b = in.read();
        if (b < 0) throw new EOFException();
        return b;
    }
}
