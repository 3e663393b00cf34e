package dev.corral.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.pty.Terminal;
import dev.corral.pty.TerminalConfig;
import dev.corral.pty.TerminalEvent;
import dev.corral.pty.TerminalSize;
import dev.corral.sandbox.HostCommand;
import dev.corral.testing.Api;
import dev.corral.testing.TestDaemon;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Issue 3's figures, in one run: the same bash, producing the same bytes, served three ways: Corral's PTY read
 * in-process (the ceiling), Corral's terminal WebSocket through the daemon (the shell in a bwrap sandbox), and
 * terminado (Jupyter's terminal server) on another loopback port. Output throughput of
 * {@code head -c N /dev/zero | base64}, and keystroke echo latency of single-byte round trips.
 * Usage: bench/run terminal [megabytes of zeros, default 64] [round trips, default 1000]
 */
public final class TerminalBench {
    static final List<String> SHELL = List.of("/bin/bash", "--norc", "--noprofile");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One way of reaching a shell under a PTY: send keys, receive output. */
    interface Session extends AutoCloseable {
        void send(byte[] keys) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int mb = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int trips = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        String only = args.length > 2 ? args[2] : "all"; // local|corral|terminado: measure one, for profiling
        Path tmp = Files.createTempDirectory("corral-term-bench");
        String producer = "head -c " + mb + "M /dev/zero | base64; echo BENCH-$((40+2))-END\n";

        var results = new ArrayList<Result>();
        var local = new Receiver();
        if (only.equals("all") || only.equals("local")) try (var s = localSession(local)) {
            results.add(measure("Corral PTY, read in-process (ceiling)", s, local, producer, trips));
        }
        if (only.equals("all") || only.equals("corral")) try (TestDaemon daemon = TestDaemon.start(tmp.resolve("home"), Map.of("LOG_LEVEL", "WARN"))) {
            Api api = daemon.api();
            String ws = api.createRunning(Api.json("name", "bench")).path("id").asText();
            var r = api.post("/api/v1/workspaces/" + ws + "/terminals",
                    Api.json("cols", 120, "rows", 40, "command", "exec " + String.join(" ", SHELL)));
            String tid = r.json().path("terminalId").asText();
            var corral = new Receiver();
            try (var s = corralSession(daemon, ws, tid, corral)) {
                results.add(measure("Corral WebSocket via daemon (bwrap sandbox)", s, corral, producer, trips));
            }
        }
        var terminado = new Receiver();
        if (only.equals("all") || only.equals("terminado")) try (var s = terminadoSession(terminado)) {
            results.add(measure("terminado (Jupyter) WebSocket", s, terminado, producer, trips));
        }

        if (!only.equals("all")) {
            results.forEach(x -> System.out.printf("%s: %.1f MB/s, %d output chunks (avg %d bytes), echo p50 %.3f p99 %.3f ms%n",
                    x.name, x.mbPerSecond(), chunks(x), x.bytes / Math.max(1, chunks(x)), x.echo.median(), x.echo.percentile(99)));
            return;
        }
        Result ceiling = results.get(0);
        Result corral = results.get(1);
        Result jupyter = results.get(2);
        System.out.printf("%nproducer: head -c %dM /dev/zero | base64 (%,d bytes through the PTY); echo: %d single-byte round trips%n",
                mb, corral.bytes, trips);
        System.out.printf("%-44s %10s %12s %12s%n", "server", "MB/s", "echo p50 ms", "echo p99 ms");
        for (var x : results) {
            System.out.printf("%-44s %10.1f %12.3f %12.3f%n", x.name, x.mbPerSecond(), x.echo.median(), x.echo.percentile(99));
        }
        System.out.printf("%nCorral/terminado throughput: %.2fx (target >= 2x)%n", corral.mbPerSecond() / jupyter.mbPerSecond());
        System.out.printf("ceiling/Corral throughput:   %.2fx (target <= 2x)%n", ceiling.mbPerSecond() / corral.mbPerSecond());
        System.out.printf("Corral/terminado echo p99:   %.2fx (target <= 1x); p50 %.2fx%n",
                corral.echo.percentile(99) / jupyter.echo.percentile(99), corral.echo.median() / jupyter.echo.median());
    }

    private static long chunks(Result r) {
        return r.chunks;
    }

    record Result(String name, long bytes, double seconds, Stats echo, long chunks) {
        double mbPerSecond() {
            return bytes / seconds / 1e6;
        }
    }

    private static Result measure(String name, Session s, Receiver rx, String producer, int trips) throws Exception {
        // Wait for a prompt, then warm up both paths a little.
        rx.arm("$");
        s.send("PS1='$ '\n".getBytes(StandardCharsets.US_ASCII));
        rx.await(Duration.ofSeconds(30));
        rx.arm("WARM-2-END");
        s.send("head -c 2M /dev/zero | base64; echo WARM-$((1+1))-END\n".getBytes(StandardCharsets.US_ASCII));
        rx.await(Duration.ofSeconds(120));
        echo(s, rx, 200);

        long before = rx.total();
        long chunksBefore = rx.chunks();
        rx.arm("BENCH-42-END");
        long t0 = System.nanoTime();
        s.send(producer.getBytes(StandardCharsets.US_ASCII));
        rx.await(Duration.ofMinutes(10));
        double seconds = (System.nanoTime() - t0) / 1e9;
        long bytes = rx.total() - before;
        long chunks = rx.chunks() - chunksBefore;
        var echo = echo(s, rx, trips);
        System.out.printf("%s: %,d bytes in %.2f s%n", name, bytes, seconds);
        return new Result(name, bytes, seconds, echo, chunks);
    }

    /** Types 'x' and DEL alternately (the line stays short) and times each echo. */
    private static Stats echo(Session s, Receiver rx, int trips) throws Exception {
        var samples = new ArrayList<Double>();
        for (int i = 0; i < trips; i++) {
            boolean type = i % 2 == 0;
            rx.arm(type ? "x" : "\b");
            long t = System.nanoTime();
            s.send(new byte[] {type ? (byte) 'x' : (byte) 0x7f});
            rx.await(Duration.ofSeconds(10));
            samples.add((System.nanoTime() - t) / 1e6);
        }
        if (trips % 2 == 1) s.send(new byte[] {0x7f});
        return Stats.of("echo", samples);
    }

    /** Output sink that counts bytes and completes a waiter when a marker shows up. */
    static final class Receiver {
        private long total;
        private long chunks;
        private String marker;
        private String window = "";
        private CompletableFuture<Void> waiter = new CompletableFuture<>();

        synchronized void arm(String marker) {
            this.marker = marker;
            this.window = "";
            this.waiter = new CompletableFuture<>();
        }

        void await(Duration timeout) throws Exception {
            CompletableFuture<Void> w;
            synchronized (this) {
                w = waiter;
            }
            w.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        synchronized long total() {
            return total;
        }

        synchronized long chunks() {
            return chunks;
        }

        void accept(byte[] bytes, int off, int len) {
            accept(new String(bytes, off, len, StandardCharsets.ISO_8859_1), len);
        }

        synchronized void accept(String chunk, int byteCount) {
            total += byteCount;
            chunks++;
            if (marker == null || waiter.isDone()) return;
            String text = window + (chunk.length() > 256 ? chunk.substring(chunk.length() - 256) : chunk);
            if (text.contains(marker)) {
                waiter.complete(null);
            } else {
                window = text.length() > 64 ? text.substring(text.length() - 64) : text;
            }
        }
    }

    private static Session localSession(Receiver rx) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("TERM", "xterm-256color");
        var terminal = Terminal.start("bench", new HostCommand(SHELL, env), TerminalSize.of(120, 40), "bench",
                TerminalConfig.defaults());
        var sub = terminal.attach(0, e -> {
            if (e instanceof TerminalEvent.Output o) rx.accept(o.bytes(), 0, o.bytes().length);
        });
        return new Session() {
            @Override
            public void send(byte[] keys) {
                terminal.write(keys);
            }

            @Override
            public void close() {
                sub.close();
                terminal.close();
            }
        };
    }

    private static Session corralSession(TestDaemon daemon, String ws, String tid, Receiver rx) throws Exception {
        String url = "ws://127.0.0.1:" + daemon.port() + "/api/v1/workspaces/" + ws + "/terminals/" + tid
                + "?token=" + daemon.token();
        var socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(url), new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
                int n = data.remaining();
                var bytes = new byte[n];
                data.get(bytes);
                rx.accept(bytes, 0, n);
                w.request(1);
                return null;
            }
        }).get(10, TimeUnit.SECONDS);
        return new Session() {
            @Override
            public synchronized void send(byte[] keys) {
                socket.sendBinary(ByteBuffer.wrap(keys), true).join();
            }

            @Override
            public void close() {
                socket.abort();
            }
        };
    }

    private static Session terminadoSession(Receiver rx) throws Exception {
        Path script = Path.of("bench", "terminado_server.py").toAbsolutePath();
        var cmd = new ArrayList<>(List.of("/usr/bin/python3", script.toString()));
        cmd.addAll(SHELL);
        var pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("TERM", "xterm-256color");
        Process server = pb.start();
        var out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("PORT ")) {
            server.destroyForcibly();
            throw new IllegalStateException("terminado did not start: " + line);
        }
        Thread.ofVirtual().start(() -> out.lines().forEach(l -> { })); // drain its log
        String url = "ws://127.0.0.1:" + line.substring(5).trim() + "/websocket";
        var text = new StringBuilder();
        var socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(url), new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                text.append(data);
                if (last) {
                    try {
                        var node = JSON.readTree(text.toString());
                        if ("stdout".equals(node.path(0).asText())) {
                            String s = node.path(1).asText();
                            rx.accept(s, s.getBytes(StandardCharsets.UTF_8).length);
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    text.setLength(0);
                }
                w.request(1);
                return null;
            }
        }).get(10, TimeUnit.SECONDS);
        socket.sendText("[\"set_size\",40,120]", true).join();
        return new Session() {
            @Override
            public synchronized void send(byte[] keys) throws Exception {
                String s = new String(keys, StandardCharsets.ISO_8859_1);
                socket.sendText(JSON.writeValueAsString(List.of("stdin", s)), true).join();
            }

            @Override
            public void close() {
                socket.abort();
                server.destroy();
            }
        };
    }
}
