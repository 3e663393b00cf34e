package dev.corral.agents;

import dev.corral.CorralException;

/** An agent could not be installed; the message says why and quotes npm's last output lines. */
public class AgentInstallException extends CorralException {
    public AgentInstallException(String code, String message, Throwable cause) {
        super(Kind.UNAVAILABLE, code, message, cause);
    }

    public AgentInstallException(String code, String message) {
        this(code, message, null);
    }
}
