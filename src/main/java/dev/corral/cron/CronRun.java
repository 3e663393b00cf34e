package dev.corral.cron;

import java.time.Instant;

/**
 * One due time of a job: a run, or a skipped one.
 *
 * @param exitCode   a command's exit code (null for prompts, skipped runs, and runs that could not start)
 * @param stopReason a prompt's ACP stop reason
 * @param reason     why it was skipped or failed to run, if it was
 * @param output     the tail of a command's stdout and stderr
 */
public record CronRun(long id, String jobId, Instant dueAt, Instant startedAt, Instant endedAt, Integer exitCode,
                      String stopReason, boolean skipped, String reason, String output) {}
