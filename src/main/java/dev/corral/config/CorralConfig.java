package dev.corral.config;

import dev.corral.sandbox.Limits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The daemon's configuration, one record per concern. Built from flags over environment variables over defaults.
 */
public record CorralConfig(Path home, Server server, SandboxDefaults sandbox, FilesConfig files,
                           TerminalsConfig terminals) {

    /** Where the API listens. */
    public record Server(String bind, int port) {}

    /**
     * Defaults for sandboxes: limits of workspaces that name none, timeouts, and how many sandboxes are kept started
     * ahead of need ({@code CORRAL_WARM_SANDBOXES}, default 2; 0 turns the pool off).
     */
    public record SandboxDefaults(Limits limits, Duration startTimeout, Duration execTimeout, Duration cloneTimeout,
                                  int processOutputBytes, int warmSandboxes) {}

    /** Limits of the files API. */
    public record FilesConfig(long maxFileBytes) {}

    /**
     * Terminals (SPEC §4). Environment: {@code CORRAL_TERMINAL_RING_BYTES} (output kept per terminal for replay,
     * default 1 MiB), {@code CORRAL_TERMINALS_PER_WORKSPACE} (default 16), {@code CORRAL_TERMINAL_EXIT_GRACE_SECONDS}
     * (how long an exited terminal stays readable, default 300).
     */
    public record TerminalsConfig(int ringBytes, int maxPerWorkspace, Duration exitGrace) {
        public TerminalsConfig {
            if (ringBytes < 1024 || maxPerWorkspace < 1 || exitGrace.isNegative()) {
                throw new IllegalArgumentException("CORRAL_TERMINAL_RING_BYTES must be at least 1024, "
                        + "CORRAL_TERMINALS_PER_WORKSPACE at least 1, CORRAL_TERMINAL_EXIT_GRACE_SECONDS not negative");
            }
        }
    }

    public static final int DEFAULT_PORT = 7433;

    /** CORRAL_HOME or ~/.corral. */
    public static Path defaultHome(Map<String, String> env) {
        String h = env.get("CORRAL_HOME");
        if (h != null && !h.isBlank()) return Path.of(h).toAbsolutePath();
        return Path.of(System.getProperty("user.home"), ".corral");
    }

    /**
     * Reads the configuration.
     *
     * @param home a {@code --home} flag, or null
     * @param bind a {@code --bind} flag, or null
     * @param port a {@code --port} flag, or null
     */
    public static CorralConfig load(Map<String, String> env, Path home, String bind, Integer port) {
        Path h = home != null ? home.toAbsolutePath() : defaultHome(env);
        var server = new Server(bind != null ? bind : env.getOrDefault("CORRAL_BIND", "127.0.0.1"),
                port != null ? port : intEnv(env, "CORRAL_PORT", DEFAULT_PORT));
        var limits = new Limits(intEnv(env, "CORRAL_DEFAULT_MEMORY_MB", 4096), intEnv(env, "CORRAL_DEFAULT_PIDS", 4096),
                env.containsKey("CORRAL_DEFAULT_CPUS") ? Double.parseDouble(env.get("CORRAL_DEFAULT_CPUS")) : null);
        var sandbox = new SandboxDefaults(limits, Duration.ofSeconds(intEnv(env, "CORRAL_SANDBOX_START_TIMEOUT_SECONDS", 30)),
                Duration.ofSeconds(intEnv(env, "CORRAL_EXEC_TIMEOUT_SECONDS", 300)),
                Duration.ofSeconds(intEnv(env, "CORRAL_CLONE_TIMEOUT_SECONDS", 1800)),
                intEnv(env, "CORRAL_PROCESS_OUTPUT_BYTES", 4 * 1024 * 1024),
                Math.max(0, Math.min(16, intEnv(env, "CORRAL_WARM_SANDBOXES", 2))));
        var files = new FilesConfig(longEnv(env, "CORRAL_MAX_FILE_BYTES", 512L * 1024 * 1024));
        var terminals = new TerminalsConfig(intEnv(env, "CORRAL_TERMINAL_RING_BYTES", 1 << 20),
                intEnv(env, "CORRAL_TERMINALS_PER_WORKSPACE", 16),
                Duration.ofSeconds(intEnv(env, "CORRAL_TERMINAL_EXIT_GRACE_SECONDS", 300)));
        return new CorralConfig(h, server, sandbox, files, terminals);
    }

    private static int intEnv(Map<String, String> env, String key, int def) {
        return (int) longEnv(env, key, def);
    }

    private static long longEnv(Map<String, String> env, String key, long def) {
        String v = env.get(key);
        if (v == null || v.isBlank()) return def;
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number, got '" + v + "'");
        }
    }
}
