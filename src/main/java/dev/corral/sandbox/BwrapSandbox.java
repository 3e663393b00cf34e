package dev.corral.sandbox;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sandbox made by bubblewrap: new user, pid, ipc, uts, cgroup, mount and (unless network mode is host) network
 * namespaces; host {@code /usr} read-only; a generated minimal {@code /etc}; private {@code /tmp}; the workspace and
 * home bound read-write; {@code --die-with-parent}. Its init is the launcher ({@code launcher.sh}): it prints a
 * marker when ready, then starts programs from inside for {@link #spawn} (see {@link Launcher}). Terminals, which
 * need a PTY, join it with {@code nsenter} as the unprivileged sandbox user, after joining its cgroups.
 */
final class BwrapSandbox implements Sandbox {
    private static final Logger log = LoggerFactory.getLogger(BwrapSandbox.class);
    private static final String READY = "corral-sandbox-ready";
    private static final int KEPT_LINES = 20;
    private static final String LAUNCHER_SCRIPT = resource("launcher.sh");

    private volatile SandboxSpec spec;
    /** Set for a warm sandbox (see {@link WarmPool}): the host directory whose {@code ws} and {@code home} it binds. */
    private final Path slot;
    /** The workspace a warm sandbox was handed to, adopted by the next {@link #start}. */
    private SandboxSpec assigned;
    private volatile Path runDir;
    /** The run directory of the workspace a warm sandbox was handed to (its {@code fwd} is bound in). */
    private volatile Path adoptedRunDir;
    private final Path etc;
    private final Cgroups cgroups;
    private final ReadinessCheck readiness;
    private final Duration startTimeout;
    private final Object lock = new Object();
    private final Deque<String> lastLines = new ArrayDeque<>();
    private final List<AutoCloseable> relays = new ArrayList<>();

    private volatile Process bwrap;
    private volatile Launcher launcher;
    private volatile Cgroups.Group group;
    private volatile long initPid;
    private volatile boolean running;
    private volatile String endReason;
    private volatile CompletableFuture<String> ended = new CompletableFuture<>();

    BwrapSandbox(SandboxSpec spec, Path etc, Cgroups cgroups, ReadinessCheck readiness, Duration startTimeout) {
        this(spec, null, etc, cgroups, readiness, startTimeout);
    }

    private BwrapSandbox(SandboxSpec spec, Path slot, Path etc, Cgroups cgroups, ReadinessCheck readiness, Duration startTimeout) {
        this.spec = spec;
        this.slot = slot;
        this.runDir = spec.runDir();
        this.etc = etc;
        this.cgroups = cgroups;
        this.readiness = readiness;
        this.startTimeout = startTimeout;
    }

    /**
     * A sandbox for {@link WarmPool}: started before any workspace needs it, with {@code slot/ws} and
     * {@code slot/home} (mount points shared with the sandbox's copies) at /workspace and the home directory, and the
     * template's read-only mounts. {@link #assign} hands it to a workspace.
     */
    static BwrapSandbox warm(String name, Path slot, SandboxSpec template, Path etc, Cgroups cgroups, Duration startTimeout)
            throws IOException {
        for (String d : List.of("ws", "home", "fwd")) {
            Path p = Files.createDirectories(slot.resolve(d));
            Mounts.makeSharedMountPoint(p);
        }
        var spec = new SandboxSpec(name, slot.resolve("ws"), slot.resolve("home"), slot.resolve("run"), Limits.NONE,
                NetworkPolicy.NONE, template.readOnlyMounts(), Map.of(), null);
        return new BwrapSandbox(spec, slot, etc, cgroups, Readiness.started(), startTimeout);
    }

    /** Whether a warm sandbox can serve {@code spec}: the same mounts, no network, relays or credential helper. */
    static boolean warmCanServe(SandboxSpec template, SandboxSpec spec) {
        return spec.network().mode() == NetworkPolicy.Mode.NONE && spec.network().forward().isEmpty()
                && spec.git() == null && spec.readOnlyMounts().equals(template.readOnlyMounts());
    }

    /** Hands this warm sandbox to the workspace of {@code spec}; the next {@link #start} adopts it (fast). */
    void assign(SandboxSpec spec) {
        synchronized (lock) {
            assigned = spec;
        }
    }

    @Override
    public void start() {
        synchronized (lock) {
            if (assigned != null) {
                SandboxSpec real = assigned;
                assigned = null;
                if (adopt(real)) return;
            }
            if (running) return;
            try {
                launch();
                readiness.awaitReady(this);
            } catch (SandboxStartException e) {
                stop();
                throw e;
            } catch (IOException | RuntimeException e) {
                stop();
                throw new SandboxStartException("cannot start sandbox " + spec.id() + ": " + e.getMessage() + tail(), e);
            }
        }
    }

    /**
     * Makes this running warm sandbox the one of {@code real}: binds the workspace and home directories over the
     * slot's mount points (the mounts propagate into the sandbox), names it, applies the limits. False, with this
     * sandbox stopped and set to start cold for {@code real}, when it cannot.
     */
    private boolean adopt(SandboxSpec real) {
        long t0 = System.nanoTime();
        try {
            if (!isRunning()) throw new IOException("it ended: " + endReason);
            if (!Files.isDirectory(real.workspaceDir())) throw new IOException("no workspace directory");
            Files.createDirectories(real.homeDir());
            Mounts.bind(real.workspaceDir(), slot.resolve("ws"));
            Mounts.bind(real.homeDir(), slot.resolve("home"));
            // Relays made later (previews) put their sockets in the workspace's own run directory, as for any sandbox.
            deleteTree(real.runDir());
            Mounts.bind(Files.createDirectories(real.runDir().resolve("fwd")), slot.resolve("fwd"));
            adoptedRunDir = real.runDir();
            writeEtc(runDir.resolve("etc"), real.id());
            Mounts.setHostname(initPid, real.id());
            group.apply(real.limits());
            spec = real;
            log.debug("sandbox {} adopted warm sandbox {} in {} ms", real.id(), runDir.getParent().getFileName(), ms(System.nanoTime() - t0));
            return true;
        } catch (IOException | RuntimeException e) {
            log.info("warm sandbox not used for {} ({}); starting one", real.id(), e.getMessage());
            stop();
            spec = real;
            runDir = real.runDir();
            return false;
        }
    }

    private void launch() throws IOException {
        long t0 = System.nanoTime();
        endReason = null;
        ended = new CompletableFuture<>();
        synchronized (lastLines) {
            lastLines.clear();
        }
        Path run = runDir;
        deleteTree(run);
        Files.createDirectories(run.resolve("etc"));
        Files.createDirectories(run.resolve("fwd"));
        Launcher.prepare(Files.createDirectories(run.resolve("launch")));
        if (!Files.isDirectory(spec.workspaceDir())) {
            throw new SandboxStartException("the workspace directory " + spec.workspaceDir() + " does not exist");
        }
        Files.createDirectories(spec.homeDir());
        writeEtc(run.resolve("etc"), spec.id());

        boolean privateNet = spec.network().mode() != NetworkPolicy.Mode.HOST;
        List<NetworkPolicy.Endpoint> forwards = privateNet ? spec.network().forward() : List.of();
        // Relays inside the sandbox: sandbox loopback port -> Unix socket name under /run/corral/fwd.
        var inside = new java.util.LinkedHashMap<Integer, String>();
        for (var fwd : forwards) {
            relays.add(ForwardRelay.start(run.resolve("fwd").resolve(fwd.port() + ".sock"), fwd));
            inside.put(fwd.port(), fwd.port() + ".sock");
        }
        if (spec.network().mode() == NetworkPolicy.Mode.PROXY) {
            if (inside.containsKey(EgressProxy.SANDBOX_PORT)) {
                throw new SandboxStartException("network.forward cannot use port " + EgressProxy.SANDBOX_PORT + " in proxy mode");
            }
            relays.add(EgressProxy.start(spec.id(), run.resolve("fwd").resolve("proxy.sock"), spec.network().allow()));
            inside.put(EgressProxy.SANDBOX_PORT, "proxy.sock");
        }
        if (spec.git() != null) {
            relays.add(GitCredentialServer.start(spec.id(), run.resolve("fwd").resolve("git-credential.sock"), spec.git()));
        }
        if ((!inside.isEmpty() || spec.git() != null) && !Files.isExecutable(Path.of("/usr/bin/socat"))) {
            throw new SandboxStartException("network relays need socat inside the sandbox: install it (apt-get install socat)");
        }

        long t1 = System.nanoTime();
        group = cgroups.create(spec.id(), spec.limits());
        long t2 = System.nanoTime();
        List<String> cmd = new ArrayList<>(List.of("bwrap", "--unshare-user", "--uid", String.valueOf(SandboxSpec.UID),
                "--gid", String.valueOf(SandboxSpec.UID), "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv", "--hostname", spec.id()));
        if (privateNet) cmd.add("--unshare-net");
        cmd.addAll(List.of("--ro-bind", "/usr", "/usr"));
        for (String top : List.of("bin", "sbin", "lib", "lib32", "lib64", "libx32")) {
            Path p = Path.of("/" + top);
            if (Files.isSymbolicLink(p)) cmd.addAll(List.of("--symlink", Files.readSymbolicLink(p).toString(), "/" + top));
            else if (Files.isDirectory(p)) cmd.addAll(List.of("--ro-bind", "/" + top, "/" + top));
        }
        // One prepared, read-only /etc for all sandboxes (see SandboxEtc); only two files differ per sandbox.
        cmd.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/var/tmp", "--dir", "/run",
                "--ro-bind", etc.toString(), "/etc"));
        for (String name : List.of("hosts", "hostname")) {
            cmd.addAll(List.of("--ro-bind", run.resolve("etc").resolve(name).toString(), "/etc/" + name));
        }
        if (!privateNet) cmd.addAll(List.of("--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf"));
        cmd.addAll(List.of("--bind", spec.workspaceDir().toString(), SandboxSpec.WORKSPACE,
                "--bind", spec.homeDir().toString(), SandboxSpec.HOME,
                "--bind", (slot != null ? slot.resolve("fwd") : run.resolve("fwd")).toString(), "/run/corral/fwd",
                "--bind", run.resolve("launch").toString(), Launcher.INSIDE));
        spec.readOnlyMounts().forEach((host, target) -> cmd.addAll(List.of("--ro-bind", host.toString(), target)));
        // The init is the launcher (launcher.sh): it starts the relays, says it is ready, then makes workers.
        cmd.addAll(List.of("--chdir", SandboxSpec.WORKSPACE, "--", "/bin/dash", "-c", LAUNCHER_SCRIPT, "corral-init"));
        inside.forEach((port, sock) -> cmd.add(port + ":" + sock));

        var pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().clear();
        if (group.threadMoves().isEmpty()) {
            // cgroup v2 (or none): a shell joins the cgroups first, so bwrap and everything it starts are inside them.
            pb.command("/bin/sh", "-c", joinCgroups() + "exec \"$@\"", "sh");
            pb.command().addAll(cmd);
            bwrap = Spawner.start(pb);
        } else {
            // cgroup v1: membership is per thread; the spawner thread joins, forks bwrap, and leaves again.
            bwrap = Spawner.start(pb, group.threadMoves());
        }
        long t3 = System.nanoTime();
        launcher = new Launcher(run.resolve("launch"), bwrap.getOutputStream());

        var ready = new CompletableFuture<Void>();
        Process started = bwrap;
        CompletableFuture<String> end = ended;
        Thread.ofVirtual().name("sandbox-" + spec.id()).start(() -> watch(started, ready, end));
        try {
            ready.get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new SandboxStartException("sandbox " + spec.id() + " was not ready within " + startTimeout.toMillis() + " ms" + tail());
        } catch (java.util.concurrent.ExecutionException e) {
            throw new SandboxStartException(e.getCause().getMessage() + tail());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxStartException("interrupted while starting sandbox " + spec.id());
        }
        initPid = sandboxInit(bwrap.pid());
        if (initPid <= 0) throw new SandboxStartException("bwrap started no sandbox" + tail());
        running = true;
        long t4 = System.nanoTime();
        log.debug("sandbox {} ready in {} ms (files {} ms, cgroups {} ms, spawn {} ms, until ready {} ms)", spec.id(),
                ms(t4 - t0), ms(t1 - t0), ms(t2 - t1), ms(t3 - t2), ms(t4 - t3));
    }

    /** Reads the sandbox's output: the ready marker completes {@code ready}; the end of output means it ended. */
    private void watch(Process bwrap, CompletableFuture<Void> ready, CompletableFuture<String> ended) {
        try (var in = new BufferedReader(new InputStreamReader(bwrap.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.equals(READY)) {
                    ready.complete(null);
                    continue;
                }
                synchronized (lastLines) {
                    lastLines.addLast(line.length() > 500 ? line.substring(0, 500) : line);
                    if (lastLines.size() > KEPT_LINES) lastLines.removeFirst();
                }
            }
        } catch (IOException ignored) {
            // the process is gone
        }
        int code;
        try {
            code = bwrap.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        String reason = code > 128 ? "killed by signal " + (code - 128) : "exited with code " + code;
        ready.completeExceptionally(new SandboxStartException("sandbox " + spec.id() + " " + reason + " before it was ready"));
        if (bwrap != this.bwrap) { // a warm sandbox that was replaced by a cold start
            ended.complete(reason);
            return;
        }
        if (running) log.warn("sandbox {} ended: {}{}", spec.id(), reason, tail());
        endReason = endReason != null ? endReason : reason;
        running = false;
        ended.complete(endReason);
    }

    /** bwrap's child: the pid 1 of the sandbox's pid namespace, as the host sees it. */
    private static long sandboxInit(long bwrapPid) throws IOException {
        String children = Files.readString(Path.of("/proc/" + bwrapPid + "/task/" + bwrapPid + "/children")).trim();
        return children.isEmpty() ? -1 : Long.parseLong(children.split(" ")[0]);
    }

    private String joinCgroups() {
        var s = new StringBuilder();
        for (Path procs : group.procsFiles()) s.append("echo $$ > ").append(Shell.quote(procs.toString())).append(" && ");
        return s.toString();
    }

    /** The sandbox's /etc/hosts and /etc/hostname; rewritten in place (the same inodes stay bound) on adoption. */
    private static void writeEtc(Path dir, String hostname) throws IOException {
        Files.writeString(dir.resolve("hosts"), "127.0.0.1\tlocalhost " + hostname + "\n::1\tlocalhost ip6-localhost\n");
        Files.writeString(dir.resolve("hostname"), hostname + "\n");
    }

    private Map<String, String> baseEnv() {
        var env = new HashMap<String, String>();
        env.put("PATH", String.join(":", SandboxSpec.basePath()));
        env.put("HOME", SandboxSpec.HOME);
        env.put("USER", "corral");
        env.put("LOGNAME", "corral");
        env.put("SHELL", "/bin/bash");
        env.put("LANG", "C.UTF-8");
        env.put("CORRAL_WORKSPACE_ID", spec.id());
        if (spec.network().mode() == NetworkPolicy.Mode.PROXY) {
            String proxy = "http://127.0.0.1:" + EgressProxy.SANDBOX_PORT;
            for (String k : List.of("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")) env.put(k, proxy);
            env.put("NO_PROXY", "localhost,127.0.0.1,::1");
            env.put("no_proxy", "localhost,127.0.0.1,::1");
            // Node.js's own fetch and http ignore the variables above unless told (Node 22.21+ and 24+; older ignore this).
            env.put("NODE_USE_ENV_PROXY", "1");
        }
        if (spec.git() != null) env.putAll(GitCredentialServer.gitEnvironment());
        env.putAll(spec.env());
        return env;
    }

    @Override
    public HostCommand prepare(SandboxCommand command) {
        if (!running) throw new IllegalStateException("sandbox " + spec.id() + " is not running");
        String cwd = command.cwd() == null ? SandboxSpec.WORKSPACE : command.cwd();
        // nsenter -r -w takes the init's root and working directory (/workspace); another directory needs a cd inside.
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", joinCgroups() + "exec nsenter -t " + initPid
                + " -U -m -u -i -n -p -C -r -w -S " + SandboxSpec.UID + " -G " + SandboxSpec.UID + " -- \"$@\"", "sh"));
        // A warm sandbox's init sits in the slot directory under the workspace's mount: always change directory.
        if (!cwd.equals(SandboxSpec.WORKSPACE) || slot != null) argv.addAll(List.of("/bin/sh", "-c", "cd -- \"$0\" && exec \"$@\"", cwd));
        argv.addAll(command.argv());
        var env = baseEnv();
        env.putAll(command.env());
        return new HostCommand(argv, env);
    }

    /** Starts {@code command} through the sandbox's launcher: no new host process, see {@link Launcher}. */
    @Override
    public Process spawn(SandboxCommand command, boolean mergeStderr) {
        Launcher l = launcher;
        if (!running || l == null) throw new IllegalStateException("sandbox " + spec.id() + " is not running");
        var env = baseEnv();
        env.putAll(command.env());
        return l.start(command.argv(), command.cwd() == null ? SandboxSpec.WORKSPACE : command.cwd(), env, mergeStderr);
    }

    @Override
    public boolean signal(Process process, String signal) {
        if (process instanceof LaunchedProcess launched) return launched.signal(signal);
        return signal(process.toHandle(), signal);
    }

    @Override
    public boolean signal(ProcessHandle launcher, String signal) {
        // The launcher is nsenter on the host; the sandboxed program is its only child. Right after a start the
        // launcher may not have forked it yet: wait for it a little rather than report "already exited".
        Optional<ProcessHandle> target = launcher.children().findFirst();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (target.isEmpty() && launcher.isAlive() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            target = launcher.children().findFirst();
        }
        if (target.isEmpty()) return false;
        long pid = target.get().pid();
        if (!List.of("TERM", "KILL", "INT", "HUP", "QUIT", "USR1", "USR2").contains(signal)) {
            throw new IllegalArgumentException("unsupported signal " + signal + " (TERM, KILL, INT, HUP, QUIT, USR1, USR2)");
        }
        try {
            // kill(1) rather than ProcessHandle.destroy(): the target is not our child, and we need more than TERM/KILL.
            return new ProcessBuilder("kill", "-s", signal, String.valueOf(pid)).start().waitFor() == 0;
        } catch (IOException e) {
            throw new SandboxException("cannot send " + signal + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void stop() {
        synchronized (lock) {
            if (endReason == null && bwrap != null) endReason = "stopped";
            running = false;
            Launcher l = launcher;
            if (l != null) l.close();
            Process p = bwrap;
            if (p != null) {
                p.destroyForcibly();
                try {
                    p.waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (group != null) group.destroy();
            for (AutoCloseable r : relays) {
                try {
                    r.close();
                } catch (Exception ignored) {
                    // closing anyway
                }
            }
            relays.clear();
            try {
                deleteTree(runDir);
            } catch (IOException e) {
                log.debug("cannot clean {}: {}", runDir, e.getMessage());
            }
            if (slot != null) releaseSlot();
            Path adopted = adoptedRunDir;
            if (adopted != null) {
                try {
                    deleteTree(adopted);
                } catch (IOException e) {
                    log.debug("cannot clean {}: {}", adopted, e.getMessage());
                }
            }
        }
    }

    /**
     * Unmounts a warm sandbox's slot and removes its directories, never recursively: if a mount stayed, the
     * workspace's files stay untouched behind it.
     */
    private void releaseSlot() {
        if (!Mounts.unmountAll(slot)) {
            log.warn("cannot unmount {}: left in place", slot);
            return;
        }
        try {
            deleteTree(slot.resolve("run")); // left by a cold start after a failed adoption; nothing is mounted here now
        } catch (IOException e) {
            log.debug("cannot clean {}: {}", slot, e.getMessage());
        }
        for (Path p : List.of(slot.resolve("ws"), slot.resolve("home"), slot.resolve("fwd"), slot)) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                log.debug("cannot remove {}: {}", p, e.getMessage());
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running && bwrap != null && bwrap.isAlive();
    }

    @Override
    public SandboxStatus status() {
        Cgroups.Group g = group;
        var warnings = new ArrayList<String>();
        if (g == null) {
            return new SandboxStatus("bwrap", cgroups.mode(), Limits.NONE, cgroups.problem().stream().toList(), 0, 0);
        }
        warnings.addAll(g.warnings());
        if (!spec.network().forward().isEmpty() && spec.network().mode() == NetworkPolicy.Mode.HOST) {
            warnings.add("network.forward ignored: network mode host already shares the host's network");
        }
        return new SandboxStatus("bwrap", cgroups.mode(), g.applied(), warnings, g.oomKills(), g.pidsLimitHits());
    }

    @Override
    public Optional<String> awaitEnd(Duration timeout) throws InterruptedException {
        try {
            return Optional.of(ended.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (java.util.concurrent.ExecutionException e) {
            return Optional.of(String.valueOf(e.getCause()));
        }
    }

    private static String resource(String name) {
        try (var in = BwrapSandbox.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing resource " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String ms(long nanos) {
        return String.format("%.1f", nanos / 1e6);
    }

    private String tail() {
        synchronized (lastLines) {
            return lastLines.isEmpty() ? "" : "; last output:\n" + String.join("\n", lastLines);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
