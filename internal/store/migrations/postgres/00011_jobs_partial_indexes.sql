-- +goose Up
-- Every inline risk job is born finished and never has a unique key, and it
-- is most of the jobs table. jobs_ready serves only the claim and backlog
-- queries, which read queued and running jobs; unique_key serves only ON
-- CONFLICT for keyed jobs. Indexed whole, both grew with every finished job
-- and cost two index insertions per inline submit. Partial, they hold only
-- the rows their queries read. Both statements lock writes to jobs while
-- they build the new index from the table (see docs/operations.md).
DROP INDEX jobs_ready;
CREATE INDEX jobs_ready ON jobs (status, run_at) WHERE status IN ('queued', 'running');
ALTER TABLE jobs DROP CONSTRAINT jobs_unique_key_key;
CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key) WHERE unique_key IS NOT NULL;

-- +goose Down
DROP INDEX jobs_unique_key;
ALTER TABLE jobs ADD CONSTRAINT jobs_unique_key_key UNIQUE (unique_key);
DROP INDEX jobs_ready;
CREATE INDEX jobs_ready ON jobs (status, run_at);
