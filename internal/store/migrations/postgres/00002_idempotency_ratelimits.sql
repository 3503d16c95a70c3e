-- +goose Up
-- Idempotency-Key records: a replay with the same key and body gets the
-- stored response; the same key with another body is a conflict.
CREATE TABLE idempotency_keys (
    space_id     BIGINT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    content_type TEXT NOT NULL DEFAULT '',
    response     TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    PRIMARY KEY (space_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Shared rate limits (GCRA): tat is each key's theoretical arrival time in
-- microseconds since the epoch. Used when several nodes share one database.
CREATE TABLE rate_limits (
    limit_key TEXT PRIMARY KEY,
    tat       BIGINT NOT NULL
);

-- +goose Down
DROP TABLE rate_limits;
DROP TABLE idempotency_keys;
