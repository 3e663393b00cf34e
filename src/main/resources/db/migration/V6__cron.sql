-- Cron jobs per workspace (SPEC §4) and their run history; previews (signed URLs) so revocation survives restarts.
CREATE TABLE cron_jobs (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    schedule      TEXT NOT NULL,
    command       TEXT,
    prompt        TEXT,
    overlap       TEXT NOT NULL,
    when_stopped  TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX cron_jobs_by_workspace ON cron_jobs(workspace_id);

-- One row per due time: a run (started_at..ended_at with exit_code or stop_reason) or a skipped one (skipped = 1).
CREATE TABLE cron_runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id       TEXT NOT NULL REFERENCES cron_jobs(id) ON DELETE CASCADE,
    due_at       TEXT NOT NULL,
    started_at   TEXT,
    ended_at     TEXT,
    exit_code    INTEGER,
    stop_reason  TEXT,
    skipped      INTEGER NOT NULL DEFAULT 0,
    reason       TEXT,
    output       TEXT
);
CREATE INDEX cron_runs_by_job ON cron_runs(job_id, id);

CREATE TABLE previews (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    port          INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    created_at    TEXT NOT NULL
);
