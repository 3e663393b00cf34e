package dev.corral.workspace;

import java.util.Arrays;

/**
 * The recent output of one process: a bounded byte buffer addressed by absolute offsets (offset 0 is the first byte
 * ever written). When full, the oldest bytes are dropped. Thread-safe.
 */
final class OutputLog {
    private final byte[] buf;
    private long end; // absolute offset one past the last byte written

    OutputLog(int capacity) {
        this.buf = new byte[capacity];
    }

    synchronized void append(byte[] data, int off, int len) {
        if (len >= buf.length) {
            off += len - buf.length;
            end += len - buf.length;
            len = buf.length;
        }
        int pos = (int) (end % buf.length);
        int first = Math.min(len, buf.length - pos);
        System.arraycopy(data, off, buf, pos, first);
        System.arraycopy(data, off + first, buf, 0, len - first);
        end += len;
        notifyAll();
    }

    synchronized long end() {
        return end;
    }

    synchronized long oldest() {
        return Math.max(0, end - buf.length);
    }

    /** The bytes kept after {@code after} (clamped to what is kept), at most {@code max} of them. */
    synchronized Slice read(long after, int max) {
        long from = Math.max(Math.max(0, after), oldest());
        if (from > end) from = end;
        int n = (int) Math.min(max, end - from);
        byte[] out = new byte[n];
        int pos = (int) (from % buf.length);
        int first = Math.min(n, buf.length - pos);
        System.arraycopy(buf, pos, out, 0, first);
        System.arraycopy(buf, 0, out, first, n - first);
        return new Slice(from, from + n, out);
    }

    /** A run of output: bytes from absolute offset {@code from} (inclusive) to {@code to} (exclusive). */
    record Slice(long from, long to, byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Slice s && s.from == from && s.to == to && Arrays.equals(s.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(from) * 31 + Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "Slice[" + from + ".." + to + "]";
        }
    }
}
