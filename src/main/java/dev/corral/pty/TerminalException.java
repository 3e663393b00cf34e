package dev.corral.pty;

import dev.corral.CorralException;

/** A terminal operation failed. The {@link #kind()} says how; messages are fit to show users. */
public class TerminalException extends CorralException {

    public TerminalException(Kind kind, String code, String message, Throwable cause) {
        super(kind, code, message, cause);
    }

    public static TerminalException notFound(String terminalId) {
        return new TerminalException(Kind.NOT_FOUND, "terminal_not_found", "terminal not found: " + terminalId, null);
    }

    public static TerminalException tooMany(String workspaceId, int max) {
        return new TerminalException(Kind.TOO_MANY, "too_many_terminals",
                "workspace " + workspaceId + " already has the maximum of " + max + " terminals; close one first", null);
    }

    public static TerminalException badSize(int cols, int rows) {
        return new TerminalException(Kind.BAD_REQUEST, "bad_terminal_size", "terminal size must be 1.."
                + TerminalSize.MAX + " columns and rows, got " + cols + "x" + rows, null);
    }

    public static TerminalException startFailed(String command, Throwable cause) {
        return new TerminalException(Kind.UNAVAILABLE, "terminal_start_failed",
                "cannot start a terminal running " + command + ": " + cause.getMessage(), cause);
    }

    public static TerminalException inputBacklog(String terminalId, long pending) {
        return new TerminalException(Kind.TOO_MANY, "terminal_input_backlog",
                "terminal " + terminalId + " is not reading its input (" + pending + " bytes pending)", null);
    }
}
