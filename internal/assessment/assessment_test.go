package assessment_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/assessment"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/risk"
	"github.com/riskd/riskd/internal/riskmodel"
)

func TestSpecExample(t *testing.T) {
	a := mustNew(t, specInput(t), assessment.Scorer{})

	if a.Status != assessment.StatusDraft || a.AssessmentType != assessment.TypeInitial || a.RiskTier != nil {
		t.Fatalf("status %s type %s tier %v", a.Status, a.AssessmentType, a.RiskTier)
	}
	if got := []int{a.Evaluations[0].Score, a.Evaluations[1].Score}; !slices.Equal(got, []int{24, 60}) {
		t.Fatalf("scores %v; want [24 60]", got)
	}
	if a.OverallRiskScore == nil || *a.OverallRiskScore != 34 {
		t.Fatalf("overall %v; want 34 (33.6)", a.OverallRiskScore)
	}
	if want := "mean(24, 60) = 42 → 42 × 100 / 125 = 33.6 → 34"; a.ScoreExplanation == nil || *a.ScoreExplanation != want {
		t.Fatalf("explanation %v; want %q", a.ScoreExplanation, want)
	}
	if a.RiskModelID != nil || a.RiskModelVersion != nil {
		t.Fatal("the built-in scale recorded a model")
	}
	if _, err := ids.ParseUUID(a.ID); err != nil || a.ProductID != scope.ProductID || a.SpaceID != scope.SpaceID {
		t.Fatalf("ids %s %s %s", a.ID, a.ProductID, a.SpaceID)
	}
	if a.AssessedByID != assessor || a.AssessedAt != now || a.CreatedAt != now || a.UpdatedAt != now || a.ReviewedByID != nil || a.ReviewedAt != nil {
		t.Fatalf("authorship %+v", a)
	}
	if *a.LifecycleStage != "development" || *a.Summary != "Initial risk assessment for customer scoring model" || *a.Evaluations[1].Notes != "PII in feature pipeline" {
		t.Fatal("texts not kept")
	}

	m := a.Mitigations[0]
	if _, err := ids.ParseUUID(m.ID); err != nil {
		t.Fatalf("mitigation id %q: %v", m.ID, err)
	}
	if m.Status != assessment.MitigationPending || m.Priority != assessment.PriorityHigh || m.Category != assessment.MitigationBias ||
		*m.OwnerName != "Alice" || *m.Deadline != "2026-03-15" || m.OwnerID != nil || m.LinkedIssueID != nil || m.Evidence == nil {
		t.Fatalf("mitigation %+v", m)
	}

	var complete assessment.CompleteInput
	readJSON(t, "testdata/spec-complete.json", &complete)
	if !complete.SyncToProduct {
		t.Fatal("sync_to_product not decoded")
	}
	done, err := assessment.Complete(a, assessment.CompleteInput{}, reviewer, later)
	if err != nil {
		t.Fatal(err)
	}
	if *done.RiskTier != risk.Limited || *done.ScoreExplanation != "mean(24, 60) = 42 → 42 × 100 / 125 = 33.6 → 34 → limited" {
		t.Fatalf("tier %s, explanation %q", *done.RiskTier, *done.ScoreExplanation)
	}
	overridden, err := assessment.Complete(a, complete, reviewer, later)
	if err != nil {
		t.Fatal(err)
	}
	if *overridden.RiskTier != risk.High || *overridden.OverallRiskScore != 34 ||
		*overridden.ScoreExplanation != "mean(24, 60) = 42 → 42 × 100 / 125 = 33.6 → 34 → limited; risk_tier high set by the reviewer" {
		t.Fatalf("tier %s, explanation %q", *overridden.RiskTier, *overridden.ScoreExplanation)
	}
}

// jsonKeys lists the top-level keys of v's JSON in order.
func jsonKeys(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	_, _ = dec.Token()
	var keys []string
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var skip json.RawMessage
		_ = dec.Decode(&skip)
	}
	return keys
}

func TestResponseShapeMatchesSpec(t *testing.T) {
	spec := []string{"id", "product_id", "space_id", "assessment_type", "lifecycle_stage", "status", "evaluations",
		"overall_risk_score", "risk_tier", "summary", "mitigations", "assessed_by_id", "assessed_at",
		"reviewed_by_id", "reviewed_at", "created_at", "updated_at"}

	bare := mustNew(t, assessment.CreateInput{AssessmentType: "periodic"}, assessment.Scorer{})
	if got := jsonKeys(t, bare); !slices.Equal(got, spec) {
		t.Fatalf("keys %v;\nspec %v", got, spec)
	}
	b, _ := json.Marshal(bare)
	for _, want := range []string{`"evaluations":[]`, `"mitigations":[]`, `"overall_risk_score":null`, `"risk_tier":null`, `"lifecycle_stage":null`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}

	scored := mustNew(t, specInput(t), mustScorer(t, riskmodel.BuiltinAISystemRisk(now, "system")))
	if got, want := jsonKeys(t, scored), append(slices.Clone(spec), "risk_model_id", "risk_model_version", "score_explanation"); !slices.Equal(got, want) {
		t.Fatalf("keys %v;\nwant %v", got, want)
	}
	if got, want := jsonKeys(t, scored.Mitigations[0]), []string{"id", "title", "category", "status", "priority", "owner_id",
		"owner_name", "deadline", "evidence", "linked_issue_id"}; !slices.Equal(got, want) {
		t.Fatalf("mitigation keys %v;\nspec %v", got, want)
	}
	if got, want := jsonKeys(t, scored.Evaluations[0]), []string{"category", "severity", "likelihood", "impact", "score", "notes"}; !slices.Equal(got, want) {
		t.Fatalf("evaluation keys %v;\nspec %v", got, want)
	}
}

func TestOverallScoreAndTier(t *testing.T) {
	four := mustScorer(t, model3(t, 4))
	tests := []struct {
		name    string
		evals   []assessment.EvaluationInput
		sc      assessment.Scorer
		overall int
		tier    risk.Tier
		explain string
	}{
		{"24 is minimal", []assessment.EvaluationInput{eval("bias", 2, 3, 5)}, assessment.Scorer{}, 24, risk.Minimal,
			"mean(30) = 30 → 30 × 100 / 125 = 24 → 24 → minimal"},
		{"24.8 rounds to 25, limited", []assessment.EvaluationInput{eval("bias", 2, 3, 5), eval("privacy", 2, 4, 4)}, assessment.Scorer{}, 25, risk.Limited,
			"mean(30, 32) = 31 → 31 × 100 / 125 = 24.8 → 25 → limited"},
		{"49.07 is 49, limited", []assessment.EvaluationInput{eval("bias", 3, 4, 5), eval("privacy", 3, 4, 5), eval("security", 4, 4, 4)}, assessment.Scorer{}, 49, risk.Limited,
			"mean(60, 60, 64) ≈ 61.33 → 61.33 × 100 / 125 ≈ 49.07 → 49 → limited"},
		{"49.6 rounds to 50, high", []assessment.EvaluationInput{eval("bias", 3, 4, 5), eval("privacy", 4, 4, 4)}, assessment.Scorer{}, 50, risk.High,
			"mean(60, 64) = 62 → 62 × 100 / 125 = 49.6 → 50 → high"},
		{"78.67 is 79, high", []assessment.EvaluationInput{eval("bias", 5, 5, 5), eval("privacy", 5, 5, 5), eval("security", 3, 3, 5)}, assessment.Scorer{}, 79, risk.High,
			"mean(125, 125, 45) ≈ 98.33 → 98.33 × 100 / 125 ≈ 78.67 → 79 → high"},
		{"80 is unacceptable", []assessment.EvaluationInput{eval("bias", 4, 5, 5)}, assessment.Scorer{}, 80, risk.Unacceptable,
			"mean(100) = 100 → 100 × 100 / 125 = 80 → 80 → unacceptable"},
		{"the lowest", []assessment.EvaluationInput{eval("bias", 1, 1, 1)}, assessment.Scorer{}, 1, risk.Minimal,
			"mean(1) = 1 → 1 × 100 / 125 = 0.8 → 1 → minimal"},
		{"the highest", []assessment.EvaluationInput{eval("bias", 5, 5, 5)}, assessment.Scorer{}, 100, risk.Unacceptable,
			"mean(125) = 125 → 125 × 100 / 125 = 100 → 100 → unacceptable"},
		{"12.5 rounds half away from zero", []assessment.EvaluationInput{eval("bias", 2, 2, 2)}, four, 13, risk.Minimal,
			"mean(8) = 8 → 8 × 100 / 64 = 12.5 → 13 → minimal"},
		{"37.5 rounds up to 38", []assessment.EvaluationInput{eval("bias", 2, 3, 4)}, four, 38, risk.Limited,
			"mean(24) = 24 → 24 × 100 / 64 = 37.5 → 38 → limited"},
		{"model with four scales tops out at 64", []assessment.EvaluationInput{eval("bias", 4, 4, 4)}, four, 100, risk.Unacceptable,
			"mean(64) = 64 → 64 × 100 / 64 = 100 → 100 → unacceptable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustNew(t, assessment.CreateInput{AssessmentType: "initial", Evaluations: tt.evals}, tt.sc)
			if *a.OverallRiskScore != tt.overall {
				t.Fatalf("overall %d; want %d", *a.OverallRiskScore, tt.overall)
			}
			done, err := assessment.Complete(a, assessment.CompleteInput{}, reviewer, later)
			if err != nil {
				t.Fatal(err)
			}
			if *done.RiskTier != tt.tier || *done.ScoreExplanation != tt.explain {
				t.Fatalf("tier %s, explanation %q; want %s, %q", *done.RiskTier, *done.ScoreExplanation, tt.tier, tt.explain)
			}
		})
	}
}

func TestClientScoreIsIgnored(t *testing.T) {
	e := eval("bias", 3, 2, 4)
	e.Score = ptr(125)
	a := mustNew(t, assessment.CreateInput{AssessmentType: "initial", Evaluations: []assessment.EvaluationInput{e}}, assessment.Scorer{})
	if a.Evaluations[0].Score != 24 {
		t.Fatalf("score %d; want the computed 24", a.Evaluations[0].Score)
	}
}

func TestNoEvaluationsMeansNoScore(t *testing.T) {
	a := mustNew(t, assessment.CreateInput{AssessmentType: "incident"}, assessment.Scorer{})
	if a.OverallRiskScore != nil || a.ScoreExplanation != nil || len(a.Evaluations) != 0 {
		t.Fatalf("overall %v explanation %v", a.OverallRiskScore, a.ScoreExplanation)
	}
}

func TestNewRejects(t *testing.T) {
	long := func(n int) *string { return ptr(strings.Repeat("x", n)) }
	tests := []struct {
		name   string
		change func(*assessment.CreateInput)
		field  string
		msg    string
	}{
		{"no type", func(in *assessment.CreateInput) { in.AssessmentType = "" }, "assessment_type", "is required"},
		{"unknown type", func(in *assessment.CreateInput) { in.AssessmentType = "annual" }, "assessment_type", "must be one of initial, pre_deployment, periodic, incident"},
		{"unknown category", func(in *assessment.CreateInput) { in.Evaluations[0].Category = "toxicity" }, "evaluations[0].category", "must be one of bias, fairness"},
		{"no category", func(in *assessment.CreateInput) { in.Evaluations[1].Category = "" }, "evaluations[1].category", "must be one of"},
		{"duplicate category", func(in *assessment.CreateInput) { in.Evaluations[1].Category = "bias" }, "evaluations[1].category", `duplicate category "bias" (also evaluations[0])`},
		{"severity 0", func(in *assessment.CreateInput) { in.Evaluations[0].Severity = 0 }, "evaluations[0].severity", "must be between 1 and 5"},
		{"severity 6", func(in *assessment.CreateInput) { in.Evaluations[0].Severity = 6 }, "evaluations[0].severity", "must be between 1 and 5"},
		{"likelihood negative", func(in *assessment.CreateInput) { in.Evaluations[1].Likelihood = -3 }, "evaluations[1].likelihood", "must be between 1 and 5"},
		{"impact missing", func(in *assessment.CreateInput) { in.Evaluations[1].Impact = 0 }, "evaluations[1].impact", "must be between 1 and 5"},
		{"seven evaluations", func(in *assessment.CreateInput) {
			in.Evaluations = nil
			for range 7 {
				in.Evaluations = append(in.Evaluations, eval("bias", 1, 1, 1))
			}
		}, "evaluations", "at most 6"},
		{"notes too long", func(in *assessment.CreateInput) { in.Evaluations[0].Notes = long(assessment.MaxNotesLength + 1) }, "evaluations[0].notes", "at most 5000"},
		{"summary too long", func(in *assessment.CreateInput) { in.Summary = long(assessment.MaxSummaryLength + 1) }, "summary", "at most 10000"},
		{"stage too long", func(in *assessment.CreateInput) { in.LifecycleStage = long(101) }, "lifecycle_stage", "at most 100"},
		{"mitigation without title", func(in *assessment.CreateInput) { in.Mitigations[0].Title = "" }, "mitigations[0].title", "is required"},
		{"mitigation with blank title", func(in *assessment.CreateInput) { in.Mitigations[0].Title = "  " }, "mitigations[0].title", "is required"},
		{"mitigation title too long", func(in *assessment.CreateInput) { in.Mitigations[0].Title = *long(501) }, "mitigations[0].title", "at most 500"},
		{"mitigation without category", func(in *assessment.CreateInput) { in.Mitigations[0].Category = "" }, "mitigations[0].category", "must be one of bias_mitigation"},
		{"mitigation category", func(in *assessment.CreateInput) { in.Mitigations[0].Category = "bias" }, "mitigations[0].category", "must be one of"},
		{"priority", func(in *assessment.CreateInput) { in.Mitigations[0].Priority = ptr("urgent") }, "mitigations[0].priority", "must be one of low, medium, high, critical"},
		{"deadline of 30 February", func(in *assessment.CreateInput) { in.Mitigations[0].Deadline = ptr("2026-02-30") }, "mitigations[0].deadline", "YYYY-MM-DD"},
		{"deadline with slashes", func(in *assessment.CreateInput) { in.Mitigations[0].Deadline = ptr("2026/03/15") }, "mitigations[0].deadline", "YYYY-MM-DD"},
		{"deadline day first", func(in *assessment.CreateInput) { in.Mitigations[0].Deadline = ptr("15-03-2026") }, "mitigations[0].deadline", "YYYY-MM-DD"},
		{"deadline with time", func(in *assessment.CreateInput) { in.Mitigations[0].Deadline = ptr("2026-03-15T00:00:00Z") }, "mitigations[0].deadline", "YYYY-MM-DD"},
		{"deadline without zero padding", func(in *assessment.CreateInput) { in.Mitigations[0].Deadline = ptr("2026-3-15") }, "mitigations[0].deadline", "YYYY-MM-DD"},
		{"owner id", func(in *assessment.CreateInput) { in.Mitigations[0].OwnerID = ptr("alice") }, "mitigations[0].owner_id", "must be a UUID"},
		{"linked issue id", func(in *assessment.CreateInput) { in.Mitigations[0].LinkedIssueID = ptr("PROJ-123") }, "mitigations[0].linked_issue_id", "must be a UUID"},
		{"owner name too long", func(in *assessment.CreateInput) { in.Mitigations[0].OwnerName = long(201) }, "mitigations[0].owner_name", "at most 200"},
		{"blank evidence", func(in *assessment.CreateInput) { in.Mitigations[0].Evidence = []string{"https://x", " "} }, "mitigations[0].evidence[1]", "must not be blank"},
		{"long evidence", func(in *assessment.CreateInput) { in.Mitigations[0].Evidence = []string{*long(2001)} }, "mitigations[0].evidence[0]", "at most 2000"},
		{"too much evidence", func(in *assessment.CreateInput) { in.Mitigations[0].Evidence = make([]string, 51) }, "mitigations[0].evidence", "at most 50"},
		{"id on a new mitigation", func(in *assessment.CreateInput) { in.Mitigations[0].ID = ptr(ids.UUID(now)) }, "mitigations[0].id", "no mitigation with this id"},
		{"a new mitigation that is already under way", func(in *assessment.CreateInput) { in.Mitigations[0].Status = ptr("in_progress") }, "mitigations[0].status", `must be "pending"`},
		{"too many mitigations", func(in *assessment.CreateInput) {
			in.Mitigations = make([]assessment.MitigationInput, assessment.MaxMitigations+1)
		}, "mitigations", "at most 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := specInput(t)
			tt.change(&in)
			_, err := assessment.New(in, scope, assessor, assessment.Scorer{}, now)
			wantField(t, err, tt.field, tt.msg)
		})
	}
}

func TestNewAccepts(t *testing.T) {
	tests := []struct {
		name   string
		change func(*assessment.CreateInput)
		check  func(*testing.T, assessment.Assessment)
	}{
		{"every type", func(in *assessment.CreateInput) { in.AssessmentType = "pre_deployment" }, nil},
		{"every category once", func(in *assessment.CreateInput) {
			in.Evaluations = nil
			for _, c := range assessment.Categories() {
				in.Evaluations = append(in.Evaluations, eval(string(c), 5, 5, 5))
			}
		}, func(t *testing.T, a assessment.Assessment) {
			if *a.OverallRiskScore != 100 {
				t.Fatalf("overall %d", *a.OverallRiskScore)
			}
		}},
		{"priority defaults to medium", func(in *assessment.CreateInput) { in.Mitigations[0].Priority = nil }, func(t *testing.T, a assessment.Assessment) {
			if a.Mitigations[0].Priority != assessment.PriorityMedium {
				t.Fatalf("priority %s", a.Mitigations[0].Priority)
			}
		}},
		{"status pending may be given", func(in *assessment.CreateInput) { in.Mitigations[0].Status = ptr("pending") }, nil},
		{"UUIDs are canonicalised", func(in *assessment.CreateInput) {
			in.Mitigations[0].OwnerID = ptr("0190F1B2-7C4D-7E8F-9A0B-1C2D3E4F5A6B")
		}, func(t *testing.T, a assessment.Assessment) {
			if *a.Mitigations[0].OwnerID != "0190f1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b" {
				t.Fatalf("owner %s", *a.Mitigations[0].OwnerID)
			}
		}},
		{"past deadline, leap day", func(in *assessment.CreateInput) { in.Mitigations[0].Deadline = ptr("2024-02-29") }, nil},
		{"empty texts are null", func(in *assessment.CreateInput) { in.Summary, in.LifecycleStage = ptr(""), ptr("") }, func(t *testing.T, a assessment.Assessment) {
			if a.Summary != nil || a.LifecycleStage != nil {
				t.Fatal("empty strings were kept")
			}
		}},
		{"evidence kept", func(in *assessment.CreateInput) {
			in.Mitigations[0].Evidence = []string{"https://jira.example.com/PROJ-123"}
		}, func(t *testing.T, a assessment.Assessment) {
			if !slices.Equal(a.Mitigations[0].Evidence, []string{"https://jira.example.com/PROJ-123"}) {
				t.Fatalf("evidence %v", a.Mitigations[0].Evidence)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := specInput(t)
			tt.change(&in)
			a := mustNew(t, in, assessment.Scorer{})
			if tt.check != nil {
				tt.check(t, a)
			}
		})
	}
}

func TestNewReportsEveryErrorAtOnce(t *testing.T) {
	in := specInput(t)
	in.AssessmentType = "x"
	in.Evaluations[0].Severity = 9
	in.Evaluations[1].Category = "bias"
	in.Mitigations[0].Deadline = ptr("soon")
	got := details(t, func() error { _, err := assessment.New(in, scope, assessor, assessment.Scorer{}, now); return err }())
	for _, f := range []string{"assessment_type", "evaluations[0].severity", "evaluations[1].category", "mitigations[0].deadline"} {
		if _, ok := got[f]; !ok {
			t.Errorf("no error for %s in %v", f, got)
		}
	}
}

func TestModelScorer(t *testing.T) {
	builtin := riskmodel.BuiltinAISystemRisk(now, "system")

	t.Run("the built-in model gives the spec's numbers", func(t *testing.T) {
		plain := mustNew(t, specInput(t), assessment.Scorer{})
		scored := mustNew(t, specInput(t), mustScorer(t, builtin))
		if *scored.OverallRiskScore != *plain.OverallRiskScore || *scored.ScoreExplanation != *plain.ScoreExplanation ||
			scored.Evaluations[1].Score != plain.Evaluations[1].Score {
			t.Fatalf("model %d %q; built-in %d %q", *scored.OverallRiskScore, *scored.ScoreExplanation, *plain.OverallRiskScore, *plain.ScoreExplanation)
		}
		if *scored.RiskModelID != builtin.ID || *scored.RiskModelVersion != 1 {
			t.Fatalf("model %v version %v", scored.RiskModelID, scored.RiskModelVersion)
		}
	})
	t.Run("factors are bounded by the model's scales", func(t *testing.T) {
		in := specInput(t)
		_, err := assessment.New(in, scope, assessor, mustScorer(t, model3(t, 4)), now)
		wantField(t, err, "evaluations[1].impact", "must be between 1 and 4")
	})
	t.Run("a model without three dimensions cannot score", func(t *testing.T) {
		m, err := riskmodel.New(riskmodel.Input{
			Name: map[string]string{"en": "two"}, NumberOfDimensions: 1, NumberOfScales: 2,
			Dimensions: []riskmodel.Dimension{{ID: 1, Name: map[string]string{"en": "d"}, Scales: []riskmodel.Scale{
				{Value: 1, Name: map[string]string{"en": "a"}}, {Value: 2, Name: map[string]string{"en": "b"}}}}},
		}, now, "u")
		if err != nil {
			t.Fatal(err)
		}
		_, err = assessment.ModelScorer(m)
		wantField(t, err, "risk_model_id", "exactly 3 dimensions")
	})
	t.Run("an inactive model cannot score", func(t *testing.T) {
		off, _ := riskmodel.SetActive(builtin, false, now, "u")
		if _, err := assessment.ModelScorer(off); !errs.Is(err, errs.Conflict) {
			t.Fatalf("err = %v; want conflict", err)
		}
	})
	t.Run("scales", func(t *testing.T) {
		var zero assessment.Scorer
		if zero.Levels() != 5 || zero.MaxScore() != 125 {
			t.Fatalf("zero scorer %d %d", zero.Levels(), zero.MaxScore())
		}
		if sc := mustScorer(t, model3(t, 7)); sc.Levels() != 7 || sc.MaxScore() != 343 {
			t.Fatalf("7-scale scorer %d %d", sc.Levels(), sc.MaxScore())
		}
	})
}

func TestDefaultScorer(t *testing.T) {
	builtin := riskmodel.BuiltinAISystemRisk(now, "system")

	t.Run("records the built-in model with the spec's numbers", func(t *testing.T) {
		sc, err := assessment.DefaultScorer(builtin)
		if err != nil {
			t.Fatal(err)
		}
		plain := mustNew(t, specInput(t), assessment.Scorer{})
		a := mustNew(t, specInput(t), sc)
		if *a.OverallRiskScore != 34 || *a.ScoreExplanation != *plain.ScoreExplanation || a.Evaluations[0].Score != 24 || a.Evaluations[1].Score != 60 {
			t.Fatalf("scored %d %q", *a.OverallRiskScore, *a.ScoreExplanation)
		}
		if a.RiskModelID == nil || *a.RiskModelID != builtin.ID || a.RiskModelVersion == nil || *a.RiskModelVersion != 1 {
			t.Fatalf("model %v version %v", a.RiskModelID, a.RiskModelVersion)
		}
		// Every level of every factor scores as on the fixed scale.
		for s := 1; s <= 5; s++ {
			for l := 1; l <= 5; l++ {
				for i := 1; i <= 5; i++ {
					in := assessment.CreateInput{AssessmentType: "initial", Evaluations: []assessment.EvaluationInput{eval("bias", s, l, i)}}
					x, y := mustNew(t, in, sc), mustNew(t, in, assessment.Scorer{})
					if x.Evaluations[0].Score != s*l*i || *x.OverallRiskScore != *y.OverallRiskScore {
						t.Fatalf("%d×%d×%d: %d, %d; fixed scale %d", s, l, i, x.Evaluations[0].Score, *x.OverallRiskScore, *y.OverallRiskScore)
					}
				}
			}
		}
		for _, bad := range []int{0, 6} {
			in := assessment.CreateInput{AssessmentType: "initial", Evaluations: []assessment.EvaluationInput{eval("bias", bad, 1, 1)}}
			_, err := assessment.New(in, scope, assessor, sc, now)
			wantField(t, err, "evaluations[0].severity", "must be between 1 and 5")
		}
	})
	t.Run("a later version is recorded with its number", func(t *testing.T) {
		v2, err := riskmodel.NewVersion(builtin, riskmodel.Input{Name: map[string]string{"en": "renamed"}, NumberOfDimensions: 3,
			NumberOfScales: 5, Dimensions: builtin.Dimensions}, now, "u")
		if err != nil {
			t.Fatal(err)
		}
		sc, err := assessment.DefaultScorer(v2)
		if err != nil {
			t.Fatal(err)
		}
		if a := mustNew(t, specInput(t), sc); *a.RiskModelID != builtin.ID || *a.RiskModelVersion != 2 || *a.OverallRiskScore != 34 {
			t.Fatalf("version 2 scored %+v", a)
		}
	})
	t.Run("an inactive default says how to go on", func(t *testing.T) {
		off, _ := riskmodel.SetActive(builtin, false, now, "u")
		_, err := assessment.DefaultScorer(off)
		if !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "default risk model") || !strings.Contains(err.Error(), "risk_model_id") {
			t.Fatalf("err = %v; want a conflict naming the default and risk_model_id", err)
		}
	})
	t.Run("a default reshaped beyond three dimensions cannot score", func(t *testing.T) {
		m, err := riskmodel.New(riskmodel.Input{
			Name: map[string]string{"en": "two"}, NumberOfDimensions: 1, NumberOfScales: 2,
			Dimensions: []riskmodel.Dimension{{ID: 1, Name: map[string]string{"en": "d"}, Scales: []riskmodel.Scale{
				{Value: 1, Name: map[string]string{"en": "a"}}, {Value: 2, Name: map[string]string{"en": "b"}}}}},
		}, now, "u")
		if err != nil {
			t.Fatal(err)
		}
		_, err = assessment.DefaultScorer(m)
		wantField(t, err, "risk_model_id", "default risk model")
	})
}

func TestScoringModel(t *testing.T) {
	withModel := assessment.Assessment{RiskModelID: ptr("m1")}
	tests := []struct {
		name      string
		current   *assessment.Assessment
		requested *string
		want      string
	}{
		{"create without a model", nil, nil, ""},
		{"create with a model", nil, ptr("m1"), "m1"},
		{"update keeps the model", &withModel, nil, "m1"},
		{"update switches model", &withModel, ptr("m2"), "m2"},
		{"update back to the default model", &withModel, ptr(""), ""},
		{"update of an assessment scored before the default was recorded", &assessment.Assessment{}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := assessment.ScoringModel(tt.current, tt.requested); got != tt.want {
				t.Fatalf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	base := mustNew(t, specInput(t), assessment.Scorer{})
	stored := base.Mitigations[0]
	before, _ := json.Marshal(base)

	t.Run("absent fields keep their values", func(t *testing.T) {
		a, err := assessment.Update(base, assessment.UpdateInput{}, assessment.Scorer{}, later)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Evaluations) != 2 || len(a.Mitigations) != 1 || *a.Summary != *base.Summary || *a.OverallRiskScore != 34 || a.UpdatedAt != later || a.CreatedAt != now {
			t.Fatalf("got %+v", a)
		}
	})
	t.Run("given lists replace, texts clear", func(t *testing.T) {
		a, err := assessment.Update(base, assessment.UpdateInput{
			AssessmentType: ptr("periodic"),
			Summary:        ptr(""),
			Evaluations:    []assessment.EvaluationInput{eval("security", 5, 5, 5)},
			Mitigations:    []assessment.MitigationInput{},
		}, assessment.Scorer{}, later)
		if err != nil {
			t.Fatal(err)
		}
		if a.AssessmentType != assessment.TypePeriodic || a.Summary != nil || len(a.Evaluations) != 1 || *a.OverallRiskScore != 100 || len(a.Mitigations) != 0 {
			t.Fatalf("got %+v", a)
		}
	})
	t.Run("an empty evaluation list clears the score", func(t *testing.T) {
		a, err := assessment.Update(base, assessment.UpdateInput{Evaluations: []assessment.EvaluationInput{}}, assessment.Scorer{}, later)
		if err != nil || a.OverallRiskScore != nil || a.ScoreExplanation != nil {
			t.Fatalf("overall %v, err %v", a.OverallRiskScore, err)
		}
	})
	t.Run("an existing mitigation keeps id and status, absent fields kept", func(t *testing.T) {
		progressed, _, err := assessment.PatchMitigation(base, stored.ID, assessment.MitigationPatch{Status: ptr("in_progress")}, later)
		if err != nil {
			t.Fatal(err)
		}
		a, err := assessment.Update(progressed, assessment.UpdateInput{Mitigations: []assessment.MitigationInput{
			{ID: ptr(strings.ToUpper(stored.ID)), Title: "Renamed", MitigationPatch: assessment.MitigationPatch{Status: ptr("in_progress")}},
			{Title: "Add monitoring", Category: "monitoring_improvement"},
		}}, assessment.Scorer{}, later)
		if err != nil {
			t.Fatal(err)
		}
		kept, added := a.Mitigations[0], a.Mitigations[1]
		if kept.ID != stored.ID || kept.Status != assessment.MitigationInProgress || kept.Title != "Renamed" ||
			kept.Priority != assessment.PriorityHigh || *kept.OwnerName != "Alice" || kept.Category != assessment.MitigationBias {
			t.Fatalf("kept %+v", kept)
		}
		if added.ID == stored.ID || added.Status != assessment.MitigationPending || added.Priority != assessment.PriorityMedium {
			t.Fatalf("added %+v", added)
		}
	})
	t.Run("the scale changes: stored evaluations must fit", func(t *testing.T) {
		_, err := assessment.Update(base, assessment.UpdateInput{RiskModelID: ptr("m")}, mustScorer(t, model3(t, 4)), later)
		wantField(t, err, "evaluations[1].impact", "must be between 1 and 4")
	})
	t.Run("the scale changes: re-scored and recorded", func(t *testing.T) {
		m := model3(t, 6)
		a, err := assessment.Update(base, assessment.UpdateInput{RiskModelID: ptr(m.ID)}, mustScorer(t, m), later)
		if err != nil {
			t.Fatal(err)
		}
		if *a.RiskModelID != m.ID || *a.OverallRiskScore != 19 { // 42 × 100 / 216 = 19.44
			t.Fatalf("model %v overall %d", a.RiskModelID, *a.OverallRiskScore)
		}
		back, err := assessment.Update(a, assessment.UpdateInput{RiskModelID: ptr("")}, assessment.Scorer{}, later)
		if err != nil || back.RiskModelID != nil || back.RiskModelVersion != nil || *back.OverallRiskScore != 34 {
			t.Fatalf("back to the built-in scale: %+v, %v", back, err)
		}
	})
	if after, _ := json.Marshal(base); string(after) != string(before) {
		t.Fatal("Update changed its input")
	}
}

func TestUpdateRejects(t *testing.T) {
	base := mustNew(t, specInput(t), assessment.Scorer{})
	stored := base.Mitigations[0].ID
	tests := []struct {
		name  string
		in    assessment.UpdateInput
		field string
		msg   string
	}{
		{"unknown type", assessment.UpdateInput{AssessmentType: ptr("x")}, "assessment_type", "must be one of"},
		{"empty type", assessment.UpdateInput{AssessmentType: ptr("")}, "assessment_type", "is required"},
		{"bad evaluation", assessment.UpdateInput{Evaluations: []assessment.EvaluationInput{eval("bias", 1, 1, 6)}}, "evaluations[0].impact", "between 1 and 5"},
		{"unknown mitigation id", assessment.UpdateInput{Mitigations: []assessment.MitigationInput{{ID: ptr(ids.UUID(now))}}}, "mitigations[0].id", "no mitigation with this id"},
		{"malformed mitigation id", assessment.UpdateInput{Mitigations: []assessment.MitigationInput{{ID: ptr("1")}}}, "mitigations[0].id", "no mitigation with this id"},
		{"the same mitigation twice", assessment.UpdateInput{Mitigations: []assessment.MitigationInput{{ID: &stored}, {ID: &stored}}}, "mitigations[1].id", "duplicate id (also mitigations[0])"},
		{"status changed through update", assessment.UpdateInput{Mitigations: []assessment.MitigationInput{
			{ID: &stored, MitigationPatch: assessment.MitigationPatch{Status: ptr("completed")}}}}, "mitigations[0].status", "PATCH"},
		{"existing mitigation with a bad category", assessment.UpdateInput{Mitigations: []assessment.MitigationInput{{ID: &stored, Category: "x"}}}, "mitigations[0].category", "must be one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := assessment.Update(base, tt.in, assessment.Scorer{}, later)
			wantField(t, err, tt.field, tt.msg)
		})
	}
}

func TestCompleteAndAfter(t *testing.T) {
	draft := mustNew(t, specInput(t), assessment.Scorer{})
	empty := mustNew(t, assessment.CreateInput{AssessmentType: "initial"}, assessment.Scorer{})

	t.Run("records the reviewer and freezes", func(t *testing.T) {
		done, err := assessment.Complete(draft, assessment.CompleteInput{}, reviewer, later)
		if err != nil {
			t.Fatal(err)
		}
		if done.Status != assessment.StatusCompleted || *done.ReviewedByID != reviewer || *done.ReviewedAt != later || done.UpdatedAt != later || done.AssessedByID != assessor {
			t.Fatalf("got %+v", done)
		}
		if _, err := assessment.Complete(done, assessment.CompleteInput{}, reviewer, later); !errs.Is(err, errs.Conflict) {
			t.Fatalf("completing twice: %v", err)
		}
		if _, err := assessment.Update(done, assessment.UpdateInput{Summary: ptr("x")}, assessment.Scorer{}, later); !errs.Is(err, errs.Conflict) {
			t.Fatalf("updating a completed assessment: %v", err)
		}
		tracked, m, err := assessment.PatchMitigation(done, done.Mitigations[0].ID, assessment.MitigationPatch{Status: ptr("in_progress")}, later)
		if err != nil || m.Status != assessment.MitigationInProgress || tracked.Status != assessment.StatusCompleted {
			t.Fatalf("tracking after completion: %+v, %v", m, err)
		}
	})
	t.Run("no evaluations, no override", func(t *testing.T) {
		_, err := assessment.Complete(empty, assessment.CompleteInput{}, reviewer, later)
		wantField(t, err, "risk_tier", "is required")
	})
	t.Run("no evaluations, override", func(t *testing.T) {
		done, err := assessment.Complete(empty, assessment.CompleteInput{RiskTier: ptr("minimal")}, reviewer, later)
		if err != nil || *done.RiskTier != risk.Minimal || done.OverallRiskScore != nil ||
			*done.ScoreExplanation != "risk_tier minimal set by the reviewer (no evaluations to derive it from)" {
			t.Fatalf("got %+v, %v", done, err)
		}
	})
	t.Run("unknown override", func(t *testing.T) {
		for _, bad := range []string{"", "medium", "HIGH"} {
			_, err := assessment.Complete(draft, assessment.CompleteInput{RiskTier: ptr(bad)}, reviewer, later)
			wantField(t, err, "risk_tier", "must be one of minimal, limited, high, unacceptable")
		}
	})
	t.Run("every override", func(t *testing.T) {
		for _, tier := range risk.Tiers() {
			done, err := assessment.Complete(draft, assessment.CompleteInput{RiskTier: ptr(string(tier))}, reviewer, later)
			if err != nil || *done.RiskTier != tier {
				t.Fatalf("override %s: %v", tier, err)
			}
		}
	})
	if draft.Status != assessment.StatusDraft || draft.RiskTier != nil {
		t.Fatal("Complete changed its input")
	}
}
