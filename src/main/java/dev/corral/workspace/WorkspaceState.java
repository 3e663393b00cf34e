package dev.corral.workspace;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The states of a workspace, and every legal transition between them (all of them are here).
 * An illegal transition throws {@link IllegalStateException} naming both states.
 */
public enum WorkspaceState {
    CREATING, RUNNING, STOPPED, FAILED, DELETING;

    private static final Map<WorkspaceState, Set<WorkspaceState>> NEXT = Map.of(
            CREATING, EnumSet.of(RUNNING, FAILED, STOPPED, DELETING),
            RUNNING, EnumSet.of(STOPPED, FAILED, DELETING),
            STOPPED, EnumSet.of(RUNNING, FAILED, DELETING),
            FAILED, EnumSet.of(RUNNING, STOPPED, DELETING),
            DELETING, EnumSet.noneOf(WorkspaceState.class));

    public boolean canMoveTo(WorkspaceState next) {
        return this == next || NEXT.get(this).contains(next);
    }

    /** Checks {@code this -> next}; throws IllegalStateException naming both states when it is not allowed. */
    public WorkspaceState moveTo(WorkspaceState next) {
        if (!canMoveTo(next)) {
            throw new IllegalStateException("workspace cannot go from " + wire() + " to " + next.wire());
        }
        return next;
    }

    /** The name used in the API: lower case. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static WorkspaceState fromWire(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT));
    }
}
