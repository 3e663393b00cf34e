package dev.corral.pty;

/**
 * The size of a terminal window in character cells.
 *
 * @param cols columns, 1 to {@value #MAX}
 * @param rows rows, 1 to {@value #MAX}
 */
public record TerminalSize(int cols, int rows) {

    /** The largest accepted number of columns or rows. */
    public static final int MAX = 2000;

    public TerminalSize {
        if (cols < 1 || cols > MAX || rows < 1 || rows > MAX) {
            throw TerminalException.badSize(cols, rows);
        }
    }

    public static TerminalSize of(int cols, int rows) {
        return new TerminalSize(cols, rows);
    }
}
