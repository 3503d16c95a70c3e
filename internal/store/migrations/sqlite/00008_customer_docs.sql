-- +goose Up
-- A customer's document (its data with its related parties, JSON) moves out
-- of the customers row into a table of its own. The customers row keeps the
-- columns that lists and the re-scoring job read and that every assessment
-- rewrites (rating, decision, methodology version, review date): without
-- the document (about 700 of its 900 bytes) a re-scoring batch rewrites a
-- quarter of the pages, and its freshness check reads a quarter of them.
-- The document changes only with a new revision of the customer.
CREATE TABLE customer_docs (
    space_id    INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    doc         TEXT NOT NULL,
    PRIMARY KEY (space_id, customer_id),
    FOREIGN KEY (space_id, customer_id) REFERENCES customers (space_id, id)
);
INSERT INTO customer_docs (space_id, customer_id, doc) SELECT space_id, id, doc FROM customers ORDER BY space_id, id;
ALTER TABLE customers DROP COLUMN doc;

-- +goose Down
ALTER TABLE customers ADD COLUMN doc TEXT NOT NULL DEFAULT '';
UPDATE customers SET doc = (SELECT d.doc FROM customer_docs d WHERE d.space_id = customers.space_id AND d.customer_id = customers.id);
DROP TABLE customer_docs;
