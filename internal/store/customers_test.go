package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/customer"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
)

var (
	maker   = store.Actor{ID: "maker-id", Name: "Mia Maker"}
	checker = store.Actor{ID: "checker-id", Name: "Carl Checker"}
)

// newCustomerRecord builds a customer with two related parties whose ids
// come from the store's allocator.
func newCustomerRecord(t *testing.T, s *store.Store, q store.Q, ref string, at time.Time) store.CustomerRecord {
	t.Helper()
	ids, err := s.AllocatePartyIDs(context.Background(), q, 3)
	if err != nil {
		t.Fatal(err)
	}
	layers := 2
	return store.CustomerRecord{
		ID: ids[0], Revision: 1,
		Customer: customer.Customer{Type: customer.Corporate, ReferenceID: ref, Name: "Acme " + ref, Country: "SG", Industry: "RETAIL",
			EntityType: "PRIVATE_LIMITED_COMPANY", PaymentModes: []string{"CARD"}, OnboardingMode: customer.FaceToFace,
			OwnershipLayers: &layers, Products: []string{"LOAN"}, FATCAStatus: "ACTIVE_NFFE"},
		CRPs: []store.PartyCRP{
			{ID: ids[1], CRP: customer.CRP{Type: customer.Individual, Name: "Ubo One", Role: customer.UBO, OwnershipPct: 60, Country: "SG"}},
			{ID: ids[2], CRP: customer.CRP{Type: customer.Individual, Name: "Dir Two", Role: customer.Director, Country: "MY",
				Screening: customer.Screening{PEP: true}}},
		},
		CreatedAt: at, UpdatedAt: at, CreatedBy: maker, UpdatedBy: maker,
		Rating: customer.Medium, ApprovalStatus: customer.Pending, MethodologyVersion: 1, NextReviewAt: at.AddDate(3, 0, 0),
	}
}

// defaultScorer scores the stored assessments of these tests, so that they
// hold what the domain makes (the store keeps a compact form of it).
var defaultScorer = func() *customer.Scorer {
	s, err := customer.Compile(customer.DefaultMethodology())
	if err != nil {
		panic(err)
	}
	return s
}()

func newStoredAssessment(rec store.CustomerRecord, version int, rating customer.Rating, at time.Time) *store.CustomerAssessment {
	c, crps, ids := rec.Record()
	risk := defaultScorer.Score(c, crps, ids)
	// The rating and version are kept in columns beside the stored form:
	// the tests set them to tell assessments apart.
	risk.RiskRating, risk.MethodologyVersion = rating, version
	return &store.CustomerAssessment{
		CustomerID: rec.ID, CustomerRevision: rec.Revision, ApprovalStatus: customer.Pending,
		Risk:         risk,
		NextReviewAt: at.AddDate(3, 0, 0), CreatedAt: at, UpdatedAt: at, CreatedBy: maker, UpdatedBy: maker,
	}
}

func TestCustomerStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		w, r := s.Writer(), s.Reader()
		other, err := s.CreateSpace(ctx, w, "other", t0)
		if err != nil {
			t.Fatal(err)
		}

		t.Run("party ids are distinct and increasing", func(t *testing.T) {
			a, err := s.AllocatePartyIDs(ctx, w, 3)
			if err != nil {
				t.Fatal(err)
			}
			bb, err := s.AllocatePartyIDs(ctx, w, 2)
			if err != nil {
				t.Fatal(err)
			}
			all := append(a, bb...)
			for i := 1; i < len(all); i++ {
				if all[i] <= all[i-1] {
					t.Fatalf("ids not increasing: %v", all)
				}
			}
			if none, err := s.AllocatePartyIDs(ctx, w, 0); err != nil || len(none) != 0 {
				t.Fatalf("zero ids: %v, %v", none, err)
			}
		})

		rec := newCustomerRecord(t, s, w, "REF-1", t0)
		if err := s.InsertCustomer(ctx, w, 1, rec); err != nil {
			t.Fatal(err)
		}

		t.Run("round trip", func(t *testing.T) {
			got, err := s.Customer(ctx, r, 1, rec.ID, false)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, rec) {
				t.Fatalf("stored\n%+v\nread back\n%+v", rec, got)
			}
			c, crps, ids := got.Record()
			if c.Name != rec.Customer.Name || len(crps) != 2 || ids.Customer != rec.ID || ids.CRPs[1] != rec.CRPs[1].ID {
				t.Fatalf("Record() = %+v %+v %+v", c, crps, ids)
			}
		})

		t.Run("another space sees nothing", func(t *testing.T) {
			if _, err := s.Customer(ctx, r, other.ID, rec.ID, false); !errs.Is(err, errs.NotFound) {
				t.Fatalf("other space read: %v", err)
			}
			list, err := s.ListCustomers(ctx, r, other.ID, store.CustomerFilter{Limit: 10})
			if err != nil || len(list) != 0 {
				t.Fatalf("other space list: %v, %v", list, err)
			}
		})

		t.Run("referenceId is unique per space", func(t *testing.T) {
			dup := newCustomerRecord(t, s, w, "REF-1", t0)
			err := s.InsertCustomer(ctx, w, 1, dup)
			if !errs.Is(err, errs.Conflict) {
				t.Fatalf("duplicate referenceId: %v", err)
			}
			if e := err.(*errs.Error); len(e.Details) != 1 || e.Details[0].Field != "referenceId" {
				t.Fatalf("conflict names %+v, want referenceId", e.Details)
			}
			if err := s.InsertCustomer(ctx, w, other.ID, dup); err != nil {
				t.Fatalf("same referenceId in another space: %v", err)
			}
		})

		t.Run("revisions", func(t *testing.T) {
			next := rec
			next.Customer.Name = "Acme Renamed"
			next.Revision, next.UpdatedAt, next.UpdatedBy = 2, t0.Add(time.Hour), checker
			if err := s.UpdateCustomer(ctx, w, 1, next); err != nil {
				t.Fatal(err)
			}
			stale := next // still revision 2: the stored row is at 2, not 1
			if err := s.UpdateCustomer(ctx, w, 1, stale); !errs.Is(err, errs.Conflict) {
				t.Fatalf("stale revision: %v", err)
			}
			c1, _, err := s.CustomerRevision(ctx, r, 1, rec.ID, 1)
			if err != nil || c1.Name != "Acme REF-1" {
				t.Fatalf("revision 1: %+v, %v", c1, err)
			}
			c2, crps2, err := s.CustomerRevision(ctx, r, 1, rec.ID, 2)
			if err != nil || c2.Name != "Acme Renamed" || len(crps2) != 2 {
				t.Fatalf("revision 2: %+v, %v", c2, err)
			}
			if _, _, err := s.CustomerRevision(ctx, r, other.ID, rec.ID, 1); !errs.Is(err, errs.NotFound) {
				t.Fatalf("revision from another space: %v", err)
			}
			got, _ := s.Customer(ctx, r, 1, rec.ID, false)
			if got.Revision != 2 || got.UpdatedBy != checker || got.CreatedBy != maker {
				t.Fatalf("after update: %+v", got)
			}
			rec = got
		})

		t.Run("assessments and history", func(t *testing.T) {
			if _, err := s.LatestCustomerAssessment(ctx, r, 1, rec.ID, false); !errs.Is(err, errs.NotFound) {
				t.Fatalf("no assessment yet: %v", err)
			}
			first := newStoredAssessment(rec, 1, customer.Medium, t0)
			second := newStoredAssessment(rec, 1, customer.High, t0.Add(time.Minute))
			if err := s.InsertCustomerAssessments(ctx, w, 1, []*store.CustomerAssessment{first}); err != nil {
				t.Fatal(err)
			}
			if err := s.InsertCustomerAssessments(ctx, w, 1, []*store.CustomerAssessment{second}); err != nil {
				t.Fatal(err)
			}
			if first.ID == 0 || second.ID <= first.ID {
				t.Fatalf("ids not set in order: %d, %d", first.ID, second.ID)
			}
			latest, err := s.LatestCustomerAssessment(ctx, r, 1, rec.ID, false)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(latest, *second) {
				t.Fatalf("latest\n%+v\nwant\n%+v", latest, *second)
			}
			hist, err := s.CustomerAssessments(ctx, r, 1, rec.ID, 0, 10)
			if err != nil || len(hist) != 2 || hist[0].ID != second.ID || hist[1].ID != first.ID {
				t.Fatalf("history newest first: %+v, %v", hist, err)
			}
			page, err := s.CustomerAssessments(ctx, r, 1, rec.ID, second.ID, 10)
			if err != nil || len(page) != 1 || page[0].ID != first.ID {
				t.Fatalf("history before %d: %+v, %v", second.ID, page, err)
			}
			got, _ := s.Customer(ctx, r, 1, rec.ID, false)
			if got.Rating != customer.High || !got.NextReviewAt.Equal(second.NextReviewAt) {
				t.Fatalf("summary not updated: %+v", got)
			}
			if _, err := s.LatestCustomerAssessment(ctx, r, other.ID, rec.ID, false); !errs.Is(err, errs.NotFound) {
				t.Fatalf("assessment from another space: %v", err)
			}
		})

		t.Run("decisions", func(t *testing.T) {
			cur, err := s.LatestCustomerAssessment(ctx, r, 1, rec.ID, false)
			if err != nil {
				t.Fatal(err)
			}
			override := customer.MediumHigh
			dec := cur
			dec.ApprovalStatus, dec.OverrideRiskRating = customer.Accepted, &override
			dec.Approval = &store.Approval{Message: "EDD done", DecidedBy: checker, DecidedAt: t0.Add(2 * time.Hour)}
			dec.UpdatedAt, dec.UpdatedBy, dec.NextReviewAt = t0.Add(2*time.Hour), checker, t0.AddDate(2, 0, 0)
			if err := s.DecideCustomerAssessment(ctx, w, 1, dec); err != nil {
				t.Fatal(err)
			}
			again := dec
			again.ApprovalStatus = customer.Rejected
			if err := s.DecideCustomerAssessment(ctx, w, 1, again); !errs.Is(err, errs.Conflict) {
				t.Fatalf("deciding twice: %v", err)
			}
			got, _ := s.LatestCustomerAssessment(ctx, r, 1, rec.ID, false)
			if !reflect.DeepEqual(got, dec) {
				t.Fatalf("decided\n%+v\nwant\n%+v", got, dec)
			}
			if got.EffectiveRating() != customer.MediumHigh || got.Risk.RiskRating != customer.High {
				t.Fatalf("override %s over computed %s", got.EffectiveRating(), got.Risk.RiskRating)
			}
			c, _ := s.Customer(ctx, r, 1, rec.ID, false)
			if c.Rating != customer.MediumHigh || c.ApprovalStatus != customer.Accepted || !c.NextReviewAt.Equal(dec.NextReviewAt) {
				t.Fatalf("customer summary after override: %s %s", c.Rating, c.NextReviewAt)
			}
			sums, err := s.LatestDecisions(ctx, r, 1, rec.ID, rec.ID)
			if err != nil {
				t.Fatal(err)
			}
			sum, ok := sums[rec.ID]
			if !ok || sum.ApprovalStatus != customer.Accepted || *sum.OverrideRiskRating != override ||
				sum.ComputedRating != customer.High || sum.Approval.Message != "EDD done" || !sum.NextReviewAt.Equal(dec.NextReviewAt) {
				t.Fatalf("latest decision %+v", sum)
			}
		})

		t.Run("lists, due for review and re-scoring candidates", func(t *testing.T) {
			// Three more customers: due in the past, due later, and rated
			// with version 2 already.
			var recs []store.CustomerRecord
			for i, ref := range []string{"REF-2", "REF-3", "REF-4"} {
				c := newCustomerRecord(t, s, w, ref, t0)
				c.NextReviewAt = t0.AddDate(0, 0, i*400-1) // -1 day, +399, +799
				if i == 2 {
					c.MethodologyVersion, c.Rating = 2, customer.Low
				}
				if err := s.InsertCustomer(ctx, w, 1, c); err != nil {
					t.Fatal(err)
				}
				recs = append(recs, c)
			}
			ids := func(list []store.CustomerRecord) []int64 {
				var out []int64
				for _, c := range list {
					out = append(out, c.ID)
				}
				return out
			}
			all, err := s.ListCustomers(ctx, r, 1, store.CustomerFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			want := []int64{rec.ID, recs[0].ID, recs[1].ID, recs[2].ID}
			if !reflect.DeepEqual(ids(all), want) {
				t.Fatalf("list %v, want %v", ids(all), want)
			}
			page, _ := s.ListCustomers(ctx, r, 1, store.CustomerFilter{After: recs[0].ID, Limit: 1})
			if !reflect.DeepEqual(ids(page), []int64{recs[1].ID}) {
				t.Fatalf("page after %d: %v", recs[0].ID, ids(page))
			}
			due := t0
			dueList, _ := s.ListCustomers(ctx, r, 1, store.CustomerFilter{DueBy: &due, Limit: 100})
			if !reflect.DeepEqual(ids(dueList), []int64{recs[0].ID}) {
				t.Fatalf("due by %s: %v", due, ids(dueList))
			}
			low, _ := s.ListCustomers(ctx, r, 1, store.CustomerFilter{Rating: customer.Low, Limit: 100})
			if !reflect.DeepEqual(ids(low), []int64{recs[2].ID}) {
				t.Fatalf("rated LOW: %v", ids(low))
			}
			stale, err := s.CustomersToRescore(ctx, r, 1, 0, 2, 100)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ids(stale), []int64{rec.ID, recs[0].ID, recs[1].ID}) {
				t.Fatalf("to re-score for version 2: %v", ids(stale))
			}
			fresh, err := s.StaleCustomers(ctx, r, 1, rec.ID, recs[2].ID, 2, false)
			if err != nil {
				t.Fatal(err)
			}
			want2 := map[int64]store.Freshness{rec.ID: {Revision: 2, ApprovalStatus: customer.Accepted},
				recs[0].ID: {Revision: 1, ApprovalStatus: customer.Pending}, recs[1].ID: {Revision: 1, ApprovalStatus: customer.Pending}}
			if !reflect.DeepEqual(fresh, want2) {
				t.Fatalf("stale customers %v, want %v", fresh, want2)
			}
			total, err := s.CountCustomers(ctx, r, 1)
			nStale, err2 := s.CountStaleCustomers(ctx, r, 1, 2)
			if err != nil || err2 != nil || total != 4 || nStale != 3 {
				t.Fatalf("count: %d total, %d stale, %v %v", total, nStale, err, err2)
			}
			if total, _ := s.CountCustomers(ctx, r, other.ID); total != 1 {
				t.Fatalf("other space has %d customers, want 1", total)
			}
		})

		t.Run("several assessments in one statement", func(t *testing.T) {
			list, _ := s.ListCustomers(ctx, r, 1, store.CustomerFilter{Limit: 100})
			batch := make([]*store.CustomerAssessment, len(list))
			for i, c := range list {
				batch[i] = newStoredAssessment(c, 3, customer.Ratings()[i], t0.Add(time.Hour))
			}
			if err := s.InsertCustomerAssessments(ctx, w, 1, batch); err != nil {
				t.Fatal(err)
			}
			for i, c := range list {
				got, err := s.LatestCustomerAssessment(ctx, r, 1, c.ID, false)
				if err != nil || got.ID != batch[i].ID || got.Risk.RiskRating != customer.Ratings()[i] {
					t.Fatalf("customer %d: latest %+v (%v), want id %d rated %s", c.ID, got, err, batch[i].ID, customer.Ratings()[i])
				}
				sum, _ := s.Customer(ctx, r, 1, c.ID, false)
				if sum.MethodologyVersion != 3 || sum.Rating != customer.Ratings()[i] {
					t.Fatalf("customer %d summary: version %d, rating %s", c.ID, sum.MethodologyVersion, sum.Rating)
				}
			}
			twice := []*store.CustomerAssessment{newStoredAssessment(list[0], 3, customer.Low, t0), newStoredAssessment(list[0], 3, customer.Low, t0)}
			if err := s.InsertCustomerAssessments(ctx, w, 1, twice); err == nil {
				t.Fatal("one customer twice in one statement was accepted")
			}
		})

		t.Run("a large batch in a transaction", func(t *testing.T) {
			// 120 customers: on SQLite two chunks of 50, then 20 one by
			// one (its two statement shapes kept prepared); on PostgreSQL
			// one statement.
			var recs []store.CustomerRecord
			for i := range 120 {
				c := newCustomerRecord(t, s, w, fmt.Sprintf("BULK-%03d", i), t0)
				if err := s.InsertCustomer(ctx, w, 1, c); err != nil {
					t.Fatal(err)
				}
				recs = append(recs, c)
			}
			batch := make([]*store.CustomerAssessment, len(recs))
			for i, c := range recs {
				batch[i] = newStoredAssessment(c, 4, customer.Ratings()[i%5], t0.Add(time.Duration(i)*time.Second))
			}
			if err := s.Tx(ctx, func(tx store.Q) error { return s.InsertCustomerAssessments(ctx, tx, 1, batch) }); err != nil {
				t.Fatal(err)
			}
			for i, c := range recs {
				got, err := s.LatestCustomerAssessment(ctx, r, 1, c.ID, false)
				if err != nil || got.ID != batch[i].ID || !reflect.DeepEqual(got, *batch[i]) {
					t.Fatalf("customer %d: latest\n%+v (%v)\nwant\n%+v", c.ID, got, err, *batch[i])
				}
				sum, _ := s.Customer(ctx, r, 1, c.ID, false)
				if sum.MethodologyVersion != 4 || sum.Rating != customer.Ratings()[i%5] || !sum.NextReviewAt.Equal(batch[i].NextReviewAt) {
					t.Fatalf("customer %d summary: %+v", c.ID, sum)
				}
			}
			// A missing customer fails the batch, named, and writes nothing.
			ghost := newStoredAssessment(store.CustomerRecord{ID: 999999999, Revision: 1}, 5, customer.Low, t0)
			more := append([]*store.CustomerAssessment{}, newStoredAssessment(recs[0], 5, customer.Low, t0))
			more = append(more, ghost)
			err := s.Tx(ctx, func(tx store.Q) error { return s.InsertCustomerAssessments(ctx, tx, 1, more) })
			if !errs.Is(err, errs.NotFound) || !strings.Contains(err.Error(), "999999999") {
				t.Fatalf("an assessment of a missing customer: %v, want customer 999999999 not found", err)
			}
			if got, _ := s.LatestCustomerAssessment(ctx, r, 1, recs[0].ID, false); got.ID != batch[0].ID {
				t.Fatalf("a failed batch left assessment %d", got.ID)
			}
			// Outside a transaction too, no assessment is ever stored
			// without its customer (on PostgreSQL no foreign key checks
			// it: the statement inserts only for the customers it updated).
			err = s.InsertCustomerAssessments(ctx, w, 1, []*store.CustomerAssessment{ghost})
			if !errs.Is(err, errs.NotFound) {
				t.Fatalf("an assessment of a missing customer: %v, want not found", err)
			}
			if orphans := storetest.Count(t, r, `SELECT count(*) FROM customer_assessments WHERE customer_id = 999999999`); orphans != 0 {
				t.Fatalf("%d assessments of a missing customer stored", orphans)
			}
		})

		t.Run("methodology versions", func(t *testing.T) {
			if v, err := s.ActiveMethodologyVersion(ctx, r, 1); err != nil || v != 0 {
				t.Fatalf("fresh space active version %d, %v", v, err)
			}
			v1 := store.MethodologyVersion{Methodology: customer.DefaultMethodology(), CreatedAt: t0, CreatedBy: "system"}
			v1.Methodology.Status = customer.StatusActive
			if err := s.InsertMethodology(ctx, w, 1, &v1); err != nil {
				t.Fatal(err)
			}
			draft := store.MethodologyVersion{Methodology: customer.DefaultMethodology(), CreatedAt: t0.Add(time.Hour), CreatedBy: maker.ID}
			draft.Methodology.Status = customer.StatusDraft
			draft.Methodology.PrimaryWeight = 70
			if err := s.InsertMethodology(ctx, w, 1, &draft); err != nil {
				t.Fatal(err)
			}
			if v1.Methodology.Version != 1 || draft.Methodology.Version != 2 {
				t.Fatalf("versions %d, %d", v1.Methodology.Version, draft.Methodology.Version)
			}
			if v, _ := s.ActiveMethodologyVersion(ctx, r, 1); v != 1 {
				t.Fatalf("active %d, want 1", v)
			}
			if v, _ := s.ActiveMethodologyVersion(ctx, r, other.ID); v != 0 {
				t.Fatalf("other space active %d, want none", v)
			}
			at := t0.Add(2 * time.Hour)
			if err := s.ActivateMethodology(ctx, w, 1, 2, checker.ID, at); err != nil {
				t.Fatal(err)
			}
			if err := s.ActivateMethodology(ctx, w, 1, 2, checker.ID, at); !errs.Is(err, errs.Conflict) {
				t.Fatalf("activating an active version: %v", err)
			}
			if v, _ := s.ActiveMethodologyVersion(ctx, r, 1); v != 2 {
				t.Fatalf("active %d, want 2", v)
			}
			got, err := s.Methodology(ctx, r, 1, 2, false)
			if err != nil {
				t.Fatal(err)
			}
			if got.Methodology.Status != customer.StatusActive || got.Methodology.PrimaryWeight != 70 || got.ActivatedBy != checker.ID ||
				got.ActivatedAt == nil || !got.ActivatedAt.Equal(at) || got.CreatedBy != maker.ID {
				t.Fatalf("activated version: %+v", got)
			}
			old, _ := s.Methodology(ctx, r, 1, 1, false)
			if old.Methodology.Status != customer.StatusRetired {
				t.Fatalf("version 1 is %s, want retired", old.Methodology.Status)
			}
			list, err := s.Methodologies(ctx, r, 1)
			if err != nil || len(list) != 2 || list[0].Methodology.Version != 2 {
				t.Fatalf("versions newest first: %d, %v", len(list), err)
			}
			if _, err := s.Methodology(ctx, r, other.ID, 2, false); !errs.Is(err, errs.NotFound) {
				t.Fatalf("version from another space: %v", err)
			}
			// The partial unique index allows one active version per space.
			storetest.MustExec(t, w, `UPDATE risk_methodologies SET status = 'draft' WHERE space_id = 1 AND version = 1`)
			if _, err := w.ExecContext(ctx, `UPDATE risk_methodologies SET status = 'active' WHERE space_id = 1 AND version = 1`); !store.IsUniqueViolation(err) {
				t.Fatalf("two active versions: %v", err)
			}
		})
	})
}

// TestCustomerDocsMigration migrates a database of release 00007, whose
// customers rows held their documents, to 00008, which keeps them in
// customer_docs: every customer reads back as it was, in every space, and
// keeps being written.
func TestCustomerDocsMigration(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, s *store.Store) {
		if err := s.MigrateTo(ctx, 7); err != nil {
			t.Fatal(err)
		}
		w := s.Writer()
		other, err := s.CreateSpace(ctx, w, "other", t0)
		if err != nil {
			t.Fatal(err)
		}
		// Rows as release 00007's store wrote them: the document in the
		// customers row and in the first revision.
		var want []store.CustomerRecord
		for i, space := range []int64{1, other.ID, 1} {
			rec := newCustomerRecord(t, s, w, fmt.Sprintf("OLD-%d", i), t0)
			rec.Customer.Name = fmt.Sprintf("Ünïcode \"quoted\" customer %d", i)
			doc, err := store.EncodeCustomerDoc(rec.Customer, rec.CRPs)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.ExecContext(ctx, `INSERT INTO customers (space_id, id, reference_id, revision, doc, created_at, updated_at,
				created_by, created_by_name, updated_by, updated_by_name, rating, approval_status, methodology_version, next_review_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
				space, rec.ID, rec.Customer.ReferenceID, rec.Revision, string(doc), store.T(rec.CreatedAt), store.T(rec.UpdatedAt),
				rec.CreatedBy.ID, rec.CreatedBy.Name, rec.UpdatedBy.ID, rec.UpdatedBy.Name, string(rec.Rating), string(rec.ApprovalStatus),
				rec.MethodologyVersion, store.T(rec.NextReviewAt)); err != nil {
				t.Fatal(err)
			}
			if _, err := w.ExecContext(ctx, `INSERT INTO customer_revisions (space_id, customer_id, revision, doc, at, actor_id)
				VALUES ($1, $2, 1, $3, $4, $5)`, space, rec.ID, string(doc), store.T(rec.UpdatedAt), rec.UpdatedBy.ID); err != nil {
				t.Fatal(err)
			}
			if space == 1 {
				want = append(want, rec)
			}
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate to 00008: %v", err)
		}
		got, err := s.ListCustomers(ctx, s.Reader(), 1, store.CustomerFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("after the migration\n%+v\nwant\n%+v", got, want)
		}
		if list, err := s.ListCustomers(ctx, s.Reader(), other.ID, store.CustomerFilter{Limit: 10}); err != nil || len(list) != 1 ||
			list[0].Customer.ReferenceID != "OLD-1" {
			t.Fatalf("the other space after the migration: %+v, %v", list, err)
		}
		next := want[0]
		next.Revision, next.Customer.Industry = 2, "MINING"
		if err := s.UpdateCustomer(ctx, w, 1, next); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Customer(ctx, s.Reader(), 1, next.ID, false); err != nil || !reflect.DeepEqual(got, next) {
			t.Fatalf("updated after the migration\n%+v, %v\nwant\n%+v", got, err, next)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		s, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "riskd.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		check(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv(storetest.EnvPostgres)
		if base == "" {
			t.Skip("PostgreSQL parity test skipped: set " + storetest.EnvPostgres)
		}
		s, err := store.Open(ctx, storetest.NewSchemaURL(t, base), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		check(t, s)
	})
}
