package dev.corral.acp;

import dev.corral.CorralException;

/** Base of the failures of a conversation with an agent process. */
public class AcpException extends CorralException {
    public AcpException(Kind kind, String code, String message, Throwable cause) {
        super(kind, code, message, cause);
    }
}
