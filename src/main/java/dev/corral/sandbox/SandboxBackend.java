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
}
