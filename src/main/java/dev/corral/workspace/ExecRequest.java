package dev.corral.workspace;

import dev.corral.CorralException;
import dev.corral.sandbox.SandboxCommand;
import dev.corral.sandbox.SandboxSpec;
import java.util.List;
import java.util.Map;

/**
 * A command to run in a workspace: {@code argv}, or {@code command} (a shell line run by {@code /bin/sh -c}).
 *
 * @param cwd       working directory: relative to /workspace, or absolute inside the sandbox
 * @param stdin     text fed to standard input (then closed); null for none
 * @param timeoutMs how long exec may run before it is killed (exec only)
 */
public record ExecRequest(List<String> argv, String command, String cwd, Map<String, String> env, String stdin,
                          Long timeoutMs) {

    /** Validates and turns this request into a sandbox command. */
    public SandboxCommand toCommand() {
        boolean hasArgv = argv != null && !argv.isEmpty();
        boolean hasCommand = command != null && !command.isBlank();
        if (hasArgv == hasCommand) {
            throw CorralException.badRequest("invalid_command", "give exactly one of \"argv\" (non-empty) or \"command\"");
        }
        if (hasArgv && argv.stream().anyMatch(a -> a == null || a.indexOf('\0') >= 0)) {
            throw CorralException.badRequest("invalid_command", "argv entries must be strings without NUL bytes");
        }
        if (env != null) {
            for (var e : env.entrySet()) {
                if (e.getKey() == null || !e.getKey().matches("[A-Za-z_][A-Za-z0-9_]*") || e.getValue() == null
                        || e.getValue().indexOf('\0') >= 0) {
                    throw CorralException.badRequest("invalid_env", "invalid environment variable: " + e.getKey());
                }
            }
        }
        if (timeoutMs != null && (timeoutMs < 1 || timeoutMs > 24L * 3600 * 1000)) {
            throw CorralException.badRequest("invalid_timeout", "timeoutMs must be between 1 and 86400000");
        }
        String dir = SandboxSpec.WORKSPACE;
        if (cwd != null && !cwd.isBlank()) {
            if (cwd.indexOf('\0') >= 0) throw CorralException.badRequest("invalid_cwd", "cwd contains a NUL byte");
            dir = cwd.startsWith("/") ? cwd : SandboxSpec.WORKSPACE + "/" + cwd;
        }
        List<String> args = hasArgv ? argv : List.of("/bin/sh", "-c", command);
        return new SandboxCommand(args, dir, env == null ? Map.of() : env);
    }
}
