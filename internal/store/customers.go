package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riskd/riskd/internal/customer"
	"github.com/riskd/riskd/internal/errs"
)

// Customers are stored as their JSON document (the customer with its related
// parties, in customer_docs) plus a customers row with the columns that lists
// and the re-scoring job read. The document is kept apart because every
// assessment rewrites the customers row (its summary) and only a new revision
// the document. Every revision of the document is kept, and every assessment
// names the revision it scored, so a score is always traceable to its exact
// inputs.

// Actor is who made a change: a principal's id and, for display, the name it
// had then.
type Actor struct {
	ID   string
	Name string
}

// PartyCRP is a related party with its id, as stored and as the API shows it.
type PartyCRP struct {
	ID int64 `json:"id"`
	customer.CRP
}

// CustomerRecord is a stored customer, its related parties and a summary of
// its latest assessment.
type CustomerRecord struct {
	ID       int64
	Revision int
	Customer customer.Customer
	CRPs     []PartyCRP

	CreatedAt time.Time
	UpdatedAt time.Time
	CreatedBy Actor
	UpdatedBy Actor

	// The latest assessment: the rating in force (the override when an
	// approver set one), its decision, the methodology that produced it
	// and when the customer is due for review.
	Rating             customer.Rating
	ApprovalStatus     customer.ApprovalStatus
	MethodologyVersion int
	NextReviewAt       time.Time
}

// EncodeCustomerDoc is the stored document of a customer and its related
// parties (customer_docs.doc and customer_revisions.doc), for whoever writes
// those rows directly (the benchmark's seeding).
func EncodeCustomerDoc(c customer.Customer, crps []PartyCRP) ([]byte, error) {
	return json.Marshal(customerDoc{Customer: c, CRPs: crps})
}

// customerDoc is the stored document.
type customerDoc struct {
	customer.Customer
	CRPs []PartyCRP `json:"crps"`
}

// Record returns the customer and its parties as the scorer takes them, with
// the ids that key the assessment's comments.
func (c CustomerRecord) Record() (customer.Customer, []customer.CRP, customer.IDs) {
	crps := make([]customer.CRP, len(c.CRPs))
	ids := customer.IDs{Customer: c.ID, CRPs: make([]int64, len(c.CRPs))}
	for i, p := range c.CRPs {
		crps[i], ids.CRPs[i] = p.CRP, p.ID
	}
	return c.Customer, crps, ids
}

// Approval is a checker's decision on an assessment.
type Approval struct {
	Message   string    `json:"message"`
	DecidedBy Actor     `json:"decidedBy"`
	DecidedAt time.Time `json:"decidedAt"`
}

// CustomerAssessment is one stored assessment of a customer.
type CustomerAssessment struct {
	ID               int64
	CustomerID       int64
	CustomerRevision int
	Risk             customer.Result
	// OverrideRiskRating is the approver's rating, when one was set.
	OverrideRiskRating *customer.Rating
	ApprovalStatus     customer.ApprovalStatus
	Approval           *Approval
	NextReviewAt       time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
	CreatedBy          Actor
	UpdatedBy          Actor

	// stored is Risk's stored form, when EncodeRisk made it ahead.
	stored []byte
}

// EncodeRisk prepares the stored form of the assessment's risk object, so
// that a batch can be encoded before its transaction. Risk must not change
// afterwards.
func (a *CustomerAssessment) EncodeRisk() { a.stored = customer.EncodeResult(nil, a.Risk) }

// EffectiveRating is the rating in force: the override, else the computed one.
func (a CustomerAssessment) EffectiveRating() customer.Rating {
	if a.OverrideRiskRating != nil {
		return *a.OverrideRiskRating
	}
	return a.Risk.RiskRating
}

// AllocatePartyIDs reserves n distinct, increasing ids for a customer and
// its related parties, in the caller's transaction.
func (s *Store) AllocatePartyIDs(ctx context.Context, q Q, n int) ([]int64, error) {
	out := make([]int64, 0, n)
	if n == 0 {
		return out, nil
	}
	if s.dialect == Postgres {
		rows, err := q.QueryContext(ctx, `SELECT nextval('customer_party_ids') FROM generate_series(1, $1::int) ORDER BY 1`, n)
		if err != nil {
			return nil, fmt.Errorf("allocate party ids: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			out = append(out, id)
		}
		return out, rows.Err()
	}
	// SQLite has one writer, so the counter row is never contended.
	var first int64
	if err := q.QueryRowContext(ctx, `UPDATE id_counters SET next_id = next_id + $1 WHERE name = 'customer_party' RETURNING next_id - $1`, n).Scan(&first); err != nil {
		return nil, fmt.Errorf("allocate party ids: %w", err)
	}
	for i := range n {
		out = append(out, first+int64(i))
	}
	return out, nil
}

const customerColumns = `id, reference_id, revision, created_at, updated_at, created_by, created_by_name, updated_by, updated_by_name,
	rating, approval_status, methodology_version, next_review_at`

// customersWithDocs joins customers (c) to their documents (d).
const customersWithDocs = `customers c JOIN customer_docs d ON d.space_id = c.space_id AND d.customer_id = c.id`

// customerSelect reads customers with their documents: the columns
// scanCustomers takes, then FROM, for the caller's WHERE on c.
const customerSelect = `SELECT c.id, c.reference_id, c.revision, c.created_at, c.updated_at, c.created_by, c.created_by_name, c.updated_by,
	c.updated_by_name, c.rating, c.approval_status, c.methodology_version, c.next_review_at, d.doc
	FROM ` + customersWithDocs

// InsertCustomer stores a new customer (revision 1) and its first revision.
// A referenceId already used in the space is a conflict.
func (s *Store) InsertCustomer(ctx context.Context, q Q, spaceID int64, c CustomerRecord) error {
	doc, err := EncodeCustomerDoc(c.Customer, c.CRPs)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `INSERT INTO customers (space_id, `+customerColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		spaceID, c.ID, c.Customer.ReferenceID, c.Revision, T(c.CreatedAt), T(c.UpdatedAt),
		c.CreatedBy.ID, c.CreatedBy.Name, c.UpdatedBy.ID, c.UpdatedBy.Name, string(c.Rating), string(c.ApprovalStatus),
		c.MethodologyVersion, T(c.NextReviewAt))
	if IsUniqueViolation(err) {
		return referenceTaken(c.Customer.ReferenceID)
	}
	if err != nil {
		return fmt.Errorf("insert customer: %w", err)
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO customer_docs (space_id, customer_id, doc) VALUES ($1, $2, $3)`, spaceID, c.ID, string(doc)); err != nil {
		return fmt.Errorf("insert customer document: %w", err)
	}
	return s.insertRevision(ctx, q, spaceID, c, doc)
}

func referenceTaken(ref string) error {
	return &errs.Error{Code: errs.Conflict, Message: fmt.Sprintf("referenceId %q is already used by another customer in this space", ref),
		Details: []errs.FieldError{{Field: "referenceId", Message: "is already used by another customer"}}}
}

func (s *Store) insertRevision(ctx context.Context, q Q, spaceID int64, c CustomerRecord, doc []byte) error {
	_, err := q.ExecContext(ctx, `INSERT INTO customer_revisions (space_id, customer_id, revision, doc, at, actor_id) VALUES ($1, $2, $3, $4, $5, $6)`,
		spaceID, c.ID, c.Revision, string(doc), T(c.UpdatedAt), c.UpdatedBy.ID)
	if err != nil {
		return fmt.Errorf("insert customer revision: %w", err)
	}
	return nil
}

// UpdateCustomer stores a new revision of a customer's data. The caller has
// read the record locked and increments Revision.
func (s *Store) UpdateCustomer(ctx context.Context, q Q, spaceID int64, c CustomerRecord) error {
	doc, err := EncodeCustomerDoc(c.Customer, c.CRPs)
	if err != nil {
		return err
	}
	res, err := q.ExecContext(ctx, `UPDATE customers SET reference_id = $3, revision = $4, updated_at = $5, updated_by = $6, updated_by_name = $7
		WHERE space_id = $1 AND id = $2 AND revision = $8`,
		spaceID, c.ID, c.Customer.ReferenceID, c.Revision, T(c.UpdatedAt), c.UpdatedBy.ID, c.UpdatedBy.Name, c.Revision-1)
	if IsUniqueViolation(err) {
		return referenceTaken(c.Customer.ReferenceID)
	}
	if err != nil {
		return fmt.Errorf("update customer: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.Conflictf("customer %d changed meanwhile; read it and retry", c.ID)
	}
	res, err = q.ExecContext(ctx, `UPDATE customer_docs SET doc = $3 WHERE space_id = $1 AND customer_id = $2`, spaceID, c.ID, string(doc))
	if err != nil {
		return fmt.Errorf("update customer document: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("update customer document: customer %d has none", c.ID)
	}
	return s.insertRevision(ctx, q, spaceID, c, doc)
}

// Customer returns a customer of the space. lock holds the row until commit
// on PostgreSQL.
func (s *Store) Customer(ctx context.Context, q Q, spaceID, id int64, lock bool) (CustomerRecord, error) {
	suffix := ""
	if lock {
		suffix = s.ForUpdate()
	}
	rows, err := q.QueryContext(ctx, customerSelect+` WHERE c.space_id = $1 AND c.id = $2`+suffix, spaceID, id)
	if err != nil {
		return CustomerRecord{}, err
	}
	list, err := scanCustomers(rows)
	if err != nil {
		return CustomerRecord{}, err
	}
	if len(list) == 0 {
		return CustomerRecord{}, errs.NotFoundf("customer %d not found", id)
	}
	return list[0], nil
}

// CustomerFilter selects customers for a list. Pages continue after the
// last id of the previous page (keyset), so every page costs the same.
type CustomerFilter struct {
	After int64
	Limit int
	// DueBy, when set, keeps the customers due for review at that time.
	DueBy *time.Time
	// Rating, when set, keeps the customers with that rating in force.
	Rating customer.Rating
}

// ListCustomers returns customers by ascending id.
func (s *Store) ListCustomers(ctx context.Context, q Q, spaceID int64, f CustomerFilter) ([]CustomerRecord, error) {
	// d.customer_id > $2 repeats c.id > $2 for PostgreSQL's planner, which
	// carries equalities across a join but not ranges: without it a merge
	// join walks the space's documents from the first, so a page deep into
	// a million customers read every document before it (see
	// CustomersToRescore).
	where := []string{"c.space_id = $1", "c.id > $2", "d.customer_id > $2"}
	args := []any{spaceID, f.After}
	if f.DueBy != nil {
		args = append(args, T(*f.DueBy))
		where = append(where, fmt.Sprintf("c.next_review_at <= $%d", len(args)))
	}
	if f.Rating != "" {
		args = append(args, string(f.Rating))
		where = append(where, fmt.Sprintf("c.rating = $%d", len(args)))
	}
	args = append(args, f.Limit)
	rows, err := q.QueryContext(ctx, customerSelect+` WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY c.id LIMIT $%d`, len(args)), s.planEach(args...)...)
	if err != nil {
		return nil, err
	}
	return scanCustomers(rows)
}

// CustomersToRescore returns up to limit customers after id after whose
// latest assessment was not made with methodology version. The re-scoring
// job reads them outside its write transaction and checks them inside it
// (StaleCustomers). Only what scoring and that check need is read: the
// records carry ID, Revision, ApprovalStatus, Customer and CRPs (a million
// rows make every column count).
func (s *Store) CustomersToRescore(ctx context.Context, q Q, spaceID, after int64, version, limit int) ([]CustomerRecord, error) {
	// d.customer_id > $2 repeats c.id > $2 for PostgreSQL's planner (it
	// carries equalities across the join, not ranges). Without it the merge
	// join it picks walked the space's documents from the first to reach
	// each batch: on a million customers, 139 µs a customer, a quadratic
	// job.
	rows, err := q.QueryContext(ctx, `SELECT c.id, c.revision, c.approval_status, d.doc FROM `+customersWithDocs+`
		WHERE c.space_id = $1 AND c.id > $2 AND d.customer_id > $2 AND c.methodology_version <> $3 ORDER BY c.id LIMIT $4`,
		s.planEach(spaceID, after, version, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := make([]CustomerRecord, 0, limit)
	docs := make([][]byte, 0, limit)
	for rows.Next() {
		var c CustomerRecord
		var status string
		var doc []byte
		if err := rows.Scan(&c.ID, &c.Revision, &status, &doc); err != nil {
			return nil, err
		}
		c.ApprovalStatus = customer.ApprovalStatus(status)
		list = append(list, c)
		docs = append(docs, doc)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return list, decodeDocs(list, docs)
}

// Freshness is what the re-scoring job checks, in its write transaction,
// against what it read before: a customer whose data (revision) or latest
// decision changed meanwhile is read again.
type Freshness struct {
	Revision       int
	ApprovalStatus customer.ApprovalStatus
}

// StaleCustomers returns the freshness of the customers with ids from
// first to last whose latest assessment was not made with methodology
// version. lock holds them until commit on PostgreSQL.
func (s *Store) StaleCustomers(ctx context.Context, q Q, spaceID, first, last int64, version int, lock bool) (map[int64]Freshness, error) {
	suffix := ""
	if lock {
		suffix = s.ForUpdate()
	}
	rows, err := q.QueryContext(ctx, `SELECT id, revision, approval_status FROM customers
		WHERE space_id = $1 AND id >= $2 AND id <= $3 AND methodology_version <> $4`+suffix, spaceID, first, last, version)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]Freshness{}
	for rows.Next() {
		var id int64
		var f Freshness
		var status string
		if err := rows.Scan(&id, &f.Revision, &status); err != nil {
			return nil, err
		}
		f.ApprovalStatus = customer.ApprovalStatus(status)
		out[id] = f
	}
	return out, rows.Err()
}

// CountCustomers counts a space's customers (from an index, without
// reading the rows).
func (s *Store) CountCustomers(ctx context.Context, q Q, spaceID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE space_id = $1`, spaceID).Scan(&n)
	return n, err
}

// CountStaleCustomers counts a space's customers whose latest assessment
// was not made with methodology version. It reads every row.
func (s *Store) CountStaleCustomers(ctx context.Context, q Q, spaceID int64, version int) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE space_id = $1 AND methodology_version <> $2`, spaceID, version).Scan(&n)
	return n, err
}

func scanCustomers(rows *sql.Rows) ([]CustomerRecord, error) {
	defer rows.Close()
	var list []CustomerRecord
	var docs [][]byte
	for rows.Next() {
		var c CustomerRecord
		var created, updated, review, rating, status string
		var doc []byte
		if err := rows.Scan(&c.ID, new(string), &c.Revision, &created, &updated, &c.CreatedBy.ID, &c.CreatedBy.Name,
			&c.UpdatedBy.ID, &c.UpdatedBy.Name, &rating, &status, &c.MethodologyVersion, &review, &doc); err != nil {
			return nil, err
		}
		c.Rating, c.ApprovalStatus = customer.Rating(rating), customer.ApprovalStatus(status)
		var err error
		if c.CreatedAt, err = ParseT(created); err != nil {
			return nil, err
		}
		if c.UpdatedAt, err = ParseT(updated); err != nil {
			return nil, err
		}
		if c.NextReviewAt, err = ParseT(review); err != nil {
			return nil, err
		}
		list = append(list, c)
		docs = append(docs, doc)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return list, decodeDocs(list, docs)
}

// decodeDoc decodes a stored document: customer.DecodeDoc takes what the
// store writes, encoding/json the rest.
func decodeDoc(b []byte) (customerDoc, error) {
	c, crps, ids, ok := customer.DecodeDoc(b)
	if !ok {
		var d customerDoc
		err := json.Unmarshal(b, &d)
		return d, err
	}
	d := customerDoc{Customer: c}
	if crps != nil {
		d.CRPs = make([]PartyCRP, len(crps))
		for i, p := range crps {
			d.CRPs[i] = PartyCRP{ID: ids[i], CRP: p}
		}
	}
	return d, nil
}

// decodeDocs decodes each customer's stored document into list. Decoding
// is most of the cost of a page of customers (a re-scoring batch reads a
// thousand), so a long page is decoded on every core.
func decodeDocs(list []CustomerRecord, docs [][]byte) error {
	workers := max(1, min(runtime.GOMAXPROCS(0), len(list)/64))
	failed := make([]error, workers)
	decode := func(w int) {
		for i := w; i < len(list); i += workers {
			d, err := decodeDoc(docs[i])
			if err != nil {
				failed[w] = fmt.Errorf("stored customer %d: %w", list[i].ID, err)
				return
			}
			list[i].Customer, list[i].CRPs = d.Customer, d.CRPs
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(func() { decode(w) })
	}
	decode(0)
	wg.Wait()
	return errors.Join(failed...)
}

// CustomerRevision returns the data of one revision of a customer, as an
// assessment scored it.
func (s *Store) CustomerRevision(ctx context.Context, q Q, spaceID, id int64, revision int) (customer.Customer, []PartyCRP, error) {
	var doc string
	err := q.QueryRowContext(ctx, `SELECT doc FROM customer_revisions WHERE space_id = $1 AND customer_id = $2 AND revision = $3`,
		spaceID, id, revision).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return customer.Customer{}, nil, errs.NotFoundf("revision %d of customer %d not found", revision, id)
	}
	if err != nil {
		return customer.Customer{}, nil, err
	}
	d, err := decodeDoc([]byte(doc))
	if err != nil {
		return customer.Customer{}, nil, fmt.Errorf("stored customer revision: %w", err)
	}
	return d.Customer, d.CRPs, nil
}

const customerAssessmentColumns = `id, customer_id, customer_revision, methodology_version, risk_score, risk_rating, override_risk_rating, approval_status, approval,
	next_review_at, created_at, updated_at, created_by, created_by_name, updated_by, updated_by_name, risk`

// InsertCustomerAssessments stores new assessments, each the latest of its
// customer (each customer at most once), and updates the customers'
// summaries. It sets the ids. Call it in a transaction: a batch that fails
// (a missing customer) may have written part of itself.
func (s *Store) InsertCustomerAssessments(ctx context.Context, q Q, spaceID int64, list []*CustomerAssessment) error {
	if len(list) == 0 {
		return nil
	}
	seen := make(map[int64]bool, len(list))
	for _, a := range list {
		if seen[a.CustomerID] {
			return fmt.Errorf("insert customer assessments: customer %d twice in one batch", a.CustomerID)
		}
		seen[a.CustomerID] = true
	}
	// The stored forms are encoded on every core: for a large batch that
	// costs about as much as the insert.
	risks := make([][]byte, len(list))
	workers := max(1, min(runtime.GOMAXPROCS(0), len(list)/64))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(list); i += workers {
				if risks[i] = list[i].stored; risks[i] == nil {
					risks[i] = customer.EncodeResult(nil, list[i].Risk)
				}
			}
		})
	}
	wg.Wait()
	if s.dialect == Postgres {
		return insertAssessmentsPG(ctx, q, spaceID, list, risks)
	}
	for len(list) > 0 {
		n := min(len(list), assessmentChunk)
		if n < assessmentChunk {
			// Two statement shapes only, whole chunks and single rows,
			// so the writer keeps both prepared (writeTx).
			n = 1
		}
		if err := s.insertAssessments(ctx, q, spaceID, list[:n], risks[:n]); err != nil {
			return err
		}
		list, risks = list[n:], risks[n:]
	}
	return nil
}

// assessmentChunk is how many assessments one SQLite statement inserts: 50
// rows of 17 parameters, under its limit. A re-scoring batch is a few
// chunks, each a prepared statement run again: a statement of 50 rows is as
// long to parse as to run.
const assessmentChunk = 50

// insertAssessmentsPG stores a whole batch on PostgreSQL in one statement of
// arrays, one round trip whatever its size: it updates the customers'
// summaries and inserts an assessment for each customer it updated, so an
// assessment never exists without its customer (no foreign key checks it
// row by row: see migration 00012). A missing customer is reported as not
// found; like every failed write, the caller's transaction is then rolled
// back.
func insertAssessmentsPG(ctx context.Context, q Q, spaceID int64, list []*CustomerAssessment, risks [][]byte) error {
	n := len(list)
	var (
		customers, createdBy, updatedBy         = make([]int64, n), make([]string, n), make([]string, n)
		revisions, versions                     = make([]int32, n), make([]int32, n)
		scores                                  = make([]float64, n)
		ratings, overrides, effective, statuses = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		approvals, reviews, created, updated    = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		createdNames, updatedNames, stored      = make([]string, n), make([]string, n), make([]string, n)
		ts                                      timeStrings // a batch's times repeat: format each once
	)
	for i, a := range list {
		approval, err := approvalJSON(a.Approval)
		if err != nil {
			return err
		}
		if approval != nil {
			approvals[i] = approval.(string)
		}
		if a.OverrideRiskRating != nil {
			overrides[i] = string(*a.OverrideRiskRating)
		}
		customers[i], revisions[i], versions[i] = a.CustomerID, int32(a.CustomerRevision), int32(a.Risk.MethodologyVersion)
		scores[i], ratings[i], effective[i], statuses[i] = float64(a.Risk.RiskScore), string(a.Risk.RiskRating), string(a.EffectiveRating()), string(a.ApprovalStatus)
		reviews[i], created[i], updated[i] = ts.T(a.NextReviewAt), ts.T(a.CreatedAt), ts.T(a.UpdatedAt)
		createdBy[i], createdNames[i], updatedBy[i], updatedNames[i] = a.CreatedBy.ID, a.CreatedBy.Name, a.UpdatedBy.ID, a.UpdatedBy.Name
		stored[i] = string(risks[i])
		a.ID = 0 // set again from what the statement returns
	}
	// Ratings, decisions and approvals are never empty strings, so an
	// empty one stands for NULL. The summary update leaves next_review_at,
	// the only indexed column it writes, as it was unless the date moved:
	// with room on the page (fillfactor) the row is then rewritten in
	// place, without new index entries.
	rows, err := q.QueryContext(ctx, `WITH v AS (
			SELECT * FROM unnest($2::bigint[], $3::integer[], $4::integer[], $5::double precision[], $6::text[], $7::text[],
				$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
				$17::text[], $18::text[])
				AS v (customer_id, customer_revision, methodology_version, risk_score, risk_rating, override_risk_rating,
					approval_status, approval, next_review_at, created_at, updated_at, created_by, created_by_name,
					updated_by, updated_by_name, risk, effective_rating)
		), summaries AS (
			UPDATE customers c SET rating = v.effective_rating, approval_status = v.approval_status,
				methodology_version = v.methodology_version, next_review_at = v.next_review_at
			FROM v WHERE c.space_id = $1 AND c.id = v.customer_id
			RETURNING c.id
		), inserted AS (
			INSERT INTO customer_assessments (`+assessmentInsertColumns+`)
			SELECT $1, v.customer_id, v.customer_revision, v.methodology_version, v.risk_score, v.risk_rating,
				NULLIF(v.override_risk_rating, ''), v.approval_status, NULLIF(v.approval, ''), v.next_review_at,
				v.created_at, v.updated_at, v.created_by, v.created_by_name, v.updated_by, v.updated_by_name, v.risk
			FROM v JOIN summaries s ON s.id = v.customer_id
			RETURNING id, customer_id
		)
		SELECT id, customer_id FROM inserted`,
		spaceID, customers, revisions, versions, scores, ratings, overrides, statuses, approvals, reviews, created, updated,
		createdBy, createdNames, updatedBy, updatedNames, stored, effective)
	if err != nil {
		return fmt.Errorf("insert customer assessments: %w", err)
	}
	defer rows.Close()
	byCustomer := make(map[int64]*CustomerAssessment, n)
	for _, a := range list {
		byCustomer[a.CustomerID] = a
	}
	got := 0
	for rows.Next() {
		var id, customerID int64
		if err := rows.Scan(&id, &customerID); err != nil {
			return fmt.Errorf("insert customer assessments: %w", err)
		}
		if a := byCustomer[customerID]; a != nil {
			a.ID = id
			got++
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insert customer assessments: %w", err)
	}
	if got != n {
		for _, a := range list {
			if a.ID == 0 {
				return errs.NotFoundf("customer %d not found", a.CustomerID)
			}
		}
	}
	return nil
}

const assessmentInsertColumns = `space_id, customer_id, customer_revision, methodology_version, risk_score, risk_rating,
	override_risk_rating, approval_status, approval, next_review_at, created_at, updated_at, created_by, created_by_name,
	updated_by, updated_by_name, risk`

const assessmentInsertParams = 17

// param is the n-th bind parameter (from 1). SQLite gets an anonymous "?",
// bound in order: it resolves "$N" through a list it searches linearly, so
// a statement of hundreds of parameters is quadratic to prepare and bind.
func param(b []byte, pg bool, n int) []byte {
	if !pg {
		return append(b, '?')
	}
	return strconv.AppendInt(append(b, '$'), int64(n), 10)
}

// assessmentInsertSQL inserts rows assessments on SQLite; the caller reads
// their ids off the last rowid (see insertAssessments).
func assessmentInsertSQL(rows int) string {
	sb := make([]byte, 0, 400+rows*assessmentInsertParams*2)
	sb = append(sb, `INSERT INTO customer_assessments (`+assessmentInsertColumns+`) VALUES `...)
	for i := range rows {
		if i > 0 {
			sb = append(sb, ',')
		}
		sb = append(sb, '(')
		for j := range assessmentInsertParams {
			if j > 0 {
				sb = append(sb, ',')
			}
			sb = append(sb, '?')
		}
		sb = append(sb, ')')
	}
	return string(sb)
}

// summaryUpdateSQL updates the summaries of rows customers in one
// statement: (id, rating, status, version, review) each, then the space id.
func summaryUpdateSQL(pg bool, rows int) string {
	const per = 5
	sb := make([]byte, 0, 256+rows*48)
	sb = append(sb, `WITH v (id, rating, status, version, review) AS (VALUES `...)
	for i := range rows {
		if i > 0 {
			sb = append(sb, ',')
		}
		if pg {
			// PostgreSQL types the VALUES list from its parameters.
			sb = append(sb, "(CAST("...)
			sb = append(param(sb, pg, per*i+1), " AS BIGINT),"...)
			sb = append(param(sb, pg, per*i+2), ',')
			sb = append(param(sb, pg, per*i+3), ",CAST("...)
			sb = append(param(sb, pg, per*i+4), " AS INTEGER),"...)
			sb = append(param(sb, pg, per*i+5), ')')
		} else {
			sb = append(sb, "(?,?,?,?,?)"...)
		}
	}
	sb = append(sb, `) UPDATE customers SET rating = v.rating, approval_status = v.status, methodology_version = v.version,
		next_review_at = v.review FROM v WHERE customers.space_id = `...)
	sb = append(param(sb, pg, per*rows+1), ` AND customers.id = v.id`...)
	return string(sb)
}

// insertAssessments records a chunk of assessments on their customers and
// inserts them, on SQLite.
func (s *Store) insertAssessments(ctx context.Context, q Q, spaceID int64, list []*CustomerAssessment, risks [][]byte) error {
	args := make([]any, 0, len(list)*assessmentInsertParams)
	var ts timeStrings // a batch's times repeat: format each once
	for i, a := range list {
		approval, err := approvalJSON(a.Approval)
		if err != nil {
			return err
		}
		args = append(args, spaceID, a.CustomerID, a.CustomerRevision, a.Risk.MethodologyVersion, float64(a.Risk.RiskScore),
			string(a.Risk.RiskRating), ratingOrNil(a.OverrideRiskRating), string(a.ApprovalStatus), approval, ts.T(a.NextReviewAt),
			ts.T(a.CreatedAt), ts.T(a.UpdatedAt), a.CreatedBy.ID, a.CreatedBy.Name, a.UpdatedBy.ID, a.UpdatedBy.Name, string(risks[i]))
	}
	// The summaries first: their update names a missing customer.
	if err := s.updateSummaries(ctx, q, spaceID, list, &ts); err != nil {
		return err
	}
	// No RETURNING on SQLite: under its single writer a multi-row INSERT
	// gives its rows consecutive rowids, each one above the table's
	// largest, in VALUES order, so the last rowid names them all. Ids at
	// the top of the int64 range would break that; they are never reached
	// by counting up.
	res, err := q.ExecContext(ctx, assessmentInsertSQL(len(list)), args...)
	if err != nil {
		return fmt.Errorf("insert customer assessments: %w", err)
	}
	last, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("insert customer assessments: %w", err)
	}
	for i, a := range list {
		a.ID = last - int64(len(list)-1-i)
	}
	return nil
}

// updateSummaries records each assessment, the latest of its customer, on
// the customer row (rating in force, decision, methodology version, review
// date), in one statement.
func (s *Store) updateSummaries(ctx context.Context, q Q, spaceID int64, list []*CustomerAssessment, ts *timeStrings) error {
	args := make([]any, 0, 5*len(list)+1)
	for _, a := range list {
		args = append(args, a.CustomerID, string(a.EffectiveRating()), string(a.ApprovalStatus), a.Risk.MethodologyVersion, ts.T(a.NextReviewAt))
	}
	args = append(args, spaceID)
	res, err := q.ExecContext(ctx, summaryUpdateSQL(s.dialect == Postgres, len(list)), args...)
	if err != nil {
		return fmt.Errorf("update customer summaries: %w", err)
	}
	if n, _ := res.RowsAffected(); n != int64(len(list)) {
		// A customer is missing: name it.
		for _, a := range list {
			var one int
			err := q.QueryRowContext(ctx, `SELECT 1 FROM customers WHERE space_id = $1 AND id = $2`, spaceID, a.CustomerID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return errs.NotFoundf("customer %d not found", a.CustomerID)
			}
		}
		return fmt.Errorf("update customer summaries: %d of %d customers updated", n, len(list))
	}
	return nil
}

// timeStrings formats times for storage, remembering the last few: the
// assessments of a batch share their creation time and most review dates.
type timeStrings struct {
	at  [4]time.Time
	str [4]string
	n   int
}

func (c *timeStrings) T(t time.Time) string {
	for i := range min(c.n, len(c.at)) {
		if c.at[i].Equal(t) {
			return c.str[i]
		}
	}
	i := c.n % len(c.at)
	c.at[i], c.str[i] = t, T(t)
	c.n++
	return c.str[i]
}

func ratingOrNil(r *customer.Rating) any {
	if r == nil {
		return nil
	}
	return string(*r)
}

func approvalJSON(a *Approval) (any, error) {
	if a == nil {
		return nil, nil
	}
	b, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// DecideCustomerAssessment stores an approver's decision on an assessment,
// which must still be PENDING (else conflict), and the customer's summary.
func (s *Store) DecideCustomerAssessment(ctx context.Context, q Q, spaceID int64, a CustomerAssessment) error {
	approval, err := approvalJSON(a.Approval)
	if err != nil {
		return err
	}
	res, err := q.ExecContext(ctx, `UPDATE customer_assessments SET override_risk_rating = $3, approval_status = $4, approval = $5,
		next_review_at = $6, updated_at = $7, updated_by = $8, updated_by_name = $9
		WHERE space_id = $1 AND id = $2 AND approval_status = $10`,
		spaceID, a.ID, ratingOrNil(a.OverrideRiskRating), string(a.ApprovalStatus), approval, T(a.NextReviewAt), T(a.UpdatedAt),
		a.UpdatedBy.ID, a.UpdatedBy.Name, string(customer.Pending))
	if err != nil {
		return fmt.Errorf("decide customer assessment: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.Conflictf("assessment %d was decided meanwhile", a.ID)
	}
	return s.updateSummaries(ctx, q, spaceID, []*CustomerAssessment{&a}, &timeStrings{})
}

// LatestCustomerAssessment returns a customer's newest assessment. lock
// holds it until commit on PostgreSQL.
func (s *Store) LatestCustomerAssessment(ctx context.Context, q Q, spaceID, customerID int64, lock bool) (CustomerAssessment, error) {
	suffix := ""
	if lock {
		suffix = s.ForUpdate()
	}
	list, err := s.queryAssessments(ctx, q, `SELECT `+customerAssessmentColumns+` FROM customer_assessments
		WHERE space_id = $1 AND customer_id = $2 ORDER BY id DESC LIMIT 1`+suffix, spaceID, customerID)
	if err != nil {
		return CustomerAssessment{}, err
	}
	if len(list) == 0 {
		return CustomerAssessment{}, errs.NotFoundf("customer %d has no risk assessment", customerID)
	}
	return list[0], nil
}

// Decision is what a re-scoring carries from a customer's latest
// assessment: the computed rating it was about, the checker's decision and
// the review date.
type Decision struct {
	ComputedRating     customer.Rating
	ApprovalStatus     customer.ApprovalStatus
	OverrideRiskRating *customer.Rating
	Approval           *Approval
	NextReviewAt       time.Time
}

// LatestDecisions returns, for each customer with an id from first to
// last, its latest assessment's decision, by customer id.
func (s *Store) LatestDecisions(ctx context.Context, q Q, spaceID, first, last int64) (map[int64]Decision, error) {
	// The ids come from the space's own rows, so the outer query needs no
	// space condition; with one, SQLite walked every assessment of the
	// space (by the customer index's space_id) instead of fetching the
	// listed ids, once per re-scoring batch.
	rows, err := q.QueryContext(ctx, `SELECT customer_id, risk_rating, override_risk_rating, approval_status, approval, next_review_at
		FROM customer_assessments WHERE id IN (
			SELECT MAX(id) FROM customer_assessments WHERE space_id = $1 AND customer_id >= $2 AND customer_id <= $3 GROUP BY customer_id)`,
		spaceID, first, last)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]Decision{}
	for rows.Next() {
		var id int64
		var rating, status, review string
		var override, approval sql.NullString
		if err := rows.Scan(&id, &rating, &override, &status, &approval, &review); err != nil {
			return nil, err
		}
		d, err := decodeDecision(rating, status, override, approval, review)
		if err != nil {
			return nil, fmt.Errorf("latest assessment of customer %d: %w", id, err)
		}
		out[id] = d
	}
	return out, rows.Err()
}

// decodeDecision reads a decision from its columns.
func decodeDecision(rating, status string, override, approval sql.NullString, review string) (Decision, error) {
	d := Decision{ComputedRating: customer.Rating(rating), ApprovalStatus: customer.ApprovalStatus(status)}
	if override.Valid {
		r := customer.Rating(override.String)
		d.OverrideRiskRating = &r
	}
	if approval.Valid {
		d.Approval = new(Approval)
		if err := json.Unmarshal([]byte(approval.String), d.Approval); err != nil {
			return d, fmt.Errorf("stored approval: %w", err)
		}
	}
	var err error
	d.NextReviewAt, err = ParseT(review)
	return d, err
}

// CustomerAssessments returns a customer's assessments, newest first, up to
// limit, starting below id before (0: from the newest).
func (s *Store) CustomerAssessments(ctx context.Context, q Q, spaceID, customerID, before int64, limit int) ([]CustomerAssessment, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	return s.queryAssessments(ctx, q, `SELECT `+customerAssessmentColumns+` FROM customer_assessments
		WHERE space_id = $1 AND customer_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4`, spaceID, customerID, before, limit)
}

func (s *Store) queryAssessments(ctx context.Context, q Q, query string, args ...any) ([]CustomerAssessment, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []CustomerAssessment
	for rows.Next() {
		var a CustomerAssessment
		var score float64
		var version int
		var rating, status, review, created, updated, risk string
		var override, approval sql.NullString
		if err := rows.Scan(&a.ID, &a.CustomerID, &a.CustomerRevision, &version, &score, &rating, &override, &status, &approval,
			&review, &created, &updated, &a.CreatedBy.ID, &a.CreatedBy.Name, &a.UpdatedBy.ID, &a.UpdatedBy.Name, &risk); err != nil {
			return nil, err
		}
		var err error
		if a.Risk, err = customer.DecodeResult([]byte(risk), float32(score), customer.Rating(rating), version); err != nil {
			return nil, fmt.Errorf("stored assessment %d: %w", a.ID, err)
		}
		d, err := decodeDecision(rating, status, override, approval, review)
		if err != nil {
			return nil, fmt.Errorf("stored assessment %d: %w", a.ID, err)
		}
		a.ApprovalStatus, a.OverrideRiskRating, a.Approval, a.NextReviewAt = d.ApprovalStatus, d.OverrideRiskRating, d.Approval, d.NextReviewAt
		if a.CreatedAt, err = ParseT(created); err != nil {
			return nil, err
		}
		if a.UpdatedAt, err = ParseT(updated); err != nil {
			return nil, err
		}
		list = append(list, a)
	}
	return list, rows.Err()
}

// MethodologyVersion is a stored methodology version with who wrote and who
// activated it.
type MethodologyVersion struct {
	Methodology customer.Methodology
	CreatedAt   time.Time
	CreatedBy   string
	ActivatedAt *time.Time
	ActivatedBy string
}

// InsertMethodology stores a new methodology version, numbered after the
// space's newest; it sets m.Version. A concurrent insert of the same number
// is a conflict.
func (s *Store) InsertMethodology(ctx context.Context, q Q, spaceID int64, m *MethodologyVersion) error {
	var next int
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM risk_methodologies WHERE space_id = $1`, spaceID).Scan(&next); err != nil {
		return err
	}
	m.Methodology.Version = next
	doc, err := json.Marshal(m.Methodology)
	if err != nil {
		return err
	}
	var activatedBy any
	if m.ActivatedBy != "" {
		activatedBy = m.ActivatedBy
	}
	_, err = q.ExecContext(ctx, `INSERT INTO risk_methodologies (space_id, version, status, doc, created_at, created_by, activated_at, activated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, spaceID, next, string(m.Methodology.Status), string(doc), T(m.CreatedAt), m.CreatedBy,
		NullT(m.ActivatedAt), activatedBy)
	if IsUniqueViolation(err) {
		return errs.Conflictf("another methodology version was written meanwhile; retry")
	}
	if err != nil {
		return fmt.Errorf("insert methodology: %w", err)
	}
	return nil
}

const methodologyColumns = `doc, status, created_at, created_by, activated_at, activated_by`

// Methodology returns one version of a space's methodology.
func (s *Store) Methodology(ctx context.Context, q Q, spaceID int64, version int, lock bool) (MethodologyVersion, error) {
	suffix := ""
	if lock {
		suffix = s.ForUpdate()
	}
	list, err := s.queryMethodologies(ctx, q, `SELECT `+methodologyColumns+` FROM risk_methodologies WHERE space_id = $1 AND version = $2`+suffix, spaceID, version)
	if err != nil {
		return MethodologyVersion{}, err
	}
	if len(list) == 0 {
		return MethodologyVersion{}, errs.NotFoundf("methodology version %d not found", version)
	}
	return list[0], nil
}

// ActiveMethodologyVersion returns the number of the space's active
// methodology version, or 0 when the space has none yet.
func (s *Store) ActiveMethodologyVersion(ctx context.Context, q Q, spaceID int64) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT version FROM risk_methodologies WHERE space_id = $1 AND status = 'active'`, spaceID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// Methodologies lists a space's methodology versions, newest first.
func (s *Store) Methodologies(ctx context.Context, q Q, spaceID int64) ([]MethodologyVersion, error) {
	return s.queryMethodologies(ctx, q, `SELECT `+methodologyColumns+` FROM risk_methodologies WHERE space_id = $1 ORDER BY version DESC LIMIT 1000`, spaceID)
}

// ActivateMethodology makes a draft the active version and retires the
// version it replaces.
func (s *Store) ActivateMethodology(ctx context.Context, q Q, spaceID int64, version int, by string, at time.Time) error {
	// Retire the active version only if the draft is there, so a refused
	// activation changes nothing even outside a transaction.
	if _, err := q.ExecContext(ctx, `UPDATE risk_methodologies SET status = 'retired' WHERE space_id = $1 AND status = 'active'
		AND EXISTS (SELECT 1 FROM risk_methodologies WHERE space_id = $1 AND version = $2 AND status = 'draft')`, spaceID, version); err != nil {
		return fmt.Errorf("retire methodology: %w", err)
	}
	res, err := q.ExecContext(ctx, `UPDATE risk_methodologies SET status = 'active', activated_at = $3, activated_by = $4
		WHERE space_id = $1 AND version = $2 AND status = 'draft'`, spaceID, version, T(at), by)
	if err != nil {
		return fmt.Errorf("activate methodology: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.Conflictf("methodology version %d is not a draft", version)
	}
	return nil
}

func (s *Store) queryMethodologies(ctx context.Context, q Q, query string, args ...any) ([]MethodologyVersion, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []MethodologyVersion
	for rows.Next() {
		var m MethodologyVersion
		var doc, status, created string
		var activatedAt, activatedBy sql.NullString
		if err := rows.Scan(&doc, &status, &created, &m.CreatedBy, &activatedAt, &activatedBy); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(doc), &m.Methodology); err != nil {
			return nil, fmt.Errorf("stored methodology: %w", err)
		}
		// The status column is the truth: activation changes it, not the document.
		m.Methodology.Status = customer.Status(status)
		var err error
		if m.CreatedAt, err = ParseT(created); err != nil {
			return nil, err
		}
		if m.ActivatedAt, err = parseNullT(activatedAt); err != nil {
			return nil, err
		}
		m.ActivatedBy = activatedBy.String
		list = append(list, m)
	}
	return list, rows.Err()
}
