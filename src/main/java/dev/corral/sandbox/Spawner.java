package dev.corral.sandbox;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Starts processes that must die with the daemon. bubblewrap's {@code --die-with-parent} uses PR_SET_PDEATHSIG, which
 * fires when the <em>thread</em> that forked the process ends, not the process. Virtual-thread carriers and pool threads
 * come and go, so every such process is started from this one platform thread that lives as long as the JVM.
 */
final class Spawner {
    private static final ExecutorService THREAD = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "corral-spawner");
        t.setDaemon(true);
        return t;
    });

    private Spawner() {}

    static Process start(ProcessBuilder pb) throws IOException {
        try {
            return THREAD.submit(pb::start).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting " + pb.command().get(0), e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            throw new IOException(e.getCause());
        }
    }
}
