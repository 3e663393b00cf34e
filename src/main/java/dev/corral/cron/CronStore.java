package dev.corral.cron;

import dev.corral.store.Database;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Cron jobs and their runs in SQLite (tables {@code cron_jobs}, {@code cron_runs}; migration V6). */
final class CronStore {
    private static final String JOB_COLUMNS = "id, workspace_id, schedule, command, prompt, overlap, when_stopped, created_at";
    private static final String RUN_COLUMNS = "id, job_id, due_at, started_at, ended_at, exit_code, stop_reason, skipped, reason, output";

    private final Database db;

    CronStore(Database db) {
        this.db = db;
    }

    void insert(CronJob j) {
        db.inTransaction(c -> {
            try (var s = c.prepareStatement("INSERT INTO cron_jobs (" + JOB_COLUMNS + ") VALUES (?,?,?,?,?,?,?,?)")) {
                s.setString(1, j.id());
                s.setString(2, j.workspaceId());
                s.setString(3, j.schedule());
                s.setString(4, j.command());
                s.setString(5, j.prompt());
                s.setString(6, j.overlap().wire());
                s.setString(7, j.whenStopped().wire());
                s.setString(8, j.createdAt().toString());
                s.executeUpdate();
            }
            return null;
        });
    }

    List<CronJob> all() {
        return jobs("SELECT " + JOB_COLUMNS + " FROM cron_jobs ORDER BY created_at", null);
    }

    List<CronJob> byWorkspace(String workspaceId) {
        return jobs("SELECT " + JOB_COLUMNS + " FROM cron_jobs WHERE workspace_id = ? ORDER BY created_at", workspaceId);
    }

    Optional<CronJob> get(String id) {
        return jobs("SELECT " + JOB_COLUMNS + " FROM cron_jobs WHERE id = ?", id).stream().findFirst();
    }

    boolean delete(String id) {
        return db.inTransaction(c -> {
            try (var s = c.prepareStatement("DELETE FROM cron_jobs WHERE id = ?")) {
                s.setString(1, id);
                return s.executeUpdate() > 0;
            }
        });
    }

    private List<CronJob> jobs(String sql, String arg) {
        return db.inTransaction(c -> {
            var out = new ArrayList<CronJob>();
            try (var q = c.prepareStatement(sql)) {
                if (arg != null) q.setString(1, arg);
                try (var rs = q.executeQuery()) {
                    while (rs.next()) {
                        out.add(new CronJob(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                                rs.getString(5), CronJob.Overlap.parse(rs.getString(6)),
                                CronJob.WhenStopped.parse(rs.getString(7)), Instant.parse(rs.getString(8)), null));
                    }
                }
            }
            return out;
        });
    }

    /** Records a skipped due time. */
    void skipped(String jobId, Instant due, String reason) {
        db.inTransaction(c -> {
            try (var s = c.prepareStatement("INSERT INTO cron_runs (job_id, due_at, skipped, reason) VALUES (?,?,1,?)")) {
                s.setString(1, jobId);
                s.setString(2, due.toString());
                s.setString(3, reason);
                s.executeUpdate();
            }
            return null;
        });
    }

    /** Records the start of a run; returns its id, or -1 when the job is gone. */
    long started(String jobId, Instant due, Instant at) {
        return db.inTransaction(c -> {
            try (var s = c.prepareStatement("INSERT INTO cron_runs (job_id, due_at, started_at) "
                    + "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM cron_jobs WHERE id = ?)", java.sql.Statement.RETURN_GENERATED_KEYS)) {
                s.setString(1, jobId);
                s.setString(2, due.toString());
                s.setString(3, at.toString());
                s.setString(4, jobId);
                if (s.executeUpdate() == 0) return -1L;
                try (var keys = s.getGeneratedKeys()) {
                    return keys.next() ? keys.getLong(1) : -1L;
                }
            }
        });
    }

    void ended(long runId, Instant at, Integer exitCode, String stopReason, String reason, String output) {
        db.inTransaction(c -> {
            try (var s = c.prepareStatement("UPDATE cron_runs SET ended_at = ?, exit_code = ?, stop_reason = ?, reason = ?, "
                    + "output = ? WHERE id = ?")) {
                s.setString(1, at.toString());
                if (exitCode == null) s.setNull(2, Types.INTEGER);
                else s.setInt(2, exitCode);
                s.setString(3, stopReason);
                s.setString(4, reason);
                s.setString(5, output);
                s.setLong(6, runId);
                s.executeUpdate();
            }
            return null;
        });
    }

    /** Runs cut short by a daemon stop are closed with that reason. */
    void closeInterrupted(Instant at) {
        db.inTransaction(c -> {
            try (var s = c.prepareStatement("UPDATE cron_runs SET ended_at = ?, reason = 'the daemon stopped during the run' "
                    + "WHERE ended_at IS NULL AND skipped = 0")) {
                s.setString(1, at.toString());
                s.executeUpdate();
            }
            return null;
        });
    }

    /** The newest runs first. */
    List<CronRun> runs(String jobId, int limit) {
        return db.inTransaction(c -> {
            var out = new ArrayList<CronRun>();
            try (var q = c.prepareStatement("SELECT " + RUN_COLUMNS + " FROM cron_runs WHERE job_id = ? ORDER BY id DESC LIMIT ?")) {
                q.setString(1, jobId);
                q.setInt(2, limit);
                try (var rs = q.executeQuery()) {
                    while (rs.next()) out.add(run(rs));
                }
            }
            return out;
        });
    }

    private static CronRun run(ResultSet rs) throws SQLException {
        int exit = rs.getInt(6);
        Integer exitCode = rs.wasNull() ? null : exit;
        return new CronRun(rs.getLong(1), rs.getString(2), instant(rs.getString(3)), instant(rs.getString(4)),
                instant(rs.getString(5)), exitCode, rs.getString(7), rs.getInt(8) != 0, rs.getString(9), rs.getString(10));
    }

    private static Instant instant(String s) {
        return s == null ? null : Instant.parse(s);
    }
}
