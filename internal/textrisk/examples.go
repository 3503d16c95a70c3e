package textrisk

import "fmt"

// ExampleFailure is a rule example that did not behave as its pack says.
type ExampleFailure struct {
	RuleID   string
	Pos      Pos // where the rule is defined
	Text     string
	WantFire bool
	// Fired lists the ids of the rules that did fire, for context.
	Fired []string
}

func (f ExampleFailure) String() string {
	want := "should fire but did not"
	if !f.WantFire {
		want = "should not fire but did"
	}
	return fmt.Sprintf("%s: rule %q %s on %q (fired: %v)", f.Pos, f.RuleID, want, f.Text, f.Fired)
}

// CheckExamples runs every effective rule's examples through the engine under
// the rule's first scenario and reports those that misbehave. It backs both
// go test and `riskd rules test DIR`; an overriding rule is checked with its
// own examples against the merged rule set.
func (e *Engine) CheckExamples() []ExampleFailure {
	var out []ExampleFailure
	for i := range e.rules {
		r := e.rules[i].def
		scenario := r.Scenarios[0]
		check := func(text string, want bool) {
			res := e.Analyze(text, scenario)
			var fired []string
			got := false
			for _, f := range res.Findings {
				fired = append(fired, f.RuleID)
				got = got || f.RuleID == r.ID
			}
			if got != want {
				out = append(out, ExampleFailure{RuleID: r.ID, Pos: r.Pos, Text: text, WantFire: want, Fired: fired})
			}
		}
		for _, text := range r.Examples.MustFire {
			check(text, true)
		}
		for _, text := range r.Examples.MustNotFire {
			check(text, false)
		}
	}
	return out
}
