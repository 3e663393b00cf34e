package dev.corral.pty;

/**
 * What a {@link Viewer} of a {@link Terminal} receives, in this order: one {@link Replay} first, then {@link Output}
 * chunks in offset order, possibly another {@link Replay} whenever bytes had to be skipped, and finally one
 * {@link Exit} after the last output byte, if the process ends while the viewer is attached.
 */
public sealed interface TerminalEvent {

    /**
     * The output that follows starts at offset {@code from}; the bytes in {@code [from, to)} are replayed from the
     * terminal's ring buffer, live output follows. A {@code from} greater than the offset the viewer asked for (or had
     * reached) means the bytes in between are lost to it: the ring dropped them, or the viewer fell too far behind.
     */
    record Replay(long from, long to) implements TerminalEvent {}

    /**
     * Output bytes at absolute offset {@code offset}. Chunks reach a viewer in order, without overlap, each starting
     * where the previous one ended unless a {@link Replay} in between announces a gap.
     */
    record Output(long offset, byte[] bytes) implements TerminalEvent {
        /** The offset just past this chunk. */
        public long end() {
            return offset + bytes.length;
        }
    }

    /** The terminal's process has exited with {@code code} and every output byte has been delivered. */
    record Exit(int code) implements TerminalEvent {}
}
