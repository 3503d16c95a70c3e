package vendorrisk_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/vendorrisk"
)

func TestPhraseIndex(t *testing.T) {
	tests := []struct {
		phrase, text string
		want         bool
	}{
		{"outage", "Major OUTAGE in us-east-1", true},
		{"outage", "outage", true},
		{"outage", "(outage)", true},
		{"outage", "outages", false},
		{"outage", "routage", false},
		{"layoffs", "Team wins the playoffs", false},
		{"chapter 11", "filed under Chapter 11.", true},
		{"chapter 11", "filed under chapter-11", true},
		{"chapter 11", "filed under chapter\n11", true},
		{"chapter 11", "chapter 110 of the handbook", false},
		{"chapter 11", "chapter eleven", false},
		{"data leak", "big data data leak", true}, // a repeated first word must not hide the match
		{"data leak", "data leakage prevention", false},
		{"Acme Cloud", "acme cloud's results", true},
		{"Acme Cloud", "AcmeCloud Partners", false},
		{"ärzte", "ÄRZTE ohne Grenzen", true},
		{"", "anything", false},
		{"--", "-- --", false},
		{"outage", "", false},
		{"long phrase here", "long phrase", false},
	}
	for _, tt := range tests {
		t.Run(tt.phrase+"/"+tt.text, func(t *testing.T) {
			p := vendorrisk.NewPhraseIndex([]string{tt.phrase})
			if got := p.Contains(tt.text); got != tt.want {
				t.Fatalf("Contains = %v, want %v", got, tt.want)
			}
			if got := len(p.Match(tt.text)) > 0; got != tt.want {
				t.Fatalf("Match found = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPhraseIndexMatchReturnsEachPhraseOnce(t *testing.T) {
	p := vendorrisk.NewPhraseIndex([]string{"outage", "breach", "data breach", "fine"})
	got := p.Match("Data breach after outage; another outage and a breach.")
	if want := []int{0, 1, 2}; !slices.Equal(got, want) {
		t.Fatalf("Match = %v, want %v", got, want)
	}
}

func TestNewKeywordMatcherRefusesBadRules(t *testing.T) {
	tests := []struct {
		name string
		rule vendorrisk.KeywordRule
	}{
		{"no term", vendorrisk.KeywordRule{Phrases: []string{"x"}, Level: vendorrisk.LevelLow}},
		{"no phrases", vendorrisk.KeywordRule{Term: "x", Level: vendorrisk.LevelLow}},
		{"phrase without words", vendorrisk.KeywordRule{Term: "x", Phrases: []string{"x", "!!"}, Level: vendorrisk.LevelLow}},
		{"unassigned level", vendorrisk.KeywordRule{Term: "x", Phrases: []string{"x"}, Level: vendorrisk.LevelUnassigned}},
		{"unknown level", vendorrisk.KeywordRule{Term: "x", Phrases: []string{"x"}, Level: "SEVERE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := vendorrisk.NewKeywordMatcher([]vendorrisk.KeywordRule{tt.rule}); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// keywordExamples holds, for every rule of the built-in pack, text that must
// raise it and near-miss text that must not.
var keywordExamples = map[string]struct{ pos, neg string }{
	"breach":              {"Acme confirms customer data was breached", "Breachwood Capital opens an office"},
	"ransomware":          {"Ransomware hits payroll processor", "A king's ransom for enterprise pricing"},
	"exfiltration":        {"Attackers exfiltrated source code", "New water filtration system at HQ"},
	"data leak":           {"Data leak exposes 3,000 tickets", "Acme launches data leakage prevention"},
	"unauthorized access": {"Unauthorised access to the admin console", "Access is authorized by SSO"},
	"cyberattack":         {"Cyber-attack disrupts logistics", "Cyber attackers conference announced"},
	"security incident":   {"Acme discloses a cybersecurity incident", "Security incidental costs rise"},
	"vulnerability":       {"Critical vulnerabilities patched", "Vulnerable road users campaign"},
	"sanctions":           {"Treasury announces sanctions on reseller", "The board sanctioned the plan"},
	"OFAC":                {"OFAC designates a former partner", "Sofac Ltd expands in Morocco"},
	"bankruptcy":          {"Hosting firm files for bankruptcy", "Bankrupting the competition with low prices"},
	"chapter 11":          {"Acme files for Chapter 11 protection", "See chapter 110 of the handbook"},
	"insolvency":          {"Administrators appointed over insolvent unit", "Solvent recycling plant opens"},
	"going concern":       {"Auditor raises going concern doubt", "Going forward, concerns were addressed"},
	"lawsuit":             {"Customers file class action over pricing", "New law suite for compliance teams"},
	"fined":               {"Regulator fined Acme $2m", "Refined pricing for startups"},
	"layoffs":             {"Acme announces layoffs", "Team wins the playoffs"},
	"acquisition":         {"Acme to be acquired by MegaCorp", "Customer acquisition costs fell"},
	"outage":              {"Global outage hits email", "Routage module released"},
	"degradation":         {"Degraded performance in eu-west", "Biodegradation study published"},
	"maintenance":         {"Scheduled maintenance on Sunday", "The maintainers released v2"},
}

func TestDefaultKeywordRulesExamples(t *testing.T) {
	rules := vendorrisk.DefaultKeywordRules()
	m, err := vendorrisk.NewKeywordMatcher(rules)
	if err != nil {
		t.Fatal(err)
	}
	terms := map[string]bool{}
	for _, r := range rules {
		terms[r.Term] = true
		if _, ok := keywordExamples[r.Term]; !ok {
			t.Errorf("rule %q has no examples", r.Term)
		}
	}
	has := func(text, term string) bool {
		return slices.ContainsFunc(m.Signals(text), func(s vendorrisk.Signal) bool { return s.Value == term })
	}
	for term, ex := range keywordExamples {
		if !terms[term] {
			t.Errorf("examples for %q, which is no rule", term)
			continue
		}
		t.Run(term, func(t *testing.T) {
			if !has(ex.pos, term) {
				t.Errorf("%q did not raise %q", ex.pos, term)
			}
			if has(ex.neg, term) {
				t.Errorf("%q raised %q", ex.neg, term)
			}
		})
	}
}

func TestKeywordSignalsCarryLevelAndCategory(t *testing.T) {
	m, _ := vendorrisk.NewKeywordMatcher(vendorrisk.DefaultKeywordRules())
	got := m.Signals("Ransomware outage; ransomware again")
	want := []vendorrisk.Signal{
		{Kind: vendorrisk.SignalKeyword, Value: "ransomware", Level: vendorrisk.LevelHigh, Category: vendorrisk.CategorySecurity},
		{Kind: vendorrisk.SignalKeyword, Value: "outage", Level: vendorrisk.LevelMedium, Category: vendorrisk.CategoryAvailability},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func FuzzPhraseIndex(f *testing.F) {
	for _, ex := range keywordExamples {
		f.Add(ex.pos)
		f.Add(ex.neg)
	}
	f.Add("\xff\xfe chapter\u00a011 \u0301")
	rules := vendorrisk.DefaultKeywordRules()
	m, err := vendorrisk.NewKeywordMatcher(rules)
	if err != nil {
		f.Fatal(err)
	}
	var phrases []string
	for _, r := range rules {
		phrases = append(phrases, r.Phrases...)
	}
	p := vendorrisk.NewPhraseIndex(phrases)
	f.Fuzz(func(t *testing.T, text string) {
		idx := p.Match(text)
		if p.Contains(text) != (len(idx) > 0) {
			t.Fatal("Contains and Match disagree")
		}
		if !slices.IsSorted(idx) || len(slices.Compact(slices.Clone(idx))) != len(idx) {
			t.Fatalf("Match = %v, not ascending and unique", idx)
		}
		// A phrase found in text is found again in text wrapped in spaces
		// and upper-cased: boundaries and case do not matter.
		if len(idx) > 0 && len(p.Match(" "+strings.ToUpper(text)+" ")) == 0 {
			t.Fatal("upper-casing lost every match")
		}
		if len(m.Signals(text)) > len(rules) {
			t.Fatal("more signals than rules")
		}
	})
}
