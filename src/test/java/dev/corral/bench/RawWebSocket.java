package dev.corral.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A minimal RFC 6455 client for benchmarks: one blocking socket, one platform thread reading frames straight into
 * the listener. The JDK's WebSocket client hands every frame across two threads and spent more CPU than the server it
 * was measuring; with two cores, the client's cost shows up in the server's figures. Plain {@code ws://} only, no
 * extensions; answers pings, and reassembles fragmented messages.
 */
final class RawWebSocket implements AutoCloseable {
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final int TEXT = 1;
    private static final int BINARY = 2;
    private static final int CLOSE = 8;
    private static final int PING = 9;

    /** Called on the reading thread, one message at a time. */
    interface Listener {
        default void onText(String text) throws Exception {
        }

        default void onBinary(byte[] bytes, int length) throws Exception {
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final Thread reader;
    private volatile boolean closed;

    private RawWebSocket(Socket socket, DataInputStream in, Listener listener) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.reader = Thread.ofPlatform().daemon().name("raw-websocket").start(() -> readLoop(in, listener));
    }

    /** Connects and completes the opening handshake; frames then go to {@code listener}. */
    static RawWebSocket connect(URI uri, Listener listener) throws IOException {
        var socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 10_000);
        socket.setSoTimeout(0);
        var key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        String keyText = Base64.getEncoder().encodeToString(key);
        String path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        String request = "GET " + path + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + keyText
                + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        var in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 256 * 1024));
        String head = readHead(in);
        if (!head.startsWith("HTTP/1.1 101")) {
            socket.close();
            throw new IOException("no WebSocket upgrade: " + head.lines().findFirst().orElse(""));
        }
        String accept = accept(keyText);
        if (head.lines().noneMatch(l -> l.toLowerCase().startsWith("sec-websocket-accept:")
                && l.substring(l.indexOf(':') + 1).trim().equals(accept))) {
            socket.close();
            throw new IOException("bad Sec-WebSocket-Accept in: " + head);
        }
        return new RawWebSocket(socket, in, listener);
    }

    void sendText(String text) throws IOException {
        send(TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    void sendBinary(byte[] bytes) throws IOException {
        send(BINARY, bytes);
    }

    private synchronized void send(int opcode, byte[] payload) throws IOException {
        int n = payload.length;
        var frame = new ByteArrayOutputStream(n + 14);
        frame.write(0x80 | opcode);
        if (n < 126) {
            frame.write(0x80 | n);
        } else if (n < 65536) {
            frame.write(0x80 | 126);
            frame.write(n >>> 8);
            frame.write(n);
        } else {
            frame.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) frame.write((int) ((long) n >>> shift));
        }
        var mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        frame.write(mask);
        for (int i = 0; i < n; i++) frame.write(payload[i] ^ mask[i & 3]);
        frame.writeTo(out);
        out.flush();
    }

    private void readLoop(DataInputStream in, Listener listener) {
        var message = new ByteArrayOutputStream();
        int messageType = 0;
        byte[] payload = new byte[64 * 1024];
        try {
            while (!closed) {
                int b0 = in.readUnsignedByte();
                int b1 = in.readUnsignedByte();
                boolean fin = (b0 & 0x80) != 0;
                int opcode = b0 & 0x0f;
                long length = b1 & 0x7f;
                if (length == 126) length = in.readUnsignedShort();
                else if (length == 127) length = in.readLong();
                if ((b1 & 0x80) != 0) throw new IOException("the server masked a frame");
                if (length > Integer.MAX_VALUE - 8) throw new IOException("frame too large: " + length);
                if (payload.length < length) payload = new byte[(int) length];
                in.readFully(payload, 0, (int) length);
                int n = (int) length;
                if (opcode == PING) {
                    send(0xA, java.util.Arrays.copyOf(payload, n));
                } else if (opcode == CLOSE) {
                    return;
                } else if (opcode == TEXT || opcode == BINARY || opcode == 0) {
                    if (opcode != 0) messageType = opcode;
                    if (fin && message.size() == 0) {
                        deliver(listener, messageType, payload, n);
                    } else {
                        message.write(payload, 0, n);
                        if (fin) {
                            byte[] whole = message.toByteArray();
                            message.reset();
                            deliver(listener, messageType, whole, whole.length);
                        }
                    }
                }
            }
        } catch (EOFException e) {
            // the server closed the connection
        } catch (Exception e) {
            if (!closed) System.err.println("raw-websocket: " + e);
        }
    }

    private static void deliver(Listener listener, int type, byte[] bytes, int length) throws Exception {
        if (type == TEXT) listener.onText(new String(bytes, 0, length, StandardCharsets.UTF_8));
        else listener.onBinary(bytes, length);
    }

    private static String readHead(DataInputStream in) throws IOException {
        var head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) throw new EOFException("connection closed during the handshake");
            head.append((char) c);
        }
        return head.toString();
    }

    private static String accept(String key) {
        try {
            var sha1 = MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        reader.interrupt();
    }
}
