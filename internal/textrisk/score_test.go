package textrisk_test

import (
	"fmt"
	"testing"

	"github.com/riskd/riskd/internal/textrisk"
)

// TestScoreMatchesAnalyze: Engine.Score gives Analyze's score, band,
// scenario and pack version on the golden corpus and every rule example,
// under every scenario (and one out of range), with no findings.
func TestScoreMatchesAnalyze(t *testing.T) {
	e := engine(t)
	cases := goldenCases(t)
	for _, r := range e.Rules() {
		for i, text := range r.Examples.MustFire {
			cases = append(cases, goldenCase{fmt.Sprintf("%s must-fire %d", r.ID, i), text})
		}
		for i, text := range r.Examples.MustNotFire {
			cases = append(cases, goldenCase{fmt.Sprintf("%s must-not-fire %d", r.ID, i), text})
		}
	}
	scored := 0
	for _, c := range cases {
		for s := textrisk.Scenario(0); s <= 6; s++ {
			checkScore(t, e, c.text, s, c.name)
			if e.Analyze(c.text, s).RiskScore > 0 {
				scored++
			}
		}
	}
	if scored == 0 {
		t.Fatal("no case scored above 0")
	}
}

// checkScore fails t unless e.Score agrees with e.Analyze on text.
func checkScore(t *testing.T, e *textrisk.Engine, text string, s textrisk.Scenario, name string) {
	t.Helper()
	a, got := e.Analyze(text, s), e.Score(text, s)
	if got.RiskScore != a.RiskScore || got.Band != a.Band || got.Scenario != a.Scenario || got.PackVersion != a.PackVersion {
		t.Errorf("%s under %s: Score gives %d %s (%s, %q), Analyze %d %s (%s, %q)", name, s,
			got.RiskScore, got.Band, got.Scenario, got.PackVersion, a.RiskScore, a.Band, a.Scenario, a.PackVersion)
	}
	if got.Findings == nil || len(got.Findings) != 0 {
		t.Errorf("%s under %s: Score gives findings %v, want empty and non-nil", name, s, got.Findings)
	}
}
