package dev.corral.sandbox;

/**
 * Resource limits of one sandbox. A {@code null} component means "no limit of that kind".
 *
 * @param memoryMb memory (and swap) ceiling in MiB
 * @param pids     maximum number of processes and threads
 * @param cpus     CPU bandwidth in cores (1.5 = one and a half cores)
 */
public record Limits(Integer memoryMb, Integer pids, Double cpus) {
    public static final Limits NONE = new Limits(null, null, null);

    public Limits {
        if (memoryMb != null && memoryMb < 16) throw new IllegalArgumentException("limits.memoryMb must be at least 16");
        if (pids != null && pids < 8) throw new IllegalArgumentException("limits.pids must be at least 8");
        if (cpus != null && !(cpus >= 0.01 && cpus <= 1024)) throw new IllegalArgumentException("limits.cpus must be between 0.01 and 1024");
    }

    /** This record with each missing component taken from {@code defaults}. */
    public Limits orElse(Limits defaults) {
        return new Limits(memoryMb != null ? memoryMb : defaults.memoryMb,
                pids != null ? pids : defaults.pids,
                cpus != null ? cpus : defaults.cpus);
    }

    public boolean unlimited() {
        return memoryMb == null && pids == null && cpus == null;
    }
}
