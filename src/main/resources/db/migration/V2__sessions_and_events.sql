-- Agent sessions, their durable transcripts, and prompt delivery receipts.
-- Times are ISO-8601 UTC instants as text (e.g. 2026-11-23T15:18:03.123456Z), which sort correctly.

CREATE TABLE sessions (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL,
    agent           TEXT NOT NULL,
    state           TEXT NOT NULL,           -- starting|ready|crashed|restarting|stopped|suspended ...
    acp_session_id  TEXT,                    -- the agent's own session id, for session/load or session/resume
    mode_id         TEXT,
    model           TEXT,
    args            TEXT,                    -- JSON array of extra agent arguments, or NULL
    capabilities    TEXT,                    -- JSON: the agent's initialize result (agentCapabilities, modes ...)
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE INDEX sessions_by_workspace ON sessions (workspace_id, created_at);

-- One row per transcript entry. seq is gap-free per session, starting at 1; only EventLog writes here.
-- data is the raw JSON text, stored as received (unknown and extension fields included).
-- A rowid table on purpose: rows arrive in time order, so they append at the end of the table; a WITHOUT ROWID
-- table clustered on (session_id, seq) scatters interleaved sessions across pages and measured 3x slower.
CREATE TABLE events (
    session_id  TEXT    NOT NULL,
    seq         INTEGER NOT NULL CHECK (seq > 0),
    at          TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    PRIMARY KEY (session_id, seq)
);

-- What became of each prompt delivery, so a retried POST with the same deliveryId is not run twice and a
-- prompt in flight when the daemon died is known to be ambiguous.
CREATE TABLE prompt_receipts (
    delivery_id  TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('accepted', 'in_flight', 'completed', 'ambiguous')),
    stop_reason  TEXT,
    prompt_seq   INTEGER,                    -- seq of the user_prompt event, once written
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (session_id, delivery_id)
);

CREATE INDEX prompt_receipts_by_state ON prompt_receipts (state);
