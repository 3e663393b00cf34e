package dev.corral.sandbox;

import java.io.Closeable;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Blocking I/O on the launcher's FIFOs, kept off virtual threads. A read, write or open of a FIFO blocks in the
 * kernel and pins a virtual thread's carrier without compensation (unlike the JDK's own process pipes), so a few
 * idle programs could stall every virtual thread of the daemon. When a virtual thread does such I/O, a pooled
 * platform thread does the blocking call and the virtual thread waits for it without pinning; platform threads
 * (such as an agent's reader) do it directly.
 */
final class SandboxIo {
    private static final ExecutorService THREADS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sandbox-io");
        t.setDaemon(true);
        return t;
    });

    private SandboxIo() {}

    static void run(Runnable task) {
        THREADS.execute(task);
    }

    /** Opens a FIFO on a platform thread; the caller waits without pinning its carrier. */
    static Closeable open(Path fifo, boolean write) throws IOException {
        return call(() -> write ? new FileOutputStream(fifo.toFile()) : new FileInputStream(fifo.toFile()));
    }

    /**
     * {@code fifo} as a stream any thread may read: a platform thread reads it directly; a virtual thread hands
     * each read to a pooled platform thread and waits for it without pinning its carrier.
     */
    static InputStream readable(InputStream fifo) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                return Thread.currentThread().isVirtual() ? call(fifo::read) : fifo.read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return Thread.currentThread().isVirtual() ? call(() -> fifo.read(b, off, len)) : fifo.read(b, off, len);
            }

            @Override
            public void close() throws IOException {
                fifo.close();
            }
        };
    }

    /** {@code fifo} as a stream any thread may write, like {@link #readable}. */
    static OutputStream writable(OutputStream fifo) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (!Thread.currentThread().isVirtual()) {
                    fifo.write(b, off, len);
                    return;
                }
                call(() -> {
                    fifo.write(b, off, len);
                    return null;
                });
            }

            @Override
            public void close() throws IOException {
                fifo.close();
            }
        };
    }

    private interface IoCall<T> {
        T call() throws IOException;
    }

    private static <T> T call(IoCall<T> io) throws IOException {
        Future<T> f = THREADS.submit(io::call);
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io2) throw io2;
            throw new IOException(e.getCause());
        }
    }
}
