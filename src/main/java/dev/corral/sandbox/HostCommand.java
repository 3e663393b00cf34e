package dev.corral.sandbox;

import java.util.List;
import java.util.Map;

/**
 * A host command line that, when executed on the host with exactly {@link #env()} as its environment,
 * runs a {@link SandboxCommand} inside a sandbox. Use it with {@link ProcessBuilder} or a PTY library.
 * The process started is a launcher: signals meant for the sandboxed program go through
 * {@link Sandbox#signal(ProcessHandle, String)}.
 */
public record HostCommand(List<String> argv, Map<String, String> env) {
    public HostCommand {
        argv = List.copyOf(argv);
        env = Map.copyOf(env);
    }

    /** A process builder with this command and environment (the inherited environment is cleared). */
    public ProcessBuilder toProcessBuilder() {
        var pb = new ProcessBuilder(argv);
        pb.environment().clear();
        pb.environment().putAll(env);
        return pb;
    }
}
