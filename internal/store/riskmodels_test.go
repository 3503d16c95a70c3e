package store_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/riskmodel"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
)

func testModel(t testing.TB, name string, at time.Time) riskmodel.Model {
	t.Helper()
	m := riskmodel.BuiltinAISystemRisk(at, "tester")
	m.Name = map[string]string{"en-US": name}
	return m
}

func TestRiskModelStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		w, r := s.Writer(), s.Reader()
		other, _ := s.CreateSpace(ctx, w, "other", t0)
		m1 := testModel(t, "first", t0)
		if err := s.InsertRiskModel(ctx, w, 1, m1, "builtin-x"); err != nil {
			t.Fatal(err)
		}
		if err := s.InsertRiskModel(ctx, w, 1, testModel(t, "again", t0), "builtin-x"); err == nil {
			t.Fatal("a space got the same built-in twice")
		}
		if id, err := s.BuiltinRiskModelID(ctx, r, 1, "builtin-x"); err != nil || id != m1.ID {
			t.Fatalf("builtin id = %q %v", id, err)
		}
		if id, _ := s.BuiltinRiskModelID(ctx, r, other.ID, "builtin-x"); id != "" {
			t.Fatal("built-in visible from another space")
		}
		m2 := testModel(t, "second", t0.Add(time.Second))
		m2.Active = false
		if err := s.InsertRiskModel(ctx, w, 1, m2, ""); err != nil {
			t.Fatal(err)
		}

		v2, err := riskmodel.NewVersion(m1, riskmodel.Input{Name: map[string]string{"en": "first v2"}, NumberOfDimensions: m1.NumberOfDimensions,
			NumberOfScales: m1.NumberOfScales, Dimensions: m1.Dimensions}, t0.Add(time.Minute), "editor")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.InsertRiskModelVersion(ctx, w, 1, v2); err != nil {
			t.Fatal(err)
		}
		// A writer that read version 1 loses: the version already exists.
		if err := s.InsertRiskModelVersion(ctx, w, 1, v2); !errs.Is(err, errs.Conflict) {
			t.Fatalf("stale version write = %v", err)
		}
		got, err := s.RiskModel(ctx, r, 1, m1.ID, false)
		if err != nil || got.Version != 2 || got.Name["en"] != "first v2" || got.VersionID != v2.VersionID || !got.CreatedOn.Equal(m1.CreatedOn) {
			t.Fatalf("latest = %+v, %v", got, err)
		}
		// The built-in model is read by its key at its latest version.
		if b, err := s.BuiltinRiskModelShape(ctx, r, 1, "builtin-x"); err != nil || b.ID != m1.ID || b.Version != 2 || b.VersionID != v2.VersionID {
			t.Fatalf("builtin = %+v, %v", b, err)
		}
		if _, err := s.BuiltinRiskModelShape(ctx, r, other.ID, "builtin-x"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("builtin of another space: %v", err)
		}
		if _, err := s.BuiltinRiskModelShape(ctx, r, 1, "builtin-y"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown builtin: %v", err)
		}
		// The shapes carry exactly what scoring reads, of the latest version.
		shape := func(m riskmodel.Model) riskmodel.Model {
			return riskmodel.Model{ID: m.ID, Version: m.Version, VersionID: m.VersionID, Active: m.Active,
				NumberOfDimensions: m.NumberOfDimensions, NumberOfScales: m.NumberOfScales}
		}
		for _, m := range []riskmodel.Model{got, m2} {
			full, _ := s.RiskModel(ctx, r, 1, m.ID, false)
			if sh, err := s.RiskModelShape(ctx, r, 1, m.ID); err != nil || !reflect.DeepEqual(sh, shape(full)) || sh.NumberOfScales == 0 {
				t.Fatalf("shape of %s = %+v, %v; want %+v", m.ID, sh, err, shape(full))
			}
		}
		if sh, err := s.BuiltinRiskModelShape(ctx, r, 1, "builtin-x"); err != nil || !reflect.DeepEqual(sh, shape(got)) {
			t.Fatalf("builtin shape = %+v, %v", sh, err)
		}
		if _, err := s.RiskModelShape(ctx, r, other.ID, m1.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("shape from another space: %v", err)
		}
		versions, err := s.RiskModelVersions(ctx, r, 1, m1.ID)
		if err != nil || len(versions) != 2 || versions[0].Version != 2 || versions[1].Name["en-US"] != "first" {
			t.Fatalf("versions = %v, %v", len(versions), err)
		}
		if v, err := s.RiskModelVersion(ctx, r, 1, m1.ID, 1); err != nil || v.VersionID != m1.VersionID {
			t.Fatalf("version 1 = %+v, %v", v, err)
		}
		if _, err := s.RiskModelVersion(ctx, r, 1, m1.ID, 3); !errs.Is(err, errs.NotFound) {
			t.Fatalf("version 3 = %v", err)
		}
		if _, err := s.RiskModel(ctx, r, other.ID, m1.ID, false); !errs.Is(err, errs.NotFound) {
			t.Fatalf("model visible from another space: %v", err)
		}

		deactivated, changed := riskmodel.SetActive(got, false, t0.Add(time.Hour), "editor")
		if !changed {
			t.Fatal("SetActive reported no change")
		}
		if err := s.SetRiskModelActive(ctx, w, 1, deactivated); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.RiskModelVersion(ctx, r, 1, m1.ID, 1); !v.Active {
			t.Fatal("deactivation changed an earlier version")
		}
		for _, tt := range []struct {
			active *bool
			want   int
		}{{nil, 2}, {ptr(true), 0}, {ptr(false), 2}} {
			list, total, err := s.ListRiskModels(ctx, r, 1, store.RiskModelFilter{Active: tt.active, Limit: 10})
			if err != nil || total != tt.want || len(list) != tt.want {
				t.Fatalf("list active=%v: %d/%d %v", tt.active, len(list), total, err)
			}
		}
		list, total, _ := s.ListRiskModels(ctx, r, 1, store.RiskModelFilter{Skip: 1, Limit: 10})
		if total != 2 || len(list) != 1 || !strings.Contains(string(list[0]), m2.ID) {
			t.Fatalf("skip 1 = %d/%d", len(list), total)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// BenchmarkListRiskModels lists a page of 50 at 10,000 models per space.
func BenchmarkListRiskModels(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			be := benchBackend(b, name)
			ctx := context.Background()
			s := be.Store
			err := s.Tx(ctx, func(tx store.Q) error {
				for i := 0; i < 10_000; i++ {
					m := testModel(b, fmt.Sprintf("model %d", i), t0.Add(time.Duration(i)*time.Millisecond))
					if err := s.InsertRiskModel(ctx, tx, 1, m, ""); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			if s.Dialect() == store.Postgres {
				// What autovacuum does soon after a bulk load; without it the
				// planner takes the table for empty.
				storetest.MustExec(b, s.Writer(), `VACUUM ANALYZE risk_models`)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				list, total, err := s.ListRiskModels(ctx, s.Reader(), 1, store.RiskModelFilter{Skip: (i * 50) % 9_950, Limit: 50})
				if err != nil || len(list) != 50 || total != 10_000 {
					b.Fatalf("list: %d %d %v", len(list), total, err)
				}
			}
		})
	}
}

func benchBackend(b *testing.B, name string) storetest.Backend {
	if name == "sqlite" {
		return storetest.SQLite(b)
	}
	return storetest.Postgres(b)
}
