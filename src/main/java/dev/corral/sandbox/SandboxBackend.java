package dev.corral.sandbox;

import java.util.List;

/**
 * Makes sandboxes of one kind (bubblewrap, OCI, Kubernetes, microVM). One backend per daemon.
 */
public interface SandboxBackend {

    /** Short name, e.g. {@code bwrap}. */
    String name();

    /** Creates (does not start) a sandbox for {@code spec}. */
    Sandbox create(SandboxSpec spec);

    /** Problems that stop this backend from working on this host, in words a user can act on; empty when ready. */
    List<String> problems();

    /** The cgroup mode limits are enforced with: {@code v1}, {@code v2} or {@code none}. */
    String cgroupMode();

    /** Kills what a previous daemon left behind (processes, cgroups). Called once at daemon start. */
    void reapOrphans();

    /**
     * Keeps up to {@code count} sandboxes started ahead of need for specs like {@code template} (its mounts; any
     * workspace, home, limits, no network), so that {@link #create} of such a spec returns one that starts at once.
     * A backend that cannot, or {@code count} 0, does nothing.
     *
     * @return why sandboxes are not kept warm, or null when they are
     */
    default String keepWarm(SandboxSpec template, int count) {
        return "not supported by the " + name() + " backend";
    }

    /** Sandboxes started and waiting for a workspace now. */
    default int warmReady() {
        return 0;
    }

    /** Sandboxes handed out warm by {@link #create} so far. */
    default long warmTaken() {
        return 0;
    }
}
