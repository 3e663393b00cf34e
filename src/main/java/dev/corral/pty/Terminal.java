package dev.corral.pty;

import com.pty4j.PtyProcess;
import com.pty4j.PtyProcessBuilder;
import com.pty4j.WinSize;
import dev.corral.sandbox.HostCommand;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One process running under a PTY, with its output kept in a {@link ByteRing} and fanned out to any number of
 * {@link Viewer}s. The process is a {@link HostCommand}: in production a sandbox launcher whose shell runs inside the
 * sandbox. It lives on when viewers detach; {@link #close()} kills it.
 *
 * <p>Threads: one platform thread reads the PTY (its reads are native calls, which would pin a virtual thread's
 * carrier), one platform thread writes queued input, and each viewer has its own virtual thread (see
 * {@link Subscription}). Nothing a viewer does can block the reader.
 *
 * <p>Thread-safe. {@link #write} never blocks; {@link #resize} and {@link #close()} return at once.
 *
 * <p>Caveat: pty4j applies the initial size right after starting the process, so a program that queries the size
 * in its first instant may still see 0x0; it gets {@code SIGWINCH} when the size arrives (shells redraw then).
 */
public final class Terminal implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Terminal.class);
    private static final int READ_BUFFER = 16 * 1024;
    /** Input accepted but not yet written to the PTY, past which {@link #write} refuses more. */
    private static final long MAX_PENDING_INPUT = 1 << 20;
    private static final Duration KILL_AFTER = Duration.ofSeconds(2);
    /** How long output is still read after the process exited, from programs it left holding the PTY. */
    private static final Duration OUTPUT_AFTER_EXIT = Duration.ofMillis(500);
    private static final byte[] STOP_INPUT = new byte[0];
    /** Longest title {@link #rename} accepts. */
    public static final int MAX_TITLE = 200;

    private final String id;
    private volatile String title;
    private final Instant createdAt = Instant.now();
    private final PtyProcess process;
    private final ByteRing ring;
    private final int lagBudget;
    private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
    private final BlockingQueue<byte[]> input = new LinkedBlockingQueue<>();
    private final AtomicLong pendingInput = new AtomicLong();
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private volatile TerminalSize size;
    private volatile Integer exitCode;

    private Terminal(String id, String title, PtyProcess process, TerminalSize size, TerminalConfig config) {
        this.id = id;
        this.title = title;
        this.process = process;
        this.size = size;
        this.ring = new ByteRing(config.ringCapacity());
        this.lagBudget = config.viewerLagBudget();
    }

    /**
     * Starts {@code command} under a new PTY of the given size. The environment is exactly the command's, plus
     * {@code TERM=xterm-256color} if it sets no {@code TERM}.
     *
     * @param title shown in terminal lists; {@code null} means the command's program name
     * @throws TerminalException (UNAVAILABLE) if the process cannot be started
     */
    public static Terminal start(String id, HostCommand command, TerminalSize size, String title,
                                 TerminalConfig config) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(size, "size");
        var env = new HashMap<>(command.env());
        env.putIfAbsent("TERM", "xterm-256color");
        var argv = command.argv().toArray(String[]::new);
        PtyProcess process;
        try {
            process = new PtyProcessBuilder(argv)
                    .setEnvironment(env)
                    .setInitialColumns(size.cols())
                    .setInitialRows(size.rows())
                    .setRedirectErrorStream(true)
                    .start();
        } catch (IOException | RuntimeException e) {
            throw TerminalException.startFailed(argv.length == 0 ? "nothing" : argv[0], e);
        }
        var terminal = new Terminal(id, title == null || title.isBlank() ? programName(argv) : title, process, size,
                config);
        Thread.ofPlatform().daemon().name("terminal-" + id + "-output").start(terminal::pumpOutput);
        Thread.ofPlatform().daemon().name("terminal-" + id + "-input").start(terminal::pumpInput);
        return terminal;
    }

    public String id() {
        return id;
    }

    public String title() {
        return title;
    }

    /** Changes the title shown in terminal lists (a tab rename); a blank title is refused. */
    public void rename(String newTitle) {
        if (newTitle == null || newTitle.isBlank()) {
            throw new TerminalException(TerminalException.Kind.BAD_REQUEST, "bad_terminal_title",
                    "a terminal title must not be blank", null);
        }
        if (newTitle.length() > MAX_TITLE) {
            throw new TerminalException(TerminalException.Kind.BAD_REQUEST, "bad_terminal_title",
                    "a terminal title has at most " + MAX_TITLE + " characters", null);
        }
        title = newTitle.strip();
    }

    public Instant createdAt() {
        return createdAt;
    }

    public TerminalSize size() {
        return size;
    }

    /** Offset just past the newest output byte: the total output so far. */
    public long endOffset() {
        return ring.end();
    }

    /** Offset of the oldest output byte still kept for replay. */
    public long oldestOffset() {
        return ring.oldest();
    }

    /** True until the process has exited and all its output has been read. */
    public boolean isAlive() {
        return exitCode == null;
    }

    /** The process's exit code once it has exited and all its output has been read. */
    public OptionalInt exitCode() {
        var code = exitCode;
        return code == null ? OptionalInt.empty() : OptionalInt.of(code);
    }

    /** Completes with the exit code once the process has exited and all its output is in the ring. */
    public CompletableFuture<Integer> onExit() {
        return exit.copy();
    }

    /** The host process (for a sandboxed terminal, the launcher), e.g. for {@code Sandbox#signal}. */
    public ProcessHandle processHandle() {
        return process.toHandle();
    }

    /**
     * Queues {@code bytes} as keyboard input. Never blocks. Input after exit is dropped.
     *
     * @throws TerminalException (TOO_MANY) if more than 1 MiB of earlier input is still waiting for the process
     */
    public void write(byte[] bytes) {
        if (bytes.length == 0 || !isAlive()) {
            return;
        }
        long pending = pendingInput.addAndGet(bytes.length);
        if (pending > MAX_PENDING_INPUT) {
            pendingInput.addAndGet(-bytes.length);
            throw TerminalException.inputBacklog(id, pending - bytes.length);
        }
        input.add(bytes.clone());
    }

    /** Changes the window size; the process gets {@code SIGWINCH}. Ignored after exit. */
    public void resize(TerminalSize newSize) {
        Objects.requireNonNull(newSize, "newSize");
        size = newSize;
        if (isAlive()) {
            try {
                process.setWinSize(new WinSize(newSize.cols(), newSize.rows()));
            } catch (RuntimeException e) {
                log.debug("cannot resize terminal {} (has it just exited?)", id, e);
            }
        }
    }

    /**
     * Attaches a viewer. It first gets a {@link TerminalEvent.Replay} of the output kept since {@code offset}
     * (clamped to what the ring holds; a negative offset means everything kept), then that output, then live
     * output, then {@link TerminalEvent.Exit}. Attaching to an exited terminal replays and then reports the exit.
     */
    public Subscription attach(long offset, Viewer viewer) {
        Objects.requireNonNull(viewer, "viewer");
        var subscription = new Subscription(this, viewer, lagBudget);
        subscriptions.add(subscription);
        subscription.start(offset);
        return subscription;
    }

    /** Number of viewers currently attached. */
    public int viewerCount() {
        return subscriptions.size();
    }

    /**
     * Ends the process: hang-up and terminate now, kill after two seconds if it is still there. Attached viewers
     * still get the remaining output and the exit. Idempotent; does not wait.
     */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        CompletableFuture.delayedExecutor(KILL_AFTER.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
            if (process.isAlive()) {
                process.destroyForcibly();
            }
        });
    }

    ByteRing ring() {
        return ring;
    }

    Integer exitCodeOrNull() {
        return exitCode;
    }

    void detach(Subscription subscription) {
        subscriptions.remove(subscription);
    }

    private void wakeViewers() {
        for (var s : subscriptions) {
            s.wake();
        }
    }

    private void pumpOutput() {
        var buffer = new byte[READ_BUFFER];
        var direct = MasterReader.of(process);
        // pty4j's own stream ends when the process exits; ours would wait for every holder of the PTY (a background
        // job), so it is told to stop once the process has been gone for a moment.
        direct.ifPresent(reader -> process.onExit().thenRunAsync(reader::stop,
                CompletableFuture.delayedExecutor(OUTPUT_AFTER_EXIT.toMillis(), TimeUnit.MILLISECONDS)));
        try (InputStream in = direct.<InputStream>map(r -> r).orElseGet(process::getInputStream)) {
            int n;
            while ((n = in.read(buffer, 0, buffer.length)) >= 0) {
                if (n > 0) {
                    ring.append(buffer, 0, n);
                    wakeViewers();
                }
            }
        } catch (IOException e) {
            // EIO once the last process holding the PTY's other side is gone: the normal end of output
            log.trace("terminal {} output ended: {}", id, e.toString());
        }
        int code;
        try {
            code = process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            code = -1;
        }
        exitCode = code;
        input.add(STOP_INPUT);
        wakeViewers();
        exit.complete(code);
        log.debug("terminal {} exited with {}", id, code);
    }

    private void pumpInput() {
        try (var out = process.getOutputStream()) {
            while (true) {
                byte[] bytes = input.take();
                if (bytes == STOP_INPUT) {
                    return;
                }
                pendingInput.addAndGet(-bytes.length);
                out.write(bytes);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            log.trace("terminal {} input ended: {}", id, e.toString());
        }
    }

    private static String programName(String[] argv) {
        if (argv.length == 0) {
            return "terminal";
        }
        String program = argv[0];
        return program.substring(program.lastIndexOf('/') + 1);
    }

    @Override
    public String toString() {
        return "Terminal[" + id + " " + title + " " + size.cols() + "x" + size.rows() + "]";
    }
}
