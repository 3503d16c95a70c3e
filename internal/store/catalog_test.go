package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/assessment"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/risk"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
)

const assessor = "0190f1b2-0000-7000-8000-000000000001"

func testProduct(t testing.TB, spaceID int64, name string, at time.Time) assessment.Product {
	t.Helper()
	p, err := assessment.NewProduct(assessment.ProductInput{
		Name: name, Description: ptr("scores applicants"), Tags: []string{"credit", "ml"},
	}, ids.SpaceUUID(spaceID), at)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func testAssessment(t testing.TB, spaceID int64, productID string, at time.Time) assessment.Assessment {
	t.Helper()
	a, err := assessment.New(assessment.CreateInput{
		AssessmentType: "initial",
		LifecycleStage: ptr("development"),
		Evaluations: []assessment.EvaluationInput{
			{Category: "bias", Severity: 3, Likelihood: 2, Impact: 4, Notes: ptr("training data")},
			{Category: "privacy", Severity: 4, Likelihood: 3, Impact: 5},
		},
		Mitigations: []assessment.MitigationInput{{Title: "Fairness metrics", Category: "bias_mitigation",
			MitigationPatch: assessment.MitigationPatch{Deadline: ptr("2026-03-15"), Evidence: []string{"https://x"}}}},
	}, assessment.Scope{SpaceID: ids.SpaceUUID(spaceID), ProductID: productID}, assessor, assessment.Scorer{}, at)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCatalogProducts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		w, r := s.Writer(), s.Reader()
		other, _ := s.CreateSpace(ctx, w, "other", t0)

		p := testProduct(t, 1, "Crème Scoring", t0)
		if err := s.InsertProduct(ctx, w, 1, p); err != nil {
			t.Fatal(err)
		}
		got, err := s.Product(ctx, r, 1, p.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if got.Slug != "creme-scoring" || got.Name != p.Name || *got.Description != "scores applicants" || got.ProductType != nil ||
			!slices.Equal(got.Tags, []string{"credit", "ml"}) || got.RiskClassification != nil || got.SpaceID != ids.SpaceUUID(1) ||
			!got.CreatedAt.Equal(p.CreatedAt) || !got.UpdatedAt.Equal(p.UpdatedAt) {
			t.Fatalf("product = %+v", got)
		}
		if bySlug, err := s.ProductBySlug(ctx, r, 1, "creme-scoring"); err != nil || bySlug.ID != p.ID {
			t.Fatalf("by slug = %+v, %v", bySlug, err)
		}

		// Another space has its own product with the same slug; none of
		// these reach ours.
		theirs := testProduct(t, other.ID, "Crème Scoring", t0)
		renamed := p
		renamed.Name = "renamed"
		tests := []struct {
			name string
			err  error
			code errs.Code
		}{
			{"same slug in the space", s.InsertProduct(ctx, w, 1, testProduct(t, 1, "creme scoring", t0)), errs.Conflict},
			{"same slug in another space", s.InsertProduct(ctx, w, other.ID, theirs), ""},
			{"by id from another space", func() error { _, err := s.Product(ctx, r, other.ID, p.ID, false); return err }(), errs.NotFound},
			{"by slug from another space", func() error {
				if o, err := s.ProductBySlug(ctx, r, other.ID, "creme-scoring"); err != nil || o.ID != theirs.ID {
					return fmt.Errorf("got %s, %v; want their own %s", o.ID, err, theirs.ID)
				}
				return nil
			}(), ""},
			{"unknown id", func() error { _, err := s.Product(ctx, r, 1, ids.UUID(t0), false); return err }(), errs.NotFound},
			{"unknown slug", func() error { _, err := s.ProductBySlug(ctx, r, 1, "nope"); return err }(), errs.NotFound},
			{"update from another space", s.UpdateProduct(ctx, w, other.ID, renamed), errs.NotFound},
			{"delete from another space", s.DeleteProduct(ctx, w, other.ID, p.ID), errs.NotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if tt.code == "" && tt.err != nil || tt.code != "" && !errs.Is(tt.err, tt.code) {
					t.Fatalf("err = %v; want %q", tt.err, tt.code)
				}
			})
		}
		if got, err := s.Product(ctx, r, 1, p.ID, false); err != nil || got.Name != p.Name {
			t.Fatalf("after another space's attempts: %+v, %v", got, err)
		}

		high := risk.High
		p2 := testProduct(t, 1, "Fraud 100%_Detector", t0.Add(time.Second))
		if err := s.InsertProduct(ctx, w, 1, p2); err != nil {
			t.Fatal(err)
		}
		changed := p2
		changed.Slug, changed.RiskClassification, changed.Tags, changed.UpdatedAt = "creme-scoring", &high, []string{}, t0.Add(time.Hour)
		if err := s.UpdateProduct(ctx, w, 1, changed); !errs.Is(err, errs.Conflict) {
			t.Fatalf("update to a taken slug = %v", err)
		}
		changed.Slug = "fraud"
		if err := s.UpdateProduct(ctx, w, 1, changed); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Product(ctx, r, 1, p2.ID, false); *got.RiskClassification != risk.High || len(got.Tags) != 0 || got.Tags == nil || got.Slug != "fraud" {
			t.Fatalf("updated = %+v", got)
		}

		t.Run("list", func(t *testing.T) {
			for _, tt := range []struct {
				f     store.ProductFilter
				want  []string
				total int
			}{
				{store.ProductFilter{Limit: 10}, []string{p2.ID, p.ID}, 2},
				{store.ProductFilter{Limit: 1, Offset: 1}, []string{p.ID}, 2},
				{store.ProductFilter{Limit: 10, Offset: 5}, []string{}, 2},
				{store.ProductFilter{Search: "CRÈME", Limit: 10}, []string{p.ID}, 1},
				{store.ProductFilter{Search: "fraud", Limit: 10}, []string{p2.ID}, 1},
				{store.ProductFilter{Search: "100%_", Limit: 10}, []string{p2.ID}, 1},
				{store.ProductFilter{Search: "%", Limit: 10}, []string{p2.ID}, 1},
				{store.ProductFilter{Search: "_", Limit: 10}, []string{p2.ID}, 1},
				{store.ProductFilter{Search: "e-s", Limit: 10}, []string{p.ID}, 1},
				{store.ProductFilter{Search: `\`, Limit: 10}, []string{}, 0},
			} {
				list, total, err := s.ListProducts(ctx, r, 1, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, p := range list {
					got = append(got, p.ID)
				}
				if total != tt.total || !slices.Equal(got, tt.want) && len(got)+len(tt.want) > 0 {
					t.Errorf("%+v: %v of %d; want %v of %d", tt.f, got, total, tt.want, tt.total)
				}
			}
		})

		t.Run("delete", func(t *testing.T) {
			a := testAssessment(t, 1, p.ID, t0)
			if err := s.InsertAssessment(ctx, w, 1, a); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteProduct(ctx, w, 1, p.ID); !errs.Is(err, errs.Conflict) {
				t.Fatalf("delete with an assessment = %v", err)
			}
			if err := s.DeleteProduct(ctx, w, 1, p2.ID); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteProduct(ctx, w, 1, p2.ID); !errs.Is(err, errs.NotFound) {
				t.Fatalf("delete twice = %v", err)
			}
		})
	})
}

func TestCatalogAssessments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		w, r := s.Writer(), s.Reader()
		other, _ := s.CreateSpace(ctx, w, "other", t0)
		p := testProduct(t, 1, "Scoring", t0)
		p2 := testProduct(t, 1, "Other product", t0.Add(time.Second))
		for _, prod := range []assessment.Product{p, p2} {
			if err := s.InsertProduct(ctx, w, 1, prod); err != nil {
				t.Fatal(err)
			}
		}

		a := testAssessment(t, 1, p.ID, t0)
		if err := s.InsertAssessment(ctx, w, 1, a); err != nil {
			t.Fatal(err)
		}
		got, err := s.Assessment(ctx, r, 1, p.ID, a.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if jsonOf(t, got) != jsonOf(t, a) {
			t.Fatalf("read back\n%s\nwant\n%s", jsonOf(t, got), jsonOf(t, a))
		}

		for name, err := range map[string]error{
			"another product":         func() error { _, err := s.Assessment(ctx, r, 1, p2.ID, a.ID, false); return err }(),
			"another space":           func() error { _, err := s.Assessment(ctx, r, other.ID, p.ID, a.ID, false); return err }(),
			"unknown product":         s.InsertAssessment(ctx, w, 1, testAssessment(t, 1, ids.UUID(t0), t0)),
			"product of another":      s.InsertAssessment(ctx, w, other.ID, testAssessment(t, other.ID, p.ID, t0)),
			"update in another space": s.UpdateAssessment(ctx, w, other.ID, a),
		} {
			t.Run(name, func(t *testing.T) {
				if !errs.Is(err, errs.NotFound) {
					t.Fatalf("err = %v; want not found", err)
				}
			})
		}

		done, err := assessment.Complete(a, assessment.CompleteInput{}, assessor, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateAssessment(ctx, w, 1, done); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Assessment(ctx, r, 1, p.ID, a.ID, false)
		if jsonOf(t, got) != jsonOf(t, done) || *got.RiskTier != risk.Limited || got.ReviewedAt == nil {
			t.Fatalf("completed read back\n%s\nwant\n%s", jsonOf(t, got), jsonOf(t, done))
		}

		t.Run("list newest first", func(t *testing.T) {
			want := []string{}
			for i := 1; i <= 4; i++ {
				next := testAssessment(t, 1, p.ID, t0.Add(time.Duration(i)*time.Minute))
				if err := s.InsertAssessment(ctx, w, 1, next); err != nil {
					t.Fatal(err)
				}
				want = append([]string{next.ID}, want...)
			}
			want = append(want, a.ID)
			for _, tt := range []struct {
				limit, offset int
				want          []string
			}{
				{20, 0, want},
				{2, 0, want[:2]},
				{2, 3, want[3:]},
				{20, 5, nil},
			} {
				list, total, err := s.ListAssessments(ctx, r, 1, p.ID, tt.limit, tt.offset)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, a := range list {
					got = append(got, a.ID)
				}
				if total != 5 || !slices.Equal(got, tt.want) {
					t.Errorf("limit %d offset %d: %v of %d; want %v of 5", tt.limit, tt.offset, got, total, tt.want)
				}
			}
			if list, total, err := s.ListAssessments(ctx, r, 1, p2.ID, 20, 0); err != nil || total != 0 || len(list) != 0 {
				t.Fatalf("other product: %d of %d, %v", len(list), total, err)
			}
			if _, _, err := s.ListAssessments(ctx, r, other.ID, p.ID, 20, 0); !errs.Is(err, errs.NotFound) {
				t.Fatalf("another space's list = %v", err)
			}
		})

		t.Run("risk register", func(t *testing.T) {
			if err := s.InsertAssessment(ctx, w, 1, testAssessment(t, 1, p2.ID, t0)); err != nil {
				t.Fatal(err)
			}
			var rows []string
			err := s.RiskRegister(ctx, r, 1, func(prod assessment.Product, a assessment.Assessment) error {
				rows = append(rows, prod.Slug+" "+string(a.Status))
				if a.ProductID != prod.ID || len(a.Evaluations) != 2 {
					t.Errorf("row %+v / %+v", prod, a)
				}
				return nil
			})
			want := []string{"scoring draft", "scoring draft", "scoring draft", "scoring draft", "scoring completed", "other-product draft"}
			if err != nil || !slices.Equal(rows, want) {
				t.Fatalf("register %v, %v; want %v", rows, err, want)
			}
			stop := errors.New("stop")
			n := 0
			if err := s.RiskRegister(ctx, r, 1, func(assessment.Product, assessment.Assessment) error { n++; return stop }); err != stop || n != 1 {
				t.Fatalf("stopping: %v after %d rows", err, n)
			}
			if err := s.RiskRegister(ctx, r, other.ID, func(assessment.Product, assessment.Assessment) error { return errors.New("row from another space") }); err != nil {
				t.Fatal(err)
			}
		})
	})
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// BenchmarkListAssessments reads the first page of 20 of a product with
// 100,000 assessments, as GET …/risk-assessments?limit=20 does.
func BenchmarkListAssessments(b *testing.B) {
	const n = 100_000
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			be := benchBackend(b, name)
			ctx := context.Background()
			s := be.Store
			p := testProduct(b, 1, "Scoring", t0)
			if err := s.InsertProduct(ctx, s.Writer(), 1, p); err != nil {
				b.Fatal(err)
			}
			a := testAssessment(b, 1, p.ID, t0)
			// Batches of 1,000: PostgreSQL slows down quadratically when one
			// transaction updates the product's counter row 100,000 times
			// (each update walks the row's versions), while a batch's dead
			// versions are pruned once it commits. Requests create one at a
			// time, as here.
			const batch = 1_000
			for i := 0; i < n; i += batch {
				err := s.Tx(ctx, func(tx store.Q) error {
					for j := i; j < i+batch; j++ {
						a.ID = ids.UUID(t0)
						a.CreatedAt = t0.Add(time.Duration(j) * time.Millisecond)
						if err := s.InsertAssessment(ctx, tx, 1, a); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			if s.Dialect() == store.Postgres {
				// What autovacuum does soon after a bulk load; without it the
				// first pages are read before the statistics exist.
				storetest.MustExec(b, s.Writer(), `VACUUM ANALYZE assessments`)
				storetest.MustExec(b, s.Writer(), `VACUUM ANALYZE products`)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				list, total, err := s.ListAssessments(ctx, s.Reader(), 1, p.ID, 20, 0)
				if err != nil || len(list) != 20 || total != n {
					b.Fatalf("list: %d of %d, %v", len(list), total, err)
				}
			}
		})
	}
}
