-- +goose Up
-- Every write request updates its token's rate-limit row. Logged, each such
-- update was a commit that waited for a WAL flush while holding the row's
-- lock, so one token's writes ran one fsync at a time (about 1,100 inline
-- submits a second at 64 clients). An unlogged table writes no WAL: its
-- commits do not wait for the disk. PostgreSQL empties it after a crash and
-- does not copy it to standbys, which for rate limits only means a fresh
-- burst allowance for every token; nothing else is lost.
ALTER TABLE rate_limits SET UNLOGGED;

-- +goose Down
ALTER TABLE rate_limits SET LOGGED;
