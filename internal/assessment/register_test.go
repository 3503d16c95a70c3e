package assessment_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"

	"github.com/riskd/riskd/internal/assessment"
)

func TestRegisterRow(t *testing.T) {
	product, err := assessment.NewProduct(assessment.ProductInput{Name: "Customer Scoring Model"}, "s", now)
	if err != nil {
		t.Fatal(err)
	}
	draft := mustNew(t, specInput(t), assessment.Scorer{})
	draft, err = assessment.Update(draft, assessment.UpdateInput{Mitigations: []assessment.MitigationInput{
		{ID: &draft.Mitigations[0].ID},
		{Title: "b", Category: "other"},
		{Title: "c", Category: "other"},
		{Title: "d", Category: "other"},
	}}, assessment.Scorer{}, now)
	if err != nil {
		t.Fatal(err)
	}
	patch := func(a assessment.Assessment, i int, status string) assessment.Assessment {
		a, _, err := assessment.PatchMitigation(a, a.Mitigations[i].ID, assessment.MitigationPatch{Status: &status}, now)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	draft = patch(draft, 1, "in_progress")
	draft = patch(patch(draft, 2, "in_progress"), 2, "completed")
	draft = patch(draft, 3, "cancelled")
	done, err := assessment.Complete(draft, assessment.CompleteInput{}, reviewer, later)
	if err != nil {
		t.Fatal(err)
	}
	bare := mustNew(t, assessment.CreateInput{AssessmentType: "periodic"}, assessment.Scorer{})

	tests := []struct {
		name string
		a    assessment.Assessment
		want []string
	}{
		{"completed", done, []string{done.ID, "Customer Scoring Model", "customer-scoring-model", "initial", "completed", "limited", "34", "2", "2026-02-03T04:05:06Z"}},
		{"draft without evaluations", bare, []string{bare.ID, "Customer Scoring Model", "customer-scoring-model", "periodic", "draft", "", "", "0", "2026-02-03T04:05:06Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := assessment.RegisterRow(product, tt.a)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("row %q;\nwant %q", got, tt.want)
			}
			if len(got) != len(assessment.RegisterHeader()) {
				t.Fatalf("%d cells, %d headers", len(got), len(assessment.RegisterHeader()))
			}
		})
	}
}

func TestRegisterRowDefusesFormulas(t *testing.T) {
	a := mustNew(t, assessment.CreateInput{AssessmentType: "initial"}, assessment.Scorer{})
	tests := []struct{ name, want string }{
		{`=HYPERLINK("http://evil","x")`, `'=HYPERLINK("http://evil","x")`},
		{"+1+1", "'+1+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"Safe = name", "Safe = name"},
		{"a=b", "a=b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := assessment.RegisterRow(assessment.Product{Name: tt.name, Slug: "s"}, a)
			if row[1] != tt.want {
				t.Fatalf("cell %q; want %q", row[1], tt.want)
			}
			// The row stays one well-formed CSV record.
			var buf bytes.Buffer
			w := csv.NewWriter(&buf)
			_ = w.Write(row)
			w.Flush()
			back, err := csv.NewReader(&buf).Read()
			if err != nil || !slices.Equal(back, row) {
				t.Fatalf("round trip %q, %v", back, err)
			}
		})
	}
}
