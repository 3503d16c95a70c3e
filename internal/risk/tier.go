package risk

import "math"

// Tier is the coarse risk class of an AI product, named after the EU AI
// Act's risk levels.
type Tier string

// The four tiers, lowest first.
const (
	Minimal      Tier = "minimal"
	Limited      Tier = "limited"
	High         Tier = "high"
	Unacceptable Tier = "unacceptable"
)

type tierBand struct {
	tier Tier
	min  int
}

// tierBands are the documented thresholds on the 0–100 score: ≥ 80
// unacceptable, ≥ 50 high, ≥ 25 limited, otherwise minimal.
var tierBands = []tierBand{
	{Minimal, math.MinInt},
	{Limited, 25},
	{High, 50},
	{Unacceptable, 80},
}

// Tiers lists every tier, lowest first.
func Tiers() []Tier { return []Tier{Minimal, Limited, High, Unacceptable} }

// ParseTier reports whether s names a tier.
func ParseTier(s string) (Tier, bool) {
	for _, t := range Tiers() {
		if string(t) == s {
			return t, true
		}
	}
	return "", false
}

// TierFor derives the tier of a 0–100 score from the thresholds.
func TierFor(score int) Tier {
	return tierBands[Lookup(tierBands, func(b tierBand) int { return b.min }, score)].tier
}
