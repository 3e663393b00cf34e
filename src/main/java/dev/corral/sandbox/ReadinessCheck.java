package dev.corral.sandbox;

import java.time.Duration;

/**
 * Decides when a started sandbox is ready for work. One small class per check; {@link Readiness} names them.
 * A check only answers "ready yet?": a sandbox that died is reported by the sandbox itself, not by the check.
 */
public interface ReadinessCheck {

    /**
     * Blocks until {@code sandbox} is ready.
     *
     * @throws SandboxStartException if it is not ready within the timeout
     */
    void awaitReady(Sandbox sandbox);

    /** A copy of this check with another timeout. */
    ReadinessCheck withTimeout(Duration timeout);
}
