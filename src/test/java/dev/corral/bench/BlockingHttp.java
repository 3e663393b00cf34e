package dev.corral.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A minimal HTTP/1.1 client on one kept-alive socket, for timing the daemon rather than a client: the JDK's
 * HttpClient hands each request between several threads, which costs milliseconds per request on a small
 * machine. Each request goes out in one write; responses with Content-Length or chunked bodies.
 */
final class BlockingHttp implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Response(int status, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new IllegalStateException("not JSON: " + body, e);
            }
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String token;
    private final int port;

    BlockingHttp(int port, String token) throws IOException {
        this.port = port;
        this.token = token;
        this.socket = new Socket("127.0.0.1", port);
        socket.setTcpNoDelay(true);
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = socket.getOutputStream();
    }

    Response post(String path, String json) throws IOException {
        return send("POST", path, json == null ? "" : json);
    }

    Response delete(String path) throws IOException {
        return send("DELETE", path, null);
    }

    Response send(String method, String path, String body) throws IOException {
        byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        var head = new StringBuilder().append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1:")
                .append(port).append("\r\nAuthorization: Bearer ").append(token).append("\r\n");
        if (body != null) head.append("Content-Type: application/json\r\n");
        head.append("Content-Length: ").append(b.length).append("\r\n\r\n");
        var req = new ByteArrayOutputStream();
        req.writeBytes(head.toString().getBytes(StandardCharsets.US_ASCII));
        req.writeBytes(b);
        out.write(req.toByteArray());
        out.flush();
        return read();
    }

    private Response read() throws IOException {
        String status = line();
        int code = Integer.parseInt(status.split(" ")[1]);
        long length = -1;
        boolean chunked = false;
        for (String h = line(); !h.isEmpty(); h = line()) {
            int colon = h.indexOf(':');
            String name = h.substring(0, colon).trim().toLowerCase();
            String value = h.substring(colon + 1).trim();
            if (name.equals("content-length")) length = Long.parseLong(value);
            if (name.equals("transfer-encoding") && value.equalsIgnoreCase("chunked")) chunked = true;
        }
        var body = new ByteArrayOutputStream();
        if (chunked) {
            for (int size = Integer.parseInt(line().split(";")[0].trim(), 16); size > 0;
                 size = Integer.parseInt(line().split(";")[0].trim(), 16)) {
                body.writeBytes(in.readNBytes(size));
                line();
            }
            while (!line().isEmpty()) {
                // trailers
            }
        } else if (length >= 0) {
            body.writeBytes(in.readNBytes((int) length));
        }
        return new Response(code, body.toString(StandardCharsets.UTF_8));
    }

    private String line() throws IOException {
        var s = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') s.append((char) c);
        }
        if (c < 0 && s.isEmpty()) throw new IOException("connection closed");
        return s.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
