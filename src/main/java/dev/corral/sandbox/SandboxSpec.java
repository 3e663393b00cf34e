package dev.corral.sandbox;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything a backend needs to build one sandbox.
 *
 * @param id           workspace id; also the hostname inside
 * @param workspaceDir host directory mounted read-write at {@code /workspace}
 * @param homeDir      host directory mounted read-write as the sandbox user's {@code $HOME}
 * @param runDir       host directory private to this sandbox's run (relay sockets, launch info); emptied on start
 * @param readOnlyMounts extra host paths mounted read-only, host path to sandbox path (e.g. installed agents)
 * @param env          environment every process in the sandbox gets, over the base environment
 * @param git          a git credential served to git inside through a credential helper, or null
 */
public record SandboxSpec(String id, Path workspaceDir, Path homeDir, Path runDir, Limits limits,
                          NetworkPolicy network, Map<Path, String> readOnlyMounts, Map<String, String> env,
                          GitCredential git) {
    public SandboxSpec {
        limits = limits == null ? Limits.NONE : limits;
        network = network == null ? NetworkPolicy.NONE : network;
        readOnlyMounts = readOnlyMounts == null ? Map.of() : Map.copyOf(readOnlyMounts);
        env = env == null ? Map.of() : Map.copyOf(env);
    }

    public SandboxSpec(String id, Path workspaceDir, Path homeDir, Path runDir, Limits limits, NetworkPolicy network,
                       Map<Path, String> readOnlyMounts, Map<String, String> env) {
        this(id, workspaceDir, homeDir, runDir, limits, network, readOnlyMounts, env, null);
    }

    /** The sandbox user's home directory as seen inside. */
    public static final String HOME = "/home/corral";
    /** The workspace as seen inside. */
    public static final String WORKSPACE = "/workspace";
    /** Where {@code CORRAL_HOME/agents} (installed agent packages) is mounted read-only inside. */
    public static final String AGENTS = "/opt/corral/agents";
    /** Uid and gid of the sandbox user inside. */
    public static final int UID = 1000;

    public static List<String> basePath() {
        return List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");
    }
}
