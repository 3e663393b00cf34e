package dev.corral.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.corral.pty.Terminal;
import dev.corral.pty.TerminalConfig;
import dev.corral.pty.TerminalManager;
import dev.corral.pty.TerminalSize;
import dev.corral.sandbox.HostCommand;
import dev.corral.testing.BlockingWebSocket;
import io.javalin.Javalin;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TerminalSocketTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    /** For pushing tens of megabytes through a PTY and a socket on a loaded machine. */
    private static final Duration LONG_WAIT = Duration.ofSeconds(45);
    private static final Map<String, String> ENV = Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "HOME", "/tmp",
            "LANG", "C.UTF-8");

    private final TerminalManager manager = new TerminalManager("ws1", TerminalConfig.defaults());
    private final List<TerminalSocketClient> clients = new ArrayList<>();
    private Javalin app;

    @AfterEach
    void stop() {
        clients.forEach(TerminalSocketClient::close);
        if (app != null) {
            app.stop();
        }
        manager.close();
    }

    private void serve(TerminalSocket.Limits limits) {
        var socket = new TerminalSocket(ctx -> manager.get(ctx.pathParam("tid")), limits);
        app = Javalin.create(cfg -> cfg.router.mount(router ->
                router.ws("/api/v1/workspaces/{id}/terminals/{tid}", socket))).start(0);
    }

    private TerminalSocketClient connect(Terminal terminal, String query) throws Exception {
        if (app == null) {
            serve(TerminalSocket.Limits.defaults());
        }
        var client = TerminalSocketClient.connect("ws://127.0.0.1:" + app.port() + "/api/v1/workspaces/ws1/terminals/"
                + terminal.id() + query);
        clients.add(client);
        return client;
    }

    private static HostCommand bash() {
        var env = new HashMap<>(ENV);
        env.put("PS1", "$ ");
        return new HostCommand(List.of("/bin/bash", "--noprofile", "--norc", "-i"), env);
    }

    private static HostCommand sh(String script) {
        return new HostCommand(List.of("/bin/sh", "-c", script), ENV);
    }

    private Terminal create(HostCommand command) {
        return manager.create(command, TerminalSize.of(80, 24), null);
    }

    @Test
    void echoesInputAndStartsWithAReplayFrame() throws Exception {
        var client = connect(create(bash()), "");
        await().atMost(WAIT).until(() -> !client.texts().isEmpty());
        assertThat(client.texts().get(0)).startsWith("{\"type\":\"replay\",\"from\":0,\"to\":");
        client.send("echo hel''lo-$((6*7))\n");
        await().atMost(WAIT).until(() -> client.text().contains("hello-42"));
    }

    @Test
    void resizeFrameResizesThePty() throws Exception {
        var terminal = create(bash());
        var client = connect(terminal, "");
        client.sendText("{\"type\":\"resize\",\"cols\":120,\"rows\":40}");
        client.send("stty size\n");
        await().atMost(WAIT).until(() -> client.text().contains("40 120"));
        assertThat(terminal.size()).isEqualTo(TerminalSize.of(120, 40));
    }

    @Test
    void reconnectWithAnOffsetReplaysExactlyWhatWasMissedThenTheExit() throws Exception {
        var terminal = create(sh("printf 'first\\n'; read x; printf 'second\\n'; read y; exit 4"));
        var first = connect(terminal, "");
        await().atMost(WAIT).until(() -> first.text().contains("first"));
        first.close();
        assertThat(first.closed).succeedsWithin(WAIT);
        int seen = first.bytes().length;

        terminal.write("a\nb\n".getBytes());
        assertThat(terminal.onExit()).succeedsWithin(WAIT).isEqualTo(4);

        var again = connect(terminal, "?offset=" + seen);
        assertThat(again.closed).succeedsWithin(WAIT)
                .isEqualTo(new TerminalSocketClient.Closed(1000, "terminal exited"));
        assertThat(again.texts()).containsExactly(
                "{\"type\":\"replay\",\"from\":" + seen + ",\"to\":" + terminal.endOffset() + "}",
                "{\"type\":\"exit\",\"code\":4}");
        assertThat(again.text()).contains("second").doesNotContain("first");

        var whole = connect(terminal, "?offset=0");
        assertThat(whole.closed).succeedsWithin(WAIT);
        assertThat(first.text() + again.text()).isEqualTo(whole.text());
    }

    @Test
    void aSocketThatStopsReadingDoesNotStallAnotherAndIsSkippedForward() throws Exception {
        var terminal = create(sh("read x; head -c 30000000 /dev/zero | tr '\\0' x"));
        serve(TerminalSocket.Limits.defaults());
        var url = "ws://127.0.0.1:" + app.port() + "/api/v1/workspaces/ws1/terminals/" + terminal.id();
        var slow = TerminalSocketClient.connect(url, true);
        var fast = TerminalSocketClient.connect(url, false);
        clients.add(slow);
        clients.add(fast);
        terminal.write("\n".getBytes());

        // 30 MB is more than loopback socket buffers hold, so the stalled socket's sender really blocks.
        assertThat(fast.closed).succeedsWithin(LONG_WAIT);
        assertThat(fast.texts()).last().isEqualTo("{\"type\":\"exit\",\"code\":0}");
        assertThat(slow.closed).isNotDone();
        assertThat(slow.byteCount()).isLessThan((int) terminal.endOffset());

        slow.resume();
        assertThat(slow.closed).succeedsWithin(LONG_WAIT);
        assertThat(slow.texts()).contains("{\"type\":\"replay\",\"from\":" + terminal.endOffset() + ",\"to\":"
                + terminal.endOffset() + "}");
        assertThat(slow.texts()).last().isEqualTo("{\"type\":\"exit\",\"code\":0}");
    }

    @Test
    void aSocketWithCompressionGetsTheSameFramesAsAPlainOne() throws Exception {
        // Browsers ask for permessage-deflate; such sockets send from threads of their own (see TerminalSocket).
        var terminal = create(sh("read x; seq 1 30000; printf 'done\\n'; exit 3"));
        serve(TerminalSocket.Limits.defaults());
        var compressed = BlockingWebSocket.connect(app.port(), "/api/v1/workspaces/ws1/terminals/" + terminal.id(), true);
        assertThat(compressed.compressed()).isTrue();
        var texts = new ArrayList<String>();
        var bytes = new ByteArrayOutputStream();
        var reading = CompletableFuture.runAsync(() -> {
            try (compressed) {
                while (compressed.read(new BlockingWebSocket.Handler() {
                    @Override
                    public void text(String text) {
                        texts.add(text);
                    }

                    @Override
                    public void binary(byte[] data, int length) {
                        bytes.write(data, 0, length);
                    }
                })) {
                    // until the server closes
                }
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
        var plain = connect(terminal, "");
        await().atMost(WAIT).until(() -> !plain.texts().isEmpty());
        terminal.write("\n".getBytes());

        assertThat(plain.closed).succeedsWithin(LONG_WAIT);
        assertThat(reading).succeedsWithin(WAIT);
        assertThat(plain.text()).contains("29999\r\n30000\r\ndone");
        assertThat(bytes.toByteArray()).isEqualTo(plain.bytes());
        assertThat(texts).hasSize(2).last().isEqualTo("{\"type\":\"exit\",\"code\":3}");
        assertThat(texts.get(0)).startsWith("{\"type\":\"replay\",\"from\":0,");
    }

    @Test
    void exitFrameCarriesTheExitCode() throws Exception {
        var client = connect(create(bash()), "");
        client.send("exit 7\n");
        assertThat(client.closed).succeedsWithin(WAIT)
                .isEqualTo(new TerminalSocketClient.Closed(1000, "terminal exited"));
        assertThat(client.texts()).last().isEqualTo("{\"type\":\"exit\",\"code\":7}");
    }

    @Test
    void oversizedInputFrameClosesTheSocketButNotTheTerminal() throws Exception {
        var terminal = create(bash());
        var client = connect(terminal, "");
        client.sendBinary(new byte[64 * 1024 + 1]);
        assertThat(client.closed).succeedsWithin(WAIT)
                .isEqualTo(new TerminalSocketClient.Closed(1009, "input frame too large: 65537 bytes, limit 65536"));
        assertThat(terminal.isAlive()).isTrue();
    }

    @Test
    void badControlFrameClosesWithTheReason() throws Exception {
        var client = connect(create(bash()), "");
        client.sendText("{\"type\":\"resize\",\"cols\":\"wide\"}");
        assertThat(client.closed).succeedsWithin(WAIT).isEqualTo(new TerminalSocketClient.Closed(1007,
                "bad control frame: resize needs integer \"cols\" and \"rows\""));

        var other = connect(create(bash()), "");
        other.sendText("not json");
        assertThat(other.closed).succeedsWithin(WAIT)
                .isEqualTo(new TerminalSocketClient.Closed(1007, "bad control frame: not JSON"));
    }

    @Test
    void inputFasterThanTheRateLimitClosesTheSocket() throws Exception {
        serve(new TerminalSocket.Limits(1024, 1024, 10, 2500));
        var client = connect(create(sh("cat > /dev/null")), "");
        client.sendBinary(new byte[1000]);
        client.sendBinary(new byte[1000]);
        client.sendBinary(new byte[1000]);
        assertThat(client.closed).succeedsWithin(WAIT)
                .isEqualTo(new TerminalSocketClient.Closed(1008, "input rate limit exceeded: 10 bytes/s"));
    }

    @Test
    void unknownTerminalAndBadOffsetAreRefused() throws Exception {
        serve(TerminalSocket.Limits.defaults());
        var missing = TerminalSocketClient.connect("ws://127.0.0.1:" + app.port()
                + "/api/v1/workspaces/ws1/terminals/nope");
        assertThat(missing.closed).succeedsWithin(WAIT)
                .isEqualTo(new TerminalSocketClient.Closed(4404, "terminal not found: nope"));

        var badOffset = connect(create(bash()), "?offset=-3");
        assertThat(badOffset.closed).succeedsWithin(WAIT)
                .isEqualTo(new TerminalSocketClient.Closed(4400, "offset must be a non-negative integer"));
    }
}
