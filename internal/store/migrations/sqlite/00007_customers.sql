-- +goose Up
-- Customer risk rating: customers with their related parties, every
-- revision of a customer's data, every assessment (history is kept), and the
-- versioned rating methodology of each space.
--
-- Party ids (a customer's and its related parties') come from one counter,
-- so the ids that key an assessment's comments are distinct, as in the
-- reference API (customer 926, parties 927 and 928). PostgreSQL uses a
-- sequence for it.
CREATE TABLE id_counters (
    name    TEXT PRIMARY KEY,
    next_id INTEGER NOT NULL
);
INSERT INTO id_counters (name, next_id) VALUES ('customer_party', 1);

-- doc is the customer's current data with its related parties (JSON);
-- customer_revisions keeps every revision, so an assessment can be traced
-- to the exact inputs it scored. rating (in force), approval_status,
-- methodology_version and next_review_at summarise the latest assessment
-- for the due-for-review list and the re-scoring job.
CREATE TABLE customers (
    space_id            INTEGER NOT NULL REFERENCES spaces (id),
    id                  INTEGER NOT NULL,
    reference_id        TEXT NOT NULL,
    revision            INTEGER NOT NULL,
    doc                 TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    created_by          TEXT NOT NULL,
    created_by_name     TEXT NOT NULL,
    updated_by          TEXT NOT NULL,
    updated_by_name     TEXT NOT NULL,
    rating              TEXT NOT NULL,
    approval_status     TEXT NOT NULL,
    methodology_version INTEGER NOT NULL,
    next_review_at      TEXT NOT NULL,
    PRIMARY KEY (space_id, id),
    UNIQUE (space_id, reference_id)
);
CREATE INDEX customers_review ON customers (space_id, next_review_at, id);

CREATE TABLE customer_revisions (
    space_id    INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    revision    INTEGER NOT NULL,
    doc         TEXT NOT NULL,
    at          TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    PRIMARY KEY (space_id, customer_id, revision),
    FOREIGN KEY (space_id, customer_id) REFERENCES customers (space_id, id)
);

-- risk is the assessment's risk object (customer.Result as JSON); approval
-- the checker's decision ({message, decidedBy, decidedAt}) once there is one.
CREATE TABLE customer_assessments (
    id                   INTEGER PRIMARY KEY,
    space_id             INTEGER NOT NULL,
    customer_id          INTEGER NOT NULL,
    customer_revision    INTEGER NOT NULL,
    methodology_version  INTEGER NOT NULL,
    risk_score           REAL NOT NULL,
    risk_rating          TEXT NOT NULL,
    override_risk_rating TEXT,
    approval_status      TEXT NOT NULL,
    approval             TEXT,
    next_review_at       TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    created_by           TEXT NOT NULL,
    created_by_name      TEXT NOT NULL,
    updated_by           TEXT NOT NULL,
    updated_by_name      TEXT NOT NULL,
    risk                 TEXT NOT NULL,
    FOREIGN KEY (space_id, customer_id) REFERENCES customers (space_id, id)
);
CREATE INDEX customer_assessments_customer ON customer_assessments (space_id, customer_id, id);

-- One active version per space (the partial unique index); drafts and
-- retired versions never change.
CREATE TABLE risk_methodologies (
    space_id     INTEGER NOT NULL REFERENCES spaces (id),
    version      INTEGER NOT NULL,
    status       TEXT NOT NULL,
    doc          TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    activated_at TEXT,
    activated_by TEXT,
    PRIMARY KEY (space_id, version)
);
CREATE UNIQUE INDEX risk_methodologies_active ON risk_methodologies (space_id) WHERE status = 'active';

-- +goose Down
DROP TABLE risk_methodologies;
DROP TABLE customer_assessments;
DROP TABLE customer_revisions;
DROP TABLE customers;
DROP TABLE id_counters;
