package dev.corral.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.pty.Terminal;
import dev.corral.pty.TerminalConfig;
import dev.corral.pty.TerminalEvent;
import dev.corral.pty.TerminalSize;
import dev.corral.pty.Viewer;
import dev.corral.sandbox.HostCommand;
import dev.corral.testing.Api;
import dev.corral.testing.BlockingWebSocket;
import dev.corral.testing.TestDaemon;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Issue 3's figures, in one run: the same bash, producing the same bytes, served three ways: Corral's PTY read
 * in-process (the ceiling), Corral's terminal WebSocket through the daemon (the shell in a bwrap sandbox), and
 * terminado (Jupyter's terminal server) on another loopback port. Output throughput of a large {@code cat} (a file of
 * base64 text each shell writes to its own {@code /tmp} first), and keystroke echo latency of single-byte round trips.
 * Each round also times the same {@code cat} under util-linux's {@code script}, a C program that reads its PTY straight
 * to /dev/null: the PTY's own rate on this machine (see {@link NativeReader}).
 * Usage: bench/run terminal [megabytes of zeros base64-encoded into the file, default 64] [round trips, default 1000]
 * [rounds, default 3]. With {@code TERMINAL_BENCH_COVIEWER=deflate}, a second socket that asks for permessage-deflate (as
 * browsers do) views Corral's terminal throughout, reading and dropping what it gets.
 */
public final class TerminalBench {
    static final List<String> SHELL = List.of("/bin/bash", "--norc", "--noprofile");
    /** Where each shell writes the text it then cats: its own /tmp (the sandbox's is private to it). */
    static final String BIG_FILE = "/tmp/corral-terminal-bench.txt";
    /** What each throughput round types: the file catted once, then a marker that ends the round. */
    static final String PRODUCER = "cat " + BIG_FILE + "; echo BENCH-$((40+2))-END\n";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One way of reaching a shell under a PTY: send keys, receive output. */
    interface Session extends AutoCloseable {
        void send(byte[] keys) throws Exception;

        /** The process doing the serving, whose CPU time per MB is reported. */
        ProcessHandle server();
    }

    /** A server under test, with its session and what was measured. */
    static final class Contender {
        final String name;
        final Session session;
        final Receiver rx;
        final List<Double> mbPerSecond = new ArrayList<>();
        final List<Double> cpuMsPerMb = new ArrayList<>();
        final List<Double> echoMs = new ArrayList<>();
        long bytes;
        long chunks;
        long skippedBytes;

        Contender(String name, Session session, Receiver rx) {
            this.name = name;
            this.session = session;
            this.rx = rx;
        }

        double throughput() {
            return Stats.of(name, mbPerSecond).median();
        }

        double cpu() {
            return Stats.of(name, cpuMsPerMb).median();
        }

        Stats echo() {
            return Stats.of(name, echoMs);
        }
    }

    public static void main(String[] args) throws Exception {
        int mb = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int trips = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Path tmp = Files.createTempDirectory("corral-term-bench");

        try (TestDaemon daemon = TestDaemon.start(tmp.resolve("home"), Map.of("LOG_LEVEL", "WARN"))) {
            var tab = Tab.open(daemon.api());
            var local = new Receiver();
            var corral = new Receiver();
            var jupyter = new Receiver();
            var contenders = List.of(
                    new Contender("Corral PTY, read in-process (ceiling)", localSession(local), local),
                    new Contender("Corral WebSocket via daemon (bwrap sandbox)", corralSession(daemon, tab, corral), corral),
                    new Contender("terminado (Jupyter) WebSocket", terminadoSession(jupyter), jupyter));
            NativeReader kernel;
            try {
                for (var c : contenders) warmUp(c, mb);
                kernel = new NativeReader(Path.of(BIG_FILE)); // after warm-up: the file is there
                // Rounds interleave the servers, so a burst of load on this machine hits all of them alike.
                for (int round = 0; round < rounds; round++) {
                    for (var c : contenders) throughput(c);
                    kernel.round();
                    int share = trips / rounds + (round < trips % rounds ? 1 : 0);
                    for (var c : contenders) c.echoMs.addAll(echo(c.session, c.rx, share));
                }
            } finally {
                for (var c : contenders) c.session.close();
                Files.deleteIfExists(Path.of(BIG_FILE)); // the host shells' copy; the sandbox's /tmp goes with it
            }
            report(contenders, mb, trips, rounds);
            kernel.report(contenders.get(1), contenders.get(2));
        }
    }

    /**
     * The PTY's own rate on this machine, with no server at all: util-linux's {@code script} (a C program) runs the same
     * {@code cat} under a PTY of its own and copies what it reads to /dev/null. A server reads the PTY the same way and
     * then does more, on the same CPUs, so this bounds the throughput ratio a server could show over terminado here.
     * The time includes starting {@code script}, its shell and {@code cat} (a few milliseconds of a second or more).
     */
    static final class NativeReader {
        private final Path file;
        private final long bytes; // what the PTY delivers: the file with every \n turned into \r\n
        private final List<Double> mbPerSecond = new ArrayList<>();

        NativeReader(Path file) throws Exception {
            this.file = file;
            long size = 0;
            long lines = 0;
            try (var in = Files.newInputStream(file)) {
                var buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; size += n) {
                    for (int i = 0; i < n; i++) if (buf[i] == '\n') lines++;
                }
            }
            this.bytes = size + lines;
        }

        void round() throws Exception {
            var pb = new ProcessBuilder("script", "--quiet", "--command", "cat " + file, "/dev/null")
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.INHERIT);
            long t0 = System.nanoTime();
            int code = pb.start().waitFor();
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (code != 0) throw new IllegalStateException("script exited with " + code);
            mbPerSecond.add(bytes / seconds / 1e6);
            System.out.printf("native PTY reader (util-linux script): %,d bytes in %.2f s%n", bytes, seconds);
        }

        void report(Contender corral, Contender terminado) {
            double median = Stats.of("native", mbPerSecond).median();
            System.out.printf("%nnative PTY reader, no server (util-linux script, cat to /dev/null): %.1f MB/s, per round %s%n",
                    median, mbPerSecond.stream().map(v -> String.format("%.1f", v)).toList());
            System.out.printf("native/terminado throughput: %.2fx (the most any server could show here); Corral/native %.2fx%n",
                    median / terminado.throughput(), corral.throughput() / median);
        }
    }

    private static void report(List<Contender> all, int mb, int trips, int rounds) {
        Contender ceiling = all.get(0);
        Contender corral = all.get(1);
        Contender jupyter = all.get(2);
        System.out.printf("%nproducer: cat of a file of %dM zeros in base64 (%,d bytes through the PTY), %d rounds, median shown;"
                + " echo: %d single-byte round trips each%n", mb, corral.bytes, rounds, trips);
        System.out.printf("%-44s %8s %16s %12s %12s%n", "server", "MB/s", "server CPU ms/MB", "echo p50 ms", "echo p99 ms");
        for (var x : all) {
            System.out.printf("%-44s %8.1f %16.1f %12.3f %12.3f%n", x.name, x.throughput(), x.cpu(),
                    x.echo().median(), x.echo().percentile(99));
        }
        System.out.printf("%nCorral/terminado throughput:  %.2fx (target >= 2x)%n", corral.throughput() / jupyter.throughput());
        System.out.printf("ceiling/Corral throughput:    %.2fx (target <= 2x)%n", ceiling.throughput() / corral.throughput());
        System.out.printf("Corral/terminado echo p99:    %.2fx (target <= 1x); p50 %.2fx%n",
                corral.echo().percentile(99) / jupyter.echo().percentile(99), corral.echo().median() / jupyter.echo().median());
        System.out.printf("terminado/Corral server CPU:  %.2fx per MB (the ceiling's figure is the whole bench JVM)%n",
                jupyter.cpu() / corral.cpu());
        for (var x : all) {
            System.out.printf("  %s: MB/s per round %s, avg output chunk %,d bytes, skipped %,d bytes%n", x.name,
                    x.mbPerSecond.stream().map(v -> String.format("%.1f", v)).toList(), x.bytes / Math.max(1, x.chunks),
                    x.skippedBytes);
        }
    }

    private static long cpuNanos(ProcessHandle p) {
        return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    /**
     * Keystrokes typed before the measured ones, by every server alike. A freshly started daemon answers its first few
     * thousand keystrokes with millisecond stalls while its JIT compiles the path; a terminal in use is past that.
     * (bench/run terminal 8 1000, three runs each: Corral's echo p99 2.4-3.7 ms after 200 warm-up trips, 0.44-1.02 ms
     * after 2,000; terminado's 2.8-3.8 and 1.4-3.1.)
     */
    private static final int WARM_UP_TRIPS = 2000;

    /** Waits for a prompt, writes the file to cat and cats it once, then warms the echo path up. */
    static void warmUp(Contender c, int mb) throws Exception {
        c.rx.arm("$");
        c.session.send("PS1='$ '\n".getBytes(StandardCharsets.US_ASCII));
        c.rx.await(Duration.ofSeconds(30));
        c.rx.arm("WARM-2-END");
        c.session.send(("head -c " + mb + "M /dev/zero | base64 >" + BIG_FILE + "; cat " + BIG_FILE
                + "; echo WARM-$((1+1))-END\n").getBytes(StandardCharsets.US_ASCII));
        c.rx.await(Duration.ofSeconds(120));
        echo(c.session, c.rx, WARM_UP_TRIPS);
    }

    static void throughput(Contender c) throws Exception {
        long before = c.rx.total();
        long chunksBefore = c.rx.chunks();
        c.rx.arm("BENCH-42-END");
        long cpu0 = cpuNanos(c.session.server());
        long t0 = System.nanoTime();
        c.session.send(PRODUCER.getBytes(StandardCharsets.US_ASCII));
        long skippedBefore = c.rx.skipped();
        boolean markerAgain = false;
        for (long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos(); ; ) {
            if (c.rx.awaitQuietly(Duration.ofMillis(500))) break;
            if (System.nanoTime() > deadline) throw new IllegalStateException(c.name + ": no end marker in 10 minutes");
            // A viewer skipped forward may have been moved past the marker: ask the shell for it once more.
            if (!markerAgain && c.rx.skipped() > skippedBefore) {
                c.session.send("echo BENCH-$((40+2))-END\n".getBytes(StandardCharsets.US_ASCII));
                markerAgain = true;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpuMs = (cpuNanos(c.session.server()) - cpu0) / 1e6;
        long bytes = c.rx.total() - before;
        c.bytes = bytes;
        c.skippedBytes += c.rx.skipped() - skippedBefore;
        c.chunks += c.rx.chunks() - chunksBefore;
        c.mbPerSecond.add(bytes / seconds / 1e6);
        c.cpuMsPerMb.add(cpuMs / (bytes / 1e6));
        System.out.printf("%s: %,d bytes in %.2f s%n", c.name, bytes, seconds);
    }

    /** Types 'x' and DEL alternately (the line stays short) and times each echo. */
    static List<Double> echo(Session s, Receiver rx, int trips) throws Exception {
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
        return samples;
    }

    /** Output sink that counts bytes and completes a waiter when a marker shows up. */
    static final class Receiver {
        private long total;
        private long skipped;
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

        /** True if the marker showed up within {@code timeout}. */
        boolean awaitQuietly(Duration timeout) throws Exception {
            try {
                await(timeout);
                return true;
            } catch (java.util.concurrent.TimeoutException e) {
                return false;
            }
        }

        /** Bytes the server said it skipped (Corral's replay frames); 0 for servers that never skip. */
        synchronized long skipped() {
            return skipped;
        }

        synchronized void skip(long bytes) {
            skipped += bytes;
        }

        synchronized long total() {
            return total;
        }

        synchronized long chunks() {
            return chunks;
        }

        void accept(byte[] bytes, int off, int len) {
            int tail = Math.min(len, 256); // the marker check looks at the last 256 characters only
            accept(new String(bytes, off + len - tail, tail, StandardCharsets.ISO_8859_1), len);
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
        var sub = terminal.attach(0, new Viewer() {
            private long offset = -1; // the output offset reached

            @Override
            public void onEvent(TerminalEvent e) {
                if (e instanceof TerminalEvent.Replay r) {
                    if (offset >= 0 && r.from() > offset) rx.skip(r.from() - offset); // skipped forward
                    offset = r.from();
                } else if (e instanceof TerminalEvent.Output o) {
                    offset += o.bytes().length;
                    rx.accept(o.bytes(), 0, o.bytes().length);
                }
            }
        });
        return new Session() {
            @Override
            public void send(byte[] keys) {
                terminal.write(keys);
            }

            @Override
            public ProcessHandle server() {
                return ProcessHandle.current();
            }

            @Override
            public void close() {
                sub.close();
                terminal.close();
            }
        };
    }

    /** A terminal running {@link #SHELL} in a running workspace of its own. */
    record Tab(String workspace, String terminal) {
        static Tab open(Api api) throws Exception {
            String ws = api.createRunning(Api.json("name", "bench")).path("id").asText();
            var r = api.post("/api/v1/workspaces/" + ws + "/terminals",
                    Api.json("cols", 120, "rows", 40, "command", "exec " + String.join(" ", SHELL)));
            return new Tab(ws, r.json().path("terminalId").asText());
        }
    }

    static Session corralSession(TestDaemon daemon, Tab tab, Receiver rx) throws Exception {
        long daemonPid = daemon.pid();
        String path = "/api/v1/workspaces/" + tab.workspace() + "/terminals/" + tab.terminal() + "?token="
                + daemon.token();
        var socket = BlockingWebSocket.connect(daemon.port(), path);
        if ("deflate".equals(System.getenv("TERMINAL_BENCH_COVIEWER"))) {
            // A second viewer of the same terminal that asks for compression, as browsers do; it reads and drops.
            var co = BlockingWebSocket.connect(daemon.port(), path, true);
            System.out.println("with a second viewer of Corral's terminal, compressed (permessage-deflate): " + co.compressed());
            readAll("co-viewer", co, new BlockingWebSocket.Handler() {
                @Override
                public void text(String text) {
                    // replay and exit frames: not measured
                }

                @Override
                public void binary(byte[] bytes, int length) {
                    // output: not measured
                }
            });
        }
        readAll("corral", socket, new BlockingWebSocket.Handler() {
            private long offset = -1; // the output offset reached

            @Override
            public void text(String text) throws Exception {
                var frame = JSON.readTree(text);
                if ("replay".equals(frame.path("type").asText())) {
                    long from = frame.path("from").asLong();
                    // A replay past the offset reached: this socket fell too far behind and was skipped forward.
                    if (offset >= 0 && from > offset) rx.skip(from - offset);
                    offset = from;
                }
            }

            @Override
            public void binary(byte[] bytes, int length) {
                offset += length;
                rx.accept(bytes, 0, length);
            }
        });
        return new Session() {
            @Override
            public void send(byte[] keys) throws Exception {
                socket.sendBinary(keys);
            }

            @Override
            public ProcessHandle server() {
                return ProcessHandle.of(daemonPid).orElseThrow();
            }

            @Override
            public void close() throws Exception {
                socket.close();
            }
        };
    }

    /** Reads the socket on a thread of its own, one blocking read per message, until it closes. */
    private static void readAll(String name, BlockingWebSocket socket, BlockingWebSocket.Handler handler) {
        Thread.ofPlatform().daemon().name(name + "-socket").start(() -> {
            try {
                while (socket.read(handler)) {
                    // next message
                }
            } catch (Exception e) {
                // closed at the end of the run, or broken: the waits for markers time out and say which
            }
        });
    }

    private static final byte[] STDOUT_PREFIX = "[\"stdout\", \"".getBytes(StandardCharsets.US_ASCII);

    /**
     * The output bytes of a terminado message {@code ["stdout", "..."]} (as Python's json.dumps writes it), decoded
     * into {@code out} (never longer than the message); -1 for any other message.
     */
    static int stdout(byte[] json, int length, byte[] out) {
        if (length < STDOUT_PREFIX.length + 2 || !Arrays.equals(json, 0, STDOUT_PREFIX.length, STDOUT_PREFIX, 0,
                STDOUT_PREFIX.length)) {
            return -1;
        }
        int n = 0;
        for (int i = STDOUT_PREFIX.length; i < length; i++) {
            byte b = json[i];
            if (b == '"') return n;
            if (b != '\\') {
                out[n++] = b; // already UTF-8
                continue;
            }
            byte e = json[++i];
            switch (e) {
                case 'b' -> out[n++] = '\b';
                case 'f' -> out[n++] = '\f';
                case 'n' -> out[n++] = '\n';
                case 'r' -> out[n++] = '\r';
                case 't' -> out[n++] = '\t';
                case 'u' -> {
                    int c = Integer.parseInt(new String(json, i + 1, 4, StandardCharsets.US_ASCII), 16);
                    i += 4;
                    if (Character.isHighSurrogate((char) c) && i + 6 < length && json[i + 1] == '\\' && json[i + 2] == 'u') {
                        int low = Integer.parseInt(new String(json, i + 3, 4, StandardCharsets.US_ASCII), 16);
                        c = Character.toCodePoint((char) c, (char) low);
                        i += 6;
                    }
                    byte[] enc = new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8);
                    System.arraycopy(enc, 0, out, n, enc.length);
                    n += enc.length;
                }
                default -> out[n++] = e; // \" \\ \/
            }
        }
        throw new IllegalStateException("unterminated terminado message");
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
        var socket = BlockingWebSocket.connect(Integer.parseInt(line.substring(5).trim()), "/websocket");
        readAll("terminado", socket, new BlockingWebSocket.Handler() {
            private byte[] decoded = new byte[1 << 16];

            @Override
            public void text(byte[] utf8, int length) {
                // Decoded in place of a JSON tree and a String: this client shares the two CPUs with the server it
                // measures, and with Jackson it cost ~7 ms of CPU per MB, half as much as terminado itself.
                if (decoded.length < length) decoded = new byte[length];
                int n = stdout(utf8, length, decoded);
                if (n >= 0) rx.accept(decoded, 0, n);
            }

            @Override
            public void text(String text) {
                throw new AssertionError("unused: text(byte[], int) takes every text message");
            }

            @Override
            public void binary(byte[] bytes, int length) {
                // terminado sends text only
            }
        });
        socket.sendText("[\"set_size\",40,120]");
        return new Session() {
            @Override
            public void send(byte[] keys) throws Exception {
                String s = new String(keys, StandardCharsets.ISO_8859_1);
                socket.sendText(JSON.writeValueAsString(List.of("stdin", s)));
            }

            @Override
            public ProcessHandle server() {
                return server.toHandle();
            }

            @Override
            public void close() throws Exception {
                socket.close();
                server.destroy();
            }
        };
    }
}
