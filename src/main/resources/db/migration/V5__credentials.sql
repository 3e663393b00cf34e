-- Credentials per agent, encrypted with AES-256-GCM under the master key (never stored in clear).
-- nonce: 12 random bytes per record (fresh on every write); ciphertext includes the GCM tag;
-- the agent id is the associated data, so a record cannot be moved to another agent.
CREATE TABLE credentials (
    agent_id    TEXT PRIMARY KEY,
    key_id      TEXT NOT NULL,
    nonce       BLOB NOT NULL,
    ciphertext  BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
