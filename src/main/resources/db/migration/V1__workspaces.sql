CREATE TABLE workspaces (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL,
    state_reason    TEXT,
    source_kind     TEXT NOT NULL,
    repo            TEXT,
    ref             TEXT,
    path            TEXT,
    agent           TEXT,
    limits          TEXT NOT NULL,
    network         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_started_at TEXT
);
