package dev.corral.sandbox;

import dev.corral.CorralException;

/** A sandbox operation failed for a reason outside the caller's control. */
public class SandboxException extends CorralException {
    public SandboxException(String message, Throwable cause) {
        super(Kind.INTERNAL, "sandbox_error", message, cause);
    }

    public SandboxException(String code, String message) {
        super(Kind.UNAVAILABLE, code, message);
    }
}
