package dev.corral.agents;

import dev.corral.CorralException;

/** A registry file could not be read or holds an invalid entry; the message names the file and the problem. */
public class AgentRegistryException extends CorralException {
    public AgentRegistryException(String message, Throwable cause) {
        super(Kind.BAD_REQUEST, "bad_agent_registry", message, cause);
    }
}
