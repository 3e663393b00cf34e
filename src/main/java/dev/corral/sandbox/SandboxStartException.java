package dev.corral.sandbox;

import dev.corral.CorralException;

/**
 * A sandbox failed to start. The message names the cause (exit code or signal, or a timed-out readiness check)
 * and ends with the last lines the sandbox printed. Whatever was started has been cleaned up.
 */
public class SandboxStartException extends CorralException {
    public SandboxStartException(String message) {
        super(Kind.UNAVAILABLE, "sandbox_start_failed", message);
    }

    public SandboxStartException(String message, Throwable cause) {
        super(Kind.UNAVAILABLE, "sandbox_start_failed", message, cause);
    }
}
