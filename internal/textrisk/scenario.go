package textrisk

import (
	"math"
	"strings"

	"github.com/riskd/riskd/internal/errs"
)

// Scenario selects the screening context: which rules run. The zero value is
// Generic.
type Scenario uint8

// The scenarios of the API, in the order the API documents them, then
// VendorEvent.
const (
	Generic Scenario = iota
	MarketingAsset
	Dispute
	DebtCollection
	Complaint
	// VendorEvent runs the vendor-event rules (a vendor's outage, breach,
	// bankruptcy…) for the vendor risk recommender. It is internal: rules
	// may name it, but ParseScenario, and so the text-risk API and `riskd
	// score`, do not accept it.
	VendorEvent
	numScenarios
)

var scenarioNames = [numScenarios]string{
	Generic:        "generic",
	MarketingAsset: "marketing_asset",
	Dispute:        "dispute",
	DebtCollection: "debt_collection",
	Complaint:      "complaint",
	VendorEvent:    "vendor_event",
}

// Scenarios returns the scenario names in the order the API documents them.
func Scenarios() []string {
	return []string{"marketing_asset", "dispute", "debt_collection", "complaint", "generic"}
}

// ParseScenario maps an API scenario name to a Scenario. Internal scenarios
// (VendorEvent) are not API scenarios and are refused.
func ParseScenario(s string) (Scenario, error) {
	if sc, ok := parseRuleScenario(s); ok && sc < VendorEvent {
		return sc, nil
	}
	return Generic, errs.Invalid("scenario", "must be one of "+strings.Join(Scenarios(), ", "))
}

// ruleScenarios lists the names a rule's scenarios may use: the API's and
// the internal ones.
func ruleScenarios() []string { return append(Scenarios(), scenarioNames[VendorEvent]) }

// parseRuleScenario maps a scenario name of a rule pack to a Scenario.
func parseRuleScenario(s string) (Scenario, bool) {
	for i, name := range scenarioNames {
		if s == name {
			return Scenario(i), true
		}
	}
	return Generic, false
}

// String returns the API name; out-of-range values read as generic, the
// scenario Analyze uses for them.
func (s Scenario) String() string {
	if s >= numScenarios {
		s = Generic
	}
	return scenarioNames[s]
}

// MarshalText encodes the API name.
func (s Scenario) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes an API name (internal scenarios are refused).
func (s *Scenario) UnmarshalText(b []byte) error {
	v, err := ParseScenario(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Priority orders findings: p1 is the most severe.
type Priority string

// Priorities, most severe first.
const (
	P1 Priority = "p1"
	P2 Priority = "p2"
	P3 Priority = "p3"
)

// DefaultWeight is the weight of a finding whose rule sets only a severity.
// The values are chosen so that one p1 finding scores 70 (High), one p2
// finding 45 (Moderate) and one p3 finding 20 (Limited), and two p1 findings
// reach Critical (91).
func DefaultWeight(p Priority) float64 {
	switch p {
	case P1:
		return 0.70
	case P2:
		return 0.45
	default:
		return 0.20
	}
}

// priorityFor derives a priority from a bare weight with the same cut points
// as the bands a single finding of that weight would land in.
func priorityFor(w float64) Priority {
	switch {
	case w > 0.60:
		return P1
	case w > 0.20:
		return P2
	default:
		return P3
	}
}

func (p Priority) rank() int {
	switch p {
	case P1:
		return 0
	case P2:
		return 1
	default:
		return 2
	}
}

// Score combines finding weights into a 0–100 risk score:
//
//	score = round(100 × (1 − Π (1 − wᵢ)))
//
// Each weight is the probability-like share of the remaining headroom a
// finding takes, so the score never decreases when a finding is added or a
// weight raised, never exceeds 100, and many small findings approach but do
// not equal one certain violation. Weights outside [0, 1] are clamped.
func Score(weights ...float64) int {
	rest := 1.0
	for _, w := range weights {
		if !(w > 0) { // also NaN
			continue
		}
		rest *= 1 - math.Min(w, 1)
	}
	return int(math.Round(100 * (1 - rest)))
}

// Band names the range a score falls in: Limited (0–20), Low (21–40),
// Moderate (41–60), High (61–80) or Critical (81–100).
func Band(score int) string {
	switch {
	case score <= 20:
		return "Limited"
	case score <= 40:
		return "Low"
	case score <= 60:
		return "Moderate"
	case score <= 80:
		return "High"
	default:
		return "Critical"
	}
}
