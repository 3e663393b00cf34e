package dev.corral.workspace;

import dev.corral.CorralException;
import dev.corral.sandbox.Sandbox;
import dev.corral.sandbox.SandboxCommand;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The processes started through the API in one running sandbox. Each keeps its interleaved stdout and stderr in an
 * {@link OutputLog}; ended processes stay listed (with their output) until the sandbox stops.
 */
final class ProcessTable {
    private static final int MAX_RUNNING = 256;

    private final Sandbox sandbox;
    private final int outputCapacity;
    private final AtomicInteger nextPid = new AtomicInteger(1);
    private final Map<Integer, Entry> entries = new ConcurrentSkipListMap<>();

    ProcessTable(Sandbox sandbox, int outputCapacity) {
        this.sandbox = sandbox;
        this.outputCapacity = outputCapacity;
    }

    private static final class Entry {
        final int pid;
        final List<String> argv;
        final Instant startedAt = Instant.now();
        final Process process;
        final OutputLog output;
        volatile Instant endedAt;
        volatile Integer exitCode;

        Entry(int pid, List<String> argv, Process process, OutputLog output) {
            this.pid = pid;
            this.argv = argv;
            this.process = process;
            this.output = output;
        }

        ProcessInfo info() {
            return new ProcessInfo(pid, argv, startedAt, exitCode == null, exitCode, endedAt, output.end());
        }
    }

    ProcessInfo start(SandboxCommand command, String stdin) {
        long running = entries.values().stream().filter(e -> e.exitCode == null).count();
        if (running >= MAX_RUNNING) {
            throw new CorralException(CorralException.Kind.TOO_MANY, "too_many_processes",
                    "this workspace already runs " + MAX_RUNNING + " processes started through the API");
        }
        Process p = sandbox.spawn(command, true);
        var e = new Entry(nextPid.getAndIncrement(), command.argv(), p, new OutputLog(outputCapacity));
        entries.put(e.pid, e);
        Thread.ofVirtual().name("process-" + e.pid).start(() -> pump(e));
        if (stdin != null) {
            writeStdin(e.pid, new java.io.ByteArrayInputStream(stdin.getBytes(java.nio.charset.StandardCharsets.UTF_8)), true);
        }
        return e.info();
    }

    private static void pump(Entry e) {
        byte[] buf = new byte[16 * 1024];
        try (InputStream in = e.process.getInputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) e.output.append(buf, 0, n);
        } catch (IOException ignored) {
            // the process ended
        }
        try {
            int code = e.process.waitFor();
            e.endedAt = Instant.now();
            e.exitCode = code;
            synchronized (e.output) {
                e.output.notifyAll();
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    List<ProcessInfo> list() {
        return entries.values().stream().map(Entry::info).toList();
    }

    ProcessInfo get(int pid) {
        return entry(pid).info();
    }

    void writeStdin(int pid, InputStream body, boolean close) {
        Entry e = entry(pid);
        OutputStream stdin = e.process.getOutputStream();
        try {
            body.transferTo(stdin);
            stdin.flush();
            if (close) stdin.close();
        } catch (IOException ex) {
            throw CorralException.conflict("stdin_closed", "process " + pid + " no longer accepts input");
        }
    }

    boolean signal(int pid, String signal) {
        Entry e = entry(pid);
        if (e.exitCode != null) return false;
        try {
            return sandbox.signal(e.process, signal);
        } catch (IllegalArgumentException ex) {
            throw CorralException.badRequest("invalid_signal", ex.getMessage());
        }
    }

    /** Waits up to {@code timeout} for the process to end; returns its info either way. */
    ProcessInfo await(int pid, Duration timeout) throws InterruptedException {
        Entry e = entry(pid);
        if (e.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            // The pump records the exit code after draining output; wait for it briefly.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            synchronized (e.output) {
                while (e.exitCode == null && System.nanoTime() < deadline) e.output.wait(10);
            }
        }
        return e.info();
    }

    OutputLog.Slice output(int pid, long after, int max) {
        return entry(pid).output.read(after, max);
    }

    void killAll() {
        entries.values().forEach(e -> e.process.destroyForcibly());
    }

    private Entry entry(int pid) {
        Entry e = entries.get(pid);
        if (e == null) throw CorralException.notFound("process", String.valueOf(pid));
        return e;
    }

}
