package dev.corral.workspace;

/**
 * The outcome of a finished command.
 *
 * @param exitCode  the exit code; 128+N when killed by signal N
 * @param timedOut  true when it was killed for running past its timeout
 * @param truncated true when stdout or stderr exceeded the capture limit and was cut
 */
public record ExecResult(int exitCode, String stdout, String stderr, boolean timedOut, boolean truncated, long durationMs) {}
