package textrisk_test

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/textrisk"
)

func engine(t testing.TB) *textrisk.Engine {
	t.Helper()
	e, err := textrisk.Default()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func fired(r textrisk.Result, id string) bool {
	for _, f := range r.Findings {
		if f.RuleID == id {
			return true
		}
	}
	return false
}

func ruleIDs(r textrisk.Result) []string {
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.RuleID)
	}
	return ids
}

// TestRuleExamples runs every shipped rule's examples: each must fire on
// its mustFire texts and stay quiet on its mustNotFire texts.
func TestRuleExamples(t *testing.T) {
	e := engine(t)
	failures := map[string][]textrisk.ExampleFailure{}
	for _, f := range e.CheckExamples() {
		failures[f.RuleID] = append(failures[f.RuleID], f)
	}
	for _, r := range e.Rules() {
		t.Run(r.ID, func(t *testing.T) {
			if len(r.Examples.MustFire) == 0 || len(r.Examples.MustNotFire) == 0 {
				t.Errorf("needs at least one mustFire and one mustNotFire example")
			}
			for _, f := range failures[r.ID] {
				t.Error(f)
			}
		})
	}
}

func TestPoliceReportPhrasings(t *testing.T) {
	e := engine(t)
	tests := []struct {
		text string
		fire bool
	}{
		{"A police report is required.", true},
		{"a police report is required to open a claim", true},
		{"You must file a police report first.", true},
		{"We need a police report before we can investigate.", true},
		{"We can't investigate until you send a police report.", true},
		{"We cannot investigate without a police report.", true},
		{"We will not require a police report.", false},
		{"We won't require a police report.", false},
		{"We won’t require a police report.", false},
		{"No police report is required.", false},
		{"A police report is not required.", false},
		{"A police report isn't required.", false},
		{"You do not need a police report.", false},
		{"You don't need to file a police report.", false},
		{"You dont need a police report.", false},
		{"We never require a police report.", false},
		{"If you have filed a police report, please attach it.", false},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			r := e.Analyze(tt.text, textrisk.Dispute)
			if got := fired(r, "reg-e-police-report"); got != tt.fire {
				t.Errorf("fired = %v, want %v (findings %v)", got, tt.fire, ruleIDs(r))
			}
		})
	}
}

// TestContractions checks that every spelling of a contraction reaches the
// same rule, since normalisation gives them one form.
func TestContractions(t *testing.T) {
	e := engine(t)
	for _, neg := range []string{"can't", "can’t", "CAN'T", "cannot", "can not", "cant", "won't", "will not", "won’t", "do not", "don't", "are not", "aren't"} {
		text := "We " + neg + " give provisional credit."
		t.Run(neg, func(t *testing.T) {
			r := e.Analyze(text, textrisk.Dispute)
			if !fired(r, "reg-e-provisional-credit-withheld") {
				t.Errorf("%q: provisional-credit rule did not fire (findings %v)", text, ruleIDs(r))
			}
		})
	}
}

func TestCalibration(t *testing.T) {
	e := engine(t)
	spec := "we can't provide a provisional dispute credit until the investigation is completed"
	r := e.Analyze(spec, textrisk.Dispute)
	if r.RiskScore < 61 || r.RiskScore > 80 || r.Band != "High" {
		t.Errorf("spec example: score %d band %s findings %v, want High (61-80)", r.RiskScore, r.Band, ruleIDs(r))
	}
	if len(r.Findings) == 0 || r.Findings[0].RuleID != "reg-e-provisional-credit-withheld" {
		t.Errorf("spec example: findings %v", ruleIDs(r))
	}
	clean := strings.Join(compliantSentences, " ")
	for _, name := range textrisk.Scenarios() {
		s, err := textrisk.ParseScenario(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("compliant/"+name, func(t *testing.T) {
			if r := e.Analyze(clean, s); r.RiskScore > 20 {
				t.Errorf("compliant text scores %d, want <= 20 (findings %v)", r.RiskScore, ruleIDs(r))
			}
		})
	}
	t.Run("compliant sentences one by one", func(t *testing.T) {
		for _, text := range compliantSentences {
			for _, name := range textrisk.Scenarios() {
				s, _ := textrisk.ParseScenario(name)
				if r := e.Analyze(text, s); r.RiskScore > 20 {
					t.Errorf("%s: %q scores %d (findings %v)", name, text, r.RiskScore, ruleIDs(r))
				}
			}
		}
	})
}

// TestExplainability checks that every score is the combination of the
// listed findings, ordered p1 first.
func TestExplainability(t *testing.T) {
	e := engine(t)
	text := strings.Join(violatingSentences, "\n\n")
	for _, name := range textrisk.Scenarios() {
		s, _ := textrisk.ParseScenario(name)
		t.Run(name, func(t *testing.T) {
			r := e.Analyze(text, s)
			var weights []float64
			for i, f := range r.Findings {
				weights = append(weights, f.Weight)
				if f.RuleID == "" || f.Title == "" || f.Details == "" || len(f.Citations) == 0 {
					t.Errorf("finding %d incomplete: %+v", i, f)
				}
				if i > 0 && rank(r.Findings[i-1].Priority) > rank(f.Priority) {
					t.Errorf("finding %d (%s) after a less severe one", i, f.Priority)
				}
			}
			if got := textrisk.Score(weights...); got != r.RiskScore {
				t.Errorf("RiskScore %d, Score(weights) %d", r.RiskScore, got)
			}
			if r.Band != textrisk.Band(r.RiskScore) {
				t.Errorf("band %s for score %d", r.Band, r.RiskScore)
			}
			if r.PackVersion != "riskd-core@2026.11.2" {
				t.Errorf("pack version %q", r.PackVersion)
			}
		})
	}
}

func rank(p textrisk.Priority) int { return int(p[1] - '0') }

func TestDeterministic(t *testing.T) {
	e := engine(t)
	text := corpus(8 << 10)
	first, _ := json.Marshal(e.Analyze(text, textrisk.Generic))
	for range 5 {
		again, _ := json.Marshal(e.Analyze(text, textrisk.Generic))
		if string(again) != string(first) {
			t.Fatal("results differ between runs")
		}
	}
}

func TestOffsetsUnicode(t *testing.T) {
	e := engine(t)
	tests := []struct {
		name, text, rule, chunk string
	}{
		{"curly apostrophe", "Dear customer 😀 — We can’t provide a “provisional” dispute credit until the investigation is completed.", "reg-e-provisional-credit-withheld", "can’t provide a “provisional” dispute credit until the investigation"},
		{"nbsp and em dash", "Résumé:\u00a0A\u00a0POLICE\u00a0REPORT is required — sorry.", "reg-e-police-report", "POLICE\u00a0REPORT is required"},
		{"soft hyphen and CRLF", "Note\r\n\r\nA police re\u00adport is required.", "reg-e-police-report", "police re\u00adport is required"},
		{"expanded contraction", "Ünïcödé first. You CANNOT dispute this debt.", "fdcpa-dispute-rights-denied", "You CANNOT dispute this debt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scenario := textrisk.Dispute
			if strings.HasPrefix(tt.rule, "fdcpa") {
				scenario = textrisk.DebtCollection
			}
			r := e.Analyze(tt.text, scenario)
			found := false
			for _, f := range r.Findings {
				for _, c := range f.Citations {
					for _, ch := range c.Chunks {
						if ch.StartOffset < 0 || ch.EndOffset > len(tt.text) || ch.StartOffset > ch.EndOffset {
							t.Fatalf("chunk offsets [%d,%d) out of range", ch.StartOffset, ch.EndOffset)
						}
						if ch.Text != tt.text[ch.StartOffset:ch.EndOffset] {
							t.Errorf("chunk text %q != original[%d:%d] %q", ch.Text, ch.StartOffset, ch.EndOffset, tt.text[ch.StartOffset:ch.EndOffset])
						}
						if !utf8.ValidString(ch.Text) {
							t.Errorf("chunk %q splits a character", ch.Text)
						}
						if f.RuleID == tt.rule && ch.Text == tt.chunk {
							found = true
						}
					}
				}
			}
			if !found {
				t.Errorf("no %s chunk %q in %+v", tt.rule, tt.chunk, r.Findings)
			}
		})
	}
}

func TestSectionPath(t *testing.T) {
	e := engine(t)
	text := "Thank you for writing. We reviewed your account.\n\nFirst sentence here. A police report is required."
	r := e.Analyze(text, textrisk.Dispute)
	if len(r.Findings) != 1 {
		t.Fatalf("findings %v", ruleIDs(r))
	}
	if got := r.Findings[0].Citations[0].Chunks[0].SectionPath; got != "paragraph 2 > sentence 2" {
		t.Errorf("section path %q", got)
	}
}

func TestScenarios(t *testing.T) {
	want := []string{"marketing_asset", "dispute", "debt_collection", "complaint", "generic"}
	if got := textrisk.Scenarios(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Scenarios() = %v", got)
	}
	for _, name := range want {
		t.Run(name, func(t *testing.T) {
			s, err := textrisk.ParseScenario(name)
			if err != nil || s.String() != name {
				t.Errorf("ParseScenario(%q) = %v, %v", name, s, err)
			}
			b, _ := json.Marshal(s)
			var back textrisk.Scenario
			if err := json.Unmarshal(b, &back); err != nil || back != s {
				t.Errorf("JSON round trip %s: %v %v", b, back, err)
			}
		})
	}
	_, err := textrisk.ParseScenario("marketing")
	if !errs.Is(err, errs.ValidationFailed) {
		t.Errorf("unknown scenario: %v", err)
	}
	// Rules apply by scenario: a collection threat is not a dispute issue.
	e := engine(t)
	if r := e.Analyze("We will contact your employer about this debt.", textrisk.MarketingAsset); len(r.Findings) != 0 {
		t.Errorf("marketing scenario ran collection rules: %v", ruleIDs(r))
	}
	if r := e.Analyze("Guaranteed approval for everyone!", textrisk.Complaint); !fired(r, "udaap-guaranteed-approval") {
		t.Errorf("UDAAP rules must run in every scenario")
	}
}

func TestBand(t *testing.T) {
	tests := []struct {
		score int
		band  string
	}{
		{0, "Limited"}, {20, "Limited"}, {21, "Low"}, {40, "Low"}, {41, "Moderate"},
		{60, "Moderate"}, {61, "High"}, {80, "High"}, {81, "Critical"}, {100, "Critical"},
	}
	for _, tt := range tests {
		if got := textrisk.Band(tt.score); got != tt.band {
			t.Errorf("Band(%d) = %s, want %s", tt.score, got, tt.band)
		}
	}
}

func TestScore(t *testing.T) {
	tests := []struct {
		name    string
		weights []float64
		want    int
	}{
		{"none", nil, 0},
		{"one p1", []float64{textrisk.DefaultWeight(textrisk.P1)}, 70},
		{"one p2", []float64{textrisk.DefaultWeight(textrisk.P2)}, 45},
		{"one p3", []float64{textrisk.DefaultWeight(textrisk.P3)}, 20},
		{"p1 and p2", []float64{0.7, 0.45}, 84},
		{"two p1", []float64{0.7, 0.7}, 91},
		{"certain", []float64{1, 0.2}, 100},
		{"clamped", []float64{-3, 7}, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := textrisk.Score(tt.weights...); got != tt.want {
				t.Errorf("Score(%v) = %d, want %d", tt.weights, got, tt.want)
			}
		})
	}
}

// TestScoreMonotone: adding a finding or raising a weight never lowers the
// score, and it stays within 0..100.
func TestScoreMonotone(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for range 2000 {
		ws := make([]float64, rng.IntN(8))
		for i := range ws {
			ws[i] = rng.Float64()
		}
		base := textrisk.Score(ws...)
		if base < 0 || base > 100 {
			t.Fatalf("Score(%v) = %d", ws, base)
		}
		if more := textrisk.Score(append(ws, rng.Float64())...); more < base {
			t.Fatalf("adding a finding lowered %v: %d -> %d", ws, base, more)
		}
		if len(ws) > 0 {
			raised := append([]float64(nil), ws...)
			i := rng.IntN(len(raised))
			raised[i] += (1 - raised[i]) * rng.Float64()
			if got := textrisk.Score(raised...); got < base {
				t.Fatalf("raising a weight lowered %v: %d -> %d", ws, base, got)
			}
		}
	}
	// The engine is monotone in the same sense: more violations, a higher
	// score.
	e := engine(t)
	text, prev := "", 0
	for _, s := range []string{
		"Thank you for your message.",
		"A $25 dispute fee will be charged.",
		"A police report is required.",
		"You must contact the merchant first.",
	} {
		text += " " + s
		r := e.Analyze(text, textrisk.Dispute)
		if r.RiskScore < prev {
			t.Errorf("adding %q lowered the score %d -> %d", s, prev, r.RiskScore)
		}
		prev = r.RiskScore
	}
	if prev <= 80 {
		t.Errorf("three violations score %d, want Critical", prev)
	}
}

func TestResultJSON(t *testing.T) {
	e := engine(t)
	r := e.Analyze("A police report is required.", textrisk.Dispute)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		RiskScore   *int   `json:"riskScore"`
		Band        string `json:"band"`
		PackVersion string `json:"packVersion"`
		Findings    []struct {
			RuleID    string  `json:"ruleId"`
			Priority  string  `json:"priority"`
			Weight    float64 `json:"weight"`
			Title     string  `json:"title"`
			Details   string  `json:"details"`
			Citations []struct {
				Regulation struct {
					ID            string   `json:"id"`
					Category      string   `json:"category"`
					Title         string   `json:"title"`
					Authorities   []string `json:"authorities"`
					Jurisdictions []string `json:"jurisdictions"`
					Description   string   `json:"description"`
					SourceURL     string   `json:"sourceUrl"`
				} `json:"regulation"`
				Chunks []struct {
					Text        string `json:"text"`
					StartOffset *int   `json:"startOffset"`
					EndOffset   *int   `json:"endOffset"`
					SectionPath string `json:"sectionPath"`
				} `json:"chunks"`
			} `json:"citations"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.RiskScore == nil || *m.RiskScore != 70 || m.Band != "High" || len(m.Findings) != 1 {
		t.Fatalf("unexpected result %s", b)
	}
	f := m.Findings[0]
	c := f.Citations[0]
	if f.Priority != "p1" || f.Weight != 0.7 || c.Regulation.ID != "12-cfr-1005.11" || c.Regulation.SourceURL == "" ||
		len(c.Regulation.Authorities) == 0 || len(c.Regulation.Jurisdictions) == 0 || c.Regulation.Category == "" ||
		len(c.Chunks) != 1 || c.Chunks[0].StartOffset == nil || *c.Chunks[0].StartOffset != 2 || c.Chunks[0].SectionPath == "" {
		t.Errorf("unexpected finding %s", b)
	}
	empty, _ := json.Marshal(e.Analyze("", textrisk.Generic))
	if !strings.Contains(string(empty), `"findings":[]`) || !strings.Contains(string(empty), `"riskScore":0`) {
		t.Errorf("empty result %s", empty)
	}
}

func TestConcurrentAnalyze(t *testing.T) {
	e := engine(t)
	texts := []string{corpus(3000), corpus(70000), "A police report is required.", ""}
	want := make([]string, len(texts))
	for i, text := range texts {
		b, _ := json.Marshal(e.Analyze(text, textrisk.Dispute))
		want[i] = string(b)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				k := (g + i) % len(texts)
				b, _ := json.Marshal(e.Analyze(texts[k], textrisk.Dispute))
				if string(b) != want[k] {
					t.Errorf("goroutine %d: result for text %d differs", g, k)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestOutOfRangeScenario(t *testing.T) {
	e := engine(t)
	r := e.Analyze("Guaranteed approval!", textrisk.Scenario(200))
	if r.Scenario != textrisk.Generic || !fired(r, "udaap-guaranteed-approval") {
		t.Errorf("out-of-range scenario: %+v", r)
	}
}

// TestCompliantDocuments runs realistic compliant documents (the official
// model disclosures, a disclosure-complete ad, a good complaint response)
// through their scenario and through generic: each must stay Limited.
func TestCompliantDocuments(t *testing.T) {
	e := engine(t)
	files, err := filepath.Glob("testdata/compliant/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		scenario, err := textrisk.ParseScenario(strings.SplitN(name, "-", 2)[0])
		if err != nil {
			t.Fatalf("%s: file names start with the scenario: %v", name, err)
		}
		for _, s := range []textrisk.Scenario{scenario, textrisk.Generic} {
			t.Run(name+"/"+s.String(), func(t *testing.T) {
				r := e.Analyze(string(text), s)
				if r.RiskScore > 20 {
					for _, f := range r.Findings {
						t.Logf("%s: %q", f.RuleID, f.Citations[0].Chunks[0].Text)
					}
					t.Errorf("score %d, want <= 20", r.RiskScore)
				}
			})
		}
	}
}
