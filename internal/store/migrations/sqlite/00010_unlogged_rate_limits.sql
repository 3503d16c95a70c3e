-- +goose Up
-- PostgreSQL makes rate_limits unlogged in this version. SQLite has no such
-- table kind, and a single node keeps its rate limits in memory anyway; the
-- version exists so that both dialects share one numbering.
SELECT 1;

-- +goose Down
SELECT 1;
