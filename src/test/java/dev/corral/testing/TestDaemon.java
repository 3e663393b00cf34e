package dev.corral.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real daemon, {@code corral serve --port 0}, in its own JVM with a temporary home. Its log is kept in a file and
 * printed by {@link #dumpLog()} (tests call it only on failure). {@link #kill()} is kill -9; {@link #restart()} starts a
 * new daemon on the same home.
 */
public final class TestDaemon implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("Corral is listening on http://[^:]+:(\\d+)/");

    private final Path home;
    private final Map<String, String> env;
    private final Path log;
    private Process process;
    private int port;

    private TestDaemon(Path home, Map<String, String> env) {
        this.home = home;
        this.env = env;
        this.log = home.resolveSibling(home.getFileName() + "-daemon.log");
    }

    public static TestDaemon start(Path home) {
        return start(home, Map.of());
    }

    public static TestDaemon start(Path home, Map<String, String> env) {
        var d = new TestDaemon(home, env);
        d.launch(0);
        return d;
    }

    /**
     * What {@code ./corral serve} runs the daemon under: as root, a mount namespace of its own, where the warm
     * sandbox pool may mount (unshare without --fork execs the JVM: the daemon keeps the pid we get).
     */
    public static List<String> serveNamespace() {
        boolean root = "root".equals(System.getProperty("user.name"));
        boolean unshare = Files.isExecutable(Path.of("/usr/bin/unshare"));
        return root && unshare ? List.of("/usr/bin/unshare", "--mount", "--propagation", "slave") : List.of();
    }

    /** The java command and classpath that run Corral's main class in a fresh JVM. */
    public static List<String> javaCommand() {
        String java = ProcessHandle.current().info().command().orElse("java");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        var cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Xshare:auto"));
        // Benchmarks and profiling add JVM options (bench/run passes CORRAL_JAVA_OPTS on, as ./corral does).
        String extra = System.getProperty("corral.daemon.javaOpts", "");
        if (!extra.isBlank()) cmd.addAll(List.of(extra.trim().split("\\s+")));
        // The daemon logs as in production (LOG_LEVEL, LOG_FORMAT), not with the tests' logback-test.xml.
        cmd.addAll(List.of("-Dlogback.configurationFile=logback.xml", "-cp", cp, "dev.corral.Main"));
        return cmd;
    }

    private void launch(int wantedPort) {
        try {
            List<String> cmd = new ArrayList<>(serveNamespace());
            cmd.addAll(javaCommand());
            cmd.addAll(List.of("serve", "--port", String.valueOf(wantedPort), "--home", home.toString()));
            var pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().putAll(env);
            pb.environment().putIfAbsent("LOG_LEVEL", "DEBUG");
            process = pb.start();
            var portFuture = new CompletableFuture<Integer>();
            Process p = process;
            Thread.ofVirtual().start(() -> {
                try (var in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                     var out = Files.newBufferedWriter(log, StandardCharsets.UTF_8,
                             java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND)) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        out.write(line);
                        out.newLine();
                        out.flush();
                        Matcher m = LISTENING.matcher(line);
                        if (m.find()) portFuture.complete(Integer.parseInt(m.group(1)));
                    }
                } catch (IOException ignored) {
                    // daemon gone
                }
                portFuture.completeExceptionally(new IllegalStateException("daemon exited before listening"));
            });
            port = portFuture.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the daemon: " + e + "\n" + logText(), e);
        }
    }

    public int port() {
        return port;
    }

    public Path home() {
        return home;
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public String token() {
        try {
            return Files.readString(home.resolve("token")).trim();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public Api api() {
        return new Api(url(), token());
    }

    public long pid() {
        return process.pid();
    }

    /** kill -9: no shutdown hook runs. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM and wait for a graceful exit. */
    public int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("daemon did not stop within 30 s");
        }
        return process.exitValue();
    }

    /** Starts a new daemon on the same home (the old one must be gone). */
    public void restart() {
        launch(0);
    }

    public String logText() {
        try {
            if (Files.exists(log)) return Files.readString(log);
            return Files.exists(kept()) ? Files.readString(kept()) : "(no log)";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    public void dumpLog() {
        System.err.println("---- daemon log (" + home + ") ----\n" + logText());
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly();
        }
        // The home is usually a @TempDir, gone before a failure is reported: keep the log under target/.
        try {
            if (Files.exists(log)) Files.copy(log, Files.createDirectories(kept().getParent()).resolve(kept().getFileName()),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            System.err.println("cannot keep the daemon log " + log + ": " + e);
        }
    }

    /** Where {@link #close} keeps the log: target/daemon-logs/, named after the home's directory. */
    private Path kept() {
        String name = home.getParent().getFileName() + "-" + home.getFileName() + ".log";
        return Path.of("target", "daemon-logs", name);
    }

    public static Duration timeout() {
        return Duration.ofSeconds(60);
    }
}
