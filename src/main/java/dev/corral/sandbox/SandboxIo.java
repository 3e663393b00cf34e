package dev.corral.sandbox;

import java.io.Closeable;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Blocking I/O on the launcher's FIFOs, kept off virtual threads. A read, write or open of a FIFO blocks in the
 * kernel and pins a virtual thread's carrier without compensation (unlike the JDK's own process pipes), so a few
 * idle programs could stall every virtual thread of the daemon. Here platform threads (pooled, reused) do that
 * blocking and hand the bytes over through an anonymous {@link Pipe}, whose channels virtual threads wait on
 * without pinning.
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
        Future<Closeable> f = THREADS.submit(() -> write ? new FileOutputStream(fifo.toFile()) : new FileInputStream(fifo.toFile()));
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while opening " + fifo);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            throw new IOException(e.getCause());
        }
    }

    /** A stream of what {@code fifo} gives; closing it early closes the FIFO (the writer then gets SIGPIPE). */
    static InputStream pumpFrom(InputStream fifo) throws IOException {
        Pipe pipe = Pipe.open();
        THREADS.execute(() -> {
            try (fifo; var sink = pipe.sink()) {
                byte[] b = new byte[64 * 1024];
                int n;
                while ((n = fifo.read(b)) >= 0) {
                    ByteBuffer buf = ByteBuffer.wrap(b, 0, n);
                    while (buf.hasRemaining()) sink.write(buf);
                }
            } catch (IOException ignored) {
                // the program closed its end, or the reader closed ours
            }
        });
        return Channels.newInputStream(pipe.source());
    }

    /** A stream into {@code fifo}; closing it closes the FIFO (the reader sees the end of its input). */
    static OutputStream pumpTo(OutputStream fifo) throws IOException {
        Pipe pipe = Pipe.open();
        THREADS.execute(() -> {
            try (fifo; var source = pipe.source()) {
                ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
                while (source.read(buf) >= 0) {
                    fifo.write(buf.array(), 0, buf.position());
                    fifo.flush();
                    buf.clear();
                }
            } catch (IOException ignored) {
                // the program stopped reading, or ended
            } finally {
                try {
                    pipe.source().close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        });
        return Channels.newOutputStream(pipe.sink());
    }
}
