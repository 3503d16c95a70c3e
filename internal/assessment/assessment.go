// Package assessment holds AI product risk assessments, their mitigations
// and the catalog products they assess: validation, scoring, completion,
// mitigation tracking and the risk register. It is pure: callers pass the
// clock and the scoring scale, and persist the results.
//
// Wire names are the documented snake_case ones, so the API marshals these
// types directly.
package assessment

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/risk"
)

// Limits on an assessment. The API is public, so every list and string is
// bounded.
const (
	MaxLifecycleStageLength = 100
	MaxSummaryLength        = 10000
	MaxNotesLength          = 5000
	MaxMitigations          = 100
	MaxTitleLength          = 500
	MaxOwnerNameLength      = 200
	MaxEvidence             = 50
	MaxEvidenceLength       = 2000
)

// Evaluation scores one risk category. Score is severity × likelihood ×
// impact, always computed by the server.
type Evaluation struct {
	Category   Category `json:"category"`
	Severity   int      `json:"severity"`
	Likelihood int      `json:"likelihood"`
	Impact     int      `json:"impact"`
	Score      int      `json:"score"`
	Notes      *string  `json:"notes"`
}

// Assessment is a risk assessment of one product, as the API shows it
// (RiskAssessmentResponse): every documented field, with the documented
// names and types. The last three fields are riskd's additions after them,
// left out of the JSON when empty.
type Assessment struct {
	ID               string       `json:"id"`
	ProductID        string       `json:"product_id"`
	SpaceID          string       `json:"space_id"`
	AssessmentType   Type         `json:"assessment_type"`
	LifecycleStage   *string      `json:"lifecycle_stage"`
	Status           Status       `json:"status"`
	Evaluations      []Evaluation `json:"evaluations"`
	OverallRiskScore *int         `json:"overall_risk_score"`
	RiskTier         *risk.Tier   `json:"risk_tier"`
	Summary          *string      `json:"summary"`
	Mitigations      []Mitigation `json:"mitigations"`
	AssessedByID     string       `json:"assessed_by_id"`
	AssessedAt       time.Time    `json:"assessed_at"`
	ReviewedByID     *string      `json:"reviewed_by_id"`
	ReviewedAt       *time.Time   `json:"reviewed_at"`
	CreatedAt        time.Time    `json:"created_at"`
	UpdatedAt        time.Time    `json:"updated_at"`

	// RiskModelID and RiskModelVersion name the risk model version that
	// scored the evaluations: the one the request named, else the space's
	// built-in "AI system risk" model. Both are absent on an assessment
	// last scored before riskd recorded the default model (a draft gets
	// them on its next update), and on a space without the built-in model
	// (the zero Scorer).
	RiskModelID      *string `json:"risk_model_id,omitempty"`
	RiskModelVersion *int    `json:"risk_model_version,omitempty"`
	// ScoreExplanation shows the arithmetic behind overall_risk_score, and
	// after completion how the tier was reached.
	ScoreExplanation *string `json:"score_explanation,omitempty"`
}

// EvaluationInput is one evaluation in a request.
type EvaluationInput struct {
	Category   string `json:"category"`
	Severity   int    `json:"severity"`
	Likelihood int    `json:"likelihood"`
	Impact     int    `json:"impact"`
	// Score is accepted so clients can send back what they read, and
	// ignored: the server computes every score.
	Score *int    `json:"score,omitempty"`
	Notes *string `json:"notes,omitempty"`
}

// CreateInput is the body of a create request.
type CreateInput struct {
	AssessmentType string            `json:"assessment_type"`
	LifecycleStage *string           `json:"lifecycle_stage,omitempty"`
	Evaluations    []EvaluationInput `json:"evaluations,omitempty"`
	Summary        *string           `json:"summary,omitempty"`
	Mitigations    []MitigationInput `json:"mitigations,omitempty"`
	// RiskModelID names a risk model to score with (see ScoringModel).
	RiskModelID *string `json:"risk_model_id,omitempty"`
}

// UpdateInput is the body of an update request. Every field is optional:
// an absent field keeps its value, an empty string clears an optional text,
// and a given list replaces the stored one (an empty list empties it).
type UpdateInput struct {
	AssessmentType *string           `json:"assessment_type,omitempty"`
	LifecycleStage *string           `json:"lifecycle_stage,omitempty"`
	Evaluations    []EvaluationInput `json:"evaluations,omitempty"`
	Summary        *string           `json:"summary,omitempty"`
	Mitigations    []MitigationInput `json:"mitigations,omitempty"`
	RiskModelID    *string           `json:"risk_model_id,omitempty"`
}

// CompleteInput is the body of a complete request.
type CompleteInput struct {
	RiskTier *string `json:"risk_tier,omitempty"`
	// SyncToProduct asks the caller to copy the tier into the product's
	// risk_classification in the same transaction.
	SyncToProduct bool `json:"sync_to_product,omitempty"`
}

// Scope says where an assessment lives.
type Scope struct {
	SpaceID   string
	ProductID string
}

// New makes a draft assessment from a create request, assessed by by and
// scored with sc (the zero Scorer is the fixed 1–5 scale). Every bad
// field is reported at once.
func New(in CreateInput, scope Scope, by string, sc Scorer, now time.Time) (Assessment, error) {
	var f errs.Fields
	typ, _ := requiredType(&f, in.AssessmentType)
	a := Assessment{
		AssessmentType: typ,
		LifecycleStage: optText(&f, "lifecycle_stage", in.LifecycleStage, MaxLifecycleStageLength),
		Summary:        optText(&f, "summary", in.Summary, MaxSummaryLength),
		Evaluations:    evaluations(&f, in.Evaluations, sc),
		Mitigations:    mitigations(&f, in.Mitigations, nil, now),
	}
	if err := f.Err(); err != nil {
		return Assessment{}, err
	}
	now = wireTime(now)
	a.ID = ids.UUID(now)
	a.SpaceID, a.ProductID = scope.SpaceID, scope.ProductID
	a.Status = StatusDraft
	a.AssessedByID, a.AssessedAt = by, now
	a.CreatedAt, a.UpdatedAt = now, now
	a.score(sc)
	return a, nil
}

// Update applies an update request to a draft; a completed assessment is
// frozen (409). sc must be the scale ScoringModel names: the stored
// evaluations are re-scored with it when the request does not replace them.
func Update(a Assessment, in UpdateInput, sc Scorer, now time.Time) (Assessment, error) {
	if a.Status == StatusCompleted {
		return Assessment{}, errs.Conflictf("assessment %s is completed and can no longer be changed", a.ID)
	}
	var f errs.Fields
	if in.AssessmentType != nil {
		a.AssessmentType, _ = requiredType(&f, *in.AssessmentType)
	}
	if in.LifecycleStage != nil {
		a.LifecycleStage = optText(&f, "lifecycle_stage", in.LifecycleStage, MaxLifecycleStageLength)
	}
	if in.Summary != nil {
		a.Summary = optText(&f, "summary", in.Summary, MaxSummaryLength)
	}
	evals := in.Evaluations
	if evals == nil {
		// The scale may have changed; the stored values must fit the new one.
		evals = asInputs(a.Evaluations)
	}
	a.Evaluations = evaluations(&f, evals, sc)
	if in.Mitigations != nil {
		a.Mitigations = mitigations(&f, in.Mitigations, a.Mitigations, now)
	}
	if err := f.Err(); err != nil {
		return Assessment{}, err
	}
	a.UpdatedAt = wireTime(now)
	a.score(sc)
	return a, nil
}

// Complete freezes a draft and sets its tier: the override in the request,
// else the tier its overall_risk_score falls in. The completer is recorded
// as the reviewer. Mitigations stay trackable afterwards.
func Complete(a Assessment, in CompleteInput, by string, now time.Time) (Assessment, error) {
	if a.Status == StatusCompleted {
		return Assessment{}, errs.Conflictf("assessment %s is already completed", a.ID)
	}
	var tier risk.Tier
	var how string
	switch {
	case in.RiskTier != nil:
		var ok bool
		if tier, ok = risk.ParseTier(*in.RiskTier); !ok {
			var f errs.Fields
			oneOf(&f, "risk_tier", *in.RiskTier, risk.Tiers())
			return Assessment{}, f.Err()
		}
		how = "risk_tier " + string(tier) + " set by the reviewer"
		if a.OverallRiskScore != nil {
			how = fmt.Sprintf("%s → %s; %s", deref(a.ScoreExplanation), risk.TierFor(*a.OverallRiskScore), how)
		} else {
			how += " (no evaluations to derive it from)"
		}
	case a.OverallRiskScore != nil:
		tier = risk.TierFor(*a.OverallRiskScore)
		how = deref(a.ScoreExplanation) + " → " + string(tier)
	default:
		return Assessment{}, errs.Invalid("risk_tier", "is required to complete an assessment without evaluations")
	}
	now = wireTime(now)
	a.Status = StatusCompleted
	a.RiskTier = &tier
	a.ScoreExplanation = &how
	a.ReviewedByID, a.ReviewedAt = &by, &now
	a.UpdatedAt = now
	return a, nil
}

// score sets the overall score, its explanation and the scale's model from
// the evaluations: round(mean(score) × 100 / max), where max is the
// scale's highest product (125 on the built-in scale).
func (a *Assessment) score(sc Scorer) {
	a.RiskModelID, a.RiskModelVersion = sc.model()
	a.OverallRiskScore, a.ScoreExplanation = nil, nil
	if len(a.Evaluations) == 0 {
		return
	}
	scores := make([]int, len(a.Evaluations))
	for i, e := range a.Evaluations {
		scores[i] = e.Score
	}
	overall, explanation := risk.NormalisedMean(scores, sc.MaxScore())
	a.OverallRiskScore, a.ScoreExplanation = &overall, &explanation
}

func requiredType(f *errs.Fields, s string) (Type, bool) {
	if s == "" {
		f.Add("assessment_type", "is required: one of initial, pre_deployment, periodic, incident")
		return "", false
	}
	return oneOf(f, "assessment_type", s, Types())
}

// evaluations validates and scores the requested evaluations: one per
// category, each factor within the scale.
func evaluations(f *errs.Fields, in []EvaluationInput, sc Scorer) []Evaluation {
	if len(in) > len(Categories()) {
		f.Add("evaluations", "must have at most %d evaluations, one per category", len(Categories()))
		return nil
	}
	levels := sc.Levels()
	out := make([]Evaluation, 0, len(in))
	first := map[Category]int{}
	for i, e := range in {
		field := fmt.Sprintf("evaluations[%d]", i)
		cat, ok := oneOf(f, field+".category", e.Category, Categories())
		if ok {
			if j, dup := first[cat]; dup {
				f.Add(field+".category", "duplicate category %q (also evaluations[%d]): one evaluation per category", cat, j)
			} else {
				first[cat] = i
			}
		}
		for _, factor := range []struct {
			name  string
			value int
		}{{"severity", e.Severity}, {"likelihood", e.Likelihood}, {"impact", e.Impact}} {
			f.Check(factor.value >= 1 && factor.value <= levels, field+"."+factor.name, "must be between 1 and %d", levels)
		}
		score, _ := risk.Product([]int{e.Severity, e.Likelihood, e.Impact})
		out = append(out, Evaluation{
			Category: cat, Severity: e.Severity, Likelihood: e.Likelihood, Impact: e.Impact, Score: score,
			Notes: optText(f, field+".notes", e.Notes, MaxNotesLength),
		})
	}
	return out
}

func asInputs(evals []Evaluation) []EvaluationInput {
	out := make([]EvaluationInput, len(evals))
	for i, e := range evals {
		out[i] = EvaluationInput{Category: string(e.Category), Severity: e.Severity, Likelihood: e.Likelihood, Impact: e.Impact, Notes: e.Notes}
	}
	return out
}

// optText validates an optional text of at most max characters. Absent or
// empty yields nil, so an empty string is how a client clears a text.
func optText(f *errs.Fields, field string, s *string, max int) *string {
	if s == nil || *s == "" {
		return nil
	}
	if !f.Check(utf8.RuneCountInString(*s) <= max, field, "must be at most %d characters", max) {
		return nil
	}
	v := *s
	return &v
}

// requiredText validates a text that must not be blank.
func requiredText(f *errs.Fields, field, s string, max int) string {
	if strings.TrimSpace(s) == "" {
		f.Add(field, "is required")
		return ""
	}
	f.Check(utf8.RuneCountInString(s) <= max, field, "must be at most %d characters", max)
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// wireTime is UTC at millisecond precision, which every store keeps
// exactly, so a stored assessment reads back as it was returned.
func wireTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }
