package dev.corral.pty;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings for terminals.
 *
 * @param ringCapacity     bytes of output each terminal keeps for replay
 * @param viewerLagBudget  how many bytes of live output a viewer may fall behind before it is skipped forward to the
 *                         live end (bytes replayed at attach time do not count)
 * @param exitGrace        how long a terminal is kept after its process exits, for reconnects, before it is reaped
 * @param maxPerWorkspace  how many terminals one {@link TerminalManager} keeps at most
 */
public record TerminalConfig(int ringCapacity, int viewerLagBudget, Duration exitGrace, int maxPerWorkspace) {

    public TerminalConfig {
        Objects.requireNonNull(exitGrace, "exitGrace");
        if (ringCapacity <= 0 || viewerLagBudget <= 0 || maxPerWorkspace <= 0 || exitGrace.isNegative()) {
            throw new IllegalArgumentException("terminal settings must be positive: " + ringCapacity + ", "
                    + viewerLagBudget + ", " + exitGrace + ", " + maxPerWorkspace);
        }
    }

    /** 1 MiB ring, lag budget equal to the ring, 5 minutes grace, 16 terminals per workspace. */
    public static TerminalConfig defaults() {
        return new TerminalConfig(ByteRing.DEFAULT_CAPACITY, ByteRing.DEFAULT_CAPACITY, Duration.ofMinutes(5), 16);
    }

    public TerminalConfig withRingCapacity(int bytes) {
        return new TerminalConfig(bytes, viewerLagBudget, exitGrace, maxPerWorkspace);
    }

    public TerminalConfig withViewerLagBudget(int bytes) {
        return new TerminalConfig(ringCapacity, bytes, exitGrace, maxPerWorkspace);
    }

    public TerminalConfig withExitGrace(Duration grace) {
        return new TerminalConfig(ringCapacity, viewerLagBudget, grace, maxPerWorkspace);
    }

    public TerminalConfig withMaxPerWorkspace(int max) {
        return new TerminalConfig(ringCapacity, viewerLagBudget, exitGrace, max);
    }
}
