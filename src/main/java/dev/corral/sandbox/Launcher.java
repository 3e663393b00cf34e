package dev.corral.sandbox;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.Closeable;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;

/**
 * The daemon's side of a sandbox's launcher ({@code launcher.sh}, the sandbox's init). Starting a program in the
 * sandbox creates no host process: a <em>worker</em> shell inside, already in the sandbox's namespaces and cgroups
 * and running as its user, starts it in its foreground with vfork. Process creation is what a sandbox start and an
 * {@code exec} cost most on slow hosts, and this path has one {@code exec} where entering the sandbox from outside
 * has four.
 *
 * <p>Each worker leads its own session and process group and runs one program at a time; it is reused when the
 * program ends, and one spare is kept starting so the next program need not wait for a new worker. A program
 * starts with a script written into its worker's FIFO {@code N/req}: the worker opens {@code R.rc}, runs the
 * program with {@code R.in}, {@code R.out} and {@code R.err} (FIFOs made here for request R), and writes its exit
 * status to {@code R.rc}. The daemon opens its ends in the same order, then removes the names. If the sandbox does
 * not answer (it died, or it is stopping), a pending open is released by opening the FIFO's other end here, and
 * the start fails with a clear error. Signals go to the worker's process group, through the init.
 */
final class Launcher implements AutoCloseable {
    static final String INSIDE = "/run/corral/launch";

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Set<String> SIGNALS = Set.of("TERM", "KILL", "INT", "HUP", "QUIT", "USR1", "USR2");
    /** dash runs these itself, whatever PATH says; a program of that name is looked up on PATH by the script. */
    private static final Set<String> DASH_BUILTINS = Set.of(".", ":", "[", "alias", "bg", "break", "cd", "chdir",
            "command", "continue", "echo", "eval", "exec", "exit", "export", "false", "fc", "fg", "getopts", "hash",
            "jobs", "kill", "local", "printf", "pwd", "read", "readonly", "return", "set", "shift", "test", "times",
            "trap", "true", "type", "ulimit", "umask", "unalias", "unset", "wait");
    private static final long ANSWER_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(20);
    /** How long a reused worker may take to listen again after its last program (it writes the status first). */
    private static final long IDLE_RELISTEN_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final int MAX_IDLE = 4;
    private static final int O_WRONLY = 1;
    private static final int O_NONBLOCK = 04000;
    private static final int O_CLOEXEC = 02000000;
    private static final int ENXIO = 6;
    private static final int EAGAIN = 11;
    private static final int EINTR = 4;
    private static final boolean NATIVE = register();

    private final Path dir;
    private final OutputStream init;
    private final AtomicLong workerIds = new AtomicLong();
    private final AtomicLong requestIds = new AtomicLong();
    private final Deque<Worker> idle = new ArrayDeque<>();
    private final Set<Start> pending = ConcurrentHashMap.newKeySet();
    private Worker spare; // asked for, maybe not listening yet
    private volatile boolean closed;

    /**
     * Makes the FIFO of worker 1, which the init starts before anything else; call before the sandbox starts.
     *
     * @param dir the host directory bound at {@link #INSIDE} in the sandbox
     */
    static void prepare(Path dir) throws IOException {
        if (!NATIVE) throw new IOException("the sandbox launcher needs libc through JNA, which did not load on this platform");
        Path first = Files.createDirectories(dir.resolve("1"));
        try {
            mkfifo(first.resolve("req").toString(), 0600);
        } catch (LastErrorException e) {
            throw new IOException("cannot make a FIFO in " + first + ": errno " + e.getErrorCode());
        }
    }

    /**
     * @param dir  the host directory bound at {@link #INSIDE} in the sandbox, {@link #prepare prepared}
     * @param init the init's stdin
     */
    Launcher(Path dir, OutputStream init) {
        this.dir = dir;
        this.init = init;
        this.workerIds.set(1);
        this.spare = new Worker(1);
    }

    /** Starts {@code argv} in the sandbox with exactly {@code env}; blocks until its streams are connected. */
    Process start(List<String> argv, String cwd, Map<String, String> env, boolean mergeStderr) {
        check(argv, cwd, env); // before a worker is taken, so a refused request holds none
        Worker w;
        long r = requestIds.incrementAndGet();
        try {
            w = takeWorker();
        } catch (IOException e) {
            throw new SandboxException("cannot start " + argv.get(0) + " in the sandbox: " + e.getMessage(), e);
        }
        List<Path> fifos = new ArrayList<>();
        for (String f : mergeStderr ? List.of("rc", "in", "out") : List.of("rc", "in", "out", "err")) {
            fifos.add(w.dir.resolve(r + "." + f));
        }
        var start = new Start();
        pending.add(start);
        boolean sent = false;
        try {
            for (Path f : fifos) mkfifo(f.toString(), 0600);
            w.send(script(w, r, argv, cwd, env, mergeStderr));
            sent = true;
            InputStream rc = start.open(fifos.get(0), false);
            OutputStream in = start.open(fifos.get(1), true);
            InputStream out = start.open(fifos.get(2), false);
            InputStream err = mergeStderr ? null : start.open(fifos.get(3), false);
            var process = new LaunchedProcess(this, w.pid, in, out, err, rc, alive -> returnWorker(w, alive));
            keepSpare();
            return process;
        } catch (IOException | LastErrorException e) {
            start.release();
            if (!sent) returnWorker(w, true); // it never got the script
            throw new SandboxException("cannot start " + argv.get(0) + " in the sandbox: " + e.getMessage(), e);
        } finally {
            pending.remove(start);
            start.finish();
            for (Path f : fifos) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // the run directory goes with the sandbox
                }
            }
        }
    }

    /** Sends {@code signal} to the process group {@code pgid} (a worker and its program). */
    void signal(int pgid, String signal) {
        checkSignal(signal);
        try {
            tellInit("k " + pgid + " " + signal);
        } catch (IOException e) {
            throw new SandboxException("cannot send " + signal + ": the sandbox is not running", e);
        }
    }

    static void checkSignal(String signal) {
        if (!SIGNALS.contains(signal)) {
            throw new IllegalArgumentException("unsupported signal " + signal + " (TERM, KILL, INT, HUP, QUIT, USR1, USR2)");
        }
    }

    private static void check(List<String> argv, String cwd, Map<String, String> env) {
        var fields = new ArrayList<String>(argv);
        fields.add(cwd);
        env.forEach((k, v) -> {
            if (!ENV_NAME.matcher(k).matches()) throw new IllegalArgumentException("invalid environment variable name: " + k);
            fields.add(v);
        });
        for (String f : fields) {
            if (f.indexOf('\0') >= 0) throw new IllegalArgumentException("a command, its environment and directory cannot contain NUL bytes");
        }
    }

    /** The script a worker runs for request {@code r}; the request has passed {@link #check}. */
    private static String script(Worker w, long r, List<String> argv, String cwd, Map<String, String> env, boolean merge) {
        var s = new StringBuilder(256);
        String base = INSIDE + "/" + w.id + "/" + r + ".";
        s.append("exec 9>").append(Shell.quote(base + "rc")).append("\n{ cd -- ").append(Shell.quote(cwd)).append(" && unset OLDPWD PWD &&");
        var assignments = new StringBuilder();
        env.forEach((k, v) -> assignments.append(' ').append(k).append('=').append(Shell.quote(v)));
        var args = new StringBuilder();
        for (String a : argv.subList(1, argv.size())) args.append(' ').append(Shell.quote(a));
        String name = Shell.quote(argv.get(0));
        if (!DASH_BUILTINS.contains(argv.get(0))) {
            s.append(assignments).append(' ').append(name).append(args);
        } else {
            // Find the program on the request's PATH here (dash would run its builtin); env(1) reports it missing.
            s.append(" { c=; p=").append(Shell.quote(env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin")))
                    .append("; set -f; IFS=:; for d in $p; do if [ -f \"$d\"/").append(name).append(" ] && [ -x \"$d\"/")
                    .append(name).append(" ]; then c=\"$d\"/").append(name).append("; break; fi; done; unset IFS; set +f; ")
                    .append("if [ -n \"$c\" ]; then").append(assignments).append(" \"$c\"").append(args).append("; else")
                    .append(assignments).append(" /usr/bin/env -- ").append(name).append(args).append("; fi; }");
        }
        s.append("; } <").append(Shell.quote(base + "in")).append(" >").append(Shell.quote(base + "out"))
                .append(merge ? " 2>&1" : " 2>" + Shell.quote(base + "err")).append(" 9>&-\necho $? >&9\nexec 9>&-\ncd /\n");
        return s.toString();
    }

    private Worker takeWorker() throws IOException {
        while (true) {
            Worker w;
            boolean reused;
            synchronized (idle) {
                if (closed) throw new IOException("the sandbox is stopping");
                w = idle.pollFirst();
                reused = w != null;
                if (w == null) {
                    w = spare != null ? spare : newWorker();
                    spare = null;
                }
            }
            if (w.connect(reused ? IDLE_RELISTEN_NANOS : ANSWER_TIMEOUT_NANOS)) return w;
            if (!reused) throw new IOException("the sandbox's launcher did not start a worker within " + TimeUnit.NANOSECONDS.toSeconds(ANSWER_TIMEOUT_NANOS) + " s");
            // a reused worker that does not listen has died (killed with its program): take another
        }
    }

    /** Once a program runs, makes sure the next one finds a worker (asking for it now would slow this start). */
    private void keepSpare() {
        synchronized (idle) {
            if (!idle.isEmpty() || spare != null || closed) return;
            try {
                spare = newWorker();
            } catch (IOException e) {
                // the next start asks again
            }
        }
    }

    private Worker newWorker() throws IOException {
        var w = new Worker(workerIds.incrementAndGet());
        Files.createDirectory(w.dir);
        try {
            mkfifo(w.dir.resolve("req").toString(), 0600);
        } catch (LastErrorException e) {
            throw new IOException("cannot make a FIFO in " + w.dir + ": errno " + e.getErrorCode());
        }
        tellInit("w " + w.id);
        return w;
    }

    private void returnWorker(Worker w, boolean reusable) {
        synchronized (idle) {
            if (reusable && !closed && idle.size() < MAX_IDLE) {
                idle.addLast(w);
                return;
            }
        }
        try {
            if (w.connect(IDLE_RELISTEN_NANOS)) w.send("exit\n");
        } catch (IOException ignored) {
            // it ends with the sandbox
        }
    }

    private void tellInit(String line) throws IOException {
        synchronized (init) {
            if (closed) throw new IOException("the sandbox is stopping");
            init.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            init.flush();
        }
    }

    /** Releases every start that waits for the sandbox and refuses new ones; the caller ends the sandbox. */
    @Override
    public void close() {
        closed = true;
        for (Start s : pending) s.release();
        synchronized (init) {
            try {
                init.close();
            } catch (IOException ignored) {
                // the init is gone already
            }
        }
    }

    /** A worker shell in the sandbox. */
    private final class Worker {
        final long id;
        final Path dir;
        int pid;
        private int fd = -1; // the request FIFO, opened by connect() while the worker listens

        Worker(long id) {
            this.id = id;
            this.dir = Launcher.this.dir.resolve(Long.toString(id));
        }

        /** Opens the request FIFO once the worker reads it; false if it did not within {@code nanos}. */
        boolean connect(long nanos) throws IOException {
            long deadline = System.nanoTime() + nanos;
            String req = dir.resolve("req").toString();
            while (true) {
                try {
                    fd = open(req, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
                    break;
                } catch (LastErrorException e) {
                    if (e.getErrorCode() != ENXIO && e.getErrorCode() != EINTR) {
                        throw new IOException("cannot open " + req + ": errno " + e.getErrorCode());
                    }
                }
                if (closed) throw new IOException("the sandbox is stopping");
                if (System.nanoTime() > deadline) return false;
                LockSupport.parkNanos(100_000);
            }
            if (pid == 0) {
                try {
                    pid = Integer.parseInt(Files.readString(dir.resolve("pid")).trim());
                } catch (IOException | NumberFormatException e) {
                    close(fd);
                    throw new IOException("worker " + id + " did not say its pid");
                }
            }
            return true;
        }

        /** Writes one script and closes the FIFO: the worker runs it when it reads the end. */
        void send(String script) throws IOException {
            byte[] b = script.getBytes(StandardCharsets.UTF_8);
            try {
                int off = 0;
                while (off < b.length) {
                    try {
                        byte[] chunk = off == 0 ? b : java.util.Arrays.copyOfRange(b, off, b.length);
                        off += write(fd, chunk, chunk.length);
                    } catch (LastErrorException e) {
                        if (e.getErrorCode() != EAGAIN && e.getErrorCode() != EINTR) {
                            throw new IOException("cannot write to worker " + id + ": errno " + e.getErrorCode());
                        }
                        if (closed) throw new IOException("the sandbox is stopping");
                        LockSupport.parkNanos(100_000); // a script larger than the pipe: the worker reads on
                    }
                }
            } finally {
                close(fd);
                fd = -1;
            }
        }
    }

    /** The FIFO opens of one start; {@link #release} unblocks them. */
    private final class Start {
        private final CompletableFuture<Void> finished = new CompletableFuture<>();
        private final List<RandomAccessFile> rescues = new ArrayList<>();
        private Path opening;
        private boolean released;

        Start() {
            finished.orTimeout(ANSWER_TIMEOUT_NANOS, TimeUnit.NANOSECONDS).exceptionally(e -> {
                release();
                return null;
            });
        }

        @SuppressWarnings("unchecked")
        <T> T open(Path fifo, boolean write) throws IOException {
            synchronized (this) {
                if (released || closed) throw new IOException("the sandbox is stopping");
                opening = fifo;
            }
            Closeable stream = SandboxIo.open(fifo, write);
            synchronized (this) {
                if (released) {
                    stream.close();
                    throw new IOException(closed ? "the sandbox is stopping" : "the sandbox did not start the program within "
                            + TimeUnit.NANOSECONDS.toSeconds(ANSWER_TIMEOUT_NANOS) + " s");
                }
            }
            return (T) stream;
        }

        /** Opens the FIFO being opened read-write here (that never blocks), which completes the pending open. */
        void release() {
            synchronized (this) {
                if (released) return;
                released = true;
                if (opening == null) return;
                try {
                    rescues.add(new RandomAccessFile(opening.toFile(), "rw"));
                } catch (IOException ignored) {
                    // the FIFO is gone: nothing waits on it
                }
            }
        }

        synchronized void finish() {
            finished.complete(null);
            for (var r : rescues) {
                try {
                    r.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
    }

    private static boolean register() {
        try {
            Native.register(Launcher.class, Platform.C_LIBRARY_NAME);
            return true;
        } catch (Throwable e) {
            return false;
        }
    }

    private static native int mkfifo(String path, int mode) throws LastErrorException;

    private static native int open(String path, int flags) throws LastErrorException;

    private static native int write(int fd, byte[] buffer, long count) throws LastErrorException;

    private static native int close(int fd) throws LastErrorException;
}
