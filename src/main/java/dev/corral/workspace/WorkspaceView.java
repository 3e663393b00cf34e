package dev.corral.workspace;

import dev.corral.sandbox.Limits;
import dev.corral.sandbox.NetworkPolicy;
import dev.corral.sandbox.SandboxStatus;
import java.time.Instant;
import java.util.List;

/**
 * A workspace as the API shows it: the stored record plus what is true right now.
 *
 * @param progress while creating: the phase and percentage of the clone, else null
 * @param sandbox  the running sandbox's status (limits in force, warnings, OOM kills), else null
 * @param warnings every requested guarantee that does not hold (e.g. limits that could not be applied)
 */
public record WorkspaceView(String id, String name, String state, String stateReason, String source, String repo,
                            String ref, String path, String fromSnapshot, String agent, Limits limits, NetworkPolicy network,
                            Instant createdAt, Instant updatedAt, Instant lastStartedAt, Progress progress,
                            SandboxStatus sandbox, List<String> warnings) {

    /** Progress of a long operation. */
    public record Progress(String phase, int percent) {}
}
