package dev.corral.cron;

import dev.corral.CorralException;
import dev.corral.store.Database;
import dev.corral.workspace.ExecRequest;
import dev.corral.workspace.ExecResult;
import dev.corral.workspace.WorkspaceService;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs workspaces' cron jobs: one timer thread computes due times; each run is a virtual thread (or, for
 * {@code overlap: queue}, a task on the job's own serial executor). Jobs are stored and rescheduled by {@link #start()};
 * due times missed while the daemon was down are not caught up. Thread-safe.
 */
public final class CronScheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CronScheduler.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    static final int MAX_QUEUED = 16;
    static final int OUTPUT_TAIL = 4096;
    static final Duration PROMPT_TIMEOUT = Duration.ofHours(2);

    /** Sends a prompt to the workspace's agent; the future completes with the turn's stop reason. */
    @FunctionalInterface
    public interface PromptSender {
        CompletableFuture<String> send(String workspaceId, String text, String deliveryId);
    }

    private final class JobState {
        final CronJob job;
        final CronSchedule schedule;
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger queued = new AtomicInteger();
        final ExecutorService serial = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("cron-queue").factory());
        volatile ScheduledFuture<?> timer;
        volatile Instant nextAt;
        volatile boolean cancelled;

        JobState(CronJob job) {
            this.job = job;
            this.schedule = CronSchedule.parse(job.schedule());
        }

        void cancel() {
            cancelled = true;
            if (timer != null) timer.cancel(false);
            serial.shutdown();
            jobs.remove(job.id(), this);
        }
    }

    private final CronStore store;
    private final WorkspaceService workspaces;
    private final PromptSender prompts;
    private final Map<String, JobState> jobs = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("cron-timer").factory());

    public CronScheduler(Database db, WorkspaceService workspaces, PromptSender prompts) {
        this.store = new CronStore(db);
        this.workspaces = workspaces;
        this.prompts = prompts;
    }

    /** Closes runs a previous daemon left open and schedules every stored job. */
    public void start() {
        store.closeInterrupted(Instant.now());
        for (CronJob j : store.all()) {
            try {
                schedule(new JobState(j));
            } catch (CorralException e) {
                log.warn("cron job {} not scheduled: {}", j.id(), e.getMessage());
            }
        }
    }

    public CronJob create(String workspace, CronJob.Create req) {
        String wsId = workspaces.get(workspace).id();
        boolean hasCommand = req.command() != null && !req.command().isBlank();
        boolean hasPrompt = req.prompt() != null && !req.prompt().isBlank();
        if (hasCommand == hasPrompt) throw CorralException.badRequest("invalid_job", "give exactly one of \"command\" or \"prompt\"");
        var schedule = CronSchedule.parse(req.schedule());
        byte[] raw = new byte[6];
        RANDOM.nextBytes(raw);
        var job = new CronJob("cron-" + HexFormat.of().formatHex(raw), wsId, schedule.expression(),
                hasCommand ? req.command() : null, hasPrompt ? req.prompt() : null, CronJob.Overlap.parse(req.overlap()),
                CronJob.WhenStopped.parse(req.whenStopped()), Instant.now(), null);
        store.insert(job);
        var state = new JobState(job);
        schedule(state);
        return view(job);
    }

    public List<CronJob> list(String workspace) {
        return store.byWorkspace(workspaces.get(workspace).id()).stream().map(this::view).toList();
    }

    public CronJob get(String workspace, String jobId) {
        return view(owned(workspace, jobId));
    }

    /** Deletes a job: it is not due again; a run in progress finishes. */
    public void delete(String workspace, String jobId) {
        owned(workspace, jobId);
        store.delete(jobId);
        JobState s = jobs.get(jobId);
        if (s != null) s.cancel();
    }

    /** The job's runs and skipped due times, newest first. */
    public List<CronRun> runs(String workspace, String jobId, int limit) {
        owned(workspace, jobId);
        return store.runs(jobId, Math.max(1, Math.min(limit, 1000)));
    }

    private CronJob owned(String workspace, String jobId) {
        String wsId = workspaces.get(workspace).id();
        return store.get(jobId).filter(j -> j.workspaceId().equals(wsId))
                .orElseThrow(() -> CorralException.notFound("cron job", jobId));
    }

    private CronJob view(CronJob j) {
        JobState s = jobs.get(j.id());
        return j.withNextRunAt(s == null ? null : s.nextAt);
    }

    private void schedule(JobState s) {
        jobs.put(s.job.id(), s);
        scheduleAfter(s, Instant.now());
    }

    private void scheduleAfter(JobState s, Instant after) {
        if (s.cancelled) return;
        var next = s.schedule.next(after.atZone(ZoneId.systemDefault()));
        if (next.isEmpty()) {
            s.nextAt = null;
            return;
        }
        Instant due = next.get().toInstant();
        s.nextAt = due;
        long delay = Math.max(0, Duration.between(Instant.now(), due).toMillis());
        s.timer = timer.schedule(() -> fire(s, due), delay, TimeUnit.MILLISECONDS);
    }

    private void fire(JobState s, Instant due) {
        if (s.cancelled) return;
        Instant now = Instant.now();
        // From the later of due time and now: never the same due time twice, and no burst after a stall.
        scheduleAfter(s, now.isAfter(due) ? now : due);
        try {
            switch (s.job.overlap()) {
                case ALLOW -> {
                    s.running.incrementAndGet();
                    Thread.ofVirtual().name("cron-" + s.job.id()).start(() -> runCounted(s, due));
                }
                case SKIP -> {
                    if (s.running.compareAndSet(0, 1)) Thread.ofVirtual().name("cron-" + s.job.id()).start(() -> runCounted(s, due));
                    else store.skipped(s.job.id(), due, "the previous run was still going (overlap: skip)");
                }
                case QUEUE -> {
                    if (s.queued.incrementAndGet() > MAX_QUEUED) {
                        s.queued.decrementAndGet();
                        store.skipped(s.job.id(), due, "more than " + MAX_QUEUED + " runs already queued (overlap: queue)");
                    } else {
                        s.serial.execute(() -> {
                            s.queued.decrementAndGet();
                            s.running.incrementAndGet();
                            runCounted(s, due);
                        });
                    }
                }
            }
        } catch (RuntimeException e) {
            log.warn("cron job {}: cannot dispatch the run due at {}: {}", s.job.id(), due, e.getMessage());
        }
    }

    private void runCounted(JobState s, Instant due) {
        try {
            run(s, due);
        } catch (RuntimeException e) {
            log.warn("cron job {}: run due at {} failed: {}", s.job.id(), due, e.getMessage());
        } finally {
            s.running.decrementAndGet();
        }
    }

    private void run(JobState s, Instant due) {
        CronJob j = s.job;
        if (store.get(j.id()).isEmpty()) {
            // Deleted, or its workspace was.
            s.cancel();
            return;
        }
        boolean up = isRunning(j.workspaceId());
        if (!up && j.whenStopped() == CronJob.WhenStopped.SKIP) {
            store.skipped(j.id(), due, "the workspace is not running (whenStopped: skip)");
            return;
        }
        long runId = store.started(j.id(), due, Instant.now());
        if (runId < 0) return;
        log.debug("cron job {} run {} (due {})", j.id(), runId, due);
        try {
            if (!up) workspaces.resume(j.workspaceId());
            if (j.command() != null) {
                ExecResult r = workspaces.exec(j.workspaceId(), new ExecRequest(null, j.command(), null, null, null, null));
                store.ended(runId, Instant.now(), r.exitCode(), null, r.timedOut() ? "timed out" : null,
                        tail(r.stdout() + r.stderr()));
            } else {
                String stop = prompts.send(j.workspaceId(), j.prompt(), "cron-" + j.id() + "-" + runId)
                        .get(PROMPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                store.ended(runId, Instant.now(), null, stop, null, null);
            }
        } catch (CorralException e) {
            store.ended(runId, Instant.now(), null, null, e.getMessage(), null);
        } catch (ExecutionException e) {
            store.ended(runId, Instant.now(), null, null, String.valueOf(e.getCause().getMessage()), null);
        } catch (TimeoutException e) {
            store.ended(runId, Instant.now(), null, null, "the agent's turn did not end within " + PROMPT_TIMEOUT, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            store.ended(runId, Instant.now(), null, null, "interrupted (the daemon is stopping)", null);
        }
    }

    private boolean isRunning(String workspaceId) {
        try {
            workspaces.sandbox(workspaceId);
            return true;
        } catch (CorralException e) {
            if (e.code().equals("workspace_not_running")) return false;
            throw e;
        }
    }

    static String tail(String s) {
        return s.length() <= OUTPUT_TAIL ? s : s.substring(s.length() - OUTPUT_TAIL);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        jobs.values().forEach(s -> s.serial.shutdownNow());
    }
}
