package dev.corral.cli;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.corral.api.TerminalSocketClient;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The attach client's reconnect: a relay between it and the daemon drops the connection; no output is lost. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class TerminalClientReconnectTest implements DaemonLogOnFailure.HasDaemon {
    @TempDir
    static Path tmp;

    TestDaemon daemon;
    Api api;

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    @BeforeAll
    void start() {
        daemon = TestDaemon.start(tmp.resolve("home"));
        api = daemon.api();
    }

    @AfterAll
    void stop() throws Exception {
        daemon.close();
    }

    @Test
    void reconnectsFromItsOffsetWithNothingLostOrRepeated() throws Exception {
        String ws = api.createRunning(json("name", "drop")).path("id").asText();
        String tid = api.post("/api/v1/workspaces/" + ws + "/terminals", json("cols", 80, "rows", 24)).json()
                .path("terminalId").asText();
        String path = "/api/v1/workspaces/" + ws + "/terminals/" + tid;
        var received = new ByteArrayOutputStream();
        var outages = new AtomicInteger();
        var sink = new TerminalClient.Sink() {
            @Override
            public void output(byte[] bytes) {
                synchronized (received) {
                    received.writeBytes(bytes);
                }
            }

            @Override
            public void gap(long from, long to) {
                throw new AssertionError("unexpected gap " + from + ".." + to);
            }

            @Override
            public void reconnecting(String why) {
                outages.incrementAndGet();
            }
        };
        try (var relay = new Relay(daemon.port());
             var client = new TerminalClient("ws://127.0.0.1:" + relay.port() + path, daemon.token(), 0, sink).start()) {
            client.send("echo one-$((1+1))\n".getBytes(StandardCharsets.UTF_8));
            await().atMost(Duration.ofSeconds(30)).until(() -> text(received).contains("one-2"));

            relay.refuse = true;
            relay.dropAll();
            await().atMost(Duration.ofSeconds(10)).until(() -> outages.get() == 1);
            // Output made while the client is away, typed through a second, direct socket.
            try (var direct = TerminalSocketClient.connect("ws://127.0.0.1:" + daemon.port() + path + "?token=" + daemon.token())) {
                direct.send("echo two-$((1+2))\n");
                await().atMost(Duration.ofSeconds(30)).until(() -> direct.text().contains("two-3"));
                assertThat(text(received)).doesNotContain("two-3");
                relay.refuse = false;
                await().atMost(Duration.ofSeconds(30)).until(() -> text(received).contains("two-3"));
                await().atMost(Duration.ofSeconds(10)).until(() -> direct.byteCount() == client.offset());
                synchronized (received) {
                    assertThat(received.toByteArray()).isEqualTo(direct.bytes());
                }
            }
        }
    }

    private static String text(ByteArrayOutputStream out) {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    /** A TCP relay to the daemon whose connections can be cut, and which can refuse new ones for a while. */
    static final class Relay implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0);
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        volatile boolean refuse;

        Relay(int target) throws IOException {
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket in = server.accept();
                        if (refuse) {
                            in.close();
                            continue;
                        }
                        Socket out = new Socket("127.0.0.1", target);
                        sockets.add(in);
                        sockets.add(out);
                        Thread.ofVirtual().start(() -> pump(in, out));
                        Thread.ofVirtual().start(() -> pump(out, in));
                    } catch (IOException e) {
                        // closed
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        void dropAll() {
            sockets.forEach(s -> {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // already closed
                }
            });
            sockets.clear();
        }

        private static void pump(Socket from, Socket to) {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // dropped
            }
            try {
                to.close();
            } catch (IOException ignored) {
                // already closed
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            dropAll();
        }
    }
}
