-- +goose Up
-- Every inline risk job is born finished, and it is most of the jobs table.
-- jobs_ready serves only the claim and backlog queries, which read queued
-- and running jobs: indexed whole, it grew with every finished job and cost
-- an index insertion per inline submit. Partial, it holds only the rows
-- those queries read. (The unique_key index stays whole here: SQLite
-- cannot drop a column's UNIQUE constraint without rebuilding the table.)
DROP INDEX jobs_ready;
CREATE INDEX jobs_ready ON jobs (status, run_at) WHERE status IN ('queued', 'running');

-- +goose Down
DROP INDEX jobs_ready;
CREATE INDEX jobs_ready ON jobs (status, run_at);
