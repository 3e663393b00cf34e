package dev.corral.workspace;

import dev.corral.CorralException;
import dev.corral.sandbox.GitCredential;
import dev.corral.sandbox.Limits;
import dev.corral.sandbox.NetworkPolicy;
import dev.corral.sandbox.Sandbox;
import dev.corral.sandbox.SandboxBackend;
import dev.corral.sandbox.SandboxCommand;
import dev.corral.sandbox.SandboxSpec;
import dev.corral.store.Database;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates, runs, stops, resumes and deletes workspaces; runs commands in them. Operations on one workspace are
 * serialised by a per-workspace lock, so concurrent resumes share one sandbox start. Thread-safe.
 */
public final class WorkspaceService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkspaceService.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_CAPTURE = 8 * 1024 * 1024;

    /**
     * @param home               CORRAL_HOME
     * @param defaultLimits      limits of workspaces that do not name their own
     * @param maxFileBytes       largest file accepted by the files API
     * @param processOutputBytes output kept per process of the processes API
     * @param cloneTimeout       how long a clone may take
     * @param execTimeout        default timeout of exec
     * @param snapshotMaxBytes   largest snapshot archive (compressed)
     */
    public record Settings(Path home, Limits defaultLimits, long maxFileBytes, int processOutputBytes,
                           Duration cloneTimeout, Duration execTimeout, long snapshotMaxBytes) {}

    /** Told when a workspace's sandbox starts or is about to stop. Fast; never throws. */
    public interface Listener {
        default void started(String workspaceId, Sandbox sandbox) {}

        default void stopping(String workspaceId) {}
    }

    private final Settings settings;
    private final WorkspaceStore store;
    private final SandboxBackend backend;
    private final RepoCloner cloner;
    private final Snapshots snapshots;
    private final Map<String, Runtime> runtimes = new ConcurrentHashMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private volatile java.util.function.Function<String, java.util.Optional<AgentNetwork>> agentNetwork =
            agent -> java.util.Optional.of(new AgentNetwork(List.of(), true));
    private volatile dev.corral.secrets.CredentialVault vault;
    private volatile java.util.function.Consumer<Duration> startTimes = d -> { };

    /** What exists of a workspace while the daemon runs. */
    private static final class Runtime {
        final ReentrantLock lock = new ReentrantLock();
        final CompletableFuture<Void> created = new CompletableFuture<>();
        volatile Sandbox sandbox;
        volatile ProcessTable processes;
        volatile WorkspaceView.Progress progress;
        volatile boolean stopping;
    }

    public WorkspaceService(Settings settings, Database db, SandboxBackend backend) {
        this.settings = settings;
        this.store = new WorkspaceStore(db);
        this.backend = backend;
        this.cloner = new RepoCloner(settings.cloneTimeout());
        this.snapshots = new Snapshots(settings.home(), db, settings.snapshotMaxBytes());
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    /** Told how long each sandbox start took (metrics). Fast; never throws. */
    public void setStartTimes(java.util.function.Consumer<Duration> sink) {
        this.startTimes = sink;
    }

    /** Where workspaces' git credentials are kept (encrypted). */
    public void setVault(dev.corral.secrets.CredentialVault vault) {
        this.vault = vault;
    }

    /**
     * What an agent needs of the network (its registry entry), or empty for an unknown agent: its hosts join the
     * allow list in proxy mode, and whether it honours a proxy decides the default mode of its workspaces.
     */
    public void setAgentNetwork(java.util.function.Function<String, java.util.Optional<AgentNetwork>> lookup) {
        this.agentNetwork = lookup;
    }

    /**
     * An agent's network needs.
     *
     * @param egress the hosts it needs (allowed in proxy mode)
     * @param proxy  whether it sends its traffic through {@code HTTP(S)_PROXY}
     */
    public record AgentNetwork(List<String> egress, boolean proxy) {}

    /**
     * Brings stored state in line with reality after a daemon start: sandboxes never outlive the daemon, so workspaces
     * recorded as running are stopped, ones being created have failed, and interrupted deletions are finished.
     */
    public void recover() {
        backend.reapOrphans();
        Instant now = Instant.now();
        for (Workspace w : store.list()) {
            Runtime rt = runtime(w.id());
            rt.created.complete(null);
            switch (w.state()) {
                case RUNNING -> store.update(w.withState(WorkspaceState.STOPPED,
                        "the daemon stopped (sandboxes end with it); resume to start again", now));
                case CREATING -> store.update(w.withState(WorkspaceState.FAILED, "the daemon stopped while creating it", now));
                case DELETING -> finishDelete(w);
                default -> { }
            }
        }
    }

    public WorkspaceView create(CreateWorkspace req) {
        String id = "ws-" + randomId();
        String name = req.name() == null || req.name().isBlank() ? defaultName(req, id) : req.name();
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            throw CorralException.badRequest("invalid_name", "name must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        int sources = (req.repo() != null ? 1 : 0) + (req.path() != null ? 1 : 0) + (req.fromSnapshot() != null ? 1 : 0);
        if (sources > 1) {
            throw CorralException.badRequest("invalid_source", "give at most one of \"repo\", \"path\" and \"fromSnapshot\"");
        }
        Workspace.Source source;
        if (req.fromSnapshot() != null) {
            snapshots.get(req.fromSnapshot());
            if (req.ref() != null) throw CorralException.badRequest("invalid_ref", "\"ref\" goes with \"repo\"");
            source = new Workspace.Source(Workspace.Source.Kind.SNAPSHOT, null, null, null, req.fromSnapshot());
        } else if (req.repo() != null) {
            RepoCloner.validateRef(req.ref());
            source = new Workspace.Source(Workspace.Source.Kind.REPO, RepoCloner.validate(req.repo()), req.ref(), null, null);
        } else if (req.path() != null) {
            Path p = Path.of(req.path());
            if (!p.isAbsolute() || !Files.isDirectory(p)) {
                throw CorralException.badRequest("invalid_path", "path must be an existing absolute host directory: " + req.path());
            }
            if (req.ref() != null) throw CorralException.badRequest("invalid_ref", "\"ref\" goes with \"repo\"");
            source = new Workspace.Source(Workspace.Source.Kind.PATH, null, null, p.normalize().toString(), null);
        } else {
            if (req.ref() != null) throw CorralException.badRequest("invalid_ref", "\"ref\" goes with \"repo\"");
            source = Workspace.Source.EMPTY;
        }
        AgentNetwork agentNet = null;
        if (req.agent() != null) {
            agentNet = agentNetwork.apply(req.agent()).orElseThrow(() -> CorralException.badRequest("unknown_agent",
                    "no agent '" + req.agent() + "' in the registry (GET /api/v1/agents lists them)"));
        }
        NetworkPolicy network = parseNetwork(req.network(), req.agent(), agentNet);
        if (network.note() != null) log.info("workspace {}: network mode {}: {}", id, network.mode().wire(), network.note());
        GitCredential git = parseGit(req);
        Limits limits = req.limits() == null ? settings.defaultLimits() : req.limits().orElse(settings.defaultLimits());
        Instant now = Instant.now();
        var w = new Workspace(id, name, WorkspaceState.CREATING, null, source, req.agent(), limits, network, now, now, null);
        Runtime rt = runtime(id);
        try {
            store.insert(w);
            if (git != null) vault.putGit(id, git);
        } catch (RuntimeException e) {
            runtimes.remove(id);
            throw e;
        }
        // Other operations on this workspace wait for rt.created before taking its lock.
        long requested = System.nanoTime();
        Thread.ofVirtual().name("create-" + id).start(() -> {
            rt.lock.lock();
            try {
                long t0 = System.nanoTime();
                prepareFiles(w, rt);
                long t1 = System.nanoTime();
                startSandbox(w, rt);
                log.debug("workspace {} running {} ms after the request (thread {} ms, files {} ms, sandbox {} ms)", id,
                        (System.nanoTime() - requested) / 1_000_000, (t0 - requested) / 1_000_000, (t1 - t0) / 1_000_000,
                        (System.nanoTime() - t1) / 1_000_000);
            } catch (RuntimeException e) {
                log.warn("workspace {} failed to start: {}", id, e.getMessage());
                fail(w.id(), e.getMessage());
            } finally {
                rt.progress = null;
                rt.created.complete(null);
                rt.lock.unlock();
            }
        });
        return view(w);
    }

    private void prepareFiles(Workspace w, Runtime rt) {
        Path dir = workspaceDir(w.id());
        try {
            Files.createDirectories(dir.resolve("home"));
            if (w.source().kind() == Workspace.Source.Kind.REPO) {
                Path repo = dir.resolve("repo");
                if (!Files.isDirectory(repo.resolve(".git"))) {
                    deleteTree(repo);
                    rt.progress = new WorkspaceView.Progress("clone", 0);
                    cloner.cloneInto(w.source().repo(), w.source().ref(), repo, gitCredential(w.id()),
                            p -> rt.progress = new WorkspaceView.Progress(p.phase(), p.percent()));
                }
            } else if (w.source().kind() == Workspace.Source.Kind.EMPTY) {
                Files.createDirectories(dir.resolve("repo"));
            } else if (w.source().kind() == Workspace.Source.Kind.SNAPSHOT && !Files.exists(dir.resolve(".restored"))) {
                rt.progress = new WorkspaceView.Progress("restore", 0);
                snapshots.extractInto(w.source().snapshot(), dir);
                Files.writeString(dir.resolve(".restored"), w.source().snapshot());
            }
        } catch (IOException e) {
            throw new CorralException(CorralException.Kind.INTERNAL, "io_error", "cannot prepare workspace files: " + e.getMessage());
        }
    }

    /**
     * Asks the backend to keep {@code count} sandboxes started ahead of need for workspaces with the default
     * network ({@code none}); call after {@link #recover}. Returns why it does not, or null.
     */
    public String keepWarm(int count) {
        Map<Path, String> mounts;
        try {
            mounts = agentsMount();
        } catch (CorralException e) {
            return e.getMessage();
        }
        var template = new SandboxSpec("template", null, null, null, null, NetworkPolicy.NONE, mounts, Map.of(), null);
        return backend.keepWarm(template, count);
    }

    /** Sandboxes started and waiting for a workspace. */
    public int warmSandboxes() {
        return backend.warmReady();
    }

    /** Workspace starts that were served by a warm sandbox so far. */
    public long warmStarts() {
        return backend.warmTaken();
    }

    /** Installed agents, visible read-only in every sandbox at the same layout as on the host (the directory made). */
    private Map<Path, String> agentsMount() {
        Path agents = settings.home().resolve("agents");
        try {
            Files.createDirectories(agents);
        } catch (IOException e) {
            throw new CorralException(CorralException.Kind.INTERNAL, "io_error", "cannot create " + agents + ": " + e.getMessage());
        }
        return Map.of(agents, SandboxSpec.AGENTS);
    }

    /** Starts the sandbox; caller holds the lock. */
    private void startSandbox(Workspace w, Runtime rt) {
        Map<Path, String> agentsMount = agentsMount();
        NetworkPolicy network = w.network();
        if (network.mode() == NetworkPolicy.Mode.PROXY && w.agent() != null) {
            var allow = new ArrayList<>(network.allow());
            allow.addAll(agentNetwork.apply(w.agent()).map(AgentNetwork::egress).orElse(List.of()));
            network = new NetworkPolicy(network.mode(), allow, network.forward());
        }
        var spec = new SandboxSpec(w.id(), repoDir(w), workspaceDir(w.id()).resolve("home"),
                settings.home().resolve("run").resolve(w.id()), w.limits(), network,
                agentsMount, Map.of(), gitCredential(w.id()));
        Sandbox sandbox = backend.create(spec);
        long t0 = System.nanoTime();
        sandbox.start();
        startTimes.accept(Duration.ofNanos(System.nanoTime() - t0));
        rt.sandbox = sandbox;
        rt.processes = new ProcessTable(sandbox, settings.processOutputBytes());
        rt.stopping = false;
        Workspace current = get(w.id());
        store.update(current.withState(WorkspaceState.RUNNING, null, Instant.now()));
        listeners.forEach(l -> l.started(w.id(), sandbox));
        Thread.ofVirtual().name("watch-" + w.id()).start(() -> watch(w.id(), rt, sandbox));
    }

    /** Records a sandbox that ended without being asked to. */
    private void watch(String id, Runtime rt, Sandbox sandbox) {
        try {
            String why = sandbox.awaitEnd(Duration.ofDays(3650)).orElse("unknown");
            rt.lock.lock();
            try {
                if (rt.sandbox != sandbox || rt.stopping) return;
                log.warn("sandbox of workspace {} ended unexpectedly: {}", id, why);
                sandbox.stop();
                listeners.forEach(l -> l.stopping(id));
                rt.sandbox = null;
                store.get(id).ifPresent(w -> store.update(w.withState(WorkspaceState.STOPPED, "sandbox ended: " + why, Instant.now())));
            } finally {
                rt.lock.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void fail(String id, String reason) {
        store.get(id).ifPresent(w -> {
            if (w.state() != WorkspaceState.DELETING) store.update(w.withState(WorkspaceState.FAILED, reason, Instant.now()));
        });
    }

    public WorkspaceView resume(String idOrName) {
        Workspace w = get(idOrName);
        Runtime rt = runtime(w.id());
        awaitCreated(w.id(), settings.cloneTimeout().plusMinutes(1));
        rt.lock.lock();
        try {
            w = get(w.id());
            if (w.state() == WorkspaceState.DELETING) throw CorralException.conflict("workspace_deleting", "workspace is being deleted");
            if (w.state() == WorkspaceState.RUNNING && rt.sandbox != null && rt.sandbox.isRunning()) return view(w);
            if (rt.sandbox != null) stopSandbox(w.id(), rt);
            try {
                prepareFiles(w, rt);
                startSandbox(w, rt);
            } catch (RuntimeException e) {
                fail(w.id(), e.getMessage());
                throw e;
            } finally {
                rt.progress = null;
            }
            return view(get(w.id()));
        } finally {
            rt.lock.unlock();
        }
    }

    public WorkspaceView stop(String idOrName) {
        Workspace w = get(idOrName);
        Runtime rt = runtime(w.id());
        awaitCreated(w.id(), settings.cloneTimeout().plusMinutes(1));
        rt.lock.lock();
        try {
            w = get(w.id());
            if (w.state() == WorkspaceState.DELETING) throw CorralException.conflict("workspace_deleting", "workspace is being deleted");
            stopSandbox(w.id(), rt);
            if (w.state() != WorkspaceState.STOPPED) {
                store.update(w.withState(WorkspaceState.STOPPED, "stopped on request", Instant.now()));
            }
            return view(get(w.id()));
        } finally {
            rt.lock.unlock();
        }
    }

    private void stopSandbox(String id, Runtime rt) {
        rt.stopping = true;
        listeners.forEach(l -> l.stopping(id));
        if (rt.processes != null) rt.processes.killAll();
        if (rt.sandbox != null) rt.sandbox.stop();
        rt.sandbox = null;
        rt.processes = null;
    }

    /** Stops and deletes a workspace: its sandbox, its clone and home. A mounted host directory ({@code path}) is kept. */
    public void delete(String idOrName) {
        Workspace w = get(idOrName);
        Runtime rt = runtime(w.id());
        awaitCreated(w.id(), settings.cloneTimeout().plusMinutes(1));
        rt.lock.lock();
        try {
            w = get(w.id());
            if (w.state() != WorkspaceState.DELETING) {
                w = w.withState(WorkspaceState.DELETING, "deleting", Instant.now());
                store.update(w);
            }
            stopSandbox(w.id(), rt);
            finishDelete(w);
        } finally {
            rt.lock.unlock();
        }
    }

    private void finishDelete(Workspace w) {
        try {
            deleteTree(workspaceDir(w.id()));
            deleteTree(settings.home().resolve("run").resolve(w.id()));
        } catch (IOException e) {
            throw new CorralException(CorralException.Kind.INTERNAL, "io_error", "cannot delete workspace files: " + e.getMessage());
        }
        if (vault != null) vault.deleteGit(w.id());
        store.delete(w.id());
        runtimes.remove(w.id());
    }

    public Workspace get(String idOrName) {
        return store.get(idOrName).orElseThrow(() -> CorralException.notFound("workspace", idOrName));
    }

    public WorkspaceView describe(String idOrName) {
        return view(get(idOrName));
    }

    public List<WorkspaceView> list() {
        return store.list().stream().map(this::view).toList();
    }

    /** The files of a workspace (available whether or not it runs). */
    public WorkspaceFiles files(String idOrName) {
        Workspace w = get(idOrName);
        if (w.state() == WorkspaceState.CREATING) awaitCreated(w.id(), Duration.ofMinutes(10));
        return new WorkspaceFiles(repoDir(w), settings.maxFileBytes());
    }

    /**
     * The running sandbox of a workspace, waiting for it while the workspace is being created.
     *
     * @throws CorralException 409 {@code workspace_not_running} if it is stopped or failed
     */
    public Sandbox sandbox(String idOrName) {
        Workspace w = get(idOrName);
        if (w.state() == WorkspaceState.CREATING) {
            awaitCreated(w.id(), settings.cloneTimeout().plusMinutes(1));
            w = get(w.id());
        }
        Sandbox s = runtime(w.id()).sandbox;
        if (w.state() != WorkspaceState.RUNNING || s == null || !s.isRunning()) {
            throw CorralException.conflict("workspace_not_running", "workspace " + w.name() + " is " + w.state().wire()
                    + (w.stateReason() != null ? " (" + w.stateReason() + ")" : "") + "; resume it first");
        }
        return s;
    }

    private void awaitCreated(String id, Duration timeout) {
        if (store.get(id).map(w -> w.state() != WorkspaceState.CREATING).orElse(true)) return;
        try {
            runtime(id).created.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new CorralException(CorralException.Kind.TIMEOUT, "still_creating", "workspace " + id + " is still being created");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CorralException(CorralException.Kind.UNAVAILABLE, "interrupted", "interrupted");
        } catch (ExecutionException e) {
            // failure is recorded on the workspace
        }
    }

    /** Runs a command to completion in the workspace's sandbox and captures its output. */
    public ExecResult exec(String idOrName, ExecRequest req) {
        SandboxCommand cmd = req.toCommand();
        Sandbox sandbox = sandbox(idOrName);
        long started = System.nanoTime();
        Process p = sandbox.spawn(cmd, false);
        var out = new Capture(p.getInputStream());
        var err = new Capture(p.getErrorStream());
        Thread tOut = Thread.ofVirtual().start(out);
        Thread tErr = Thread.ofVirtual().start(err);
        Thread.ofVirtual().start(() -> {
            try (var stdin = p.getOutputStream()) {
                if (req.stdin() != null) stdin.write(req.stdin().getBytes(StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the command did not read its input
            }
        });
        long timeout = req.timeoutMs() != null ? req.timeoutMs() : settings.execTimeout().toMillis();
        boolean timedOut = false;
        try {
            if (!p.waitFor(timeout, TimeUnit.MILLISECONDS)) {
                timedOut = true;
                sandbox.signal(p, "KILL"); // its process group
                p.waitFor();
                // Something it started in another process group may still hold the output open: do not wait for it.
                tOut.join(Duration.ofSeconds(2));
                tErr.join(Duration.ofSeconds(2));
            } else {
                tOut.join();
                tErr.join();
            }
        } catch (InterruptedException e) {
            sandbox.signal(p, "KILL");
            Thread.currentThread().interrupt();
            throw new CorralException(CorralException.Kind.UNAVAILABLE, "interrupted", "interrupted");
        }
        return new ExecResult(p.exitValue(), out.text(), err.text(), timedOut, out.truncated || err.truncated,
                (System.nanoTime() - started) / 1_000_000);
    }

    /** Reads a stream to its end, keeping at most {@link #MAX_CAPTURE} bytes. */
    private static final class Capture implements Runnable {
        private final InputStream in;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        volatile boolean truncated;

        Capture(InputStream in) {
            this.in = in;
        }

        @Override
        public void run() {
            byte[] b = new byte[16 * 1024];
            try (in) {
                int n;
                while ((n = in.read(b)) >= 0) {
                    int keep = Math.min(n, MAX_CAPTURE - buf.size());
                    if (keep > 0) buf.write(b, 0, keep);
                    if (keep < n) truncated = true;
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }

        String text() {
            return buf.toString(StandardCharsets.UTF_8);
        }
    }

    // ---- snapshots ----

    /** Archives the workspace's files and home (running or not). */
    public Snapshots.Info snapshot(String idOrName) {
        Workspace w = get(idOrName);
        awaitCreated(w.id(), settings.cloneTimeout().plusMinutes(1));
        return snapshots.create(w.id(), repoDir(w), workspaceDir(w.id()).resolve("home"));
    }

    public List<Snapshots.Info> snapshots(String idOrName) {
        return snapshots.list(get(idOrName).id());
    }

    public Snapshots snapshotStore() {
        return snapshots;
    }

    /**
     * Puts a snapshot's files and home back into this workspace (its sessions and their transcripts stay with it).
     * A running sandbox is stopped for the swap and started again. Not for mounted host directories.
     */
    public WorkspaceView restore(String idOrName, String snapshotId) {
        Workspace w = get(idOrName);
        snapshots.get(snapshotId);
        if (w.source().kind() == Workspace.Source.Kind.PATH) {
            throw CorralException.conflict("restore_refused", "workspace " + w.name()
                    + " mounts a host directory; restore the snapshot into a new workspace instead");
        }
        Runtime rt = runtime(w.id());
        awaitCreated(w.id(), settings.cloneTimeout().plusMinutes(1));
        rt.lock.lock();
        try {
            w = get(w.id());
            boolean wasRunning = w.state() == WorkspaceState.RUNNING;
            stopSandbox(w.id(), rt);
            snapshots.extractInto(snapshotId, workspaceDir(w.id()));
            if (wasRunning) {
                startSandbox(w, rt);
            } else if (w.state() != WorkspaceState.STOPPED) {
                store.update(w.withState(WorkspaceState.STOPPED, "restored from " + snapshotId, Instant.now()));
            }
            return view(get(w.id()));
        } finally {
            rt.lock.unlock();
        }
    }

    // ---- processes ----

    public ProcessInfo startProcess(String idOrName, ExecRequest req) {
        SandboxCommand cmd = req.toCommand();
        sandbox(idOrName);
        return processes(idOrName).start(cmd, req.stdin());
    }

    public List<ProcessInfo> processList(String idOrName) {
        Runtime rt = runtime(get(idOrName).id());
        return rt.processes == null ? List.of() : rt.processes.list();
    }

    public ProcessInfo process(String idOrName, int pid) {
        return processes(idOrName).get(pid);
    }

    public void processStdin(String idOrName, int pid, InputStream body, boolean close) {
        processes(idOrName).writeStdin(pid, body, close);
    }

    public boolean processSignal(String idOrName, int pid, String signal) {
        String s = signal == null ? "" : signal.toUpperCase(Locale.ROOT).replaceFirst("^SIG", "");
        return processes(idOrName).signal(pid, s);
    }

    public ProcessInfo processWait(String idOrName, int pid, Duration timeout) throws InterruptedException {
        return processes(idOrName).await(pid, timeout);
    }

    /** Output of a process after absolute offset {@code after}: returns the slice start, end and bytes. */
    public OutputChunk processOutput(String idOrName, int pid, long after, int max) {
        var s = processes(idOrName).output(pid, after, max);
        return new OutputChunk(s.from(), s.to(), s.bytes());
    }

    /** A run of a process's output from absolute offset {@code from} to {@code to}. */
    public record OutputChunk(long from, long to, byte[] bytes) {}

    private ProcessTable processes(String idOrName) {
        Workspace w = get(idOrName);
        ProcessTable t = runtime(w.id()).processes;
        if (t == null) {
            throw CorralException.conflict("workspace_not_running", "workspace " + w.name() + " is " + w.state().wire());
        }
        return t;
    }

    // ---- helpers ----

    private WorkspaceView view(Workspace w) {
        Runtime rt = runtimes.get(w.id());
        Sandbox s = rt == null ? null : rt.sandbox;
        var status = s != null && w.state() == WorkspaceState.RUNNING ? s.status() : null;
        List<String> warnings = new ArrayList<>();
        if (status != null) warnings.addAll(status.warnings());
        else if ("none".equals(backend.cgroupMode()) && !w.limits().unlimited()) {
            warnings.add("resource limits cannot be enforced on this host (no usable cgroups)");
        }
        var src = w.source();
        return new WorkspaceView(w.id(), w.name(), w.state().wire(), w.stateReason(), src.kind().name().toLowerCase(Locale.ROOT),
                src.repo(), src.ref(), src.path(), src.snapshot(), w.agent(), w.limits(), w.network(), w.createdAt(), w.updatedAt(),
                w.lastStartedAt(), rt == null ? null : rt.progress, status, warnings);
    }

    private GitCredential gitCredential(String id) {
        return vault == null ? null : vault.git(id).orElse(null);
    }

    private GitCredential parseGit(CreateWorkspace req) {
        var g = req.git();
        if (g == null) return null;
        if (vault == null) throw new CorralException(CorralException.Kind.UNAVAILABLE, "no_vault", "no credential vault");
        if (g.token() == null || g.token().isBlank() || g.token().indexOf('\n') >= 0) {
            throw CorralException.badRequest("invalid_git", "git.token must be a non-empty single line");
        }
        String host = g.host();
        if (host == null && req.repo() != null && req.repo().matches("(?i)https?://.*")) {
            var uri = java.net.URI.create(req.repo());
            host = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
        }
        if (host == null || !host.matches("[A-Za-z0-9.-]+(:\\d{1,5})?")) {
            throw CorralException.badRequest("invalid_git", "git.host is required (host or host:port) unless repo is an http(s) URL");
        }
        String user = g.username() == null || g.username().isBlank() ? "x-access-token" : g.username();
        if (user.indexOf('\n') >= 0) throw CorralException.badRequest("invalid_git", "git.username must be a single line");
        return new GitCredential(host, user, g.token());
    }

    /**
     * The network of a new workspace. An explicit {@code network.mode} wins. Without one, a workspace with an agent
     * gets {@code proxy} (the egress proxy allowing the agent's registry hosts plus {@code network.allow}), unless the
     * registry says the agent ignores proxies: then {@code none}, with the reason in {@link NetworkPolicy#note()}. A
     * workspace without an agent gets {@code none}.
     */
    private NetworkPolicy parseNetwork(CreateWorkspace.Network n, String agent, AgentNetwork agentNet) {
        if (n == null) n = new CreateWorkspace.Network(null, null, null);
        NetworkPolicy.Mode mode;
        String note = null;
        if (n.mode() == null && agentNet != null) {
            if (agentNet.proxy()) {
                mode = NetworkPolicy.Mode.PROXY;
                note = "default for a workspace with an agent: only through the egress proxy, to the registry hosts of "
                        + agent + " " + agentNet.egress() + " and network.allow";
            } else {
                mode = NetworkPolicy.Mode.NONE;
                note = "agent " + agent + " does not send its traffic through a proxy (registry: \"proxy\": false), so "
                        + "this workspace falls back to network mode none (loopback and network.forward only); "
                        + "ask for mode host explicitly if it must reach its hosts";
            }
        } else {
            try {
                mode = n.mode() == null ? NetworkPolicy.Mode.NONE : NetworkPolicy.Mode.valueOf(n.mode().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw CorralException.badRequest("invalid_network", "network.mode must be none, proxy or host");
            }
        }
        for (String host : n.allow() == null ? List.<String>of() : n.allow()) {
            if (host == null || !host.matches("(\\*\\.)?[A-Za-z0-9.-]+(:\\d{1,5})?")) {
                throw CorralException.badRequest("invalid_network", "network.allow entries are host, *.domain or host:port, got '" + host + "'");
            }
        }
        var forward = new ArrayList<NetworkPolicy.Endpoint>();
        for (String f : n.forward() == null ? List.<String>of() : n.forward()) {
            try {
                forward.add(NetworkPolicy.Endpoint.parse(f));
            } catch (IllegalArgumentException e) {
                throw CorralException.badRequest("invalid_network", e.getMessage());
            }
        }
        return new NetworkPolicy(mode, n.allow(), forward, note);
    }

    private Runtime runtime(String id) {
        return runtimes.computeIfAbsent(id, k -> new Runtime());
    }

    private Path workspaceDir(String id) {
        return settings.home().resolve("workspaces").resolve(id);
    }

    private Path repoDir(Workspace w) {
        return w.source().kind() == Workspace.Source.Kind.PATH ? Path.of(w.source().path()) : workspaceDir(w.id()).resolve("repo");
    }

    private static String defaultName(CreateWorkspace req, String id) {
        String base = req.repo() != null ? req.repo() : req.path();
        if (base == null) return id;
        base = base.replaceAll("/+$", "").replaceAll("\\.git$", "");
        base = base.substring(Math.max(base.lastIndexOf('/'), base.lastIndexOf(':')) + 1).replaceAll("[^A-Za-z0-9._-]", "-");
        base = base.replaceAll("^[^A-Za-z0-9]+", "");
        if (base.isEmpty()) return id;
        return (base.length() > 40 ? base.substring(0, 40) : base) + "-" + id.substring(3, 9);
    }

    private static String randomId() {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        var sb = new StringBuilder();
        for (int i = 0; i < 10; i++) sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        return sb.toString();
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** Stops every sandbox (daemon shutdown). Records the workspaces as stopped by the daemon. */
    @Override
    public void close() {
        for (var e : runtimes.entrySet()) {
            Runtime rt = e.getValue();
            if (rt.sandbox == null) continue;
            stopSandbox(e.getKey(), rt);
            store.get(e.getKey()).filter(w -> w.state() == WorkspaceState.RUNNING).ifPresent(w -> store.update(
                    w.withState(WorkspaceState.STOPPED, "the daemon stopped (sandboxes end with it); resume to start again", Instant.now())));
        }
    }
}
