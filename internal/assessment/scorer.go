package assessment

import (
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/riskmodel"
)

// builtinLevels is the documented 1–5 range of severity, likelihood and
// impact.
const builtinLevels = 5

// Scorer is the scale evaluations are scored on. ModelScorer makes one from
// a risk model the request names, DefaultScorer from the space's built-in
// "AI system risk" model, the default. The zero Scorer is the fixed scale
// that model starts with (severity, likelihood and impact from 1 to 5, so
// scores run to 125), recording no model: for a space without the
// built-in model.
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
	return modelScorer(m, "risk model "+m.ID, "")
}

// DefaultScorer scores with the space's built-in "AI system risk" model,
// the scale of a request that names no risk_model_id: ModelScorer's rules,
// with errors that say the model was the default and how to choose
// another. Its first version is severity × likelihood × impact on 1–5, so
// the numbers are the spec's; the assessment records the model's id and
// version like any other model's.
func DefaultScorer(m riskmodel.Model) (Scorer, error) {
	return modelScorer(m, "the default risk model "+m.ID+" (the built-in AI system risk)", "send risk_model_id to score with another model")
}

// modelScorer checks m as ModelScorer says; name is how its errors name the
// model, and alternative, when set, what else the caller could do.
func modelScorer(m riskmodel.Model, name, alternative string) (Scorer, error) {
	if m.NumberOfDimensions != 3 {
		msg := name + " must have exactly 3 dimensions (severity, likelihood, impact) to score an assessment"
		if alternative != "" {
			msg += "; " + alternative
		}
		return Scorer{}, errs.Invalid("risk_model_id", msg)
	}
	if !m.Active {
		msg := name + " is inactive; activate it or choose another"
		if alternative != "" {
			msg = name + " is inactive; activate it, or " + alternative
		}
		return Scorer{}, errs.Conflictf("%s", msg)
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
// the zero Scorer's fixed scale.
func (s Scorer) model() (*string, *int) {
	if s.modelID == "" {
		return nil, nil
	}
	id, v := s.modelID, s.modelVersion
	return &id, &v
}

// ScoringModel names the risk model whose latest version must score a
// request: the one the request names (an empty string choosing the
// default), else the one the assessment already uses; "" means the
// default, the space's built-in "AI system risk" model. current is nil for
// a create. The caller loads that model, passes ModelScorer's result (or
// DefaultScorer's for "") to New or Update, and answers 422 on
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
