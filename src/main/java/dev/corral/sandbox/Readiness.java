package dev.corral.sandbox;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Static factories of the readiness checks. */
public final class Readiness {
    private Readiness() {}

    /** Ready as soon as started (the backend's own start protocol already proved the sandbox runs). */
    public static ReadinessCheck started() {
        return new ReadinessCheck() {
            @Override public void awaitReady(Sandbox sandbox) {}
            @Override public ReadinessCheck withTimeout(Duration timeout) { return this; }
        };
    }

    /** Ready when {@code command} exits 0 inside the sandbox; retried every 50 ms until the timeout. */
    public static ReadinessCheck commandSucceeds(SandboxCommand command) {
        return new CommandSucceeds(command, Duration.ofSeconds(30));
    }

    /**
     * Ready when every check is ready, checked in order. Each check keeps its own timeout, so the whole
     * may take up to the sum of them.
     */
    public static ReadinessCheck all(ReadinessCheck... checks) {
        List<ReadinessCheck> list = List.of(checks);
        return new ReadinessCheck() {
            @Override public void awaitReady(Sandbox sandbox) { list.forEach(c -> c.awaitReady(sandbox)); }
            @Override public ReadinessCheck withTimeout(Duration timeout) {
                return all(list.stream().map(c -> c.withTimeout(timeout)).toArray(ReadinessCheck[]::new));
            }
        };
    }

    private record CommandSucceeds(SandboxCommand command, Duration timeout) implements ReadinessCheck {
        @Override
        public void awaitReady(Sandbox sandbox) {
            long deadline = System.nanoTime() + timeout.toNanos();
            int last = -1;
            while (System.nanoTime() < deadline) {
                if (!sandbox.isRunning()) throw new SandboxStartException("sandbox ended while waiting to be ready");
                Process p = sandbox.spawn(command, true);
                try {
                    p.getOutputStream().close();
                    p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
                    if (p.waitFor(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS)) {
                        last = p.exitValue();
                        if (last == 0) return;
                    }
                    Thread.sleep(50);
                } catch (IOException e) {
                    // try again until the deadline
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SandboxStartException("interrupted while waiting for readiness");
                } finally {
                    p.destroyForcibly();
                }
            }
            throw new SandboxStartException("readiness check " + command.argv() + " did not succeed within "
                    + timeout.toMillis() + " ms (last exit code " + last + ")");
        }

        @Override
        public ReadinessCheck withTimeout(Duration t) { return new CommandSucceeds(command, t); }
    }
}
