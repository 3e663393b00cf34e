package dev.corral.pty;

import com.pty4j.PtyProcess;
import com.pty4j.unix.UnixPtyProcess;
import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PTY's master side, read and written with plain system calls on a non-blocking duplicate of the master descriptor,
 * through direct-mapped native methods. pty4j's own streams poll before every read through reflective JNA proxies and
 * marshal structures, which cost several times the CPU per chunk of the read itself; a PTY delivers output in chunks
 * of at most 4 KiB, so that overhead bounded throughput.
 *
 * <p>The descriptor is non-blocking (a flag the duplicate shares with pty4j's own descriptor): {@link #read} never
 * waits, and the caller decides how long to wait in {@link #awaitOutput}; input is written here too, waiting for room
 * in {@code ppoll(2)} instead of failing.
 *
 * <p>The duplicate descriptor is ours: pty4j closing its master cannot make us use a reused descriptor number. A read
 * returns -1 once every process holding the PTY's other side has gone (the kernel's EIO), as pty4j's stream does, or
 * once {@link #stop()} was called and nothing more is pending. One thread at a time may read and one at a time may
 * write, concurrently; {@link #stop()} from any thread; {@link #close()} once nobody reads or writes any more.
 */
final class PtyMaster implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PtyMaster.class);
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;
    private static final int O_NONBLOCK = 04000;
    private static final boolean AVAILABLE = register();

    private static final int POLLIN = 1;
    private static final int POLLOUT = 4;
    /** Longest single wait for room to write: short, so a {@link #close()} is noticed. */
    private static final long WAIT_NANOS = 200_000_000L;
    /** The most one read returns; a PTY hands over at most 4 KiB at a time anyway. */
    static final int READ_SIZE = 16 * 1024;

    private final int fd;
    private final Memory readBuffer = new Memory(READ_SIZE);
    private final int[] readPoll = new int[2];
    private final int[] writePoll = new int[2];
    private final long[] readTimeout = new long[2];
    private final long[] writeTimeout = new long[2];
    private volatile boolean stopped;
    private volatile boolean closed;

    private PtyMaster(int fd) {
        this.fd = fd;
    }

    private static boolean register() {
        try {
            Native.register(PtyMaster.class, Platform.C_LIBRARY_NAME);
            return true;
        } catch (Throwable e) { // UnsatisfiedLinkError and friends: no terminals on this platform
            log.warn("direct PTY I/O unavailable: terminals cannot start", e);
            return false;
        }
    }

    /** Returns -1 with {@link Native#getLastError()} set on failure; no exception, so EAGAIN costs nothing. */
    private static native int read(int fd, Pointer buffer, long count);

    private static native int write(int fd, byte[] buffer, long count);

    private static native int dup(int fd) throws LastErrorException;

    private static native int close(int fd) throws LastErrorException;

    private static native int fcntl(int fd, int command, int argument) throws LastErrorException;

    /** {@code ppoll(2)} on one {@code struct pollfd}, laid out as {fd, events | revents << 16}; timeout {sec, nsec}. */
    private static native int ppoll(int[] pollfd, long count, long[] timeout, Pointer sigmask);

    /**
     * The master of {@code process}'s PTY.
     *
     * @throws IOException if the platform or the process does not allow it (not a Unix PTY, no libc)
     */
    static PtyMaster of(PtyProcess process) throws IOException {
        if (!AVAILABLE || !(process instanceof UnixPtyProcess unix)) {
            throw new IOException("direct PTY I/O is not available on this platform");
        }
        int copy = -1;
        try {
            int master = unix.getPty().getMasterFD();
            if (master < 0) throw new IOException("the PTY has no master descriptor");
            copy = dup(master);
            fcntl(copy, F_SETFL, fcntl(copy, F_GETFL, 0) | O_NONBLOCK);
            return new PtyMaster(copy);
        } catch (LastErrorException e) {
            if (copy >= 0) close(copy);
            throw new IOException("cannot set up the PTY master: " + e.getMessage(), e);
        }
    }

    /**
     * Reads what the PTY has pending into {@code buffer} (at most {@link #READ_SIZE} bytes), without waiting.
     *
     * @return the number of bytes read; 0 if nothing is pending; -1 at the end of output (every holder of the PTY's
     *     other side has gone, or {@link #stop()} was called and nothing is pending)
     */
    int read(byte[] buffer) {
        int max = Math.min(buffer.length, READ_SIZE);
        while (!closed) {
            int n = read(fd, readBuffer, max);
            if (n > 0) {
                readBuffer.read(0, buffer, 0, n);
                return n;
            }
            if (n == 0) return -1;
            int errno = Native.getLastError();
            if (errno == EINTR) continue;
            if (errno != EAGAIN) return -1; // EIO: the other side is closed for good
            return stopped ? -1 : 0;
        }
        return -1;
    }

    /** Waits up to {@code nanos} for output (or the end of it); true if {@link #read} has something to say. */
    boolean awaitOutput(long nanos) {
        return await(readPoll, readTimeout, POLLIN, nanos);
    }

    /**
     * Writes what the PTY's input has room for now, without waiting.
     *
     * @return the number of bytes written (0 if there is no room)
     * @throws IOException if the PTY cannot be written any more (the other side is gone, or closed here)
     */
    int tryWrite(byte[] bytes, int offset) throws IOException {
        while (true) {
            if (closed) throw new IOException("PTY closed");
            byte[] rest = offset == 0 ? bytes : Arrays.copyOfRange(bytes, offset, bytes.length);
            int n = write(fd, rest, rest.length);
            if (n >= 0) return n;
            int errno = Native.getLastError();
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return 0;
            throw new IOException("writing to the PTY failed: errno " + errno);
        }
    }

    /** Writes all of {@code bytes}, waiting while the PTY's input is full. */
    void write(byte[] bytes) throws IOException {
        int off = 0;
        while (off < bytes.length) {
            int n = tryWrite(bytes, off);
            off += n;
            if (n == 0) await(writePoll, writeTimeout, POLLOUT, WAIT_NANOS);
        }
    }

    private boolean await(int[] pollfd, long[] timeout, int events, long nanos) {
        pollfd[0] = fd;
        pollfd[1] = events;
        timeout[0] = nanos / 1_000_000_000L;
        timeout[1] = nanos % 1_000_000_000L;
        return ppoll(pollfd, 1, timeout, null) != 0;
    }

    /**
     * Ends reading once no output is pending: for when the process has exited but something it left behind (a
     * background job) still holds the PTY open. Any thread.
     */
    void stop() {
        stopped = true;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            close(fd);
        } catch (LastErrorException e) {
            log.debug("closing a PTY master duplicate failed", e);
        }
        readBuffer.close();
    }
}
