package dev.corral.workspace;

import dev.corral.sandbox.Limits;
import dev.corral.sandbox.NetworkPolicy;
import java.time.Instant;

/**
 * A workspace record as stored.
 *
 * @param source      where the files come from
 * @param stateReason why the workspace is in its state (a failure, a stop by the daemon's end, …), or null
 */
public record Workspace(String id, String name, WorkspaceState state, String stateReason, Source source, String agent,
                        Limits limits, NetworkPolicy network, Instant createdAt, Instant updatedAt, Instant lastStartedAt) {

    /** Where a workspace's files come from. */
    public record Source(Kind kind, String repo, String ref, String path, String snapshot) {
        public enum Kind { EMPTY, REPO, PATH, SNAPSHOT }

        public static final Source EMPTY = new Source(Kind.EMPTY, null, null, null, null);
    }

    public Workspace withState(WorkspaceState next, String reason, Instant at) {
        return new Workspace(id, name, state.moveTo(next), reason, source, agent, limits, network, createdAt, at,
                next == WorkspaceState.RUNNING ? at : lastStartedAt);
    }
}
