package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/customer"
	"github.com/riskd/riskd/internal/customer/customertest"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/usecase"
)

// customerScenarios measure the customer risk family's batch re-scoring:
// activating a new methodology version re-scores every customer in a job,
// timed from activation until the job succeeded (a workload with run, not a
// load test).
//
// The 1,000,000 customers go in with bulk INSERTs (insertRows) straight
// into the family's tables (migrations 00007_customers and
// 00008_customer_docs), in this file, each as the store writes a customer
// created through the API: the customers row, its document, its first
// revision and its first assessment. The activation goes
// through the API as an operator does it: a draft written by one admin
// token, activated by another (four eyes).
func customerScenarios() []scenario {
	return []scenario{{
		name: "customer-rescore",
		what: "re-scoring job of 1,000,000 customers after a new methodology version is activated",
		routes: []string{"GET /api/customer/{customerId}/risk-assessment", "GET /api/risk-methodology", "PUT /api/risk-methodology",
			"POST /api/risk-methodology/{version}/activate", "GET /api/v1/jobs/{id}"},
		prepare: prepareCustomerRescore,
		targets: []target{minRate(20_000, "customers")},
	}}
}

// seededCustomers is how many customers the re-scoring job rates.
const seededCustomers = 1_000_000

// rescoreTimeout bounds the wait for the re-scoring job: far above the
// target's 50 s, so a slow build is measured rather than cut off.
const rescoreTimeout = 30 * time.Minute

func prepareCustomerRescore(ctx context.Context, e *env) (workload, error) {
	e.cfg.logf("%s customer-rescore: seeding %s customers with 2 related parties each", e.backend, thousands(seededCustomers))
	start := time.Now()
	if err := seedCustomers(ctx, e, seededCustomers); err != nil {
		return workload{}, err
	}
	e.cfg.logf("%s customer-rescore: seeded in %s", e.backend, time.Since(start).Round(time.Second))
	// The maker writes the draft now; the checker's activation, and the job
	// it starts, are what is timed.
	maker := e.customerHeader(e.header)
	checker, err := e.secondAdmin(ctx)
	if err != nil {
		return workload{}, err
	}
	version, err := createMethodologyDraft(ctx, e, maker)
	if err != nil {
		return workload{}, err
	}
	return workload{unit: "customers", run: func(ctx context.Context) (int, error) {
		return activateAndWait(ctx, e, checker, version, seededCustomers)
	}}, nil
}

// customerHeader adds X-Domain-ID, which every customer-family route
// requires, to a token's headers.
func (e *env) customerHeader(h http.Header) http.Header {
	h = h.Clone()
	h.Set("X-Domain-ID", strconv.FormatInt(e.space.ID, 10))
	return h
}

// secondAdmin makes another admin token of the space, the way `riskd token
// create` does: a methodology draft must be activated by someone other
// than its author.
func (e *env) secondAdmin(ctx context.Context) (http.Header, error) {
	app, err := usecase.NewApp(e.st, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	secret, _, err := app.CreateToken(ctx, usecase.NewToken{SpaceSlug: e.space.Slug, Role: auth.Admin, Name: "bench checker"})
	if err != nil {
		return nil, err
	}
	h := e.header.Clone()
	h.Set("Authorization", "Bearer "+secret)
	return e.customerHeader(h), nil
}

// call sends one request to the server under test and decodes a JSON answer
// of the wanted status into out.
func (e *env) call(ctx context.Context, method, path string, h http.Header, body []byte, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, e.srv.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// createMethodologyDraft reads the active methodology and stores it back as
// a draft with 2.5 weight points moved from fsi to cpi (the weights still
// sum to 100), as an operator re-weighting a component would; it returns
// the draft's version.
func createMethodologyDraft(ctx context.Context, e *env, maker http.Header) (int, error) {
	var doc map[string]json.RawMessage
	if err := e.call(ctx, http.MethodGet, "/api/risk-methodology", maker, nil, http.StatusOK, &doc); err != nil {
		return 0, err
	}
	var weights map[string]float64
	if err := json.Unmarshal(doc["weights"], &weights); err != nil {
		return 0, fmt.Errorf("active methodology's weights: %w", err)
	}
	if weights["fsi"] < 2.5 {
		return 0, fmt.Errorf("active methodology's fsi weight is %g: the benchmark moves 2.5 points from it", weights["fsi"])
	}
	weights["cpi"] += 2.5
	weights["fsi"] -= 2.5
	w, err := json.Marshal(weights)
	if err != nil {
		return 0, err
	}
	doc["weights"] = w
	body, err := json.Marshal(doc)
	if err != nil {
		return 0, err
	}
	var draft struct {
		Version int    `json:"version"`
		Status  string `json:"status"`
	}
	if err := e.call(ctx, http.MethodPut, "/api/risk-methodology", maker, body, http.StatusCreated, &draft); err != nil {
		return 0, err
	}
	if draft.Version < 2 || draft.Status != "draft" {
		return 0, fmt.Errorf("PUT /api/risk-methodology made version %d, status %q: want a draft after version 1", draft.Version, draft.Status)
	}
	return draft.Version, nil
}

// jobPoll is how often the re-scoring job's status is read: often enough
// for a tenth of a second's precision on a run of tens of seconds, rarely
// enough to cost the server nothing measurable.
const jobPoll = 100 * time.Millisecond

// activateAndWait activates the draft as checker and polls its re-scoring
// job until it succeeded, returning how many customers it re-scored.
func activateAndWait(ctx context.Context, e *env, checker http.Header, version, want int) (int, error) {
	var act struct {
		JobID string `json:"job_id"`
	}
	path := "/api/risk-methodology/" + strconv.Itoa(version) + "/activate"
	if err := e.call(ctx, http.MethodPost, path, checker, nil, http.StatusAccepted, &act); err != nil {
		return 0, err
	}
	if act.JobID == "" {
		return 0, fmt.Errorf("POST %s: no job_id in the answer", path)
	}
	ctx, cancel := context.WithTimeout(ctx, rescoreTimeout)
	defer cancel()
	for {
		var job struct {
			Status string          `json:"status"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Code, Message string
			} `json:"error"`
		}
		if err := e.call(ctx, http.MethodGet, "/api/v1/jobs/"+act.JobID, checker, nil, http.StatusOK, &job); err != nil {
			return 0, err
		}
		switch job.Status {
		case "succeeded":
			var res usecase.RescoreProgress
			if err := json.Unmarshal(job.Result, &res); err != nil {
				return 0, fmt.Errorf("re-scoring job %s result %s: %w", act.JobID, job.Result, err)
			}
			if res.Version != version || res.Done != want || res.Total != want || res.Superseded {
				return 0, fmt.Errorf("re-scoring job %s result %s: want version %d, %d of %d customers done", act.JobID, job.Result, version, want, want)
			}
			return res.Done, nil
		case "failed":
			if job.Error != nil {
				return 0, fmt.Errorf("re-scoring job %s failed: %s: %s", act.JobID, job.Error.Code, job.Error.Message)
			}
			return 0, fmt.Errorf("re-scoring job %s failed", act.JobID)
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("re-scoring job %s: %w (last result %s)", act.JobID, ctx.Err(), job.Result)
		case <-time.After(jobPoll):
		}
	}
}

// Seeded rows are made from a few variants, each scored once by the domain
// with placeholder ids, reference and name; each row substitutes its own.
// The placeholders are digit strings no score, factor or weight prints.
const (
	phCustomer = "987654321011"
	phCRP1     = "987654321022"
	phCRP2     = "987654321033"
	phRef      = "@@reference@@"
	phName     = "@@name@@"
)

// template is JSON with placeholders, cut at them once so each row is a
// concatenation.
type template struct {
	parts []string // text between placeholders
	holes []int    // which value fills the hole after parts[i]
}

var placeholders = []string{phCustomer, phCRP1, phCRP2, phRef, phName}

func newTemplate(s string) template {
	var t template
	for {
		at, which := -1, -1
		for k, ph := range placeholders {
			if i := strings.Index(s, ph); i >= 0 && (at < 0 || i < at) {
				at, which = i, k
			}
		}
		if at < 0 {
			t.parts = append(t.parts, s)
			return t
		}
		t.parts = append(t.parts, s[:at])
		t.holes = append(t.holes, which)
		s = s[at+len(placeholders[which]):]
	}
}

func (t template) fill(b *strings.Builder, vals *[5]string) string {
	b.Reset()
	for i, p := range t.parts {
		b.WriteString(p)
		if i < len(t.holes) {
			b.WriteString(vals[t.holes[i]])
		}
	}
	return b.String()
}

// seededVariant is one variant's rows, as templates, with what the
// customers row summarises.
type seededVariant struct {
	doc, risk    template
	score        float64
	rating       customer.Rating
	nextReviewAt string
}

// seedCustomers inserts n customers of the token's space with two related
// parties each, as POST /api/customer/createWithCrps stores them under the
// default methodology (version 1): party ids from the same counter (the
// customer's, then its parties'), the customers row, revision 1 and a
// PENDING assessment; every fourth assessment is ACCEPTED by a checker, so
// the re-scoring carries decisions as well as resetting them.
func seedCustomers(ctx context.Context, e *env, n int) error {
	st := e.st
	mv, err := st.Methodology(ctx, st.Reader(), e.space.ID, 1, false)
	if err != nil {
		return fmt.Errorf("the space's methodology version 1 (seeded at start-up): %w", err)
	}
	sc, err := customer.Compile(mv.Methodology)
	if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	kinds := customertest.Variants()
	variants := make([]seededVariant, len(kinds))
	for i, k := range kinds {
		if variants[i], err = makeVariant(sc, k, now); err != nil {
			return err
		}
	}
	first, err := reservePartyIDs(ctx, st, 3*n)
	if err != nil {
		return err
	}
	ids := func(i int) *[5]string {
		base := first + 3*int64(i)
		return &[5]string{strconv.FormatInt(base, 10), strconv.FormatInt(base+1, 10), strconv.FormatInt(base+2, 10),
			fmt.Sprintf("BENCH-%07d", i), fmt.Sprintf("Bench customer %07d", i)}
	}
	at := store.T(now)
	actor, actorName := e.actorID, "bench"
	var b strings.Builder

	err = insertRows(ctx, st, "customers", []string{"space_id", "id", "reference_id", "revision", "created_at", "updated_at",
		"created_by", "created_by_name", "updated_by", "updated_by_name", "rating", "approval_status", "methodology_version", "next_review_at"}, n,
		func(i int) ([]any, error) {
			v, vals := &variants[i%len(variants)], ids(i)
			// Every 4th assessment is decided (below), as its summary says.
			status := customer.Pending
			if i%4 == 3 {
				status = customer.Accepted
			}
			return []any{e.space.ID, first + 3*int64(i), vals[3], 1, at, at,
				actor, actorName, actor, actorName, string(v.rating), string(status), 1, v.nextReviewAt}, nil
		})
	if err != nil {
		return err
	}
	err = insertRows(ctx, st, "customer_docs", []string{"space_id", "customer_id", "doc"}, n,
		func(i int) ([]any, error) {
			v, vals := &variants[i%len(variants)], ids(i)
			return []any{e.space.ID, first + 3*int64(i), v.doc.fill(&b, vals)}, nil
		})
	if err != nil {
		return err
	}
	err = insertRows(ctx, st, "customer_revisions", []string{"space_id", "customer_id", "revision", "doc", "at", "actor_id"}, n,
		func(i int) ([]any, error) {
			v, vals := &variants[i%len(variants)], ids(i)
			return []any{e.space.ID, first + 3*int64(i), 1, v.doc.fill(&b, vals), at, actor}, nil
		})
	if err != nil {
		return err
	}
	approval, err := json.Marshal(store.Approval{Message: "Documents verified; rating accepted.",
		DecidedBy: store.Actor{ID: "bench-checker", Name: "bench checker"}, DecidedAt: now})
	if err != nil {
		return err
	}
	err = insertRows(ctx, st, "customer_assessments", []string{"space_id", "customer_id", "customer_revision", "methodology_version",
		"risk_score", "risk_rating", "override_risk_rating", "approval_status", "approval", "next_review_at", "created_at", "updated_at",
		"created_by", "created_by_name", "updated_by", "updated_by_name", "risk"}, n,
		func(i int) ([]any, error) {
			v, vals := &variants[i%len(variants)], ids(i)
			status, decision, updatedBy, updatedByName := string(customer.Pending), any(nil), actor, actorName
			if i%4 == 3 {
				status, decision, updatedBy, updatedByName = string(customer.Accepted), string(approval), "bench-checker", "bench checker"
			}
			risk := v.risk.fill(&b, vals)
			if len(vals[0]) != len(vals[2]) {
				// Comments are keyed by party id and marshalled in key
				// order, which for ids of different lengths (9, 10, 11)
				// is not the placeholders' order: score these few afresh.
				k := kinds[i%len(kinds)]
				c := k.Customer
				c.ReferenceID, c.Name = vals[3], vals[4]
				base := first + 3*int64(i)
				risk = string(customer.EncodeResult(nil, sc.Score(c, k.CRPs, customer.IDs{Customer: base, CRPs: []int64{base + 1, base + 2}})))
			}
			return []any{e.space.ID, first + 3*int64(i), 1, 1, v.score, string(v.rating), nil, status, decision, v.nextReviewAt, at, at,
				actor, actorName, updatedBy, updatedByName, risk}, nil
		})
	if err != nil {
		return err
	}
	if err := checkSeeded(ctx, st, e.space.ID, first, sc, kinds); err != nil {
		return err
	}
	return vacuumAnalyze(ctx, st, "customers", "customer_docs", "customer_revisions", "customer_assessments")
}

// makeVariant scores a kind of customer once, with placeholders for what
// each row has of its own.
func makeVariant(sc *customer.Scorer, k customertest.Variant, now time.Time) (seededVariant, error) {
	c := k.Customer
	c.ReferenceID, c.Name = phRef, phName
	if err := customer.ValidateCustomer(c, k.CRPs); err != nil {
		return seededVariant{}, err
	}
	ph := func(s string) int64 { v, _ := strconv.ParseInt(s, 10, 64); return v }
	ids := customer.IDs{Customer: ph(phCustomer), CRPs: []int64{ph(phCRP1), ph(phCRP2)}}
	doc, err := store.EncodeCustomerDoc(c, []store.PartyCRP{{ID: ids.CRPs[0], CRP: k.CRPs[0]}, {ID: ids.CRPs[1], CRP: k.CRPs[1]}})
	if err != nil {
		return seededVariant{}, err
	}
	res := sc.Score(c, k.CRPs, ids)
	risk := customer.EncodeResult(nil, res)
	return seededVariant{doc: newTemplate(string(doc)), risk: newTemplate(string(risk)), score: float64(res.RiskScore),
		rating: res.RiskRating, nextReviewAt: store.T(sc.NextReviewAt(res.RiskRating, now))}, nil
}

// reservePartyIDs takes n consecutive party ids from the counter that
// riskd allocates them from, so customers created later get others, and
// returns the first.
func reservePartyIDs(ctx context.Context, st *store.Store, n int) (int64, error) {
	var first int64
	err := st.Tx(ctx, func(tx store.Q) error {
		if st.Dialect() == store.Postgres {
			if err := tx.QueryRowContext(ctx, `SELECT nextval('customer_party_ids')`).Scan(&first); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `SELECT setval('customer_party_ids', $1)`, first+int64(n)-1)
			return err
		}
		return tx.QueryRowContext(ctx, `UPDATE id_counters SET next_id = next_id + $1 WHERE name = 'customer_party' RETURNING next_id - $1`, n).Scan(&first)
	})
	if err != nil {
		return 0, fmt.Errorf("reserve %d party ids: %w", n, err)
	}
	return first, nil
}

// checkSeeded reads the first customers back and checks that each is what
// the store would have written for it: the document is the customer with
// its parties' ids, and the stored assessment is, byte for byte, the
// domain's score of that customer with those ids.
func checkSeeded(ctx context.Context, st *store.Store, spaceID, first int64, sc *customer.Scorer, kinds []customertest.Variant) error {
	for i := range kinds {
		id := first + 3*int64(i)
		rec, err := st.Customer(ctx, st.Reader(), spaceID, id, false)
		if err != nil {
			return fmt.Errorf("seeded customer %d: %w", id, err)
		}
		var doc, risk string
		err = st.Reader().QueryRowContext(ctx, `SELECT d.doc, a.risk FROM customer_docs d JOIN customer_assessments a
			ON a.space_id = d.space_id AND a.customer_id = d.customer_id WHERE d.space_id = $1 AND d.customer_id = $2`, spaceID, id).Scan(&doc, &risk)
		if err != nil {
			return fmt.Errorf("seeded customer %d: %w", id, err)
		}
		c, crps, ids := rec.Record()
		wantDoc, err := store.EncodeCustomerDoc(c, rec.CRPs)
		if err != nil {
			return err
		}
		wantRisk := customer.EncodeResult(nil, sc.Score(c, crps, ids))
		switch {
		case len(crps) != 2 || ids.CRPs[0] != id+1 || ids.CRPs[1] != id+2 || c.ReferenceID != fmt.Sprintf("BENCH-%07d", i):
			return fmt.Errorf("seeded customer %d has parties %v and reference %q", id, ids.CRPs, c.ReferenceID)
		case doc != string(wantDoc):
			return fmt.Errorf("seeded customer %d: document %s, the store would write %s", id, doc, wantDoc)
		case risk != string(wantRisk):
			return fmt.Errorf("seeded customer %d: assessment %s, the domain makes %s", id, risk, wantRisk)
		}
	}
	return nil
}
