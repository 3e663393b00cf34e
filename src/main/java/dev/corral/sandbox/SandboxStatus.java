package dev.corral.sandbox;

import java.util.List;

/**
 * What a sandbox is and what it enforces.
 *
 * @param backend       e.g. {@code bwrap}
 * @param cgroups       {@code v1}, {@code v2} or {@code none}
 * @param limits        the limits in force (components that could not be applied are null)
 * @param warnings      every requested guarantee that could not be applied, in words; empty when all hold
 * @param oomKills      processes killed for exceeding the memory limit so far
 * @param pidsLimitHits forks refused by the process limit so far
 */
public record SandboxStatus(String backend, String cgroups, Limits limits, List<String> warnings, long oomKills,
                            long pidsLimitHits) {
    public SandboxStatus {
        warnings = List.copyOf(warnings);
    }
}
