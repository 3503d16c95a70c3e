-- +goose Up
-- Vendors, the risk events found about them, the triage history of each
-- event, and the upstream sources polled for new events.
--
-- name_key is the name lower-cased in Go: lists sort by it, then by name and
-- urn, which is vendorrisk.SortByName's order under SQLite's byte-wise
-- comparison of TEXT.
CREATE TABLE vendors (
    space_id        INTEGER NOT NULL REFERENCES spaces (id),
    urn             TEXT NOT NULL,
    name            TEXT NOT NULL,
    name_key        TEXT NOT NULL,
    description     TEXT NOT NULL,
    lifecycle_stage TEXT NOT NULL,
    website         TEXT NOT NULL,
    metadata        TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (space_id, urn)
);
CREATE INDEX vendors_by_name ON vendors (space_id, name_key, name, urn);
CREATE INDEX vendors_by_stage ON vendors (space_id, lifecycle_stage, name_key, name, urn);

-- An event is its JSON document plus the columns lists filter on. URNs are
-- ULIDs, which sort by creation time: "oldest first" is ORDER BY urn, and a
-- page continues after the last URN of the previous one (keyset), so every
-- page costs the same however deep it is. level_rank is the risk level's
-- rank (UNASSIGNED 0 … CRITICAL 5) for the risk_threshold filter.
-- external_id is the connector's id of the upstream item (NULL for events
-- created through the API); with the vendor and source type it is the
-- upsert key that keeps a re-poll from duplicating an event. The key's
-- index leads with external_id so that it never looks like a way to list a
-- vendor's events: risk_events_vendor gives them in URN order, it would not.
CREATE TABLE risk_events (
    space_id      INTEGER NOT NULL,
    urn           TEXT NOT NULL,
    vendor_urn    TEXT NOT NULL,
    source_type   TEXT NOT NULL,
    review_status TEXT NOT NULL,
    level_rank    INTEGER NOT NULL,
    external_id   TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    doc           TEXT NOT NULL,
    PRIMARY KEY (space_id, urn),
    FOREIGN KEY (space_id, vendor_urn) REFERENCES vendors (space_id, urn),
    UNIQUE (space_id, external_id, vendor_urn, source_type)
);
CREATE INDEX risk_events_vendor ON risk_events (space_id, vendor_urn, urn);
CREATE INDEX risk_events_status ON risk_events (space_id, review_status, urn);
CREATE INDEX risk_events_source ON risk_events (space_id, source_type, urn);
CREATE INDEX risk_events_level ON risk_events (space_id, level_rank, urn);

CREATE TABLE risk_event_history (
    id          INTEGER PRIMARY KEY,
    space_id    INTEGER NOT NULL,
    event_urn   TEXT NOT NULL,
    at          TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    from_level  TEXT NOT NULL,
    to_level    TEXT NOT NULL,
    note        TEXT NOT NULL,
    FOREIGN KEY (space_id, event_urn) REFERENCES risk_events (space_id, urn)
);
CREATE INDEX risk_event_history_event ON risk_event_history (space_id, event_urn, id);

-- keywords is a JSON array, NULL for the built-in keyword phrases.
-- retry_at is set when the upstream answered 429 or 503 with Retry-After:
-- the source is not polled again before it.
CREATE TABLE vendor_sources (
    id             INTEGER PRIMARY KEY,
    space_id       INTEGER NOT NULL,
    vendor_urn     TEXT NOT NULL,
    type           TEXT NOT NULL,
    url            TEXT NOT NULL,
    keywords       TEXT,
    created_at     TEXT NOT NULL,
    last_polled_at TEXT,
    last_error     TEXT,
    retry_at       TEXT,
    FOREIGN KEY (space_id, vendor_urn) REFERENCES vendors (space_id, urn),
    UNIQUE (space_id, vendor_urn, type, url)
);

-- +goose Down
DROP TABLE vendor_sources;
DROP TABLE risk_event_history;
DROP TABLE risk_events;
DROP TABLE vendors;
