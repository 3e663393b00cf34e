package dev.corral.pty;

import java.time.Instant;

/**
 * What a terminal list shows about one terminal (the open tabs of a workspace).
 *
 * @param endOffset offset just past the newest output byte; a client that has seen everything reconnects with it
 * @param alive     false once the process has exited
 * @param exitCode  the exit code once not alive, else {@code null}
 */
public record TerminalInfo(String id, String title, int cols, int rows, long endOffset, boolean alive,
                           Integer exitCode, Instant createdAt) {

    public static TerminalInfo of(Terminal terminal) {
        var size = terminal.size();
        var code = terminal.exitCode();
        return new TerminalInfo(terminal.id(), terminal.title(), size.cols(), size.rows(), terminal.endOffset(),
                code.isEmpty(), code.isPresent() ? code.getAsInt() : null, terminal.createdAt());
    }
}
