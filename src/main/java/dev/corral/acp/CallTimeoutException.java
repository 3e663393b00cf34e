package dev.corral.acp;

import java.time.Duration;

/** A call's deadline passed before the agent answered. Nothing was sent to the agent because of it. */
public class CallTimeoutException extends AcpException {
    public CallTimeoutException(String method, Duration deadline) {
        super(Kind.TIMEOUT, "agent_timeout", "agent did not answer " + method + " within " + deadline, null);
    }
}
