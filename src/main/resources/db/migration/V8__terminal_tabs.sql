-- Terminal tabs (interactive shells) of a workspace, so a restarted sandbox opens the same tabs again with fresh shells.
CREATE TABLE terminal_tabs (
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    terminal_id   TEXT NOT NULL,
    title         TEXT NOT NULL,
    cols          INTEGER NOT NULL,
    rows          INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (workspace_id, terminal_id)
);
