-- +goose Up
-- token_generation counts the changes to issued tokens (a revocation, or
-- any other update or delete, whoever makes it: a node, the command line or
-- plain SQL). Servers keep resolved tokens in memory and trust an entry
-- only while the generation it was read with is still the current one, so a
-- revocation still takes effect at once on every node (see
-- internal/usecase/principals.go). New tokens do not count: nothing cached
-- can go stale by one being added.
CREATE TABLE token_generation (
    id  integer PRIMARY KEY CHECK (id = 1),
    gen bigint NOT NULL
);
INSERT INTO token_generation (id, gen) VALUES (1, 0);

-- +goose StatementBegin
CREATE FUNCTION bump_token_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE token_generation SET gen = gen + 1 WHERE id = 1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER tokens_changed AFTER UPDATE OR DELETE ON tokens
    FOR EACH ROW EXECUTE FUNCTION bump_token_generation();
CREATE TRIGGER tokens_truncated AFTER TRUNCATE ON tokens
    FOR EACH STATEMENT EXECUTE FUNCTION bump_token_generation();

-- +goose Down
DROP TRIGGER tokens_truncated ON tokens;
DROP TRIGGER tokens_changed ON tokens;
DROP FUNCTION bump_token_generation();
DROP TABLE token_generation;
