-- +goose Up
-- Catalog products of a space. search_name is the name lower-cased in Go, so
-- the search matches the same rows on both databases (their lower() and
-- LIKE differ on case and non-ASCII letters). assessment_count is kept by
-- the assessment insert in the same transaction: a list's total is read
-- with the product instead of counted over the product's assessments.
CREATE TABLE products (
    space_id            BIGINT NOT NULL REFERENCES spaces (id),
    id                  TEXT NOT NULL,
    slug                TEXT NOT NULL,
    name                TEXT NOT NULL,
    search_name         TEXT NOT NULL,
    description         TEXT,
    product_type        TEXT,
    provider            TEXT,
    tags                TEXT NOT NULL,
    risk_classification TEXT,
    assessment_count    INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    PRIMARY KEY (space_id, id),
    UNIQUE (space_id, slug)
);
CREATE INDEX products_list ON products (space_id, created_at DESC, id DESC);

-- Risk assessments of a product. Evaluations and mitigations are JSON
-- arrays: they are always read and written with their assessment.
CREATE TABLE assessments (
    space_id           BIGINT NOT NULL,
    id                 TEXT NOT NULL,
    product_id         TEXT NOT NULL,
    assessment_type    TEXT NOT NULL,
    lifecycle_stage    TEXT,
    status             TEXT NOT NULL,
    evaluations        TEXT NOT NULL,
    overall_risk_score INTEGER,
    risk_tier          TEXT,
    summary            TEXT,
    mitigations        TEXT NOT NULL,
    assessed_by_id     TEXT NOT NULL,
    assessed_at        TEXT NOT NULL,
    reviewed_by_id     TEXT,
    reviewed_at        TEXT,
    risk_model_id      TEXT,
    risk_model_version INTEGER,
    score_explanation  TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (space_id, id),
    FOREIGN KEY (space_id, product_id) REFERENCES products (space_id, id)
);
-- The list's order, newest first: a page reads its rows straight off the index.
CREATE INDEX assessments_list ON assessments (space_id, product_id, created_at DESC, id DESC);

-- +goose Down
DROP TABLE assessments;
DROP TABLE products;
