package usecase

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/riskd/riskd/internal/audit"
	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/customer"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/jobs"
	"github.com/riskd/riskd/internal/store"
)

// JobCustomerRescore re-rates every customer of a space with a newly
// activated methodology version.
const JobCustomerRescore = "customer_rescore"

// rescoreActor is the author of the assessments a re-scoring job makes.
const rescoreActor = "system:rescore"

// rescoreBatch is how many customers one re-scoring transaction rates: large
// enough that commits (each an fsync) are few, small enough that an API
// write waiting behind it on SQLite's single writer waits tens of
// milliseconds, not seconds. A batch's new pages (about 1 KB an
// assessment in its stored form) fit the writer's page cache (store.Open),
// so nothing spills to the WAL before the commit.
const rescoreBatch = 1000

// registerCustomerJobs registers the family's job handlers.
func (a *App) registerCustomerJobs(r *jobs.Runner) {
	r.Handle(JobCustomerRescore, a.rescoreJob)
}

// scorerCache keeps compiled methodologies. A stored version never changes,
// so (space, version) names one scorer for good.
type scorerCache struct {
	mu sync.Mutex
	m  map[scorerKey]*customer.Scorer
}

type scorerKey struct {
	space   int64
	version int
}

// maxCachedScorers bounds the cache; a compile costs a fraction of a
// millisecond, so dropping everything when it is full is cheap.
const maxCachedScorers = 256

func (c *scorerCache) get(k scorerKey) *customer.Scorer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *scorerCache) put(k scorerKey, s *customer.Scorer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedScorers {
		c.m = make(map[scorerKey]*customer.Scorer)
	}
	c.m[k] = s
}

// activeVersion returns the number of the space's active methodology
// version, first giving a space that has none the default as its active
// version 1. Start-up and space creation seed every space (SeedSpace), so
// the seeding here only covers a space made some other way.
func (a *App) activeVersion(ctx context.Context, q store.Q, spaceID int64) (int, error) {
	v, err := a.Store.ActiveMethodologyVersion(ctx, q, spaceID)
	if err != nil || v != 0 {
		return v, err
	}
	now := a.storeNow()
	mv := store.MethodologyVersion{Methodology: customer.DefaultMethodology(), CreatedAt: now, CreatedBy: SystemActor, ActivatedAt: &now, ActivatedBy: SystemActor}
	mv.Methodology.Status = customer.StatusActive
	if err := a.Store.InsertMethodology(ctx, q, spaceID, &mv); err != nil {
		return 0, err
	}
	v = mv.Methodology.Version
	return v, a.Audit(ctx, q, spaceID, SystemActor, "methodology.create", "methodology", strconv.Itoa(v), mv.Methodology)
}

// EnsureMethodology is activeVersion outside a transaction: a read, and a
// write transaction only for a space without a methodology.
func (a *App) EnsureMethodology(ctx context.Context, spaceID int64) (int, error) {
	v, err := a.Store.ActiveMethodologyVersion(ctx, a.Store.Reader(), spaceID)
	if err != nil || v != 0 {
		return v, err
	}
	err = a.Store.Tx(ctx, func(tx store.Q) error {
		v, err = a.activeVersion(ctx, tx, spaceID)
		return err
	})
	return v, err
}

// scorerFor returns the compiled methodology version of a space.
func (a *App) scorerFor(ctx context.Context, q store.Q, spaceID int64, version int) (*customer.Scorer, error) {
	k := scorerKey{spaceID, version}
	if s := a.scorers.get(k); s != nil {
		return s, nil
	}
	mv, err := a.Store.Methodology(ctx, q, spaceID, version, false)
	if err != nil {
		return nil, err
	}
	s, err := customer.Compile(mv.Methodology)
	if err != nil {
		return nil, fmt.Errorf("stored methodology %d of space %d: %w", version, spaceID, err)
	}
	a.scorers.put(k, s)
	return s, nil
}

// activeScorer returns the space's active methodology, compiled.
func (a *App) activeScorer(ctx context.Context, tx store.Q, spaceID int64) (*customer.Scorer, error) {
	v, err := a.activeVersion(ctx, tx, spaceID)
	if err != nil {
		return nil, err
	}
	return a.scorerFor(ctx, tx, spaceID, v)
}

func actorOf(p auth.Principal) store.Actor { return store.Actor{ID: p.ID, Name: p.Name} }

// CRPInput is a related party in a request: with the id of a stored party
// to keep that party's id, without one to add a party.
type CRPInput struct {
	ID int64 `json:"id,omitempty"`
	customer.CRP
}

// CustomerPatch is a partial update of a customer. CRPs, when given,
// replace the related parties: a party sent with its id keeps it.
type CustomerPatch struct {
	customer.Patch
	CRPs *[]CRPInput `json:"crps,omitempty"`
}

// CustomerView is a customer with its latest assessment.
type CustomerView struct {
	Customer   store.CustomerRecord
	Assessment store.CustomerAssessment
}

// CreateCustomer validates and stores a customer with its related parties
// and their first assessment, rated with the space's active methodology.
func (a *App) CreateCustomer(ctx context.Context, p auth.Principal, c customer.Customer, crps []customer.CRP) (CustomerView, error) {
	if err := customer.ValidateCustomer(c, crps); err != nil {
		return CustomerView{}, err
	}
	var v CustomerView
	err := a.Store.Tx(ctx, func(tx store.Q) error {
		sc, err := a.activeScorer(ctx, tx, p.Space.ID)
		if err != nil {
			return err
		}
		partyIDs, err := a.Store.AllocatePartyIDs(ctx, tx, 1+len(crps))
		if err != nil {
			return err
		}
		now := a.storeNow()
		rec := store.CustomerRecord{ID: partyIDs[0], Revision: 1, Customer: c, CRPs: make([]store.PartyCRP, len(crps)),
			CreatedAt: now, UpdatedAt: now, CreatedBy: actorOf(p), UpdatedBy: actorOf(p)}
		for i, crp := range crps {
			rec.CRPs[i] = store.PartyCRP{ID: partyIDs[1+i], CRP: crp}
		}
		as := newAssessment(sc, rec, actorOf(p), now)
		rec.Rating, rec.ApprovalStatus, rec.MethodologyVersion, rec.NextReviewAt = as.EffectiveRating(), as.ApprovalStatus, sc.Version(), as.NextReviewAt
		if err := a.Store.InsertCustomer(ctx, tx, p.Space.ID, rec); err != nil {
			return err
		}
		if err := a.Store.InsertCustomerAssessments(ctx, tx, p.Space.ID, []*store.CustomerAssessment{&as}); err != nil {
			return err
		}
		if err := a.auditCustomer(ctx, tx, p, "customer.create", rec, as); err != nil {
			return err
		}
		v = CustomerView{Customer: rec, Assessment: as}
		return nil
	})
	return v, err
}

// newAssessment rates a customer's current data: a new PENDING assessment,
// due for review by the methodology's schedule.
func newAssessment(sc *customer.Scorer, rec store.CustomerRecord, by store.Actor, now time.Time) store.CustomerAssessment {
	c, crps, ids := rec.Record()
	res := sc.Score(c, crps, ids)
	return store.CustomerAssessment{
		CustomerID: rec.ID, CustomerRevision: rec.Revision, Risk: res, ApprovalStatus: customer.Pending,
		NextReviewAt: sc.NextReviewAt(res.RiskRating, now), CreatedAt: now, UpdatedAt: now, CreatedBy: by, UpdatedBy: by,
	}
}

// auditCustomer records a change of a customer and the assessment it made.
func (a *App) auditCustomer(ctx context.Context, tx store.Q, p auth.Principal, action string, rec store.CustomerRecord, as store.CustomerAssessment) error {
	state := map[string]any{"customer": rec.Customer, "crps": rec.CRPs, "revision": rec.Revision,
		"assessment": map[string]any{"id": as.ID, "risk": as.Risk}}
	return a.AuditAs(ctx, tx, p, action, "customer", strconv.FormatInt(rec.ID, 10), state)
}

// UpdateCustomer applies a partial update and re-rates the customer. A
// patch that changes nothing writes nothing.
func (a *App) UpdateCustomer(ctx context.Context, p auth.Principal, id int64, patch CustomerPatch) (CustomerView, error) {
	var v CustomerView
	err := a.Store.Tx(ctx, func(tx store.Q) error {
		cur, err := a.Store.Customer(ctx, tx, p.Space.ID, id, true)
		if err != nil {
			return err
		}
		next := cur
		next.Customer = customer.Merge(cur.Customer, patch.Patch)
		if patch.CRPs != nil {
			if next.CRPs, err = a.mergeCRPs(ctx, tx, cur.CRPs, *patch.CRPs); err != nil {
				return err
			}
		}
		_, crps, _ := next.Record()
		if err := customer.ValidateCustomer(next.Customer, crps); err != nil {
			return err
		}
		if sameCustomer(cur, next) {
			as, err := a.Store.LatestCustomerAssessment(ctx, tx, p.Space.ID, id, false)
			v = CustomerView{Customer: cur, Assessment: as}
			return err
		}
		sc, err := a.activeScorer(ctx, tx, p.Space.ID)
		if err != nil {
			return err
		}
		now := a.storeNow()
		next.Revision, next.UpdatedAt, next.UpdatedBy = cur.Revision+1, now, actorOf(p)
		if err := a.Store.UpdateCustomer(ctx, tx, p.Space.ID, next); err != nil {
			return err
		}
		as := newAssessment(sc, next, actorOf(p), now)
		if err := a.Store.InsertCustomerAssessments(ctx, tx, p.Space.ID, []*store.CustomerAssessment{&as}); err != nil {
			return err
		}
		next.Rating, next.ApprovalStatus, next.MethodologyVersion, next.NextReviewAt = as.EffectiveRating(), as.ApprovalStatus, sc.Version(), as.NextReviewAt
		v = CustomerView{Customer: next, Assessment: as}
		return a.auditCustomer(ctx, tx, p, "customer.update", next, as)
	})
	return v, err
}

// mergeCRPs builds the new list of related parties: a party sent with the id
// of one of the customer's parties keeps it, others get new ids.
func (a *App) mergeCRPs(ctx context.Context, tx store.Q, cur []store.PartyCRP, in []CRPInput) ([]store.PartyCRP, error) {
	known := make(map[int64]bool, len(cur))
	for _, p := range cur {
		known[p.ID] = true
	}
	var f errs.Fields
	seen := map[int64]bool{}
	fresh := 0
	for i, p := range in {
		switch {
		case p.ID == 0:
			fresh++
		case !known[p.ID]:
			f.Add(fmt.Sprintf("crps[%d].id", i), "is not a related party of this customer; leave it out to add a party")
		case seen[p.ID]:
			f.Add(fmt.Sprintf("crps[%d].id", i), "appears twice")
		}
		seen[p.ID] = true
	}
	f.Check(len(in) <= customer.MaxCRPs, "crps", "must have at most %d related parties", customer.MaxCRPs)
	if err := f.Err(); err != nil {
		return nil, err
	}
	newIDs, err := a.Store.AllocatePartyIDs(ctx, tx, fresh)
	if err != nil {
		return nil, err
	}
	out := make([]store.PartyCRP, len(in))
	for i, p := range in {
		id := p.ID
		if id == 0 {
			id, newIDs = newIDs[0], newIDs[1:]
		}
		out[i] = store.PartyCRP{ID: id, CRP: p.CRP}
	}
	return out, nil
}

// sameCustomer reports whether two records hold the same data.
func sameCustomer(a, b store.CustomerRecord) bool {
	ja, err1 := json.Marshal(a.Customer)
	jb, err2 := json.Marshal(b.Customer)
	ca, err3 := json.Marshal(a.CRPs)
	cb, err4 := json.Marshal(b.CRPs)
	return err1 == nil && err2 == nil && err3 == nil && err4 == nil && string(ja) == string(jb) && string(ca) == string(cb)
}

// ReassessCustomer rates a customer's current data again with the active
// methodology: the periodic review of a customer whose data has not changed.
func (a *App) ReassessCustomer(ctx context.Context, p auth.Principal, id int64) (store.CustomerAssessment, error) {
	var as store.CustomerAssessment
	err := a.Store.Tx(ctx, func(tx store.Q) error {
		rec, err := a.Store.Customer(ctx, tx, p.Space.ID, id, true)
		if err != nil {
			return err
		}
		sc, err := a.activeScorer(ctx, tx, p.Space.ID)
		if err != nil {
			return err
		}
		as = newAssessment(sc, rec, actorOf(p), a.storeNow())
		if err := a.Store.InsertCustomerAssessments(ctx, tx, p.Space.ID, []*store.CustomerAssessment{&as}); err != nil {
			return err
		}
		return a.auditCustomer(ctx, tx, p, "customer.reassess", rec, as)
	})
	return as, err
}

// DecideCustomerAssessment records a checker's decision on a customer's
// latest assessment. Four eyes: whoever created or last changed the
// customer, or made the assessment, may not decide it. Only a PENDING
// assessment can be decided; an override moves the review date to the
// override rating's schedule.
func (a *App) DecideCustomerAssessment(ctx context.Context, p auth.Principal, id int64, req customer.ApprovalRequest) (store.CustomerAssessment, error) {
	var as store.CustomerAssessment
	err := a.Store.Tx(ctx, func(tx store.Q) error {
		// The customer first, then its assessment: the order every writer
		// of both takes.
		rec, err := a.Store.Customer(ctx, tx, p.Space.ID, id, true)
		if err != nil {
			return err
		}
		cur, err := a.Store.LatestCustomerAssessment(ctx, tx, p.Space.ID, id, true)
		if err != nil {
			return err
		}
		if err := customer.ValidateApproval(req, p.ID, rec.CreatedBy.ID, rec.UpdatedBy.ID, cur.CreatedBy.ID); err != nil {
			return err
		}
		if cur.ApprovalStatus != customer.Pending {
			return errs.Conflictf("assessment %d was already decided (%s); a change to the customer makes a new assessment to decide", cur.ID, cur.ApprovalStatus)
		}
		sc, err := a.scorerFor(ctx, tx, p.Space.ID, cur.Risk.MethodologyVersion)
		if err != nil {
			return err
		}
		now := a.storeNow()
		as = cur
		as.ApprovalStatus, as.OverrideRiskRating = req.ApprovalStatus, req.OverrideRiskRating
		as.Approval = &store.Approval{Message: req.Message, DecidedBy: actorOf(p), DecidedAt: now}
		as.UpdatedAt, as.UpdatedBy = now, actorOf(p)
		as.NextReviewAt = sc.NextReviewAt(as.EffectiveRating(), cur.CreatedAt)
		if err := a.Store.DecideCustomerAssessment(ctx, tx, p.Space.ID, as); err != nil {
			return err
		}
		return a.AuditAs(ctx, tx, p, "customer.assessment.decide", "customer", strconv.FormatInt(id, 10),
			map[string]any{"assessment": as.ID, "approvalStatus": as.ApprovalStatus, "overrideRiskRating": as.OverrideRiskRating, "message": req.Message})
	})
	return as, err
}

// ActiveMethodology returns the space's active methodology version (the
// default, version 1, until an operator activates another).
func (a *App) ActiveMethodology(ctx context.Context, spaceID int64) (store.MethodologyVersion, error) {
	v, err := a.EnsureMethodology(ctx, spaceID)
	if err != nil {
		return store.MethodologyVersion{}, err
	}
	return a.Store.Methodology(ctx, a.Store.Reader(), spaceID, v, false)
}

// CreateMethodologyDraft stores a whole methodology document as a new draft
// version. The version and status it carries are ignored.
func (a *App) CreateMethodologyDraft(ctx context.Context, spaceID int64, actorID string, m customer.Methodology) (store.MethodologyVersion, error) {
	m.Version, m.Status = 0, customer.StatusDraft
	if err := m.Validate(); err != nil {
		return store.MethodologyVersion{}, err
	}
	mv := store.MethodologyVersion{Methodology: m, CreatedAt: a.storeNow(), CreatedBy: actorID}
	err := a.Store.Tx(ctx, func(tx store.Q) error {
		// Version 1 is the default: a space's first draft is version 2.
		if _, err := a.activeVersion(ctx, tx, spaceID); err != nil {
			return err
		}
		if err := a.Store.InsertMethodology(ctx, tx, spaceID, &mv); err != nil {
			return err
		}
		return a.Audit(ctx, tx, spaceID, actorID, "methodology.create", "methodology", strconv.Itoa(mv.Methodology.Version), mv.Methodology)
	})
	return mv, err
}

// ImportCountries makes a new draft from the active methodology with the
// given country rows replacing theirs (riskd methodology import-countries).
func (a *App) ImportCountries(ctx context.Context, spaceID int64, actorID string, rows map[string]customer.CountryFactors, asOf string) (store.MethodologyVersion, error) {
	active, err := a.ActiveMethodology(ctx, spaceID)
	if err != nil {
		return store.MethodologyVersion{}, err
	}
	return a.CreateMethodologyDraft(ctx, spaceID, actorID, active.Methodology.WithCountries(rows, asOf))
}

// DryRunResult is what a methodology version would do to today's customers.
type DryRunResult struct {
	Version int `json:"version"`
	// Total customers rated; Changed of them would change rating.
	Total   int `json:"total"`
	Changed int `json:"changed"`
	// Distribution counts the ratings the version gives; Current counts
	// the ratings in force (overrides included).
	Distribution map[customer.Rating]int `json:"distribution"`
	Current      map[customer.Rating]int `json:"current"`
	// Transitions counts customers by rating in force, then by rating
	// under the version.
	Transitions map[customer.Rating]map[customer.Rating]int `json:"transitions"`
}

// dryRunPage is how many customers a dry run reads at a time.
const dryRunPage = 2000

// DryRunMethodology rates every customer of the space under a methodology
// version without storing anything.
func (a *App) DryRunMethodology(ctx context.Context, spaceID int64, version int) (DryRunResult, error) {
	q := a.Store.Reader()
	if _, err := a.EnsureMethodology(ctx, spaceID); err != nil {
		return DryRunResult{}, err
	}
	sc, err := a.scorerFor(ctx, q, spaceID, version)
	if err != nil {
		return DryRunResult{}, err
	}
	out := DryRunResult{Version: version, Distribution: map[customer.Rating]int{}, Current: map[customer.Rating]int{},
		Transitions: map[customer.Rating]map[customer.Rating]int{}}
	for _, r := range customer.Ratings() {
		out.Distribution[r], out.Current[r] = 0, 0
	}
	var after int64
	for {
		page, err := a.Store.ListCustomers(ctx, q, spaceID, store.CustomerFilter{After: after, Limit: dryRunPage})
		if err != nil {
			return out, err
		}
		for _, rec := range page {
			c, crps, _ := rec.Record()
			r := sc.Rate(c, crps)
			out.Total++
			out.Distribution[r]++
			out.Current[rec.Rating]++
			if r != rec.Rating {
				out.Changed++
			}
			if out.Transitions[rec.Rating] == nil {
				out.Transitions[rec.Rating] = map[customer.Rating]int{}
			}
			out.Transitions[rec.Rating][r]++
		}
		if len(page) < dryRunPage {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// rescoreArgs names the methodology version a re-scoring job applies.
type rescoreArgs struct {
	Version int `json:"version"`
}

// RescoreProgress is a re-scoring job's result, saved as it goes.
type RescoreProgress struct {
	Version int `json:"version"`
	Done    int `json:"done"`
	Total   int `json:"total"`
	// Superseded is set when a newer version was activated before this job
	// finished; the newer version's job re-rates everyone instead.
	Superseded bool `json:"superseded,omitempty"`
}

// ActivateMethodology makes a draft the space's active version and enqueues
// the job that re-rates every customer with it, in one transaction. Four
// eyes: the draft's author may not activate it.
func (a *App) ActivateMethodology(ctx context.Context, p auth.Principal, version int) (store.Job, error) {
	var j store.Job
	err := a.Store.Tx(ctx, func(tx store.Q) error {
		if _, err := a.activeVersion(ctx, tx, p.Space.ID); err != nil {
			return err
		}
		mv, err := a.Store.Methodology(ctx, tx, p.Space.ID, version, true)
		if err != nil {
			return err
		}
		if err := customer.ValidateActivation(mv.Methodology, mv.CreatedBy, p.ID); err != nil {
			return err
		}
		if err := a.Store.ActivateMethodology(ctx, tx, p.Space.ID, version, p.ID, a.storeNow()); err != nil {
			return err
		}
		if j, err = jobs.New(a.Now(), p.Space.ID, JobCustomerRescore, rescoreArgs{Version: version}); err != nil {
			return err
		}
		if err := a.Enqueue(ctx, tx, j); err != nil {
			return err
		}
		return a.AuditAs(ctx, tx, p, "methodology.activate", "methodology", strconv.Itoa(version), map[string]any{"version": version, "job": j.ID})
	})
	if err == nil {
		a.JobsEnqueued()
	}
	return j, err
}

// rescoreJob re-rates, in batches, every customer whose latest assessment
// was not made with the job's methodology version. It is resumable: a
// customer already rated with the version is skipped, so a job picked up
// again after a crash continues where it stopped. It sweeps again until no
// customer is left, which catches customers created with the previous
// version while the activation committed.
func (a *App) rescoreJob(ctx context.Context, j store.Job, progress func(any) error) (any, error) {
	var args rescoreArgs
	if err := json.Unmarshal(j.Args, &args); err != nil || args.Version <= 0 {
		return nil, jobs.Fail("invalid_args", "re-scoring job arguments are not readable")
	}
	st := a.Store
	out := RescoreProgress{Version: args.Version}
	active, err := st.ActiveMethodologyVersion(ctx, st.Reader(), j.SpaceID)
	if err != nil {
		return nil, err
	}
	if active != args.Version {
		out.Superseded = true
		return out, nil
	}
	sc, err := a.scorerFor(ctx, st.Reader(), j.SpaceID, args.Version)
	if err != nil {
		return nil, err
	}
	// Progress: done of total. A first run starts from none done without
	// reading every row to count; a run picked up again after a crash
	// counts what is left.
	total, err := st.CountCustomers(ctx, st.Reader(), j.SpaceID)
	if err != nil {
		return nil, err
	}
	out.Total = total
	if j.Attempts > 1 {
		stale, err := st.CountStaleCustomers(ctx, st.Reader(), j.SpaceID, args.Version)
		if err != nil {
			return nil, err
		}
		out.Done = total - stale
	}
	lastSaved := time.Now()
	report := func(n int) error {
		out.Done += n
		out.Total = max(out.Total, out.Done)
		if time.Since(lastSaved) < time.Second {
			return nil
		}
		lastSaved = time.Now()
		return progress(out)
	}
	clean := false // the last pass left no customer unrated
	for pass := 0; ; pass++ {
		seen, kept, superseded, err := a.rescorePass(ctx, j, sc, report)
		if err != nil {
			return nil, err
		}
		if superseded {
			out.Superseded = true
			return out, nil
		}
		// Another pass reads again the customers that changed while they
		// were scored, and catches customers created with the previous
		// version while the activation committed. On SQLite's single
		// writer the latter cannot happen, so a pass that stored all it
		// saw is the last.
		clean = seen == 0 || seen == kept && st.Dialect() == store.SQLite
		if clean || pass >= 3 {
			break
		}
	}
	// Every customer of the space is now rated with the version, unless
	// some kept changing through every pass.
	if total, err = st.CountCustomers(ctx, st.Reader(), j.SpaceID); err != nil {
		return nil, err
	}
	stale := 0
	if !clean {
		if stale, err = st.CountStaleCustomers(ctx, st.Reader(), j.SpaceID, args.Version); err != nil {
			return nil, err
		}
	}
	out.Total, out.Done = total, total-stale
	return out, nil
}

// rescoredBatch is a batch of customers read and scored outside the write
// transaction, with their previous decisions carried.
type rescoredBatch struct {
	recs []store.CustomerRecord
	prev map[int64]store.Decision // the customers' latest decisions
	list []*store.CustomerAssessment
	err  error
}

// rescorePass re-rates, once over the space, every customer not rated
// with sc's version, and reports how many such customers it saw. It is a
// pipeline on two cores: one goroutine reads a batch through the read pool
// (customers, their documents decoded, and their latest decisions), another
// scores the batch read before, and writer goroutines store the batches
// scored before that, each in a write transaction. Each stage waits on a
// different thing (the database's reads, the CPU, the database's writes),
// so they overlap. A customer changed between reading and storing (its
// revision moved) is left for the next pass, which reads it again.
func (a *App) rescorePass(ctx context.Context, j store.Job, sc *customer.Scorer, report func(int) error) (seen, kept int, superseded bool, err error) {
	st := a.Store
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		failed   error
		panicked any
		ended    bool // failed, superseded or panicked: what the others see next is the cancellation
		wg       sync.WaitGroup
	)
	// A panic in a goroutine of its own would end the process: it is kept
	// and raised again on the caller's goroutine, where the job runner
	// recovers it as it does any handler's.
	recoverPanic := func() {
		if p := recover(); p != nil {
			mu.Lock()
			if !ended {
				panicked, ended = p, true
			}
			mu.Unlock()
			cancel()
		}
	}
	send := func(ch chan<- rescoredBatch, b rescoredBatch) bool {
		select {
		case ch <- b:
			return b.err == nil
		case <-ctx.Done():
			return false
		}
	}
	reads := make(chan rescoredBatch, 1)
	batches := make(chan rescoredBatch, 1)
	wg.Go(func() {
		defer close(reads)
		defer recoverPanic()
		var after int64
		for {
			recs, err := st.CustomersToRescore(ctx, st.Reader(), j.SpaceID, after, sc.Version(), rescoreBatch)
			if err != nil {
				send(reads, rescoredBatch{err: err})
				return
			}
			if len(recs) == 0 {
				return
			}
			prev, err := st.LatestDecisions(ctx, st.Reader(), j.SpaceID, recs[0].ID, recs[len(recs)-1].ID)
			if !send(reads, rescoredBatch{recs: recs, prev: prev, err: err}) {
				return
			}
			after = recs[len(recs)-1].ID
		}
	})
	by := store.Actor{ID: rescoreActor, Name: "re-scoring job " + j.ID}
	wg.Go(func() {
		defer close(batches)
		defer recoverPanic()
		for b := range reads {
			if b.err == nil {
				now := a.storeNow()
				b.list = make([]*store.CustomerAssessment, len(b.recs))
				slab := make([]store.CustomerAssessment, len(b.recs)) // one allocation for the batch
				for i, rec := range b.recs {
					as := &slab[i]
					*as = newAssessment(sc, rec, by, now)
					as.EncodeRisk()
					if d, ok := b.prev[rec.ID]; ok {
						carryDecision(as, d)
					}
					b.list[i] = as
				}
			}
			if !send(batches, b) {
				return
			}
		}
	})
	// On PostgreSQL two transactions store batches at once: a batch's
	// transaction spends most of its time waiting for the database, and
	// the batches hold disjoint customers (they meet only at the audit
	// head, which each locks just before its commit). SQLite has one
	// writer.
	writers := 1
	if st.Dialect() == store.Postgres {
		writers = 2
	}
	for range writers {
		wg.Go(func() {
			defer recoverPanic()
			for b := range batches {
				n, sup, err := 0, false, b.err
				if err == nil {
					n, sup, err = a.storeRescored(ctx, j, sc, b)
				}
				stop := func() bool {
					mu.Lock()
					defer mu.Unlock() // also if report panics
					if !ended {
						seen += len(b.recs)
						kept += n
						if err == nil && !sup {
							err = report(n)
						}
						if err != nil || sup {
							failed, superseded, ended = err, sup, true
							cancel()
						}
					}
					return ended
				}()
				if stop {
					return
				}
			}
		})
	}
	// Every goroutine ends: the writers when the batches run out or the
	// pass ends early, the others then through the cancellation.
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
	if ended {
		return seen, kept, superseded, failed
	}
	return seen, kept, false, ctx.Err()
}

// storeRescored stores a scored batch in one transaction: the customers
// whose data is still the revision that was scored get their new
// assessment, carrying the previous decision where the rating holds.
func (a *App) storeRescored(ctx context.Context, j store.Job, sc *customer.Scorer, b rescoredBatch) (n int, superseded bool, err error) {
	st := a.Store
	err = st.Tx(ctx, func(tx store.Q) error {
		n, superseded = 0, false
		// A newer activation supersedes this job mid-way: stop rating with
		// a retired version.
		active, err := st.ActiveMethodologyVersion(ctx, tx, j.SpaceID)
		if err != nil {
			return err
		}
		if active != sc.Version() {
			superseded = true
			return nil
		}
		first, last := b.recs[0].ID, b.recs[len(b.recs)-1].ID
		current, err := st.StaleCustomers(ctx, tx, j.SpaceID, first, last, sc.Version(), true)
		if err != nil {
			return err
		}
		list := make([]*store.CustomerAssessment, 0, len(b.list))
		for i, rec := range b.recs {
			if f, ok := current[rec.ID]; ok && f.Revision == rec.Revision && f.ApprovalStatus == rec.ApprovalStatus {
				list = append(list, b.list[i])
			}
		}
		if len(list) == 0 {
			return nil
		}
		if err := st.InsertCustomerAssessments(ctx, tx, j.SpaceID, list); err != nil {
			return err
		}
		n = len(list)
		return a.auditRescore(ctx, tx, j, sc.Version(), list)
	})
	return n, superseded, err
}

// carryDecision keeps a checker's decision across a re-scoring that does
// not change the computed rating: the decision was about that rating. A
// changed rating needs a new decision (PENDING), and is due for review by
// the new rating's schedule or the old date, whichever comes first.
func carryDecision(as *store.CustomerAssessment, prev store.Decision) {
	if prev.ComputedRating == as.Risk.RiskRating {
		as.ApprovalStatus, as.OverrideRiskRating, as.Approval = prev.ApprovalStatus, prev.OverrideRiskRating, prev.Approval
		as.NextReviewAt = prev.NextReviewAt
		return
	}
	if prev.NextReviewAt.Before(as.NextReviewAt) {
		as.NextReviewAt = prev.NextReviewAt
	}
}

// auditRescore records one event per re-scored batch: the state hashed is
// every assessment's customer, id, score and rating.
func (a *App) auditRescore(ctx context.Context, tx store.Q, j store.Job, version int, list []*store.CustomerAssessment) error {
	type line struct {
		Customer   int64           `json:"customer"`
		Assessment int64           `json:"assessment"`
		Score      float32         `json:"score"`
		Rating     customer.Rating `json:"rating"`
	}
	state := struct {
		Job     string `json:"job"`
		Version int    `json:"version"`
		Lines   []line `json:"assessments"`
	}{Job: j.ID, Version: version, Lines: make([]line, len(list))}
	for i, as := range list {
		state.Lines[i] = line{as.CustomerID, as.ID, as.Risk.RiskScore, as.Risk.RiskRating}
	}
	h, err := audit.StateHash(state)
	if err != nil {
		return err
	}
	_, err = a.Store.AppendAudit(ctx, tx, audit.Event{SpaceID: j.SpaceID, ActorID: rescoreActor, Action: "customer.rescore",
		ResourceType: "methodology", ResourceID: strconv.Itoa(version), At: a.Now(), StateHash: h})
	return err
}
