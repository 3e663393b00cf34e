package dev.corral.workspace;

import java.time.Instant;
import java.util.List;

/**
 * A process started through the processes API.
 *
 * @param pid          its number within the workspace (stable while the sandbox runs; not the kernel pid)
 * @param running      whether it still runs
 * @param exitCode     its exit code once it has ended (128+N when killed by signal N)
 * @param outputOffset absolute offset one past the last output byte (stdout and stderr interleaved)
 */
public record ProcessInfo(int pid, List<String> argv, Instant startedAt, boolean running, Integer exitCode,
                          Instant endedAt, long outputOffset) {}
