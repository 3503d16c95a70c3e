package assessment_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/assessment"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/riskmodel"
)

var (
	now   = time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	later = now.Add(24 * time.Hour)
	scope = assessment.Scope{SpaceID: "space-1", ProductID: "0190f1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b"}
)

const (
	assessor = "0190f1b2-0000-7000-8000-000000000001"
	reviewer = "0190f1b2-0000-7000-8000-000000000002"
)

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields() // the spec's bodies use only documented fields
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func specInput(t testing.TB) assessment.CreateInput {
	var in assessment.CreateInput
	readJSON(t, "testdata/spec-create.json", &in)
	return in
}

func mustNew(t testing.TB, in assessment.CreateInput, sc assessment.Scorer) assessment.Assessment {
	t.Helper()
	a, err := assessment.New(in, scope, assessor, sc, now)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// details returns the field → message map of a validation error.
func details(t *testing.T, err error) map[string]string {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != errs.ValidationFailed {
		t.Fatalf("want a validation error, got %v", err)
	}
	m := map[string]string{}
	for _, d := range e.Details {
		if old, dup := m[d.Field]; dup {
			m[d.Field] = old + "; " + d.Message
			continue
		}
		m[d.Field] = d.Message
	}
	return m
}

func wantField(t *testing.T, err error, field, msg string) {
	t.Helper()
	got := details(t, err)
	if m, ok := got[field]; !ok || !strings.Contains(m, msg) {
		t.Fatalf("want %s: …%s…; got %v", field, msg, got)
	}
}

func ptr[T any](v T) *T { return &v }

// eval is an evaluation input with the given factors.
func eval(cat string, s, l, i int) assessment.EvaluationInput {
	return assessment.EvaluationInput{Category: cat, Severity: s, Likelihood: l, Impact: i}
}

// model3 is an active risk model of three dimensions with the given number
// of scales.
func model3(t testing.TB, scales int) riskmodel.Model {
	t.Helper()
	in := riskmodel.Input{Name: map[string]string{"en": "m"}, NumberOfDimensions: 3, NumberOfScales: scales}
	for d := 1; d <= 3; d++ {
		dim := riskmodel.Dimension{ID: d, Name: map[string]string{"en": "d"}}
		for v := 1; v <= scales; v++ {
			dim.Scales = append(dim.Scales, riskmodel.Scale{Value: v, Name: map[string]string{"en": "s"}})
		}
		in.Dimensions = append(in.Dimensions, dim)
	}
	m, err := riskmodel.New(in, now, "u")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustScorer(t testing.TB, m riskmodel.Model) assessment.Scorer {
	t.Helper()
	sc, err := assessment.ModelScorer(m)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
