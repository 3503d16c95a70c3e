-- +goose Up
-- token_generation counts the changes to issued tokens (a revocation, or
-- any other update or delete, whoever makes it: a node, the command line or
-- plain SQL). Servers keep resolved tokens in memory and trust an entry
-- only while the generation it was read with is still the current one, so a
-- revocation still takes effect at once on every node (see
-- internal/usecase/principals.go). New tokens do not count: nothing cached
-- can go stale by one being added.
CREATE TABLE token_generation (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    gen INTEGER NOT NULL
);
INSERT INTO token_generation (id, gen) VALUES (1, 0);

-- +goose StatementBegin
CREATE TRIGGER tokens_updated AFTER UPDATE ON tokens
BEGIN
    UPDATE token_generation SET gen = gen + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER tokens_deleted AFTER DELETE ON tokens
BEGIN
    UPDATE token_generation SET gen = gen + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER tokens_deleted;
DROP TRIGGER tokens_updated;
DROP TABLE token_generation;
