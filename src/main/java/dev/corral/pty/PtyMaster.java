package dev.corral.pty;

import com.pty4j.PtyProcess;
import com.pty4j.unix.UnixPtyProcess;
import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a PTY's output with one plain {@code read(2)} per call on a duplicate of the master descriptor, through a
 * direct-mapped native method. pty4j's own stream polls before every read through reflective JNA proxies and marshals
 * structures, which cost several times the CPU per chunk of the read itself; a PTY delivers output in chunks of a
 * few KiB, so that overhead bounded throughput on a busy machine.
 *
 * <p>The duplicate descriptor is ours: pty4j closing its master cannot make us read a reused descriptor number. A
 * read returns -1 once every process holding the PTY's other side has gone (the kernel's EIO), as pty4j's stream
 * does, or once {@link #stop()} was called and nothing more is pending. Not thread-safe apart from {@link #stop()}: one
 * reader thread; {@link #close()} after the last read.
 */
final class MasterReader extends InputStream {
    private static final Logger log = LoggerFactory.getLogger(MasterReader.class);
    private static final int EINTR = 4;
    private static final boolean AVAILABLE = register();

    private static final int POLLIN = 1;
    private static final int POLL_MILLIS = 200;

    private final int fd;
    private final int[] pollfd = new int[2];
    private volatile boolean stopped;
    private boolean closed;

    private MasterReader(int fd) {
        this.fd = fd;
    }

    private static boolean register() {
        try {
            Native.register(MasterReader.class, Platform.C_LIBRARY_NAME);
            return true;
        } catch (Throwable e) { // UnsatisfiedLinkError and friends: fall back to pty4j's stream
            log.debug("direct PTY reads unavailable; using pty4j's stream", e);
            return false;
        }
    }

    private static native int read(int fd, byte[] buffer, long count) throws LastErrorException;

    private static native int dup(int fd) throws LastErrorException;

    private static native int close(int fd) throws LastErrorException;

    /** {@code poll(2)} on one {@code struct pollfd}, laid out as {fd, events | revents << 16}. */
    private static native int poll(int[] pollfd, long count, int timeoutMillis) throws LastErrorException;

    /** A reader of {@code process}'s PTY, or empty where only pty4j's stream can be used. */
    static Optional<MasterReader> of(PtyProcess process) {
        if (!AVAILABLE || !(process instanceof UnixPtyProcess unix)) return Optional.empty();
        try {
            int master = unix.getPty().getMasterFD();
            return master < 0 ? Optional.empty() : Optional.of(new MasterReader(dup(master)));
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            log.debug("cannot duplicate the PTY master; using pty4j's stream", e);
            return Optional.empty();
        }
    }

    @Override
    public int read() throws IOException {
        var one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (closed) return -1;
        if (off != 0) throw new IllegalArgumentException("MasterReader reads into the start of the buffer");
        while (true) {
            try {
                // Wait in short polls, so stop() takes effect even while nothing arrives.
                pollfd[0] = fd;
                pollfd[1] = POLLIN;
                if (poll(pollfd, 1, POLL_MILLIS) == 0) {
                    if (stopped) return -1;
                    continue;
                }
                int n = read(fd, b, Math.min(len, b.length));
                return n <= 0 ? -1 : n;
            } catch (LastErrorException e) {
                if (e.getErrorCode() == EINTR) continue;
                return -1; // EIO: the other side is closed for good
            }
        }
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
    }
}
