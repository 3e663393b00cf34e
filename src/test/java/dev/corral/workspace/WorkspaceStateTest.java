package dev.corral.workspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class WorkspaceStateTest {
    @Test
    void legalTransitions() {
        assertThat(WorkspaceState.CREATING.moveTo(WorkspaceState.RUNNING)).isEqualTo(WorkspaceState.RUNNING);
        assertThat(WorkspaceState.STOPPED.canMoveTo(WorkspaceState.RUNNING)).isTrue();
        assertThat(WorkspaceState.FAILED.canMoveTo(WorkspaceState.RUNNING)).isTrue();
        assertThat(WorkspaceState.RUNNING.canMoveTo(WorkspaceState.DELETING)).isTrue();
    }

    @Test
    void illegalTransitionNamesBothStates() {
        assertThatThrownBy(() -> WorkspaceState.DELETING.moveTo(WorkspaceState.RUNNING))
                .isInstanceOf(IllegalStateException.class).hasMessage("workspace cannot go from deleting to running");
        assertThat(WorkspaceState.RUNNING.canMoveTo(WorkspaceState.CREATING)).isFalse();
    }

    @Test
    void wireNamesAreLowerCase() {
        assertThat(WorkspaceState.fromWire("stopped")).isEqualTo(WorkspaceState.STOPPED);
        assertThat(WorkspaceState.FAILED.wire()).isEqualTo("failed");
    }
}
