//go:build unix

package usecase

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/customer"
	"github.com/riskd/riskd/internal/customer/customertest"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
)

// rescoreBenchCustomers is how many customers BenchmarkRescore re-rates per
// iteration: enough for a few hundred batches, few enough to seed in
// seconds.
const rescoreBenchCustomers = 20_000

// BenchmarkRescore times the re-scoring job's handler end to end, as the
// job runner calls it after an activation: N customers with two related
// parties each, each with a latest assessment (a quarter of them decided),
// re-rated with a newly activated methodology version per iteration. It
// reports customers/s; the target is 20,000 on SQLite (docs/benchmarks.md).
func BenchmarkRescore(b *testing.B) {
	for _, backend := range []struct {
		name string
		open func(testing.TB) storetest.Backend
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(backend.name, func(b *testing.B) {
			ctx := context.Background()
			st := backend.open(b).Store
			a, err := NewApp(st, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			maker, checker := benchAdmin(b, a, "maker"), benchAdmin(b, a, "checker")
			seedRescoreCustomers(b, a, maker, rescoreBenchCustomers)

			b.ReportAllocs()
			var rated int
			var cpu time.Duration
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				j := activateBenchVersion(b, a, maker, checker, i)
				b.StartTimer()
				cpu0 := cpuTime()
				res, err := a.rescoreJob(ctx, j, func(v any) error {
					p, err := json.Marshal(v)
					if err != nil {
						return err
					}
					return st.SaveJobProgress(ctx, st.Writer(), j.ID, p, a.Now())
				})
				cpu += cpuTime() - cpu0
				if err != nil {
					b.Fatal(err)
				}
				out := res.(RescoreProgress)
				if out.Done != rescoreBenchCustomers || out.Total != rescoreBenchCustomers || out.Superseded {
					b.Fatalf("re-scoring result %+v, want %d done", out, rescoreBenchCustomers)
				}
				rated += out.Done
			}
			b.ReportMetric(float64(rated)/b.Elapsed().Seconds(), "customers/s")
			// On a shared machine the wall clock also counts other
			// processes' turns; the process's CPU time per customer does not.
			b.ReportMetric(float64(cpu.Microseconds())/float64(rated), "cpu-µs/customer")
			b.ReportMetric(0, "ns/op") // an iteration is N customers: customers/s is the figure
		})
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchAdmin makes an admin token of the space default and returns its
// principal.
func benchAdmin(b *testing.B, a *App, name string) auth.Principal {
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
func seedRescoreCustomers(b *testing.B, a *App, by auth.Principal, n int) {
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
func activateBenchVersion(b *testing.B, a *App, maker, checker auth.Principal, i int) store.Job {
	b.Helper()
	ctx := context.Background()
	active, err := a.ActiveMethodology(ctx, maker.Space.ID)
	if err != nil {
		b.Fatal(err)
	}
	m := active.Methodology
	if i%2 == 0 {
		m.Weights.CPI, m.Weights.FSI = m.Weights.CPI+2.5, m.Weights.FSI-2.5
	} else {
		m.Weights.CPI, m.Weights.FSI = m.Weights.CPI-2.5, m.Weights.FSI+2.5
	}
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
