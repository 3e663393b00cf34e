package dev.corral.pty;

import com.pty4j.PtyProcess;
import com.pty4j.PtyProcessBuilder;
import com.pty4j.WinSize;
import dev.corral.sandbox.HostCommand;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One process running under a PTY, with its output kept in a {@link ByteRing} and fanned out to any number of
 * {@link Viewer}s. The process is a {@link HostCommand}: in production a sandbox launcher whose shell runs inside the
 * sandbox. It lives on when viewers detach; {@link #close()} kills it.
 *
 * <p>Threads: one platform thread reads the PTY (its waits are native calls, which would pin a virtual thread's
 * carrier) and hands fresh output to viewers that are ready for it. Input is written by the caller of {@link #write}
 * when the PTY has room, else queued for a platform thread that waits for room. A blocking {@link Viewer} is called
 * on virtual threads, an {@link AsyncViewer} wherever it becomes ready (see {@link Subscription}). Nothing a viewer
 * does can block the reader.
 *
 * <p>While output flows, the reader gathers it (up to 32 KiB, at most 4 ms) before publishing it to viewers, who then
 * send few large frames instead of one per read; output after a pause, such as a keystroke's echo, is published at
 * once.
 *
 * <p>Thread-safe. {@link #write} never blocks; {@link #resize} and {@link #close()} return at once.
 *
 * <p>Caveat: pty4j applies the initial size right after starting the process, so a program that queries the size
 * in its first instant may still see 0x0; it gets {@code SIGWINCH} when the size arrives (shells redraw then).
 */
public final class Terminal implements AutoCloseable {
    /** Bytes of output read from every terminal of this daemon, for metrics. */
    public static final java.util.concurrent.atomic.LongAdder OUTPUT_BYTES = new java.util.concurrent.atomic.LongAdder();


    private static final Logger log = LoggerFactory.getLogger(Terminal.class);
    /** Output the viewers are woken for at the latest, while it keeps coming (less for a ring under 128 KiB). */
    private static final int GATHER_BYTES = 32 * 1024;
    private static final long GATHER_LIMIT_NANOS = 4_000_000;
    /** A batch this large means output is flowing: worth waiting {@link #GATHER_WAIT_NANOS} for the next piece. */
    private static final int STREAMING_BYTES = 512;
    private static final long GATHER_WAIT_NANOS = 250_000;
    private static final long IDLE_WAIT_NANOS = 200_000_000;
    /** Input accepted but not yet written to the PTY, past which {@link #write} refuses more. */
    private static final long MAX_PENDING_INPUT = 1 << 20;
    private static final Duration KILL_AFTER = Duration.ofSeconds(2);
    /** How long output is still read after the process exited, from programs it left holding the PTY. */
    private static final Duration OUTPUT_AFTER_EXIT = Duration.ofMillis(500);
    /** Longest title {@link #rename} accepts. */
    public static final int MAX_TITLE = 200;

    private final String id;
    private volatile String title;
    private final Instant createdAt = Instant.now();
    private final PtyProcess process;
    private final ByteRing ring;
    private final int lagBudget;
    private final int gatherBytes;
    private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
    /** Guards the input fields below: input the PTY had no room for waits in {@link #input} for the input thread. */
    private final ReentrantLock inputLock = new ReentrantLock();
    private final Condition inputQueued = inputLock.newCondition();
    private final ArrayDeque<byte[]> input = new ArrayDeque<>();
    private long pendingInput;
    /** The input thread has taken bytes from the queue that it has not written yet. */
    private boolean inputBusy;
    private boolean inputClosed;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    /** Our own descriptor for the PTY master: all output and input go through it. */
    private final PtyMaster master;
    private final AtomicInteger masterUsers = new AtomicInteger(2);
    private volatile TerminalSize size;
    private volatile Integer exitCode;
    /** See {@link #publishedEnd()}. */
    private volatile long published;

    private Terminal(String id, String title, PtyProcess process, PtyMaster master, TerminalSize size,
                     TerminalConfig config) {
        this.id = id;
        this.title = title;
        this.process = process;
        this.size = size;
        this.ring = new ByteRing(config.ringCapacity());
        this.lagBudget = config.viewerLagBudget();
        // A quarter of the ring at most, so gathered output is still in the ring when it is published.
        this.gatherBytes = Math.max(1, Math.min(GATHER_BYTES, config.ringCapacity() / 4));
        this.master = master;
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
        PtyMaster master;
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
        try {
            master = PtyMaster.of(process);
        } catch (IOException e) {
            process.destroyForcibly();
            throw TerminalException.startFailed(argv.length == 0 ? "nothing" : argv[0], e);
        }
        var terminal = new Terminal(id, title == null || title.isBlank() ? programName(argv) : title, process, master,
                size, config);
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
     * Sends {@code bytes} to the process as keyboard input: written at once if the PTY has room and nothing is
     * queued before them, else queued for the input thread. Never blocks. Input after exit is dropped.
     *
     * @throws TerminalException (TOO_MANY) if more than 1 MiB of earlier input is still waiting for the process
     */
    public void write(byte[] bytes) {
        if (bytes.length == 0 || !isAlive()) {
            return;
        }
        inputLock.lock();
        try {
            if (inputClosed) {
                return;
            }
            if (pendingInput + bytes.length > MAX_PENDING_INPUT) {
                throw TerminalException.inputBacklog(id, pendingInput);
            }
            int written = 0;
            if (input.isEmpty() && !inputBusy) {
                try {
                    written = master.tryWrite(bytes, 0);
                } catch (IOException e) {
                    log.trace("terminal {} input ended: {}", id, e.toString());
                    return; // the process is going; its output side reports the exit
                }
                if (written == bytes.length) {
                    return;
                }
            }
            byte[] rest = Arrays.copyOfRange(bytes, written, bytes.length);
            pendingInput += rest.length;
            input.add(rest);
            inputQueued.signal();
        } finally {
            inputLock.unlock();
        }
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
     * The viewer is called on a virtual thread and may block.
     */
    public Subscription attach(long offset, Viewer viewer) {
        Objects.requireNonNull(viewer, "viewer");
        return attach(Subscription.of(this, viewer, offset, lagBudget));
    }

    /** Attaches a viewer that never blocks, with the same events as {@link #attach(long, Viewer)}. */
    public Subscription attach(long offset, AsyncViewer viewer) {
        Objects.requireNonNull(viewer, "viewer");
        return attach(Subscription.of(this, viewer, offset, lagBudget));
    }

    private Subscription attach(Subscription subscription) {
        subscriptions.add(subscription);
        subscription.start();
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

    /** Offset up to which viewers send: the ring's end as of the last time they were woken. */
    long publishedEnd() {
        return published;
    }

    /** Lets viewers send everything read so far, and wakes them. */
    private void wakeViewers() {
        published = ring.end();
        for (var s : subscriptions) {
            s.pump();
        }
    }

    private void pumpOutput() {
        var buffer = new byte[PtyMaster.READ_SIZE];
        // Reading ends when every holder of the PTY is gone, which may be long after the process (a background job
        // keeps it open), so the master is told to stop once the process has been gone for a moment.
        process.onExit().thenRunAsync(master::stop,
                CompletableFuture.delayedExecutor(OUTPUT_AFTER_EXIT.toMillis(), TimeUnit.MILLISECONDS));
        try {
            long unannounced = 0; // bytes in the ring the viewers have not been woken for
            long lastWake = System.nanoTime();
            int n;
            while ((n = master.read(buffer)) >= 0) {
                if (n > 0) {
                    ring.append(buffer, 0, n);
                    OUTPUT_BYTES.add(n);
                    unannounced += n;
                    if (unannounced >= gatherBytes || System.nanoTime() - lastWake > GATHER_LIMIT_NANOS) {
                        wakeViewers();
                        unannounced = 0;
                        lastWake = System.nanoTime();
                    }
                    continue;
                }
                // Nothing pending. Output in full flow comes in pieces a few tens of microseconds apart: gather it a
                // moment longer, so viewers send fewer, larger frames. A keystroke's echo goes out at once.
                if (unannounced >= Math.min(STREAMING_BYTES, gatherBytes) && master.awaitOutput(GATHER_WAIT_NANOS)) {
                    continue;
                }
                if (unannounced > 0) {
                    wakeViewers();
                    unannounced = 0;
                    lastWake = System.nanoTime();
                }
                master.awaitOutput(IDLE_WAIT_NANOS);
            }
        } finally {
            releaseMaster();
        }
        wakeViewers(); // the last of the output, before the exit code viewers take as the end of it
        int code;
        try {
            code = process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            code = -1;
        }
        exitCode = code;
        closeInput();
        wakeViewers();
        exit.complete(code);
        log.debug("terminal {} exited with {}", id, code);
    }

    /** Writes queued input, waiting for room in the PTY as long as it takes; ends with the output. */
    private void pumpInput() {
        try {
            while (true) {
                byte[] bytes;
                inputLock.lock();
                try {
                    while (input.isEmpty() && !inputClosed) {
                        inputBusy = false;
                        inputQueued.await();
                    }
                    if (inputClosed) {
                        return;
                    }
                    bytes = input.poll();
                    pendingInput -= bytes.length;
                    inputBusy = true;
                } finally {
                    inputLock.unlock();
                }
                master.write(bytes);
            }
        } catch (IOException | InterruptedException e) {
            log.trace("terminal {} input ended: {}", id, e.toString());
        } finally {
            closeInput(); // under the input lock: no write() uses the master after this
            releaseMaster();
        }
    }

    /** Drops input still queued and makes {@link #write} drop any more. */
    private void closeInput() {
        inputLock.lock();
        try {
            inputClosed = true;
            input.clear();
            inputQueued.signal();
        } finally {
            inputLock.unlock();
        }
    }

    /** Closes our duplicate of the PTY master once both the output and the input thread are done with it. */
    private void releaseMaster() {
        if (masterUsers.decrementAndGet() == 0) {
            master.close();
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
