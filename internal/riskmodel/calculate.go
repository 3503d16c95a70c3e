package riskmodel

import (
	"fmt"

	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/risk"
)

// CalculateInput is the body of a calculate request: one selected scale
// value per dimension, in dimension order.
type CalculateInput struct {
	Values []int `json:"values"`
}

// Calculation is the result of a calculate request.
type Calculation struct {
	Score    int    `json:"score"`
	MaxScore int    `json:"maxScore"`
	Version  int    `json:"version"`
	Formula  string `json:"formula"` // for example "2 × 3 × 4 = 24"
	Band     *Band  `json:"band"`    // into the model's bands; null when no band covers the score
}

// Calculate multiplies the selected scale values of m, which must be
// active (an inactive model answers 409: a deactivated model should stop
// producing new scores, while the scores it gave stay readable).
func Calculate(m Model, values []int) (Calculation, error) {
	if !m.Active {
		return Calculation{}, errs.Conflictf("risk model %s is inactive; activate it before calculating", m.ID)
	}
	if len(values) != m.NumberOfDimensions {
		return Calculation{}, errs.Invalid("values", fmt.Sprintf("must have one value per dimension (%d), has %d", m.NumberOfDimensions, len(values)))
	}
	var f errs.Fields
	for i, v := range values {
		if v < 1 || v > m.NumberOfScales {
			f.Add(fmt.Sprintf("values[%d]", i), "must be between 1 and %d", m.NumberOfScales)
		}
	}
	if err := f.Err(); err != nil {
		return Calculation{}, err
	}
	score, formula := risk.Product(values)
	// A stored model passed Validate, so its shape fits within risk.Limit.
	maxScore, _ := risk.MaxScore(m.NumberOfScales, m.NumberOfDimensions)
	c := Calculation{Score: score, MaxScore: maxScore, Version: m.Version, Formula: formula}
	if i := risk.Lookup(m.Bands, bandMin, score); i >= 0 {
		c.Band = &m.Bands[i]
	}
	return c, nil
}

func bandMin(b Band) int { return b.Min }
