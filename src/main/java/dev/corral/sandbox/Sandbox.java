package dev.corral.sandbox;

import java.time.Duration;
import java.util.Optional;

/**
 * The isolated process tree one workspace runs in. Started and stopped like a lifecycle object:
 * {@link #start()} blocks until the sandbox is ready, {@link #stop()} tears it down, {@link #close()} only stops;
 * both are idempotent. Stopping loses no file: the workspace and home directories live on the host.
 *
 * <p>Implementations are thread-safe. Commands run inside through {@link #prepare(SandboxCommand)} (a host command
 * line for any process launcher, such as a PTY) or {@link #spawn(SandboxCommand, boolean)}.
 */
public interface Sandbox extends AutoCloseable {

    /**
     * Starts the sandbox and blocks until it passes its readiness check.
     *
     * @throws SandboxStartException if it could not start; everything started so far has been cleaned up
     */
    void start();

    /** Kills every process of the sandbox and releases its resources. Idempotent; never throws. */
    void stop();

    @Override
    default void close() {
        stop();
    }

    /** True between a successful {@link #start()} and the sandbox's end (stop, or its init dying). */
    boolean isRunning();

    /**
     * A host command line that runs {@code command} inside this sandbox (in its namespaces, cgroups, as its user).
     *
     * @throws IllegalStateException if the sandbox is not running
     */
    HostCommand prepare(SandboxCommand command);

    /** Starts {@code command} inside the sandbox with plain pipes. */
    default Process spawn(SandboxCommand command, boolean mergeStderr) {
        var pb = prepare(command).toProcessBuilder().redirectErrorStream(mergeStderr);
        try {
            return pb.start();
        } catch (java.io.IOException e) {
            throw new SandboxException("cannot launch a process in the sandbox: " + e.getMessage(), e);
        }
    }

    /**
     * Sends a signal ({@code TERM}, {@code KILL}, {@code INT}, {@code HUP}, {@code QUIT}, {@code USR1}, {@code USR2})
     * to a program started by {@link #spawn} (to its process group).
     *
     * @return false if that program has already exited
     */
    boolean signal(Process process, String signal);

    /**
     * Sends a signal ({@code TERM}, {@code KILL}, {@code INT}, {@code HUP}, {@code QUIT}, {@code USR1}, {@code USR2})
     * to the sandboxed program behind a launcher process started from {@link #prepare}.
     *
     * @return false if that program has already exited
     */
    boolean signal(ProcessHandle launcher, String signal);

    /** What the sandbox is and what it could enforce, for records, {@code /health} and {@code doctor}. */
    SandboxStatus status();

    /** Blocks until the sandbox ends or the timeout passes; returns why it ended, if it did. */
    Optional<String> awaitEnd(Duration timeout) throws InterruptedException;
}
