package dev.corral.cron;

import dev.corral.CorralException;
import java.time.Instant;
import java.util.Locale;

/**
 * A scheduled job of one workspace: a shell {@code command} run in its sandbox, or a {@code prompt} sent to its newest
 * agent session.
 *
 * @param overlap     what happens when the job is due while a run of it is still going
 * @param whenStopped what happens when the job is due while its workspace is stopped
 * @param nextRunAt   when it is next due (views only; null when it never fires again)
 */
public record CronJob(String id, String workspaceId, String schedule, String command, String prompt, Overlap overlap,
                      WhenStopped whenStopped, Instant createdAt, Instant nextRunAt) {

    /** allow: runs overlap; skip: a due time is recorded as skipped; queue: it runs after the current run. */
    public enum Overlap {
        ALLOW, SKIP, QUEUE;

        static Overlap parse(String s) {
            if (s == null) return SKIP;
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "allow" -> ALLOW;
                case "skip" -> SKIP;
                case "queue" -> QUEUE;
                default -> throw CorralException.badRequest("invalid_overlap", "overlap must be allow, skip or queue");
            };
        }

        @com.fasterxml.jackson.annotation.JsonValue
        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** resume: the run resumes the workspace first; skip: the due time is recorded as skipped. */
    public enum WhenStopped {
        RESUME, SKIP;

        static WhenStopped parse(String s) {
            if (s == null) return SKIP;
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "resume" -> RESUME;
                case "skip" -> SKIP;
                default -> throw CorralException.badRequest("invalid_when_stopped", "whenStopped must be resume or skip");
            };
        }

        @com.fasterxml.jackson.annotation.JsonValue
        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The body of {@code POST …/cron}. */
    public record Create(String schedule, String command, String prompt, String overlap, String whenStopped) {}

    CronJob withNextRunAt(Instant next) {
        return new CronJob(id, workspaceId, schedule, command, prompt, overlap, whenStopped, createdAt, next);
    }
}
