package dev.corral.agents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.CorralException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Installs registry agents with npm into {@code CORRAL_HOME/agents/<id>/<version>}, always at the pinned version.
 *
 * <p>npm installs into a temporary sibling directory that is renamed into place atomically once the entry point
 * is verified, so the version directory either holds a complete install or does not exist. A failed install
 * deletes its temporary directory. Installing an installed agent returns at once. Concurrent calls for the same
 * agent version share one npm run (within this JVM) and are serialised by a lock file (across processes).
 *
 * <p>{@link #install} blocks until done and is thread-safe. It throws {@link AgentInstallException} when npm
 * fails, times out or leaves no entry point, and {@link CorralException} (bad request) when the entry is not an
 * installable npm distribution pinned to an exact version.
 */
public final class AgentInstaller {

    static final String MARKER = ".corral-install.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int KEPT_LINES = 20;

    private final Path agentsDir;
    private final String npm;
    private final Duration timeout;
    // Static: two installers over the same CORRAL_HOME in one JVM must share the run (a second FileLock
    // on the same file from this JVM would throw OverlappingFileLockException instead of waiting).
    private static final ConcurrentHashMap<Path, CompletableFuture<InstalledAgent>> RUNNING = new ConcurrentHashMap<>();

    public AgentInstaller(Path corralHome) {
        this(corralHome, "npm", Duration.ofMinutes(10));
    }

    private AgentInstaller(Path corralHome, String npm, Duration timeout) {
        this.agentsDir = corralHome.resolve("agents");
        this.npm = npm;
        this.timeout = timeout;
    }

    /** Uses another npm executable (path or name on PATH). */
    public AgentInstaller withNpm(String npmCommand) {
        return new AgentInstaller(agentsDir.getParent(), npmCommand, timeout);
    }

    /** Bounds one npm run; it is killed after this. Default 10 minutes. */
    public AgentInstaller withTimeout(Duration npmTimeout) {
        return new AgentInstaller(agentsDir.getParent(), npm, npmTimeout);
    }

    /** Where {@code entry} is (or would be) installed. */
    public Path installDir(AgentEntry entry) {
        return agentsDir.resolve(entry.id()).resolve(entry.version());
    }

    /** The installed agent, if its pinned version is completely installed. Never runs npm. */
    public Optional<InstalledAgent> installed(AgentEntry entry) {
        Path dir = installDir(entry);
        if (!Files.isRegularFile(dir.resolve(MARKER))) return Optional.empty();
        return Optional.of(resolve(entry, dir));
    }

    public boolean isInstalled(AgentEntry entry) {
        return installed(entry).isPresent();
    }

    /** Installs {@code entry}'s pinned version unless it is installed, and returns how to start it. */
    public InstalledAgent install(AgentEntry entry, InstallListener listener) {
        PackageSpec spec = specOf(entry);
        Path dir = installDir(entry);
        Optional<InstalledAgent> done = installed(entry);
        if (done.isPresent()) {
            notify(listener, new InstallProgress(entry.id(), InstallProgress.Phase.ALREADY_INSTALLED, 100, null));
            return done.get();
        }
        CompletableFuture<InstalledAgent> mine = new CompletableFuture<>();
        CompletableFuture<InstalledAgent> shared = RUNNING.putIfAbsent(dir.toAbsolutePath().normalize(), mine);
        if (shared == null) {
            try {
                mine.complete(installLocked(entry, spec, dir, listener));
            } catch (RuntimeException | Error e) {
                mine.completeExceptionally(e);
            } finally {
                RUNNING.remove(dir.toAbsolutePath().normalize(), mine);
            }
            shared = mine;
        }
        try {
            return shared.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentInstallException("install_interrupted", "Install of agent " + entry.id() + " was interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new AgentInstallException("install_failed", "Install of agent " + entry.id() + " failed", e.getCause());
        }
    }

    private InstalledAgent installLocked(AgentEntry entry, PackageSpec spec, Path dir, InstallListener listener) {
        try {
            Files.createDirectories(dir.getParent());
            Path lockFile = dir.getParent().resolve("." + entry.version() + ".lock");
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                // Another process may have finished while we waited for the lock.
                if (Files.isRegularFile(dir.resolve(MARKER))) {
                    notify(listener, new InstallProgress(entry.id(), InstallProgress.Phase.ALREADY_INSTALLED, 100, null));
                    return resolve(entry, dir);
                }
                deleteLeftovers(dir);
                return runNpm(entry, spec, dir, listener);
            }
        } catch (IOException e) {
            throw new AgentInstallException("install_failed", "Install of agent " + entry.id() + " failed: " + e, e);
        }
    }

    private InstalledAgent runNpm(AgentEntry entry, PackageSpec spec, Path dir, InstallListener listener) throws IOException {
        Path tmp = Files.createTempDirectory(dir.getParent(), "." + entry.version() + ".tmp-");
        boolean ok = false;
        try {
            notify(listener, new InstallProgress(entry.id(), InstallProgress.Phase.STARTING, 0, null));
            List<String> cmd = List.of(npm, "install", "--prefix", tmp.toString(), "--no-audit", "--no-fund",
                    "--no-update-notifier", "--loglevel=http", spec.installArgument());
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(tmp.toFile());
            Process p = pb.start();
            p.getOutputStream().close();
            Deque<String> last = new ArrayDeque<>();
            Thread reader = Thread.ofVirtual().start(() -> readLines(p, entry.id(), last, listener));
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AgentInstallException("install_timeout", "npm install of " + spec.installArgument()
                        + " for agent " + entry.id() + " took longer than " + timeout + tail(last));
            }
            reader.join(Duration.ofSeconds(5));
            if (p.exitValue() != 0) {
                throw new AgentInstallException("install_failed", "npm install of " + spec.installArgument()
                        + " for agent " + entry.id() + " exited with code " + p.exitValue() + tail(last));
            }
            notify(listener, new InstallProgress(entry.id(), InstallProgress.Phase.VERIFYING, 90, null));
            resolve(entry, tmp);
            Map<String, Object> marker = new LinkedHashMap<>();
            marker.put("id", entry.id());
            marker.put("version", entry.version());
            marker.put("package", spec.installArgument());
            marker.put("installedAt", Instant.now().toString());
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve(MARKER).toFile(), marker);
            moveIntoPlace(tmp, dir);
            ok = true;
            InstalledAgent agent = resolve(entry, dir);
            notify(listener, new InstallProgress(entry.id(), InstallProgress.Phase.DONE, 100, null));
            return agent;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentInstallException("install_interrupted", "Install of agent " + entry.id() + " was interrupted", e);
        } finally {
            if (!ok) {
                deleteTree(tmp);
                notify(listener, new InstallProgress(entry.id(), InstallProgress.Phase.FAILED, 100, null));
            }
        }
    }

    private static void moveIntoPlace(Path tmp, Path dir) throws IOException {
        // A complete-looking dir without marker is junk from an older, non-atomic copy: replace it.
        if (Files.exists(dir)) deleteTree(dir);
        try {
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
            throw new AgentInstallException("install_failed", "Cannot move " + tmp + " into place at " + dir + ": " + e, e);
        }
    }

    /** Finds the entry point of an install prefix; throws if there is none. */
    InstalledAgent resolve(AgentEntry entry, Path prefix) {
        var npx = entry.npx();
        String binName = entry.corral().bin();
        if (binName == null) binName = onlyBinOf(entry, prefix);
        Path bin = prefix.resolve("node_modules").resolve(".bin").resolve(binName);
        if (!Files.isExecutable(bin)) {
            throw new AgentInstallException("no_entry_point", "Agent " + entry.id() + " has no executable " + bin);
        }
        Map<String, String> env = new LinkedHashMap<>(entry.corral().defaultEnv());
        env.putAll(npx.env());
        return new InstalledAgent(entry, prefix, bin, npx.args(), env);
    }

    private static String onlyBinOf(AgentEntry entry, Path prefix) {
        try {
            JsonNode deps = JSON.readTree(prefix.resolve("package.json").toFile()).path("dependencies");
            if (deps.size() != 1) throw new IOException("expected one dependency in " + prefix.resolve("package.json"));
            String pkg = deps.fieldNames().next();
            JsonNode bin = JSON.readTree(prefix.resolve("node_modules").resolve(pkg).resolve("package.json").toFile()).path("bin");
            if (bin.isTextual()) return pkg.substring(pkg.indexOf('/') + 1);
            if (bin.isObject() && bin.size() == 1) return bin.fieldNames().next();
            throw new AgentInstallException("no_entry_point", "Package " + pkg + " of agent " + entry.id()
                    + " has " + bin.size() + " executables; set corral.bin in the registry to choose one");
        } catch (IOException e) {
            throw new AgentInstallException("no_entry_point", "Cannot find the entry point of agent " + entry.id() + ": " + e.getMessage(), e);
        }
    }

    private static PackageSpec specOf(AgentEntry entry) {
        if (entry.npx() == null) {
            throw CorralException.badRequest("not_installable", "Agent " + entry.id() + " has no npx distribution; only npm packages can be installed");
        }
        try {
            return PackageSpec.parse(entry.npx().packageSpec(), entry.version());
        } catch (IllegalArgumentException e) {
            throw CorralException.badRequest("not_pinned", "Agent " + entry.id() + ": " + e.getMessage());
        }
    }

    private static void readLines(Process p, String id, Deque<String> last, InstallListener listener) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            int percent = 5;
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (last) {
                    if (last.size() == KEPT_LINES) last.removeFirst();
                    last.addLast(line);
                }
                // Creeps towards 85 without reaching it: npm never says how much is left.
                percent = Math.min(85, percent + Math.max(1, (85 - percent) / 20));
                notify(listener, new InstallProgress(id, InstallProgress.Phase.DOWNLOADING, percent, line));
            }
        } catch (IOException ignored) {
            // The process ended or was killed; its exit code tells the story.
        }
    }

    private static String tail(Deque<String> last) {
        synchronized (last) {
            return last.isEmpty() ? "" : "; last output:\n" + String.join("\n", last);
        }
    }

    private static void notify(InstallListener listener, InstallProgress progress) {
        try {
            listener.onProgress(progress);
        } catch (RuntimeException ignored) {
            // Listeners must not break installs.
        }
    }

    private static void deleteLeftovers(Path dir) throws IOException {
        String prefix = "." + dir.getFileName() + ".tmp-";
        try (Stream<Path> s = Files.list(dir.getParent())) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(prefix)).toList()) deleteTree(p);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
