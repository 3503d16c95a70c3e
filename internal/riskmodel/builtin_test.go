package riskmodel_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/risk"
	"github.com/riskd/riskd/internal/riskmodel"
)

func TestBuiltinAISystemRisk(t *testing.T) {
	m := riskmodel.BuiltinAISystemRisk(now, "system")
	if m.Name["en-US"] != riskmodel.BuiltinName || m.Version != 1 || !m.Active || m.CreatedBy != "system" || m.ID == "" {
		t.Fatalf("unexpected model header %+v", m)
	}
	if m.NumberOfDimensions != 3 || m.NumberOfScales != 5 {
		t.Fatalf("shape %d×%d; want 3 dimensions of 5 scales", m.NumberOfDimensions, m.NumberOfScales)
	}
	for i, want := range []string{"Severity", "Likelihood", "Impact"} {
		d := m.Dimensions[i]
		if d.Name["en-US"] != want || d.Description["en-US"] == "" {
			t.Errorf("dimension %d = %v; want %s with a description", i, d.Name, want)
		}
		for j, s := range d.Scales {
			if s.Value != j+1 || s.Name["en-US"] == "" || s.Description["en-US"] == "" {
				t.Errorf("%s scale %d = %+v", want, j, s)
			}
		}
	}

	// The seeded model passes the same validation as a client's.
	var in riskmodel.Input
	b, _ := json.Marshal(m)
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatal(err)
	}
	if err := riskmodel.Validate(in); err != nil {
		t.Fatalf("the built-in model does not validate: %v", err)
	}

	if a, b := riskmodel.BuiltinAISystemRisk(now, "x"), riskmodel.BuiltinAISystemRisk(now, "x"); a.ID == b.ID {
		t.Error("two spaces' built-in models share an id")
	}
}

// A score's band is the tier one evaluation with that score would get in an
// AI product assessment, for every score on the 1–125 scale.
func TestBuiltinBandsMirrorTiers(t *testing.T) {
	m := riskmodel.BuiltinAISystemRisk(now, "system")
	var mins []int
	for _, b := range m.Bands {
		mins = append(mins, b.Min)
	}
	if want := []int{1, 31, 62, 100}; len(mins) != 4 || mins[0] != want[0] || mins[1] != want[1] || mins[2] != want[2] || mins[3] != want[3] {
		t.Fatalf("band minimums %v; want %v", mins, want)
	}
	for s := 1; s <= 5; s++ {
		for l := 1; l <= 5; l++ {
			for i := 1; i <= 5; i++ {
				c, err := riskmodel.Calculate(m, []int{s, l, i})
				if err != nil {
					t.Fatal(err)
				}
				tier := risk.TierFor(risk.Normalise(c.Score, 1, 125))
				if c.Band == nil || strings.ToLower(c.Band.Name["en-US"]) != string(tier) {
					t.Fatalf("score %d: band %v; tier %s", c.Score, c.Band, tier)
				}
			}
		}
	}
}
