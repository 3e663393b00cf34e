package dev.corral.sandbox;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A command to run inside a sandbox.
 *
 * @param argv the program and its arguments, resolved inside the sandbox (PATH lookup happens there)
 * @param cwd  absolute working directory inside the sandbox; {@code null} means {@code /workspace}
 * @param env  extra environment variables layered over the sandbox's base environment
 */
public record SandboxCommand(List<String> argv, String cwd, Map<String, String> env) {

    public SandboxCommand {
        argv = List.copyOf(Objects.requireNonNull(argv, "argv"));
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv must not be empty");
        }
        env = env == null ? Map.of() : Map.copyOf(env);
    }

    public static SandboxCommand of(String... argv) {
        return new SandboxCommand(List.of(argv), null, Map.of());
    }

    public static SandboxCommand shell(String line) {
        return new SandboxCommand(List.of("/bin/sh", "-c", line), null, Map.of());
    }

    public SandboxCommand withCwd(String dir) {
        return new SandboxCommand(argv, dir, env);
    }

    public SandboxCommand withEnv(Map<String, String> extra) {
        var merged = new java.util.HashMap<>(env);
        merged.putAll(extra);
        return new SandboxCommand(argv, cwd, merged);
    }
}
