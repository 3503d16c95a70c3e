package assessment

import (
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/riskmodel"
)

// builtinLevels is the documented 1–5 range of severity, likelihood and
// impact.
const builtinLevels = 5

// Scorer is the scale evaluations are scored on. The zero Scorer is the
// built-in scale: severity, likelihood and impact from 1 to 5, so scores
// run to 125. ModelScorer makes one from a risk model.
type Scorer struct {
	modelID      string
	modelVersion int
	levels       int
}

// ModelScorer scores with a risk model version. The model's three
// dimensions, in their order, are severity, likelihood and impact, each
// from 1 to numberOfScales, so the highest score is numberOfScales³. The
// built-in "AI system risk" model gives exactly the built-in scale's
// numbers. A model of another shape cannot score an assessment (422 on
// risk_model_id); an inactive one must not score new work (409).
func ModelScorer(m riskmodel.Model) (Scorer, error) {
	if m.NumberOfDimensions != 3 {
		return Scorer{}, errs.Invalid("risk_model_id", "risk model "+m.ID+" must have exactly 3 dimensions (severity, likelihood, impact) to score an assessment")
	}
	if !m.Active {
		return Scorer{}, errs.Conflictf("risk model %s is inactive; activate it or choose another", m.ID)
	}
	return Scorer{modelID: m.ID, modelVersion: m.Version, levels: m.NumberOfScales}, nil
}

// Levels is the highest value of each factor.
func (s Scorer) Levels() int {
	if s.levels == 0 {
		return builtinLevels
	}
	return s.levels
}

// MaxScore is the highest evaluation score, Levels³, which normalises the
// overall score onto 0–100.
func (s Scorer) MaxScore() int {
	l := s.Levels()
	return l * l * l
}

// model names the risk model version for the assessment's record; nil for
// the built-in scale.
func (s Scorer) model() (*string, *int) {
	if s.modelID == "" {
		return nil, nil
	}
	id, v := s.modelID, s.modelVersion
	return &id, &v
}

// ScoringModel names the risk model whose latest version must score a
// request: the one the request names (an empty string choosing the
// built-in scale), else the one the assessment already uses; "" means the
// built-in scale. current is nil for a create. The caller loads that model,
// passes ModelScorer's result to New or Update, and answers 422 on
// risk_model_id when it does not exist.
//
// Drafts thus follow the latest version of their model; a completed
// assessment keeps the version it was completed with, because it can no
// longer be updated.
func ScoringModel(current *Assessment, requested *string) string {
	switch {
	case requested != nil:
		return *requested
	case current != nil && current.RiskModelID != nil:
		return *current.RiskModelID
	}
	return ""
}
