package dev.corral.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A program started by the sandbox's {@link Launcher}. {@link #pid()} is the pid, inside the sandbox, of the leader of
 * its process group (the worker shell that runs it); it has no host {@link ProcessHandle}. Signals go to that
 * process group. A program whose status cannot be known (its worker was killed with it, or the sandbox ended)
 * reports 137, killed.
 */
final class LaunchedProcess extends Process {
    private static final int KILLED = 128 + 9;

    private final Launcher launcher;
    private final int pid;
    private final OutputStream stdin;
    private final InputStream stdout;
    private final InputStream stderr;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private boolean signalled; // guarded by exit: a signalled worker is not reused (a late signal must hit nothing else)

    /**
     * @param stderr null when it goes to stdout
     * @param rc    the status FIFO: one line with the exit status once the program ends; its end without one means
     *              the worker died (killed with its program, or with the sandbox)
     * @param ended told whether the worker may run another program (it outlived this one and was never signalled)
     */
    LaunchedProcess(Launcher launcher, int pid, OutputStream stdin, InputStream stdout, InputStream stderr, InputStream rc,
                    java.util.function.Consumer<Boolean> ended) {
        this.launcher = launcher;
        this.pid = pid;
        this.stdin = SandboxIo.writable(stdin);
        this.stdout = new java.io.BufferedInputStream(SandboxIo.readable(stdout), 8192);
        this.stderr = stderr == null ? InputStream.nullInputStream() : new java.io.BufferedInputStream(SandboxIo.readable(stderr), 8192);
        SandboxIo.run(() -> {
            int code = KILLED;
            boolean workerAlive = false;
            try (rc) {
                String line = readLine(rc);
                if (line != null) {
                    code = Integer.parseInt(line.trim());
                    workerAlive = true;
                }
            } catch (IOException | NumberFormatException ignored) {
                // the worker is gone: killed, or the sandbox ended
            }
            boolean reusable;
            synchronized (exit) {
                exit.complete(code);
                reusable = workerAlive && !signalled;
            }
            ended.accept(reusable);
        });
    }

    private static String readLine(InputStream in) throws IOException {
        var line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') line.append((char) c);
        return c < 0 && line.isEmpty() ? null : line.toString();
    }

    @Override
    public OutputStream getOutputStream() {
        return stdin;
    }

    @Override
    public InputStream getInputStream() {
        return stdout;
    }

    @Override
    public InputStream getErrorStream() {
        return stderr;
    }

    @Override
    public int waitFor() throws InterruptedException {
        try {
            return exit.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        try {
            exit.get(timeout, unit);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public int exitValue() {
        Integer code = exit.getNow(null);
        if (code == null) throw new IllegalThreadStateException("process " + pid + " in the sandbox has not exited");
        return code;
    }

    @Override
    public boolean isAlive() {
        return !exit.isDone();
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public CompletableFuture<Process> onExit() {
        return exit.thenApply(code -> this);
    }

    /** Sends {@code signal} to the program's process group; false if it has already exited. */
    boolean signal(String signal) {
        Launcher.checkSignal(signal);
        synchronized (exit) {
            if (exit.isDone()) return false;
            launcher.signal(pid, signal);
            signalled = true;
            return true;
        }
    }

    @Override
    public void destroy() {
        destroy("TERM");
    }

    @Override
    public Process destroyForcibly() {
        destroy("KILL");
        return this;
    }

    private void destroy(String signal) {
        try {
            signal(signal);
        } catch (SandboxException e) {
            // the sandbox has ended, and the program with it
        }
    }

    @Override
    public boolean supportsNormalTermination() {
        return true;
    }

    @Override
    public String toString() {
        return "LaunchedProcess[pid=" + pid + " in the sandbox, " + (isAlive() ? "running" : "exit " + exitValue()) + "]";
    }
}
