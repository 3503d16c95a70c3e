-- +goose Up
CREATE TABLE spaces (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
-- The first space is always "default" with id 1.
INSERT INTO spaces (slug, created_at) VALUES ('default', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    space_id   INTEGER NOT NULL REFERENCES spaces (id),
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    rate_limit INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE audit_heads (
    space_id INTEGER PRIMARY KEY REFERENCES spaces (id),
    seq      INTEGER NOT NULL,
    hash     TEXT NOT NULL
);
INSERT INTO audit_heads (space_id, seq, hash) VALUES (1, 0, '');

CREATE TABLE audit_events (
    id            INTEGER PRIMARY KEY,
    space_id      INTEGER NOT NULL REFERENCES spaces (id),
    seq           INTEGER NOT NULL,
    actor_id      TEXT NOT NULL,
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    at            TEXT NOT NULL,
    state_hash    TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    UNIQUE (space_id, seq)
);
CREATE INDEX audit_events_resource ON audit_events (space_id, resource_type, resource_id, seq);

-- space_id 0 marks system jobs (periodic polls) that belong to no space.
CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    space_id      INTEGER NOT NULL,
    type          TEXT NOT NULL,
    status        TEXT NOT NULL,
    args          TEXT NOT NULL,
    result        TEXT,
    error_code    TEXT,
    error_message TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL,
    run_at        TEXT NOT NULL,
    lease_until   TEXT,
    unique_key    TEXT UNIQUE,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX jobs_ready ON jobs (status, run_at);
CREATE INDEX jobs_space ON jobs (space_id, id);

-- +goose Down
DROP TABLE jobs;
DROP TABLE audit_events;
DROP TABLE audit_heads;
DROP TABLE tokens;
DROP TABLE spaces;
