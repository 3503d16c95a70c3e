package usecase_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/riskmodel"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
	"github.com/riskd/riskd/internal/usecase"
)

// riskModelsAtScale is the number of models the issue asks the benchmarks
// to run at, besides the built-in one every space has.
const riskModelsAtScale = 10_000

// BenchmarkRiskModels10k runs the risk model reads at 10,000 models in a
// space, on a database file (SQLite) or server (PostgreSQL, when
// RISKD_TEST_POSTGRES_URL is set):
//
//   - calculate: App.CalculateRisk, as POST /api/riskmodel/{id}/calculate
//     runs it: read the latest version of a model (one of the 10,000, in
//     turn) from the store, then score 2 × 3 × 4;
//   - list/skip=N: Store.ListRiskModels, as GET /api/riskmodel?skip=N
//     reads it: the total and a page of the default 50 documents. The skip
//     is walked, so the last page costs the most.
func BenchmarkRiskModels10k(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			var be storetest.Backend
			if name == "sqlite" {
				be = storetest.SQLite(b)
			} else {
				be = storetest.Postgres(b)
			}
			ctx := context.Background()
			app, err := usecase.NewApp(be.Store, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				b.Fatal(err)
			}
			// As riskd serve starts: space "default" gets its built-in model.
			if _, err := app.Bootstrap(ctx); err != nil {
				b.Fatal(err)
			}
			ids := seedRiskModels(b, be.Store, riskModelsAtScale)
			if be.Store.Dialect() == store.Postgres {
				// What autovacuum does soon after a bulk load.
				storetest.MustExec(b, be.Store.Writer(), `VACUUM ANALYZE risk_models`)
				storetest.MustExec(b, be.Store.Writer(), `VACUUM ANALYZE risk_model_versions`)
			}
			p := auth.Principal{ID: "bench", Role: auth.Viewer, Space: auth.Space{ID: 1, Slug: "default"}}
			const total = riskModelsAtScale + 1 // and the built-in

			b.Run("calculate", func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					c, err := app.CalculateRisk(ctx, p, ids[i%len(ids)], []int{2, 3, 4})
					if err != nil || c.Score != 24 {
						b.Fatalf("calculate: %+v, %v", c, err)
					}
					i++
				}
			})
			for _, skip := range []int{0, total / 2, total - 50} {
				b.Run(fmt.Sprintf("list/skip=%d", skip), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						list, n, err := be.Store.ListRiskModels(ctx, be.Store.Reader(), p.Space.ID, store.RiskModelFilter{Skip: skip, Limit: 50})
						if err != nil || len(list) != 50 || n != total {
							b.Fatalf("list: %d of %d, %v", len(list), n, err)
						}
					}
				})
			}
		})
	}
}

// seedRiskModels stores n copies of the built-in model's shape in space 1,
// one transaction for all: created one at a time through the API they
// would take minutes, each commit waiting for the disk.
func seedRiskModels(b *testing.B, s *store.Store, n int) []string {
	b.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ids := make([]string, 0, n)
	err := s.Tx(ctx, func(tx store.Q) error {
		for i := 0; i < n; i++ {
			m := riskmodel.BuiltinAISystemRisk(t0.Add(time.Duration(i)*time.Millisecond), "bench")
			m.Name = map[string]string{"en-US": fmt.Sprintf("model %d", i)}
			if err := s.InsertRiskModel(ctx, tx, 1, m, ""); err != nil {
				return err
			}
			ids = append(ids, m.ID)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return ids
}
