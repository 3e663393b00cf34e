package dev.corral.sandbox;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sandboxes started ahead of need. Starting a bubblewrap sandbox is most of what creating or resuming a workspace
 * costs; a warm one is already running, with its own mount points where the workspace and home directories go.
 * Handing it to a workspace binds that workspace's directories over those mount points (the mounts propagate into
 * the sandbox, whose copies are their slaves), names it and applies the limits: a few system calls. The pool
 * refills in the background.
 *
 * <p>Host-side mounts need root and a mount namespace of the daemon's own (see {@link Mounts#unavailable}); they
 * never outlive the daemon. A warm sandbox serves only specs without network, relays or credential helpers and
 * with the template's read-only mounts; others start cold.
 */
final class WarmPool {
    private static final Logger log = LoggerFactory.getLogger(WarmPool.class);
    private static final int MAX_FAILURES = 3;
    private static final long REFILL_DELAY_MILLIS = Long.getLong("corral.warmRefillDelayMillis", 100);

    private final Path dir;
    private final SandboxSpec template;
    private final int size;
    private final Path etc;
    private final Cgroups cgroups;
    private final Duration startTimeout;
    private final Deque<BwrapSandbox> ready = new ArrayDeque<>();
    private final AtomicLong names = new AtomicLong();
    private final AtomicLong taken = new AtomicLong();
    private int starting;
    private int failures;
    private boolean closed;

    WarmPool(Path dir, SandboxSpec template, int size, Path etc, Cgroups cgroups, Duration startTimeout) {
        this.dir = dir;
        this.template = template;
        this.size = size;
        this.etc = etc;
        this.cgroups = cgroups;
        this.startTimeout = startTimeout;
    }

    /** Unmounts and removes what an earlier daemon's pool left in {@code dir}; leaves it alone if a mount stays. */
    static void clean(Path dir) {
        if (!Mounts.unmountAll(dir)) {
            log.warn("cannot unmount everything under {}; left in place", dir);
            return;
        }
        try {
            BwrapSandbox.deleteTree(dir);
        } catch (IOException e) {
            log.debug("cannot remove {}: {}", dir, e.getMessage());
        }
    }

    boolean canServe(SandboxSpec spec) {
        return BwrapSandbox.warmCanServe(template, spec);
    }

    /** A running warm sandbox, or null if none is ready; starts a replacement either way. */
    BwrapSandbox take() {
        BwrapSandbox taken = null;
        synchronized (this) {
            while (taken == null && !ready.isEmpty()) {
                BwrapSandbox s = ready.pollFirst();
                if (s.isRunning()) taken = s;
                else Thread.ofVirtual().start(s::stop);
            }
        }
        // The replacement starts a moment later: on a small machine it would compete for CPU with the start of the
        // workspace that took this one and with its first programs.
        if (taken == null) {
            fill();
        } else {
            this.taken.incrementAndGet();
            CompletableFuture.delayedExecutor(REFILL_DELAY_MILLIS, TimeUnit.MILLISECONDS).execute(this::fill);
        }
        return taken;
    }

    long taken() {
        return taken.get();
    }

    synchronized int ready() {
        return ready.size();
    }

    /** Starts sandboxes in the background until {@code size} are ready or starting. */
    void fill() {
        synchronized (this) {
            while (!closed && ready.size() + starting < size) {
                starting++;
                Thread.ofVirtual().name("warm-sandbox").start(this::startOne);
            }
        }
    }

    private void startOne() {
        long n = names.incrementAndGet();
        BwrapSandbox s = null;
        try {
            s = BwrapSandbox.warm("warm-" + n, dir.resolve(Long.toString(n)), template, etc, cgroups, startTimeout);
            s.start();
        } catch (IOException | RuntimeException e) {
            if (s != null) s.stop();
            else clean(dir.resolve(Long.toString(n)));
            synchronized (this) {
                starting--;
                if (++failures >= MAX_FAILURES && !closed) {
                    closed = true;
                    log.warn("no sandboxes are kept warm: {} starts failed, the last with: {}", failures, e.getMessage());
                }
            }
            return;
        }
        boolean keep;
        synchronized (this) {
            starting--;
            failures = 0;
            keep = !closed;
            if (keep) ready.addLast(s);
        }
        if (!keep) s.stop();
    }

    /** Stops the warm sandboxes and starts no more. */
    void close() {
        Deque<BwrapSandbox> left;
        synchronized (this) {
            closed = true;
            left = new ArrayDeque<>(ready);
            ready.clear();
        }
        left.forEach(BwrapSandbox::stop);
    }
}
