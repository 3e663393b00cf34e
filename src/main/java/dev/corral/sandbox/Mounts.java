package dev.corral.sandbox;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The few mount and namespace calls the warm sandbox pool needs (see {@link WarmPool}), made directly through libc.
 * Only used when the daemon runs as root in a mount namespace of its own, so that nothing mounted here is seen
 * by, or outlives, anything but the daemon and its sandboxes.
 */
final class Mounts {
    private static final long MS_BIND = 4096;
    private static final long MS_REC = 16384;
    private static final long MS_SHARED = 1 << 20;
    private static final int MNT_DETACH = 2;
    private static final int CLONE_NEWUTS = 0x04000000;
    private static final int O_RDONLY_CLOEXEC = 02000000;
    private static final int EINVAL = 22;
    private static final boolean NATIVE = register();

    /** setns(2) is per thread: hostnames are set from this one platform thread, which always returns home. */
    private static final ExecutorService UTS_THREAD = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "corral-uts");
        t.setDaemon(true);
        return t;
    });

    private Mounts() {}

    private static boolean register() {
        try {
            Native.register(Mounts.class, Platform.C_LIBRARY_NAME);
            return true;
        } catch (Throwable e) {
            return false;
        }
    }

    private static native int mount(String source, String target, String type, long flags, Pointer data) throws LastErrorException;

    private static native int umount2(String target, int flags) throws LastErrorException;

    private static native int setns(int fd, int nstype) throws LastErrorException;

    private static native int sethostname(byte[] name, long length) throws LastErrorException;

    private static native int open(String path, int flags) throws LastErrorException;

    private static native int close(int fd) throws LastErrorException;

    private static native int geteuid();

    /**
     * Why host-side mounts cannot be used here, or null when they can: the daemon must be root (mount(2) and
     * sethostname in a sandbox's namespace) and must have a mount namespace of its own, as {@code ./corral serve}
     * arranges with {@code unshare --mount} — in the host's namespace a crashed daemon would leave user
     * directories bound under its home, where a recursive delete would reach them.
     */
    static String unavailable() {
        if (!NATIVE) return "libc cannot be called through JNA";
        if (geteuid() != 0) return "the daemon does not run as root";
        Path self;
        try {
            self = Files.readSymbolicLink(Path.of("/proc/self/ns/mnt"));
        } catch (IOException e) {
            return "cannot read the daemon's mount namespace: " + e.getMessage();
        }
        // ./corral says which namespace it left (CORRAL_HOST_MOUNT_NS); otherwise compare with the process that
        // started the daemon (unshare execs the JVM, so that is the caller), else with init.
        String left = System.getenv("CORRAL_HOST_MOUNT_NS");
        if (left != null && !left.isBlank()) {
            return self.toString().equals(left.trim()) ? "the daemon shares its mount namespace with the host (./corral serve gives it one)" : null;
        }
        long parent = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(1L);
        for (long pid : List.of(parent, 1L)) {
            try {
                Path other = Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/mnt"));
                return self.equals(other) ? "the daemon shares its mount namespace with the host (./corral serve gives it one)" : null;
            } catch (IOException e) {
                // not readable: try the next
            }
        }
        return "cannot tell whether the daemon has a mount namespace of its own";
    }

    /** Makes {@code dir} a mount point of its own whose later mounts propagate to the copies bubblewrap makes of it. */
    static void makeSharedMountPoint(Path dir) throws IOException {
        call("bind " + dir, () -> mount(dir.toString(), dir.toString(), null, MS_BIND, null));
        call("share " + dir, () -> mount(null, dir.toString(), null, MS_SHARED, null));
    }

    /** Binds {@code source} (with its submounts) over {@code target}. */
    static void bind(Path source, Path target) throws IOException {
        call("bind " + source + " on " + target, () -> mount(source.toString(), target.toString(), null, MS_BIND | MS_REC, null));
    }

    /** Detaches every mount at or below {@code dir}, deepest first; true when none is left. */
    static boolean unmountAll(Path dir) {
        for (int round = 0; round < 10; round++) {
            List<Path> points = mountPointsUnder(dir);
            if (points.isEmpty()) return true;
            for (Path p : points) {
                try {
                    umount2(p.toString(), MNT_DETACH);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() != EINVAL) break; // EINVAL: no longer a mount point
                }
            }
        }
        return mountPointsUnder(dir).isEmpty();
    }

    /** Mount points at or below {@code dir} in this process's mount namespace, deepest first. */
    static List<Path> mountPointsUnder(Path dir) {
        var points = new ArrayList<Path>();
        Path abs = dir.toAbsolutePath().normalize();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
                String[] f = line.split(" ");
                if (f.length < 5) continue;
                Path p = Path.of(unescape(f[4]));
                if (p.startsWith(abs)) points.add(p);
            }
        } catch (IOException e) {
            return points;
        }
        points.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return points;
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        var out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                try {
                    out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException ignored) {
                    // not an escape
                }
            }
            out.append(c);
        }
        return out.toString();
    }

    /** Sets the hostname in the UTS namespace of process {@code pid}. */
    static void setHostname(long pid, String name) throws IOException {
        try {
            UTS_THREAD.submit(() -> {
                int home = open("/proc/thread-self/ns/uts", O_RDONLY_CLOEXEC);
                try {
                    int target = open("/proc/" + pid + "/ns/uts", O_RDONLY_CLOEXEC);
                    try {
                        setns(target, CLONE_NEWUTS);
                    } finally {
                        close(target);
                    }
                    byte[] b = name.getBytes(StandardCharsets.UTF_8);
                    try {
                        sethostname(b, b.length);
                    } finally {
                        setns(home, CLONE_NEWUTS);
                    }
                } finally {
                    close(home);
                }
                return null;
            }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while setting the hostname");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw new IOException("cannot set the sandbox's hostname: "
                    + (c instanceof LastErrorException l ? "errno " + l.getErrorCode() : String.valueOf(c)), c);
        }
    }

    private interface Call {
        int run() throws LastErrorException;
    }

    private static void call(String what, Call call) throws IOException {
        try {
            call.run();
        } catch (LastErrorException e) {
            throw new IOException("cannot " + what + ": errno " + e.getErrorCode());
        }
    }
}
