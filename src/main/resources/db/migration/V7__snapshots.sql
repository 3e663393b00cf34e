-- Snapshots: compressed archives of a workspace's files (repo/) and home (home/) under CORRAL_HOME/snapshots.
CREATE TABLE snapshots (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX snapshots_by_workspace ON snapshots (workspace_id, created_at);

-- A workspace made from a snapshot remembers which.
ALTER TABLE workspaces ADD COLUMN snapshot_id TEXT;
