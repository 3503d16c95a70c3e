package store_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
	"github.com/riskd/riskd/internal/vendorrisk"
)

func newVendor(t testing.TB, name string, stage vendorrisk.LifecycleStage, at time.Time) vendorrisk.Vendor {
	t.Helper()
	v, err := vendorrisk.NewVendor(vendorrisk.VendorCreate{Name: name, Description: "about " + name, LifecycleStage: stage,
		Metadata: []vendorrisk.Metadata{{Name: "Regions", Type: vendorrisk.MetadataMultiSelect, Value: []any{"eu", "us"}}}}, at)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func newEvent(t testing.TB, vendorURN string, st vendorrisk.SourceType, at time.Time) vendorrisk.RiskEvent {
	t.Helper()
	ev, err := vendorrisk.NewRiskEvent(vendorrisk.RiskEventCreate{VendorURN: vendorURN, Name: "event", SourceType: st}, at)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestVendorStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		w, r := s.Writer(), s.Reader()
		other, _ := s.CreateSpace(ctx, w, "other", t0)
		// Names whose order differs between byte order, case-folded order
		// and a locale's collation.
		names := []string{"beta", "Acme", "acme", "Zeta", "Ärzte AG", "éclair", "ACME", "alpha", "_under"}
		var want []vendorrisk.Vendor
		for i, n := range names {
			stage := vendorrisk.StageOnboarded
			if i%2 == 0 {
				stage = vendorrisk.StageInitialAssessment
			}
			v := newVendor(t, n, stage, t0.Add(time.Duration(i)*time.Second))
			if err := s.InsertVendor(ctx, w, 1, v); err != nil {
				t.Fatal(err)
			}
			want = append(want, v)
		}
		vendorrisk.SortByName(want)

		tests := []struct {
			name  string
			stage vendorrisk.LifecycleStage
		}{
			{"all", ""},
			{"onboarded", vendorrisk.StageOnboarded},
			{"initial assessment", vendorrisk.StageInitialAssessment},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.ListVendors(ctx, r, 1, tt.stage)
				if err != nil {
					t.Fatal(err)
				}
				var wantURNs, gotURNs []string
				for _, v := range want {
					if tt.stage == "" || v.LifecycleStage == tt.stage {
						wantURNs = append(wantURNs, v.URN)
					}
				}
				for _, v := range got {
					gotURNs = append(gotURNs, v.URN)
				}
				if !slices.Equal(gotURNs, wantURNs) {
					t.Fatalf("order %v, want %v", gotURNs, wantURNs)
				}
			})
		}
		if list, err := s.ListVendors(ctx, r, other.ID, ""); err != nil || len(list) != 0 {
			t.Fatalf("other space lists %d vendors, %v", len(list), err)
		}

		v := want[0]
		got, err := s.Vendor(ctx, r, 1, v.URN, false)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != v.Name || got.Description != v.Description || !got.CreatedAt.Equal(v.CreatedAt) || got.LifecycleStage != v.LifecycleStage ||
			len(got.Metadata) != 1 || fmt.Sprint(got.Metadata[0].Value) != "[eu us]" {
			t.Fatalf("read back %+v, stored %+v", got, v)
		}
		if _, err := s.Vendor(ctx, r, other.ID, v.URN, false); !errs.Is(err, errs.NotFound) {
			t.Fatalf("vendor visible from another space: %v", err)
		}
		name := "Renamed"
		patched, err := vendorrisk.PatchVendor(got, vendorrisk.VendorPatch{Name: &name}, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateVendor(ctx, w, other.ID, patched); !errs.Is(err, errs.NotFound) {
			t.Fatalf("update from another space: %v", err)
		}
		if err := s.UpdateVendor(ctx, w, 1, patched); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Vendor(ctx, r, 1, v.URN, false); got.Name != "Renamed" || !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("after update %+v", got)
		}
	})
}

func TestRiskEventStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		w, r := s.Writer(), s.Reader()
		other, _ := s.CreateSpace(ctx, w, "other", t0)
		acme := newVendor(t, "Acme", "", t0)
		globex := newVendor(t, "Globex", "", t0)
		for _, v := range []vendorrisk.Vendor{acme, globex} {
			if err := s.InsertVendor(ctx, w, 1, v); err != nil {
				t.Fatal(err)
			}
		}
		// An event of an unknown vendor breaks the foreign key.
		if err := s.InsertRiskEvent(ctx, w, other.ID, newEvent(t, acme.URN, vendorrisk.SourceMonitor, t0)); err == nil {
			t.Fatal("stored an event of a vendor the space does not have")
		}

		// Twelve events, one per millisecond so URNs sort by creation:
		// vendors alternate, levels cycle, every third is APPLICABLE.
		levels := []vendorrisk.RiskLevel{vendorrisk.LevelUnassigned, vendorrisk.LevelNone, vendorrisk.LevelLow, vendorrisk.LevelMedium, vendorrisk.LevelHigh, vendorrisk.LevelCritical}
		var all []vendorrisk.RiskEvent
		for i := range 12 {
			v := acme
			st := vendorrisk.SourceMonitor
			if i%2 == 1 {
				v, st = globex, vendorrisk.SourceNews
			}
			ev := newEvent(t, v.URN, st, t0.Add(time.Duration(i)*time.Millisecond))
			ev.RiskLevel = levels[i%len(levels)]
			if i%3 == 0 {
				ev.ReviewStatus = vendorrisk.StatusApplicable
			}
			if err := s.InsertRiskEvent(ctx, w, 1, ev); err != nil {
				t.Fatal(err)
			}
			all = append(all, ev)
		}
		urns := func(list []vendorrisk.RiskEventResponse) []string {
			var out []string
			for _, e := range list {
				out = append(out, e.URN)
			}
			return out
		}
		want := func(keep func(i int, ev vendorrisk.RiskEvent) bool) []string {
			var out []string
			for i, ev := range all {
				if keep(i, ev) {
					out = append(out, ev.URN)
				}
			}
			return out
		}
		tests := []struct {
			name string
			f    store.RiskEventFilter
			want []string
		}{
			{"all", store.RiskEventFilter{Limit: 100}, want(func(int, vendorrisk.RiskEvent) bool { return true })},
			{"vendor", store.RiskEventFilter{VendorURN: globex.URN, Limit: 100}, want(func(i int, _ vendorrisk.RiskEvent) bool { return i%2 == 1 })},
			{"threshold", store.RiskEventFilter{MinLevel: vendorrisk.LevelHigh, Limit: 100},
				want(func(_ int, ev vendorrisk.RiskEvent) bool { return ev.RiskLevel.AtLeast(vendorrisk.LevelHigh) })},
			{"status", store.RiskEventFilter{ReviewStatus: vendorrisk.StatusApplicable, Limit: 100}, want(func(i int, _ vendorrisk.RiskEvent) bool { return i%3 == 0 })},
			{"source", store.RiskEventFilter{SourceType: vendorrisk.SourceMonitor, Limit: 100}, want(func(i int, _ vendorrisk.RiskEvent) bool { return i%2 == 0 })},
			{"combined", store.RiskEventFilter{VendorURN: acme.URN, MinLevel: vendorrisk.LevelLow, ReviewStatus: vendorrisk.StatusApplicable, Limit: 100},
				want(func(i int, ev vendorrisk.RiskEvent) bool {
					return i%2 == 0 && i%3 == 0 && ev.RiskLevel.AtLeast(vendorrisk.LevelLow)
				})},
			{"limit", store.RiskEventFilter{Limit: 5}, urnsOf(all[:5])},
			{"after cursor", store.RiskEventFilter{AfterURN: all[4].URN, Limit: 5}, urnsOf(all[5:10])},
			{"last page", store.RiskEventFilter{AfterURN: all[9].URN, Limit: 5}, urnsOf(all[10:])},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.ListRiskEvents(ctx, r, 1, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(urns(got), tt.want) {
					t.Fatalf("got %v\nwant %v", urns(got), tt.want)
				}
				for _, e := range got {
					if e.Vendor.URN == "" || e.Vendor.Name == "" || e.Vendor.CreatedAt.IsZero() {
						t.Fatalf("vendor not embedded: %+v", e)
					}
				}
			})
		}
		if got, err := s.ListRiskEvents(ctx, r, other.ID, store.RiskEventFilter{Limit: 100}); err != nil || len(got) != 0 {
			t.Fatalf("other space lists %d events, %v", len(got), err)
		}

		view, err := s.RiskEventView(ctx, r, 1, all[1].URN)
		if err != nil || view.Vendor.Name != "Globex" || view.Vendor.Description != "about Globex" || view.RiskLevel != levels[1] {
			t.Fatalf("view = %+v, %v", view, err)
		}
		if _, err := s.RiskEventView(ctx, r, other.ID, all[1].URN); !errs.Is(err, errs.NotFound) {
			t.Fatalf("view from another space: %v", err)
		}

		// Observed events are found by their upsert key and never duplicated.
		obs := vendorrisk.Observation{ExternalID: "statuspage:abc", Name: "API outage", Signals: []vendorrisk.Signal{{Kind: vendorrisk.SignalStatuspageImpact, Value: "major"}}}
		ev, err := vendorrisk.NewObservedEvent(acme.URN, vendorrisk.SourceStatusPage, obs, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.InsertRiskEvent(ctx, w, 1, ev); err != nil {
			t.Fatal(err)
		}
		dup, _ := vendorrisk.NewObservedEvent(acme.URN, vendorrisk.SourceStatusPage, obs, t0)
		if err := s.InsertRiskEvent(ctx, w, 1, dup); !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate upstream item: %v", err)
		}
		found, ok, err := s.ObservedRiskEvent(ctx, r, 1, acme.URN, vendorrisk.SourceStatusPage, "statuspage:abc", false)
		if err != nil || !ok || found.URN != ev.URN || found.Fingerprint != obs.Fingerprint() || len(found.Signals) != 1 {
			t.Fatalf("observed = %+v, %v, %v", found, ok, err)
		}
		for _, miss := range []struct {
			space  int64
			vendor string
			st     vendorrisk.SourceType
		}{{other.ID, acme.URN, vendorrisk.SourceStatusPage}, {1, globex.URN, vendorrisk.SourceStatusPage}, {1, acme.URN, vendorrisk.SourceNews}} {
			if _, ok, err := s.ObservedRiskEvent(ctx, r, miss.space, miss.vendor, miss.st, "statuspage:abc", false); ok || err != nil {
				t.Fatalf("found under %+v: %v", miss, err)
			}
		}

		// Triage: update and history.
		status := vendorrisk.StatusVerifying
		note := "checking"
		triaged, entry, err := vendorrisk.Triage(ev, vendorrisk.TriagePatch{ReviewStatus: &status, Note: &note}, "reviewer", t0.Add(time.Minute))
		if err != nil || entry == nil {
			t.Fatal(err)
		}
		if err := s.UpdateRiskEvent(ctx, w, 1, triaged); err != nil {
			t.Fatal(err)
		}
		if err := s.AppendRiskEventHistory(ctx, w, 1, ev.URN, *entry); err != nil {
			t.Fatal(err)
		}
		if got, err := s.RiskEvent(ctx, r, 1, ev.URN, false); err != nil || got.ReviewStatus != vendorrisk.StatusVerifying {
			t.Fatalf("after triage %+v, %v", got, err)
		}
		hist, err := s.RiskEventHistory(ctx, r, 1, ev.URN)
		if err != nil || len(hist) != 1 || hist[0] != *entry {
			t.Fatalf("history = %+v, %v; want %+v", hist, err, *entry)
		}
		if hist, _ := s.RiskEventHistory(ctx, r, other.ID, ev.URN); len(hist) != 0 {
			t.Fatal("history visible from another space")
		}
		if err := s.UpdateRiskEvent(ctx, w, other.ID, triaged); !errs.Is(err, errs.NotFound) {
			t.Fatalf("update from another space: %v", err)
		}
		if _, err := s.RiskEvent(ctx, r, other.ID, ev.URN, false); !errs.Is(err, errs.NotFound) {
			t.Fatalf("event visible from another space: %v", err)
		}
	})
}

func urnsOf(list []vendorrisk.RiskEvent) []string {
	out := make([]string, len(list))
	for i, ev := range list {
		out[i] = ev.URN
	}
	return out
}

func TestVendorSourceStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		w, r := s.Writer(), s.Reader()
		other, _ := s.CreateSpace(ctx, w, "other", t0)
		acme := newVendor(t, "Acme", "", t0)
		globex := newVendor(t, "Globex", "", t0)
		if err := s.InsertVendor(ctx, w, 1, acme); err != nil {
			t.Fatal(err)
		}
		if err := s.InsertVendor(ctx, w, other.ID, globex); err != nil {
			t.Fatal(err)
		}
		add := func(space int64, vendorURN string, st vendorrisk.SourceType, u string, kw []string) store.VendorSource {
			t.Helper()
			src, err := s.InsertVendorSource(ctx, w, space, store.VendorSource{VendorURN: vendorURN, Type: st, URL: u, Keywords: kw, CreatedAt: t0})
			if err != nil {
				t.Fatal(err)
			}
			return src
		}
		page := add(1, acme.URN, vendorrisk.SourceStatusPage, "https://status.acme.example", nil)
		feed := add(1, acme.URN, vendorrisk.SourceNews, "https://acme.example/feed", []string{})
		news := add(1, acme.URN, vendorrisk.SourceNews, "https://news.example/rss", []string{"acme cloud"})
		theirs := add(other.ID, globex.URN, vendorrisk.SourceSECFiling, "https://data.sec.gov/submissions/CIK0000000001.json", nil)
		if _, err := s.InsertVendorSource(ctx, w, 1, store.VendorSource{VendorURN: acme.URN, Type: vendorrisk.SourceNews, URL: "https://acme.example/feed", CreatedAt: t0}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate source: %v", err)
		}

		list, err := s.VendorSources(ctx, r, 1, acme.URN)
		if err != nil || len(list) != 3 || list[0].ID != page.ID || list[1].ID != feed.ID || list[2].ID != news.ID {
			t.Fatalf("sources = %+v, %v", list, err)
		}
		// nil, empty and listed keywords mean different filters: all three survive storage.
		if list[0].Keywords != nil || list[1].Keywords == nil || len(list[1].Keywords) != 0 || !slices.Equal(list[2].Keywords, []string{"acme cloud"}) {
			t.Fatalf("keywords = %#v, %#v, %#v", list[0].Keywords, list[1].Keywords, list[2].Keywords)
		}
		if _, err := s.GetVendorSource(ctx, r, other.ID, acme.URN, page.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("source visible from another space: %v", err)
		}
		if _, err := s.GetVendorSource(ctx, r, 1, globex.URN, theirs.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another space's source reached: %v", err)
		}

		// A failure with Retry-After keeps the source out of the periodic
		// poll until then; success clears both.
		retry := t0.Add(time.Hour)
		if err := s.RecordVendorSourcePoll(ctx, w, 1, page.ID, t0, "HTTP 429", &retry); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordVendorSourcePoll(ctx, w, other.ID, feed.ID, t0, "not mine", nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetVendorSource(ctx, r, 1, acme.URN, page.ID)
		if err != nil || got.LastError != "HTTP 429" || got.RetryAt == nil || !got.RetryAt.Equal(retry) || got.LastPolledAt == nil || !got.LastPolledAt.Equal(t0) {
			t.Fatalf("after failure %+v, %v", got, err)
		}
		if got, _ := s.GetVendorSource(ctx, r, 1, acme.URN, feed.ID); got.LastError != "" || got.LastPolledAt != nil {
			t.Fatalf("another space's write reached %+v", got)
		}
		due := func(at time.Time) []int64 {
			t.Helper()
			list, err := s.DueVendorSources(ctx, r, at)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, src := range list {
				out = append(out, src.ID)
			}
			sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
			return out
		}
		ids := []int64{page.ID, feed.ID, news.ID, theirs.ID}
		if got := due(t0.Add(time.Minute)); !slices.Equal(got, ids[1:]) {
			t.Fatalf("due while waiting = %v, want %v (every space, the waiting one left out)", got, ids[1:])
		}
		if got := due(retry); !slices.Equal(got, ids) {
			t.Fatalf("due after the wait = %v, want %v", got, ids)
		}
		if err := s.RecordVendorSourcePoll(ctx, w, 1, page.ID, t0.Add(2*time.Hour), "", nil); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetVendorSource(ctx, r, 1, acme.URN, page.ID); got.LastError != "" || got.RetryAt != nil || !got.LastPolledAt.Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("after success %+v", got)
		}
	})
}

// BenchmarkListRiskEvents reads pages of GET /v1/risk-events?limit=50 from
// 100,000 events of 100 vendors: the first page, a page deep in the list
// (keyset pagination costs the same anywhere), and filtered pages. p99-ns
// is the 99th percentile of single calls.
func BenchmarkListRiskEvents(b *testing.B) {
	for _, backend := range []struct {
		name string
		open func(testing.TB) storetest.Backend
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(backend.name, func(b *testing.B) {
			be := backend.open(b)
			ctx := context.Background()
			s := be.Store
			const events, vendors = 100_000, 100
			var vendorURNs, urns []string
			statuses := []vendorrisk.ReviewStatus{vendorrisk.StatusPending, vendorrisk.StatusVerifying, vendorrisk.StatusApplicable, vendorrisk.StatusNotApplicable}
			levels := []vendorrisk.RiskLevel{vendorrisk.LevelUnassigned, vendorrisk.LevelNone, vendorrisk.LevelLow, vendorrisk.LevelMedium, vendorrisk.LevelHigh, vendorrisk.LevelCritical}
			sources := []vendorrisk.SourceType{vendorrisk.SourceStatusPage, vendorrisk.SourceMonitor, vendorrisk.SourceNews, vendorrisk.SourceSECFiling}
			err := s.Tx(ctx, func(tx store.Q) error {
				for i := range vendors {
					v := newVendor(b, fmt.Sprintf("Vendor %03d", i), "", t0)
					if err := s.InsertVendor(ctx, tx, 1, v); err != nil {
						return err
					}
					vendorURNs = append(vendorURNs, v.URN)
				}
				for i := range events {
					ev, err := vendorrisk.NewRiskEvent(vendorrisk.RiskEventCreate{VendorURN: vendorURNs[i%vendors],
						Name:        fmt.Sprintf("Incident %d: elevated error rates", i),
						Description: "We are investigating elevated error rates for API requests in us-east-1. Customers may see 5xx responses and timeouts.",
						SourceType:  sources[i%len(sources)], URL: "https://status.example.com/incidents/" + fmt.Sprint(i)},
						t0.Add(time.Duration(i)*time.Millisecond))
					if err != nil {
						return err
					}
					ev.ReviewStatus, ev.RiskLevel = statuses[i%len(statuses)], levels[i%len(levels)]
					ev.Recommendation = &vendorrisk.Recommendation{Level: ev.RiskLevel, Explanation: string(ev.RiskLevel) + ": keywords: outage"}
					if err := s.InsertRiskEvent(ctx, tx, 1, ev); err != nil {
						return err
					}
					urns = append(urns, ev.URN)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			if be.Name == "postgres" {
				storetest.MustExec(b, s.Writer(), `ANALYZE`)
			}
			pages := []struct {
				name string
				f    store.RiskEventFilter
			}{
				{"first", store.RiskEventFilter{}},
				{"deep", store.RiskEventFilter{AfterURN: urns[events*9/10]}},
				{"vendor", store.RiskEventFilter{VendorURN: vendorURNs[42], AfterURN: urns[events/2]}},
				{"threshold=HIGH", store.RiskEventFilter{MinLevel: vendorrisk.LevelHigh}},
				{"status+source", store.RiskEventFilter{ReviewStatus: vendorrisk.StatusApplicable, SourceType: vendorrisk.SourceNews}},
			}
			for _, p := range pages {
				b.Run(p.name, func(b *testing.B) {
					f := p.f
					f.Limit = 51 // the API asks for one more than the page to learn whether another follows
					b.ReportAllocs()
					took := make([]time.Duration, 0, b.N)
					for b.Loop() {
						start := time.Now()
						list, err := s.ListRiskEvents(ctx, s.Reader(), 1, f)
						took = append(took, time.Since(start))
						if err != nil {
							b.Fatal(err)
						}
						if len(list) == 0 {
							b.Fatal("empty page")
						}
					}
					slices.Sort(took)
					b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds()), "p99-ns")
				})
			}
		})
	}
}
