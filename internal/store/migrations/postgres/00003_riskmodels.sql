-- +goose Up
-- One row per model with its latest version (what lists and calculations
-- read), and every version, immutable once a newer one exists.
CREATE TABLE risk_models (
    space_id       BIGINT NOT NULL REFERENCES spaces (id),
    id             TEXT NOT NULL,
    latest_version INTEGER NOT NULL,
    active         INTEGER NOT NULL,
    builtin        TEXT,
    created_on     TEXT NOT NULL,
    doc            TEXT NOT NULL,
    PRIMARY KEY (space_id, id),
    UNIQUE (space_id, builtin)
);
-- Covering indexes: a page with a large skip walks the index, not the documents.
CREATE INDEX risk_models_list ON risk_models (space_id, created_on, id, active);
CREATE INDEX risk_models_active ON risk_models (space_id, active, created_on, id);

CREATE TABLE risk_model_versions (
    space_id   BIGINT NOT NULL,
    model_id   TEXT NOT NULL,
    version    INTEGER NOT NULL,
    version_id TEXT NOT NULL,
    doc        TEXT NOT NULL,
    PRIMARY KEY (space_id, model_id, version),
    FOREIGN KEY (space_id, model_id) REFERENCES risk_models (space_id, id)
);

-- +goose Down
DROP TABLE risk_model_versions;
DROP TABLE risk_models;
