package dev.corral.sandbox;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Host half of a {@code forward}: a Unix socket (bind-mounted into the sandbox, where a relay listens on the sandbox's
 * own loopback) whose connections are piped to a host TCP endpoint. The sandbox keeps its own network namespace.
 */
public final class ForwardRelay implements AutoCloseable {
    private final ServerSocketChannel server;
    private final NetworkPolicy.Endpoint target;
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private ForwardRelay(ServerSocketChannel server, NetworkPolicy.Endpoint target) {
        this.server = server;
        this.target = target;
    }

    /** Binds {@code socket} and starts relaying to {@code target}. */
    public static ForwardRelay start(Path socket, NetworkPolicy.Endpoint target) throws IOException {
        Files.deleteIfExists(socket);
        var server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        var relay = new ForwardRelay(server, target);
        Thread.ofVirtual().name("forward-" + target).start(relay::acceptLoop);
        return relay;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel inside = server.accept();
                Thread.ofVirtual().start(() -> connect(inside));
            } catch (IOException e) {
                if (!closed) continue;
                return;
            }
        }
    }

    private void connect(SocketChannel inside) {
        open.add(inside);
        try (inside; SocketChannel outside = SocketChannel.open(new InetSocketAddress(target.host(), target.port()))) {
            open.add(outside);
            Thread back = Thread.ofVirtual().start(() -> pump(outside, inside));
            pump(inside, outside);
            back.join();
            open.remove(outside);
        } catch (IOException | InterruptedException e) {
            // Connection refused or reset: closing the inside socket tells the sandboxed client.
        } finally {
            open.remove(inside);
        }
    }

    private static void pump(SocketChannel from, SocketChannel to) {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        try {
            while (from.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) to.write(buf);
                buf.clear();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            try {
                to.close();
                from.close();
            } catch (IOException ignored) {
                // both ends are going away
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // already closed
        }
        for (SocketChannel c : open) {
            try {
                c.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }
}
