package textrisk_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/textrisk"
)

func TestBuiltin(t *testing.T) {
	packs, err := textrisk.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	e, err := textrisk.New(packs...)
	if err != nil {
		t.Fatal(err)
	}
	rules := e.Rules()
	if len(rules) < 60 {
		t.Errorf("%d rules, want at least 60", len(rules))
	}
	official := []string{"https://www.ecfr.gov/", "https://uscode.house.gov/", "https://www.consumerfinance.gov/"}
	for _, r := range rules {
		t.Run(r.ID, func(t *testing.T) {
			if r.Title == "" || r.Message == "" || r.Remediation == "" || len(r.Citations) == 0 {
				t.Errorf("incomplete rule")
			}
			if !strings.HasPrefix(r.Pos.File, "packs/") || r.Pos.Line == 0 {
				t.Errorf("position %v", r.Pos)
			}
		})
	}
	res := e.Analyze("A police report is required.", textrisk.Dispute)
	for _, c := range res.Findings[0].Citations {
		ok := false
		for _, prefix := range official {
			ok = ok || strings.HasPrefix(c.Regulation.SourceURL, prefix)
		}
		if !ok {
			t.Errorf("citation %s has unofficial source %s", c.Regulation.ID, c.Regulation.SourceURL)
		}
	}
	// Builtin returns fresh values: changing them does not touch Default.
	packs[1].Rules[0].Title = "changed"
	if d := engine(t); d.Rules()[0].Title == "changed" {
		t.Error("Builtin shares rules with Default")
	}
}

const overridePack = `pack: acme-overrides
version: "3"
rules:
  # Stricter and retitled: the built-in rule is replaced in place.
  - id: reg-e-police-report
    scenarios: [dispute]
    weight: 0.9
    title: ACME - police report demanded
    message: Our policy forbids asking for police reports.
    citations:
      - regulation: 12-cfr-1005.11
        section: "(b)(1)"
    match:
      phrases: ["police report"]
      negatable: true
    examples:
      mustFire: ["Send us the police report."]
      mustNotFire: ["No police report."]
  # Switched off.
  - id: reg-z-dispute-fee
    disabled: true
  # New, citing an inline regulation.
  - id: acme-tone
    scenarios: [complaint, dispute]
    severity: p3
    title: Dismissive tone
    message: Customers should not be told to calm down.
    citations:
      - regulation: acme-style-guide
        title: ACME customer communication style guide
        sourceUrl: https://intranet.example/style
        authority: ACME Compliance
        jurisdiction: internal
    match:
      phrases: ["calm down"]
    examples:
      mustFire: ["Please calm down."]
      mustNotFire: ["We understand your frustration."]
`

func TestOverrideFromDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "acme.yaml"), []byte(overridePack), 0o644); err != nil {
		t.Fatal(err)
	}
	user, err := textrisk.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	builtin, err := textrisk.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	e, err := textrisk.New(append(builtin, user...)...)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.PackVersion(); got != "riskd-core@2026.11.2,acme-overrides@3" {
		t.Errorf("pack version %q", got)
	}
	if f := e.CheckExamples(); len(f) != 0 {
		t.Errorf("examples fail after override: %v", f)
	}
	tests := []struct {
		name, text string
		scenario   textrisk.Scenario
		rule       string
		fire       bool
		title      string
		weight     float64
	}{
		{"overridden rule uses its own match", "Send us the police report.", textrisk.Dispute, "reg-e-police-report", true, "ACME - police report demanded", 0.9},
		{"overridden rule drops its scenarios", "A police report is required.", textrisk.Generic, "reg-e-police-report", false, "", 0},
		{"disabled rule", "A $25 dispute fee will be charged.", textrisk.Dispute, "reg-z-dispute-fee", false, "", 0},
		{"new rule", "Sir, please calm down.", textrisk.Complaint, "acme-tone", true, "Dismissive tone", 0.2},
		{"other built-ins untouched", "You must contact the merchant first.", textrisk.Dispute, "reg-e-merchant-first", true, "Consumer told to resolve the error with the merchant first", 0.7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.Analyze(tt.text, tt.scenario)
			var got *textrisk.Finding
			for i := range r.Findings {
				if r.Findings[i].RuleID == tt.rule {
					got = &r.Findings[i]
				}
			}
			if (got != nil) != tt.fire {
				t.Fatalf("fired = %v, want %v (findings %v)", got != nil, tt.fire, ruleIDs(r))
			}
			if got != nil && (got.Title != tt.title || got.Weight != tt.weight) {
				t.Errorf("finding %q weight %v, want %q weight %v", got.Title, got.Weight, tt.title, tt.weight)
			}
		})
	}
	var inline *textrisk.Regulation
	for _, f := range e.Analyze("Please calm down.", textrisk.Complaint).Findings {
		inline = &f.Citations[0].Regulation
	}
	if inline == nil || inline.Title != "ACME customer communication style guide" || inline.Authorities[0] != "ACME Compliance" || inline.Jurisdictions[0] != "internal" {
		t.Errorf("inline regulation %+v", inline)
	}
}

// lineOf returns the 1-based line of the first line of text containing sub.
func lineOf(text, sub string) string {
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			return strconv.Itoa(i + 1)
		}
	}
	return "?"
}

// TestBrokenPacks checks that every problem is reported as file:line with
// the rule and the reason.
func TestBrokenPacks(t *testing.T) {
	const header = "pack: x\nversion: \"1\"\nrules:\n"
	rule := func(body string) string {
		return header + "  - id: reg-e-police-report\n" + body
	}
	const complete = `    scenarios: [dispute]
    severity: p1
    title: T
    message: M
    citations: [12-cfr-1005.11]
`
	const examples = `    examples:
      mustFire: ["a"]
      mustNotFire: ["b"]
`
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"empty phrases", rule(complete + "    match:\n      phrases: []\n" + examples),
			[]string{`x.yaml:11: rule "reg-e-police-report": match.phrases is empty`}},
		{"unknown field", rule(complete + "    match:\n      phrase: [a]\n" + examples),
			[]string{`x.yaml:11: rule "reg-e-police-report": unknown field match.phrase`}},
		{"bad severity", rule(strings.Replace(complete, "p1", "high", 1) + "    match:\n      phrases: [a]\n" + examples),
			[]string{`x.yaml:6: rule "reg-e-police-report": severity must be p1, p2 or p3, not "high"`}},
		{"bad scenario", rule(strings.Replace(complete, "[dispute]", "[disputes]", 1) + "    match:\n      phrases: [a]\n" + examples),
			[]string{`x.yaml:5: rule "reg-e-police-report": unknown scenario "disputes"`}},
		{"missing examples", rule(complete + "    match:\n      phrases: [a]\n"),
			[]string{`x.yaml:4: rule "reg-e-police-report": examples need at least one mustFire and one mustNotFire text`}},
		{"bad star", rule(complete + "    match:\n      phrases: [\"po*lice\"]\n" + examples),
			[]string{`x.yaml:11: rule "reg-e-police-report": match.phrases: "po*lice": "*" may only end the phrase`}},
		{"bad number bound", rule(complete + "    match:\n      sequences:\n        - terms: [\"within #<\", \"days\"]\n" + examples),
			[]string{`x.yaml:12: rule "reg-e-police-report": sequence.terms: "within #<": "#<" needs a number`}},
		{"one-term sequence", rule(complete + "    match:\n      sequences:\n        - terms: [\"a\"]\n" + examples),
			[]string{`x.yaml:12: rule "reg-e-police-report": sequence.terms needs 2 to 4 terms, has 1`}},
		{"bad weight", rule(complete + "    weight: 3\n    match:\n      phrases: [a]\n" + examples),
			[]string{`x.yaml:10: rule "reg-e-police-report": weight must be a number in (0, 1]`}},
		{"bad id", header + "  - id: Bad Id\n" + complete + "    match:\n      phrases: [a]\n" + examples,
			[]string{`x.yaml:4: rule id "Bad Id" must be lowercase`}},
		{"duplicate id", rule(complete+"    match:\n      phrases: [a]\n"+examples) + "  - id: reg-e-police-report\n    disabled: true\n",
			[]string{`x.yaml:15: rule "reg-e-police-report": defined twice in this pack`}},
		{"several problems at once", rule(strings.Replace(complete, "p1", "p9", 1) + "    match:\n      phrases: []\n" + examples),
			[]string{`x.yaml:6: rule "reg-e-police-report": severity`, `x.yaml:11: rule "reg-e-police-report": match.phrases is empty`}},
		{"no version", "pack: x\nrules: []\n", []string{`x.yaml:1: pack version is missing`}},
		{"yaml syntax", "pack: x\nversion: 1\nrules:\n  - id: [unclosed\n", []string{`x.yaml:3: did not find expected`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := textrisk.ParsePack("x.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\nwant it to contain %q", err, want)
				}
			}
			var pe *textrisk.PackError
			if !errors.As(err, &pe) || pe.Pos.File != "x.yaml" {
				t.Errorf("error is not a *PackError with the file: %#v", err)
			}
		})
	}
}

// TestBrokenPackInDir checks the reports of LoadDir and New name the file
// as given.
func TestBrokenPackInDir(t *testing.T) {
	dir := t.TempDir()
	good := overridePack
	broken := strings.Replace(overridePack, `phrases: ["calm down"]`, `phrases: []`, 1)
	if err := os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.yml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := textrisk.LoadDir(dir)
	want := filepath.Join(dir, "b.yml") + ":" + lineOf(broken, "phrases: []") + `: rule "acme-tone": match.phrases is empty`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("LoadDir error %v\nwant %s", err, want)
	}

	// Problems only visible once packs are merged are located too.
	unknown := strings.Replace(overridePack, "regulation: 12-cfr-1005.11", "regulation: 12-cfr-9999", 1)
	p, err := textrisk.ParsePack("rules/acme.yaml", []byte(unknown))
	if err != nil {
		t.Fatal(err)
	}
	builtin, _ := textrisk.Builtin()
	_, err = textrisk.New(append(builtin, p)...)
	if err == nil || !strings.Contains(err.Error(), "rules/acme.yaml:"+lineOf(unknown, "12-cfr-9999")+`: rule "reg-e-police-report": cites unknown regulation "12-cfr-9999"`) {
		t.Errorf("New error %v", err)
	}
	orphan := "pack: y\nversion: \"1\"\nrules:\n  - id: no-such-rule\n    disabled: true\n"
	p, err = textrisk.ParsePack("y.yaml", []byte(orphan))
	if err != nil {
		t.Fatal(err)
	}
	if _, err = textrisk.New(append(builtin, p)...); err == nil || !strings.Contains(err.Error(), `y.yaml:4: rule "no-such-rule": disables a rule no earlier pack defines`) {
		t.Errorf("New error %v", err)
	}

	if _, err := textrisk.LoadDir(t.TempDir()); err == nil {
		t.Error("an empty rules directory must be an error")
	}
	if _, err := textrisk.LoadDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing rules directory must be an error")
	}
}

// TestCheckExamplesReportsFailures shows the function behind `riskd rules
// test` catching a rule that does not do what its examples say.
func TestCheckExamplesReportsFailures(t *testing.T) {
	wrong := strings.Replace(overridePack, `mustNotFire: ["We understand your frustration."]`, `mustNotFire: ["Calm down, we understand."]`, 1)
	p, err := textrisk.ParsePack("acme.yaml", []byte(wrong))
	if err != nil {
		t.Fatal(err)
	}
	builtin, _ := textrisk.Builtin()
	e, err := textrisk.New(append(builtin, p)...)
	if err != nil {
		t.Fatal(err)
	}
	failures := e.CheckExamples()
	at := "acme.yaml:" + lineOf(wrong, "id: acme-tone")
	if len(failures) != 1 || failures[0].RuleID != "acme-tone" || failures[0].WantFire || failures[0].Pos.String() != at {
		t.Fatalf("failures %v", failures)
	}
	if s := failures[0].String(); !strings.Contains(s, at+`: rule "acme-tone" should not fire but did on "Calm down, we understand."`) {
		t.Errorf("failure text %q", s)
	}
}

// TestSparseEngines: engines with no rules, or none for a scenario, answer
// with a zero score.
func TestSparseEngines(t *testing.T) {
	empty, err := textrisk.New()
	if err != nil {
		t.Fatal(err)
	}
	if r := empty.Analyze("A police report is required.", textrisk.Dispute); r.RiskScore != 0 || len(r.Findings) != 0 {
		t.Errorf("empty engine: %+v", r)
	}
	p, err := textrisk.ParsePack("acme.yaml", []byte(overridePack))
	if err != nil {
		t.Fatal(err)
	}
	p.Rules = p.Rules[2:] // only acme-tone, which runs in complaint and dispute
	e, err := textrisk.New(p)
	if err != nil {
		t.Fatal(err)
	}
	if r := e.Analyze(strings.Repeat("calm down ", 500), textrisk.MarketingAsset); len(r.Findings) != 0 {
		t.Errorf("marketing has no rules: %v", ruleIDs(r))
	}
	if r := e.Analyze(strings.Repeat("calm down ", 500), textrisk.Complaint); r.RiskScore != 20 {
		t.Errorf("complaint: score %d", r.RiskScore)
	}
}
