package dev.corral.pty;

import java.util.Objects;

/**
 * A bounded buffer of the most recent output bytes, addressed by absolute byte offsets: the first byte ever appended
 * has offset 0 and offsets never repeat. Once more than {@link #capacity()} bytes have been appended, the oldest are
 * dropped; {@link #oldest()} says where the kept bytes begin and {@link #end()} where the next byte will go.
 *
 * <p>Thread-safe: every method may be called from any thread. Each call is short and never waits for anything but
 * the buffer's own lock.
 */
public final class ByteRing {

    /** The capacity of {@link #ByteRing()}: 1 MiB. */
    public static final int DEFAULT_CAPACITY = 1 << 20;

    /**
     * Bytes read from the ring.
     *
     * @param start absolute offset of the first byte of {@code bytes}
     * @param end   absolute offset just past the last byte ({@code start + bytes.length})
     * @param bytes a copy of the kept bytes in {@code [start, end)}
     */
    public record Slice(long start, long end, byte[] bytes) {
        public Slice {
            Objects.requireNonNull(bytes, "bytes");
            if (end - start != bytes.length) {
                throw new IllegalArgumentException("end - start must equal bytes.length");
            }
        }

        public int length() {
            return bytes.length;
        }

        public boolean isEmpty() {
            return bytes.length == 0;
        }
    }

    private final byte[] buffer;
    private long end;

    public ByteRing() {
        this(DEFAULT_CAPACITY);
    }

    public ByteRing(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.buffer = new byte[capacity];
    }

    public int capacity() {
        return buffer.length;
    }

    /** Appends all of {@code bytes}. */
    public void append(byte[] bytes) {
        append(bytes, 0, bytes.length);
    }

    /** Appends {@code length} bytes of {@code bytes} starting at {@code offset}; returns the new {@link #end()}. */
    public synchronized long append(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        int cap = buffer.length;
        if (length > cap) {
            // Only the last `cap` bytes survive anyway.
            end += length - cap;
            offset += length - cap;
            length = cap;
        }
        int pos = (int) (end % cap);
        int first = Math.min(length, cap - pos);
        System.arraycopy(bytes, offset, buffer, pos, first);
        System.arraycopy(bytes, offset + first, buffer, 0, length - first);
        end += length;
        return end;
    }

    /** Absolute offset of the oldest byte still kept (equal to {@link #end()} when nothing is kept). */
    public synchronized long oldest() {
        return Math.max(0, end - buffer.length);
    }

    /** Absolute offset just past the newest byte: the total number of bytes ever appended. */
    public synchronized long end() {
        return end;
    }

    /**
     * Reads up to {@code maxBytes} kept bytes starting at {@code fromOffset}. The slice starts at
     * {@code max(fromOffset, oldest())}, so a start greater than {@code fromOffset} means bytes were lost; a
     * {@code fromOffset} at or beyond {@link #end()} yields an empty slice at {@code end()}.
     */
    public synchronized Slice read(long fromOffset, int maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
        }
        long oldest = Math.max(0, end - buffer.length);
        long start = Math.min(Math.max(fromOffset, oldest), end);
        int length = (int) Math.min(maxBytes, end - start);
        byte[] out = new byte[length];
        int cap = buffer.length;
        int pos = (int) (start % cap);
        int first = Math.min(length, cap - pos);
        System.arraycopy(buffer, pos, out, 0, first);
        System.arraycopy(buffer, 0, out, first, length - first);
        return new Slice(start, start + length, out);
    }

    @Override
    public synchronized String toString() {
        return "ByteRing[oldest=" + oldest() + ", end=" + end + ", capacity=" + buffer.length + "]";
    }

}
