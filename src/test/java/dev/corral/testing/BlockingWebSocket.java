package dev.corral.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A minimal WebSocket client (RFC 6455) read by one blocking thread, like a reader of a pipe: for benchmarks, where
 * the JDK's client would add its own thread hand-offs to every message (and, with two cores, its CPU time shows up in
 * the server's figures). Text and binary messages; answers pings; optionally permessage-deflate as browsers offer it
 * (RFC 7692: it inflates what the server compresses and sends its own messages uncompressed). One thread reads; sends
 * may come from any thread.
 */
public final class BlockingWebSocket implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final ByteArrayOutputStream message = new ByteArrayOutputStream(1024);
    private byte[] payload = new byte[1024];
    private Inflater inflater; // null unless permessage-deflate was agreed
    private boolean resetInflater; // the server said server_no_context_takeover
    private byte[] inflated = new byte[1 << 16];

    private BlockingWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        this.out = socket.getOutputStream();
    }

    /** Connects to {@code ws://127.0.0.1:port/pathAndQuery} and completes the opening handshake. */
    public static BlockingWebSocket connect(int port, String pathAndQuery) throws IOException {
        return connect(port, pathAndQuery, false);
    }

    /**
     * As {@link #connect(int, String)}, offering permessage-deflate if {@code deflate} (with the header Chromium sends).
     * Whether the server took it: {@link #compressed()}.
     */
    public static BlockingWebSocket connect(int port, String pathAndQuery, boolean deflate) throws IOException {
        var socket = new Socket("127.0.0.1", port);
        socket.setTcpNoDelay(true);
        var ws = new BlockingWebSocket(socket);
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        ws.out.write(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce)
                + "\r\nSec-WebSocket-Version: 13\r\n"
                + (deflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "")
                + "\r\n").getBytes(StandardCharsets.US_ASCII));
        ws.out.flush();
        String status = ws.headerLine();
        if (!status.startsWith("HTTP/1.1 101")) {
            socket.close();
            throw new IOException("no WebSocket upgrade: " + status);
        }
        for (String line; !(line = ws.headerLine()).isEmpty(); ) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (deflate && lower.startsWith("sec-websocket-extensions:") && lower.contains("permessage-deflate")) {
                ws.inflater = new Inflater(true);
                ws.resetInflater = lower.contains("server_no_context_takeover");
            }
        }
        return ws;
    }

    /** True if the server agreed to compress its messages (permessage-deflate). */
    public boolean compressed() {
        return inflater != null;
    }

    /** Receives whole messages from {@link #read}. The byte array is reused by the next read. */
    public interface Handler {
        void text(String text) throws Exception;

        /** A text message as it came (UTF-8); decodes it for {@link #text(String)} unless overridden. */
        default void text(byte[] utf8, int length) throws Exception {
            text(new String(utf8, 0, length, StandardCharsets.UTF_8));
        }

        void binary(byte[] bytes, int length) throws Exception;
    }

    /** The next text message, fragments joined, skipping binary ones; null when the server closed the connection. */
    public String readText() throws IOException {
        var text = new String[1];
        try {
            while (text[0] == null) {
                if (!read(new Handler() {
                    @Override
                    public void text(String t) {
                        text[0] = t;
                    }

                    @Override
                    public void binary(byte[] bytes, int length) {
                        // not for us
                    }
                })) {
                    return null;
                }
            }
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return text[0];
    }

    /** Reads the next message (fragments joined) into {@code handler}; false when the server closed the connection. */
    public boolean read(Handler handler) throws Exception {
        message.reset();
        int type = 0;
        boolean deflated = false;
        while (true) {
            int b0 = read();
            int b1 = read();
            int opcode = b0 & 0x0F;
            long length = b1 & 0x7F;
            if (length == 126) {
                length = (read() << 8) | read();
            } else if (length == 127) {
                length = 0;
                for (int i = 0; i < 8; i++) length = (length << 8) | read();
            }
            byte[] mask = null;
            if ((b1 & 0x80) != 0) {
                mask = in.readNBytes(4);
            }
            if (length > payload.length) payload = new byte[(int) Math.max(length, payload.length * 2L)];
            int n = (int) length;
            if (in.readNBytes(payload, 0, n) != n) throw new EOFException("connection ended inside a frame");
            if (mask != null) {
                for (int i = 0; i < n; i++) payload[i] ^= mask[i & 3];
            }
            switch (opcode) {
                case 0x0, 0x1, 0x2 -> {
                    if (opcode != 0) {
                        type = opcode;
                        deflated = (b0 & 0x40) != 0; // RSV1 on a message's first frame: compressed
                        if (deflated && inflater == null) throw new IOException("compressed message without the extension");
                    }
                    boolean fin = (b0 & 0x80) != 0;
                    if (deflated) {
                        message.write(payload, 0, n);
                        if (fin) {
                            int size = inflate(message.toByteArray());
                            deliver(handler, type, inflated, size);
                            return true;
                        }
                        continue;
                    }
                    if (fin && message.size() == 0) {
                        deliver(handler, type, payload, n); // one frame: no copy
                        return true;
                    }
                    message.write(payload, 0, n);
                    if (fin) {
                        byte[] whole = message.toByteArray();
                        deliver(handler, type, whole, whole.length);
                        return true;
                    }
                }
                case 0x8 -> {
                    return false;
                }
                case 0x9 -> send(0xA, payload, n);
                default -> {
                    // pong: nothing to do
                }
            }
        }
    }

    /** Inflates one compressed message (RFC 7692 §7.2.2: the payload plus 00 00 FF FF) into {@link #inflated}. */
    private int inflate(byte[] compressed) throws IOException {
        byte[] input = Arrays.copyOf(compressed, compressed.length + 4);
        input[compressed.length + 2] = (byte) 0xFF;
        input[compressed.length + 3] = (byte) 0xFF;
        inflater.setInput(input);
        int length = 0;
        try {
            while (true) {
                if (length == inflated.length) inflated = Arrays.copyOf(inflated, inflated.length * 2);
                int n = inflater.inflate(inflated, length, inflated.length - length);
                length += n;
                if (n == 0 && (inflater.needsInput() || inflater.finished())) break;
            }
        } catch (DataFormatException e) {
            throw new IOException("bad compressed message: " + e.getMessage(), e);
        }
        if (resetInflater) inflater.reset();
        return length;
    }

    private static void deliver(Handler handler, int type, byte[] bytes, int length) throws Exception {
        if (type == 0x1) handler.text(bytes, length);
        else handler.binary(bytes, length);
    }

    /** Sends one text message. */
    public void sendText(String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        send(0x1, bytes, bytes.length);
    }

    /** Sends one binary message. */
    public void sendBinary(byte[] bytes) throws IOException {
        send(0x2, bytes, bytes.length);
    }

    private synchronized void send(int opcode, byte[] data, int n) throws IOException {
        var frame = new ByteArrayOutputStream(n + 14);
        frame.write(0x80 | opcode);
        if (n < 126) {
            frame.write(0x80 | n);
        } else if (n < 65_536) {
            frame.write(0x80 | 126);
            frame.write(n >>> 8);
            frame.write(n);
        } else {
            frame.write(0x80 | 127);
            for (int i = 7; i >= 0; i--) frame.write((int) ((long) n >>> (8 * i)));
        }
        byte[] mask = new byte[4];
        RANDOM.nextBytes(mask);
        frame.write(mask);
        for (int i = 0; i < n; i++) frame.write(data[i] ^ mask[i & 3]);
        frame.writeTo(out);
        out.flush();
    }

    private int read() throws IOException {
        int b = in.read();
        if (b < 0) throw new EOFException("connection ended");
        return b;
    }

    private String headerLine() throws IOException {
        var line = new StringBuilder();
        int b;
        while ((b = read()) != '\n') {
            if (b != '\r') line.append((char) b);
        }
        return line.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
