package dev.corral.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    private static final Logger log = LoggerFactory.getLogger(Spawner.class);

    private Spawner() {}

    private static void returnOwnThreads(Path from, Path to) {
        try {
            for (String tid : Files.readAllLines(from)) {
                if (Files.exists(Path.of("/proc/self/task", tid.trim()))) Files.writeString(to, tid.trim());
            }
        } catch (IOException e) {
            log.warn("daemon threads cannot leave {}: {}", from, e.getMessage());
        }
    }

    /** This thread's id in the host's pid namespace ({@code /proc/thread-self} links to {@code PID/task/TID}). */
    private static String threadId() throws IOException {
        Path self = Files.readSymbolicLink(Path.of("/proc/thread-self"));
        return self.getFileName().toString();
    }

    static Process start(ProcessBuilder pb) throws IOException {
        return start(pb, Map.of());
    }

    /**
     * Starts {@code pb} from the spawner thread after writing that thread's id into the keys of {@code threadMoves}
     * (cgroup v1 {@code tasks} files: the process starts inside those groups, no wrapper needed), then moves the
     * thread, and any the JDK started from it meanwhile, back into the values.
     */
    static Process start(ProcessBuilder pb, Map<Path, Path> threadMoves) throws IOException {
        try {
            return THREAD.submit(() -> {
                if (threadMoves.isEmpty()) return pb.start();
                String tid = threadId();
                try {
                    for (Path tasks : threadMoves.keySet()) Files.writeString(tasks, tid);
                    return pb.start();
                } finally {
                    // Threads made by this one meanwhile (the JDK's process reaper) started in the group too.
                    threadMoves.forEach(Spawner::returnOwnThreads);
                }
            }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting " + pb.command().get(0), e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            throw new IOException(e.getCause());
        }
    }
}
