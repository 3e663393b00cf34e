package dev.corral.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The default backend: bubblewrap sandboxes with cgroup limits. */
public final class BwrapBackend implements SandboxBackend {
    private static final Logger log = LoggerFactory.getLogger(BwrapBackend.class);

    private final Cgroups cgroups;
    private final Duration startTimeout;
    private final Path stateDir;
    private volatile Path etc;
    private volatile WarmPool pool;

    /**
     * @param stateDir   directory for the backend's own files (the prepared /etc)
     * @param cgroupRoot name of this daemon's own cgroup directory (distinct per daemon home)
     */
    public BwrapBackend(Path stateDir, String cgroupRoot, Duration startTimeout) {
        this.stateDir = stateDir;
        this.cgroups = Cgroups.detect(cgroupRoot);
        this.startTimeout = startTimeout;
    }

    @Override
    public String name() {
        return "bwrap";
    }

    @Override
    public Sandbox create(SandboxSpec spec) {
        WarmPool p = pool;
        if (p != null && p.canServe(spec)) {
            BwrapSandbox warm = p.take();
            if (warm != null) {
                warm.assign(spec);
                return warm;
            }
        }
        return new BwrapSandbox(spec, etc(), cgroups, Readiness.started(), startTimeout);
    }

    @Override
    public synchronized String keepWarm(SandboxSpec template, int count) {
        if (pool != null) pool.close();
        pool = null;
        if (count <= 0) return "CORRAL_WARM_SANDBOXES is 0";
        String why = Mounts.unavailable();
        if (why != null) return why;
        var p = new WarmPool(stateDir.resolve("pool"), template, count, etc(), cgroups, startTimeout);
        pool = p;
        p.fill();
        return null;
    }

    @Override
    public long warmTaken() {
        WarmPool p = pool;
        return p == null ? 0 : p.taken();
    }

    @Override
    public int warmReady() {
        WarmPool p = pool;
        return p == null ? 0 : p.ready();
    }

    private Path etc() {
        Path e = etc;
        if (e == null) {
            synchronized (this) {
                if (etc == null) {
                    try {
                        etc = SandboxEtc.build(stateDir.resolve("etc"));
                    } catch (IOException ex) {
                        throw new SandboxStartException("cannot prepare the sandbox /etc in " + stateDir + ": " + ex.getMessage(), ex);
                    }
                }
                e = etc;
            }
        }
        return e;
    }

    @Override
    public List<String> problems() {
        var problems = new ArrayList<String>();
        var packages = java.util.Map.of("bwrap", "bubblewrap", "nsenter", "util-linux", "setsid", "util-linux", "dash", "dash");
        for (String tool : List.of("bwrap", "nsenter", "setsid", "dash")) {
            if (which(tool) == null) problems.add(tool + " is not installed: apt-get install " + packages.get(tool));
        }
        if (problems.isEmpty()) {
            String error = probe();
            if (error != null) problems.add("bwrap cannot create namespaces here: " + error);
        }
        return problems;
    }

    /** Runs a trivial sandbox to prove namespaces work; returns the error, or null. */
    private static String probe() {
        try {
            Process p = new ProcessBuilder("bwrap", "--unshare-user", "--unshare-pid", "--unshare-net", "--die-with-parent",
                    "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
                    "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "--", "/usr/bin/true")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "timed out";
            }
            return p.exitValue() == 0 ? null : out;
        } catch (IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    @Override
    public String cgroupMode() {
        return cgroups.mode();
    }

    /** Why limits cannot be enforced, or null when they can. */
    public String cgroupProblem() {
        return cgroups.problem().orElse(null);
    }

    @Override
    public void reapOrphans() {
        WarmPool.clean(stateDir.resolve("pool"));
        int killed = cgroups.reapAll();
        if (killed > 0) log.info("killed {} processes left by an earlier daemon", killed);
    }

    static Path which(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) return p;
        }
        for (String dir : List.of("/usr/bin", "/usr/sbin", "/bin", "/sbin")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }
}
