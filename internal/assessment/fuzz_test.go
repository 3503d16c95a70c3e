package assessment_test

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"

	"github.com/riskd/riskd/internal/assessment"
	"github.com/riskd/riskd/internal/errs"
)

// FuzzAssessmentJSON decodes and validates arbitrary create bodies, then
// updates, completes and patches what it accepts. It must never panic, and
// accepted assessments must keep the scoring invariants.
func FuzzAssessmentJSON(f *testing.F) {
	spec, err := os.ReadFile("testdata/spec-create.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(spec, []byte(`{"risk_tier":"high"}`), []byte(`{"status":"in_progress"}`))
	f.Add([]byte(`{"assessment_type":"incident","evaluations":[{"category":"bias","severity":9,"likelihood":-1,"impact":0,"score":7}]}`),
		[]byte(`{}`), []byte(`{"status":"completed","deadline":"2026-02-30"}`))
	f.Add([]byte(`{"assessment_type":"periodic","mitigations":[{"id":"x","title":"t","category":"other","status":"cancelled"}]}`),
		[]byte(`{"risk_tier":""}`), []byte(`{"evidence":[""],"owner_id":""}`))
	f.Fuzz(func(t *testing.T, create, complete, patch []byte) {
		var in assessment.CreateInput
		if json.Unmarshal(create, &in) != nil {
			return
		}
		a, err := assessment.New(in, scope, assessor, assessment.Scorer{}, now)
		if err != nil {
			if !errs.Is(err, errs.ValidationFailed) {
				t.Fatalf("New failed without a validation error: %v", err)
			}
			return
		}
		for _, e := range a.Evaluations {
			if e.Score != e.Severity*e.Likelihood*e.Impact || e.Score < 1 || e.Score > 125 {
				t.Fatalf("evaluation %+v", e)
			}
		}
		if (a.OverallRiskScore == nil) != (len(a.Evaluations) == 0) {
			t.Fatalf("overall %v with %d evaluations", a.OverallRiskScore, len(a.Evaluations))
		}
		if a.OverallRiskScore != nil && (*a.OverallRiskScore < 1 || *a.OverallRiskScore > 100) {
			t.Fatalf("overall %d out of range", *a.OverallRiskScore)
		}
		if _, err := json.Marshal(a); err != nil {
			t.Fatal(err)
		}
		// Sending back what was read changes nothing but the timestamp.
		var again assessment.UpdateInput
		b, _ := json.Marshal(a)
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatal(err)
		}
		u, err := assessment.Update(a, again, assessment.Scorer{}, later)
		if err != nil {
			t.Fatalf("an assessment sent back as read was rejected: %v\n%s", err, b)
		}
		if (u.OverallRiskScore == nil) != (a.OverallRiskScore == nil) ||
			a.OverallRiskScore != nil && *u.OverallRiskScore != *a.OverallRiskScore {
			t.Fatalf("overall changed from %v to %v", a.OverallRiskScore, u.OverallRiskScore)
		}

		var ci assessment.CompleteInput
		if json.Unmarshal(complete, &ci) == nil {
			done, err := assessment.Complete(a, ci, reviewer, later)
			if err == nil && (done.RiskTier == nil || done.Status != assessment.StatusCompleted) {
				t.Fatalf("completed without a tier: %+v", done)
			}
			if err != nil && !errs.Is(err, errs.ValidationFailed) {
				t.Fatalf("Complete: %v", err)
			}
		}
		var mp assessment.MitigationPatch
		if len(a.Mitigations) > 0 && json.Unmarshal(patch, &mp) == nil {
			_, m, err := assessment.PatchMitigation(a, a.Mitigations[0].ID, mp, later)
			if err == nil && m.Evidence == nil {
				t.Fatal("evidence became null")
			}
			if err != nil && !errs.Is(err, errs.ValidationFailed) && !errs.Is(err, errs.Conflict) {
				t.Fatalf("PatchMitigation: %v", err)
			}
		}
	})
}

var slugRE = regexp.MustCompile(`^(?:[a-z0-9]+(?:-[a-z0-9]+)*)?$`)

// FuzzProductJSON decodes and validates arbitrary product bodies; a derived
// slug is always a valid one.
func FuzzProductJSON(f *testing.F) {
	f.Add([]byte(`{"name":"Crème Brûlée ﬁnance² Straße","tags":["a"," a "]}`))
	f.Add([]byte(`{"name":"x","slug":"Bad Slug","risk_classification":"medium"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var in assessment.ProductInput
		if json.Unmarshal(body, &in) != nil {
			return
		}
		if s := assessment.Slugify(in.Name); len(s) > assessment.MaxSlugLength || !slugRE.MatchString(s) {
			t.Fatalf("Slugify(%q) = %q", in.Name, s)
		}
		p, err := assessment.NewProduct(in, "s", now)
		if err != nil {
			if !errs.Is(err, errs.ValidationFailed) {
				t.Fatalf("NewProduct: %v", err)
			}
			return
		}
		if p.Slug == "" || !slugRE.MatchString(p.Slug) {
			t.Fatalf("accepted slug %q", p.Slug)
		}
	})
}
