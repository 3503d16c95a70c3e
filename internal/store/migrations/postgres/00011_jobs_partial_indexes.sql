-- +goose Up
-- Every inline risk job is born finished, and it is most of the jobs table.
-- jobs_ready serves only the claim and backlog queries, which read queued
-- and running jobs: indexed whole, it grew with every finished job and cost
-- an index insertion per inline submit. Partial, it holds only the rows
-- those queries read. Building it locks writes to jobs for as long as it
-- takes (see docs/operations.md).
--
-- The unique_key constraint stays whole in this release although keyless
-- jobs need no entry in it: nodes of the previous release, still running
-- during a rolling upgrade, insert keyed jobs with ON CONFLICT (unique_key)
-- and no predicate, which PostgreSQL matches to a whole constraint only.
-- This release already names the predicate (WHERE unique_key IS NOT NULL),
-- so a later migration can make the index partial.
DROP INDEX jobs_ready;
CREATE INDEX jobs_ready ON jobs (status, run_at) WHERE status IN ('queued', 'running');

-- +goose Down
DROP INDEX jobs_ready;
CREATE INDEX jobs_ready ON jobs (status, run_at);
