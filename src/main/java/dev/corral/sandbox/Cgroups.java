package dev.corral.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds where this host lets us make cgroups, and makes one group per sandbox under a root private to one daemon home.
 * Supports v1 (one hierarchy per controller: memory, pids, cpu) and v2 (one unified hierarchy, controllers enabled
 * in {@code cgroup.subtree_control}). When neither works, {@link #mode()} is {@code none} and {@link #problem()} says why.
 */
public final class Cgroups {

    private static final List<String> V1_CONTROLLERS = List.of("memory", "pids", "cpu");

    private final String mode;
    private final Map<String, Path> roots; // controller (or "unified") -> our root dir
    private final String problem;

    private Cgroups(String mode, Map<String, Path> roots, String problem) {
        this.mode = mode;
        this.roots = roots;
        this.problem = problem;
    }

    /** Probes the host; {@code rootName} names our directory (one per daemon home). Never throws. */
    public static Cgroups detect(String rootName) {
        Path fs = Path.of("/sys/fs/cgroup");
        try {
            Map<String, String> self = selfPaths();
            if (!Files.exists(fs.resolve("cgroup.controllers")) && Files.exists(fs.resolve("memory/cgroup.procs"))) {
                var roots = new LinkedHashMap<String, Path>();
                var missing = new ArrayList<String>();
                for (String c : V1_CONTROLLERS) {
                    Path mount = fs.resolve(c);
                    if (!Files.isDirectory(mount) || !Files.exists(mount.resolve("cgroup.procs"))) {
                        missing.add(c);
                        continue;
                    }
                    Path root = mount.resolve(strip(self.getOrDefault(c, "/"))).resolve(rootName);
                    Files.createDirectories(root);
                    roots.put(c, root);
                }
                if (roots.isEmpty()) return new Cgroups("none", Map.of(), "no writable cgroup v1 controller (memory, pids, cpu)");
                return new Cgroups("v1", roots, missing.isEmpty() ? null : "cgroup v1 controllers missing: " + missing);
            }
            if (Files.exists(fs.resolve("cgroup.controllers"))) {
                Path own = fs.resolve(strip(self.getOrDefault("", "/")));
                Path root = own.resolve(rootName);
                Files.createDirectories(root);
                String available = Files.readString(root.resolve("cgroup.controllers")).trim();
                if (!available.contains("memory") || !available.contains("pids")) {
                    // A v2 group can only delegate controllers its parent enabled for it; try to enable them.
                    enableV2(own);
                    available = Files.readString(root.resolve("cgroup.controllers")).trim();
                }
                enableV2(root);
                String enabled = Files.readString(root.resolve("cgroup.subtree_control")).trim();
                if (!enabled.contains("memory") || !enabled.contains("pids")) {
                    return new Cgroups("none", Map.of(), "cgroup v2 controllers not delegated here (have: '" + enabled
                            + "'); run the daemon in a delegated cgroup (systemd Delegate=yes)");
                }
                return new Cgroups("v2", Map.of("unified", root), enabled.contains("cpu") ? null : "cgroup v2 cpu controller not delegated");
            }
            return new Cgroups("none", Map.of(), "no cgroup filesystem at /sys/fs/cgroup");
        } catch (IOException | RuntimeException e) {
            return new Cgroups("none", Map.of(), "cannot create cgroups: " + e.getMessage());
        }
    }

    private static void enableV2(Path dir) {
        for (String c : List.of("+memory", "+pids", "+cpu")) {
            try {
                Files.writeString(dir.resolve("cgroup.subtree_control"), c);
            } catch (IOException ignored) {
                // Reported through the check of subtree_control by the caller.
            }
        }
    }

    private static String strip(String p) {
        return p.startsWith("/") ? p.substring(1) : p;
    }

    /** controller -> path of this process's cgroup, from /proc/self/cgroup ("" for the v2 entry). */
    private static Map<String, String> selfPaths() throws IOException {
        var out = new LinkedHashMap<String, String>();
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            String[] parts = line.split(":", 3);
            if (parts.length < 3) continue;
            for (String c : parts[1].split(",")) out.put(c, parts[2]);
        }
        return out;
    }

    public String mode() { return mode; }

    /** Why limits cannot be (fully) enforced, or empty. */
    public Optional<String> problem() { return Optional.ofNullable(problem); }

    /** Creates (or re-creates, emptied) the group of one sandbox and applies {@code limits}. */
    public Group create(String name, Limits limits) {
        var dirs = new LinkedHashMap<String, Path>();
        var warnings = new ArrayList<String>();
        if (problem != null) warnings.add(problem);
        for (var e : roots.entrySet()) {
            Path dir = e.getValue().resolve(name);
            try {
                if (Files.isDirectory(dir)) killAndRemove(dir);
                Files.createDirectories(dir);
                dirs.put(e.getKey(), dir);
            } catch (IOException ex) {
                warnings.add("cannot create cgroup " + dir + ": " + ex.getMessage());
            }
        }
        var group = new Group(mode, dirs, warnings);
        group.apply(limits);
        return group;
    }

    /** Kills every process left in our groups by an earlier daemon and removes the groups. */
    public int reapAll() {
        int killed = 0;
        for (Path root : roots.values()) {
            try (var children = Files.list(root)) {
                for (Path dir : children.filter(Files::isDirectory).toList()) {
                    killed += killAndRemove(dir);
                }
            } catch (IOException ignored) {
                // Nothing to reap.
            }
        }
        return killed;
    }

    static int killAndRemove(Path dir) {
        int killed = 0;
        for (int attempt = 0; attempt < 50; attempt++) {
            List<Long> pids = Group.pids(dir);
            if (pids.isEmpty() && tryRemove(dir)) return killed;
            for (long pid : pids) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                killed++;
            }
            try {
                Thread.sleep(10); // the kernel takes a moment to empty a group after SIGKILL
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return killed;
            }
        }
        return killed;
    }

    private static boolean tryRemove(Path dir) {
        try {
            Files.deleteIfExists(dir);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The cgroup(s) of one sandbox. */
    public static final class Group {
        private final String mode;
        private final Map<String, Path> dirs;
        private final List<String> warnings;
        private Limits applied = Limits.NONE;

        Group(String mode, Map<String, Path> dirs, List<String> warnings) {
            this.mode = mode;
            this.dirs = dirs;
            this.warnings = warnings;
        }

        /** Files a process writes its own pid into to join this group (one per hierarchy). */
        public List<Path> procsFiles() {
            return dirs.values().stream().map(d -> d.resolve("cgroup.procs")).toList();
        }

        /**
         * cgroup v1 only: for each hierarchy, the {@code tasks} file a <em>thread</em> writes its id into to join
         * this group (what it then forks starts inside), mapped to the {@code tasks} file of the daemon's own group
         * to return to; empty under v2, where membership is per process.
         */
        public Map<Path, Path> threadMoves() {
            if (!"v1".equals(mode)) return Map.of();
            var moves = new LinkedHashMap<Path, Path>();
            for (Path d : dirs.values()) moves.put(d.resolve("tasks"), d.getParent().getParent().resolve("tasks"));
            return moves;
        }

        public Limits applied() { return applied; }

        public List<String> warnings() { return List.copyOf(warnings); }

        void apply(Limits limits) {
            Integer mem = null;
            Integer pids = null;
            Double cpus = null;
            if (limits.memoryMb() != null) {
                long bytes = limits.memoryMb() * 1024L * 1024L;
                boolean ok = "v1".equals(mode)
                        ? write("memory", "memory.limit_in_bytes", bytes)
                        : write("unified", "memory.max", bytes);
                if (ok) {
                    mem = limits.memoryMb();
                    // Swap counts against the same ceiling, so a memory bomb cannot spill into swap.
                    if ("v1".equals(mode)) writeOptional("memory", "memory.memsw.limit_in_bytes", bytes);
                    else writeOptional("unified", "memory.swap.max", 0);
                } else {
                    warnings.add("memory limit not applied");
                }
            }
            if (limits.pids() != null) {
                boolean ok = write("v1".equals(mode) ? "pids" : "unified", "pids.max", limits.pids());
                if (ok) pids = limits.pids(); else warnings.add("pids limit not applied");
            }
            if (limits.cpus() != null) {
                long period = 100_000;
                long quota = Math.max(1000, Math.round(limits.cpus() * period));
                boolean ok = "v1".equals(mode)
                        ? write("cpu", "cpu.cfs_period_us", period) && write("cpu", "cpu.cfs_quota_us", quota)
                        : write("unified", "cpu.max", quota + " " + period);
                if (ok) cpus = limits.cpus(); else warnings.add("cpu limit not applied");
            }
            applied = new Limits(mem, pids, cpus);
        }

        private boolean write(String controller, String file, Object value) {
            Path dir = dirs.get(controller);
            if (dir == null) return false;
            try {
                Files.writeString(dir.resolve(file), String.valueOf(value));
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        private boolean writeOptional(String controller, String file, Object value) {
            Path dir = dirs.get(controller);
            return dir != null && Files.exists(dir.resolve(file)) && write(controller, file, value);
        }

        /** Processes killed by the OOM killer in this group so far. */
        public long oomKills() {
            Path dir = dirs.get("v1".equals(mode) ? "memory" : "unified");
            if (dir == null) return 0;
            return readKey(dir.resolve("v1".equals(mode) ? "memory.oom_control" : "memory.events"), "oom_kill");
        }

        /** Forks refused by the pids limit so far. */
        public long pidsLimitHits() {
            Path dir = dirs.get("v1".equals(mode) ? "pids" : "unified");
            if (dir == null) return 0;
            return readKey(dir.resolve("pids.events"), "max");
        }

        private static long readKey(Path file, String key) {
            try {
                for (String line : Files.readAllLines(file)) {
                    String[] kv = line.trim().split("\\s+");
                    if (kv.length == 2 && kv[0].equals(key)) return Long.parseLong(kv[1]);
                }
            } catch (IOException | NumberFormatException ignored) {
                // Counter unavailable on this kernel.
            }
            return 0;
        }

        /** Kills every process in the group and removes it. */
        public void destroy() {
            for (Path dir : dirs.values()) killAndRemove(dir);
        }

        static List<Long> pids(Path dir) {
            try {
                return Files.readAllLines(dir.resolve("cgroup.procs")).stream()
                        .filter(s -> !s.isBlank()).map(s -> Long.parseLong(s.trim())).toList();
            } catch (IOException | NumberFormatException e) {
                return List.of();
            }
        }
    }
}
