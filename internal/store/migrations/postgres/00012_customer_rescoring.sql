-- +goose Up
-- Dropping the foreign key below locks both tables. Taken here, first, in
-- the order riskd's transactions take them (customers, then assessments),
-- the locks cannot deadlock with a transaction in flight: the migration
-- waits for it, and requests wait for the migration, which rewrites
-- nothing.
LOCK TABLE customers, customer_assessments IN ACCESS EXCLUSIVE MODE;

-- Re-scoring rewrites the summary columns of every customer row (rating,
-- decision, methodology version, review date) and adds an assessment per
-- customer.
--
-- fillfactor 50 leaves half of each new page of customers free, so that a
-- row rewritten without a change of its indexed columns (the review date
-- moves only with the rating) stays on its page and gets no new index
-- entries (a HOT update): about 4 µs a row instead of 18 here. A re-scoring
-- batch rewrites every row of a page in one transaction, so a page needs
-- room for a new version of each of its rows. It applies to pages written
-- from now on; existing rows move to such pages as they are rewritten, or
-- at once with VACUUM FULL customers (see docs/operations.md).
ALTER TABLE customers SET (fillfactor = 50);

-- The assessment insert's row-by-row check of its customer (about 10 µs a
-- row: an index probe and a row lock) repeats what the statement that
-- inserts assessments already guarantees: it updates the customers'
-- summaries and inserts assessments only for the rows it updated, and
-- customers are never deleted.
ALTER TABLE customer_assessments DROP CONSTRAINT customer_assessments_space_id_customer_id_fkey;

-- +goose Down
ALTER TABLE customer_assessments ADD CONSTRAINT customer_assessments_space_id_customer_id_fkey
    FOREIGN KEY (space_id, customer_id) REFERENCES customers (space_id, id);
ALTER TABLE customers RESET (fillfactor);
