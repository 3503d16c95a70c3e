package usecase

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/customer"
	"github.com/riskd/riskd/internal/customer/customertest"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
)

// TestRescoreBatches runs the re-scoring job over several batches, which
// PostgreSQL stores two at a time: every customer gets exactly one new
// assessment, a decision is carried exactly where the computed rating
// held, each batch records one audit event in an unbroken chain, and a
// batch that cannot be read fails the job with its own error while every
// other batch is stored whole or not at all.
func TestRescoreBatches(t *testing.T) {
	const n = 2*rescoreBatch + 600
	storetest.Each(t, func(t *testing.T, backend storetest.Backend) {
		ctx := context.Background()
		st := backend.Store
		a, err := NewApp(st, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		maker, checker := benchAdmin(t, a, "maker"), benchAdmin(t, a, "checker")
		seedRescoreCustomers(t, a, maker, n)
		space := maker.Space.ID
		count := func(query string, args ...any) int {
			t.Helper()
			return storetest.Count(t, st.Reader(), query, args...)
		}
		noProgress := func(any) error { return nil }

		// Lower thresholds move some customers' ratings, not all.
		j := activateVersion(t, a, maker, checker, func(m *customer.Methodology) {
			th := &m.Thresholds
			th.MediumLow, th.Medium, th.MediumHigh, th.High = th.MediumLow*0.8, th.Medium*0.8, th.MediumHigh*0.8, th.High*0.8
		})
		res, err := a.rescoreJob(ctx, j, noProgress)
		if err != nil {
			t.Fatal(err)
		}
		if out := res.(RescoreProgress); out.Done != n || out.Total != n || out.Superseded {
			t.Fatalf("re-scoring result %+v, want %d done of %d", out, n, n)
		}
		v := count(`SELECT max(version) FROM risk_methodologies WHERE space_id = $1`, space)
		if got := count(`SELECT count(*) FROM customers WHERE space_id = $1 AND methodology_version = $2`, space, v); got != n {
			t.Fatalf("%d customers rated with version %d, want %d", got, v, n)
		}
		if got := count(`SELECT count(*) FROM (SELECT customer_id FROM customer_assessments WHERE space_id = $1
			GROUP BY customer_id HAVING count(*) = 2 AND max(methodology_version) = $2) x`, space, v); got != n {
			t.Fatalf("%d customers with exactly one new assessment, want %d", got, n)
		}
		// Old and new assessment of each customer: the decision stays
		// where the computed rating held, and is PENDING where it moved.
		pairs := `SELECT count(*) FROM customer_assessments o JOIN customer_assessments w
			ON w.space_id = o.space_id AND w.customer_id = o.customer_id AND w.methodology_version = $2 AND o.methodology_version <> $2
			WHERE o.space_id = $1 AND `
		carried := count(pairs+`w.risk_rating = o.risk_rating AND w.approval_status = o.approval_status`, space, v)
		reset := count(pairs+`w.risk_rating <> o.risk_rating AND w.approval_status = 'PENDING'`, space, v)
		if carried+reset != n {
			t.Fatalf("%d decisions carried and %d reset, want %d in all", carried, reset, n)
		}
		if decided := count(pairs+`w.approval_status <> 'PENDING'`, space, v); decided == 0 || reset == 0 {
			t.Fatalf("the test carries no decision (%d) or resets none (%d): it shows nothing", decided, reset)
		}
		if got := count(`SELECT count(*) FROM audit_events WHERE space_id = $1 AND action = 'customer.rescore'`, space); got != 3 {
			t.Fatalf("%d re-scoring audit events, want one per batch (3)", got)
		}
		if _, err := st.VerifyAudit(ctx, st.Reader()); err != nil {
			t.Fatal(err)
		}

		// A customer of the second batch whose stored document cannot be
		// read fails the next job with that customer named; the batches
		// stored meanwhile are whole.
		var broken int64
		if err := st.Reader().QueryRowContext(ctx, `SELECT id FROM customers WHERE space_id = $1 ORDER BY id LIMIT 1 OFFSET $2`,
			space, rescoreBatch+10).Scan(&broken); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Writer().ExecContext(ctx, `UPDATE customer_docs SET doc = '{' WHERE space_id = $1 AND customer_id = $2`, space, broken); err != nil {
			t.Fatal(err)
		}
		j = activateBenchVersion(t, a, maker, checker, 1)
		_, err = a.rescoreJob(ctx, j, noProgress)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprint(broken)) {
			t.Fatalf("a job over an unreadable customer: %v, want an error naming customer %d", err, broken)
		}
		// SQLite's one writer stores the first batch before it meets the
		// second's error; of PostgreSQL's two, the one storing the first
		// may be cancelled.
		whole := func(got int) bool {
			return got == rescoreBatch || (got == 0 && backend.Store.Dialect() == store.Postgres)
		}
		v = count(`SELECT max(version) FROM risk_methodologies WHERE space_id = $1`, space)
		if got := count(`SELECT count(*) FROM customers WHERE space_id = $1 AND methodology_version = $2`, space, v); !whole(got) {
			t.Fatalf("%d customers rated with version %d after the failure, want the first batch whole", got, v)
		}
		if got := count(`SELECT count(*) FROM customer_assessments WHERE space_id = $1 AND methodology_version = $2`, space, v); !whole(got) {
			t.Fatalf("%d assessments with version %d after the failure, want the first batch whole", got, v)
		}
		if _, err := st.VerifyAudit(ctx, st.Reader()); err != nil {
			t.Fatal(err)
		}
	})
}

// benchAdmin makes an admin token of the space default and returns its
// principal.
func benchAdmin(b testing.TB, a *App, name string) auth.Principal {
	b.Helper()
	_, tok, err := a.CreateToken(context.Background(), NewToken{SpaceSlug: "default", Role: auth.Admin, Name: name})
	if err != nil {
		b.Fatal(err)
	}
	return auth.Principal{ID: tok.ID, Name: tok.Name, Role: tok.Role, Space: tok.Space}
}

// seedRescoreCustomers stores n customers as CreateCustomer does (party
// ids, the customer and its first revision, its first assessment), 1,000 per
// transaction to be quick; every fourth assessment is then decided, so the
// re-scoring carries decisions as well as resetting them.
func seedRescoreCustomers(b testing.TB, a *App, by auth.Principal, n int) {
	b.Helper()
	ctx := context.Background()
	st := a.Store
	variants := customertest.Variants()
	const batch = 1_000
	for done := 0; done < n; done += batch {
		err := st.Tx(ctx, func(tx store.Q) error {
			sc, err := a.activeScorer(ctx, tx, by.Space.ID)
			if err != nil {
				return err
			}
			now := a.storeNow()
			list := make([]*store.CustomerAssessment, 0, batch)
			for i := done; i < min(n, done+batch); i++ {
				v := variants[i%len(variants)]
				c := v.Customer
				c.ReferenceID, c.Name = fmt.Sprintf("BENCH-%07d", i), fmt.Sprintf("Bench customer %d", i)
				if i < len(variants) {
					if err := customer.ValidateCustomer(c, v.CRPs); err != nil {
						return err
					}
				}
				partyIDs, err := st.AllocatePartyIDs(ctx, tx, 1+len(v.CRPs))
				if err != nil {
					return err
				}
				rec := store.CustomerRecord{ID: partyIDs[0], Revision: 1, Customer: c, CRPs: make([]store.PartyCRP, len(v.CRPs)),
					CreatedAt: now, UpdatedAt: now, CreatedBy: actorOf(by), UpdatedBy: actorOf(by)}
				for k, crp := range v.CRPs {
					rec.CRPs[k] = store.PartyCRP{ID: partyIDs[1+k], CRP: crp}
				}
				as := newAssessment(sc, rec, actorOf(by), now)
				if i%4 == 3 {
					as.ApprovalStatus = customer.Accepted
					as.Approval = &store.Approval{Message: "EDD complete.", DecidedBy: store.Actor{ID: "checker", Name: "checker"}, DecidedAt: now}
				}
				rec.Rating, rec.ApprovalStatus, rec.MethodologyVersion, rec.NextReviewAt = as.EffectiveRating(), as.ApprovalStatus, sc.Version(), as.NextReviewAt
				if err := st.InsertCustomer(ctx, tx, by.Space.ID, rec); err != nil {
					return err
				}
				list = append(list, &as)
			}
			return st.InsertCustomerAssessments(ctx, tx, by.Space.ID, list)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// activateBenchVersion writes a draft as maker (the active methodology with
// 2.5 weight points moved between cpi and fsi, alternately) and activates it
// as checker, returning the re-scoring job it enqueued.
func activateBenchVersion(b testing.TB, a *App, maker, checker auth.Principal, i int) store.Job {
	return activateVersion(b, a, maker, checker, func(m *customer.Methodology) {
		if i%2 == 0 {
			m.Weights.CPI, m.Weights.FSI = m.Weights.CPI+2.5, m.Weights.FSI-2.5
		} else {
			m.Weights.CPI, m.Weights.FSI = m.Weights.CPI-2.5, m.Weights.FSI+2.5
		}
	})
}

// activateVersion writes a draft as maker (the active methodology, changed
// by change) and activates it as checker, returning the re-scoring job it
// enqueued.
func activateVersion(b testing.TB, a *App, maker, checker auth.Principal, change func(*customer.Methodology)) store.Job {
	b.Helper()
	ctx := context.Background()
	active, err := a.ActiveMethodology(ctx, maker.Space.ID)
	if err != nil {
		b.Fatal(err)
	}
	m := active.Methodology
	change(&m)
	draft, err := a.CreateMethodologyDraft(ctx, maker.Space.ID, maker.ID, m)
	if err != nil {
		b.Fatal(err)
	}
	j, err := a.ActivateMethodology(ctx, checker, draft.Methodology.Version)
	if err != nil {
		b.Fatal(err)
	}
	return j
}

// TestRescorePassPanics: a panic in one of the pass's goroutines reaches
// the caller's goroutine, where the job runner recovers it, instead of
// ending the process; here a scorer with nothing compiled panics in the
// scoring goroutine, and a missing one in the reading goroutine.
func TestRescorePassPanics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, backend storetest.Backend) {
		a, err := NewApp(backend.Store, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		maker := benchAdmin(t, a, "maker")
		seedRescoreCustomers(t, a, maker, 10)
		j := store.Job{ID: "job_test", SpaceID: maker.Space.ID}
		for name, sc := range map[string]*customer.Scorer{"scoring": {}, "reading": nil} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s: no panic reached the caller", name)
					}
				}()
				_, _, _, err := a.rescorePass(context.Background(), j, sc, func(int) error { return nil })
				t.Errorf("%s: the pass returned (%v) instead of panicking", name, err)
			}()
		}
	})
}
