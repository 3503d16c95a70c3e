package vendorrisk_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/textrisk"
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
		// A trailing "*" makes the last word a prefix.
		{"exfiltrat*", "Data was exfiltrated overnight", true},
		{"exfiltrat*", "EXFILTRATION", true},
		{"exfiltrat*", "exfil tools", false},
		{"exfiltrat*", "pre-exfiltration", true}, // "pre" and "exfiltration" are words
		{"exfiltrat*", "preexfiltration", false},
		{"data leak*", "data leakage prevention", true},
		{"data leak*", "data lake", false},
		{"data leak*", "leakage of data", false},
		{"*", "anything", false},
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

// keywordExamples holds, for every rule of the built-in vendor-event pack
// (by term), text that must raise it and near-miss text that must not. The
// pack's own examples run in the textrisk tests and `riskd rules test`;
// these check the path through EngineSignals.
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
	"ofac":                {"OFAC designates a former partner", "Sofac Ltd expands in Morocco"},
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

// negationExamples are texts that mention a risk only to deny it, or say it
// is over: the old phrase matcher raised every one of them.
var negationExamples = []struct{ text, term string }{
	{"There is no evidence of a breach.", "breach"},
	{"We have found no evidence that customer data was breached.", "breach"},
	{"Our systems were not breached.", "breach"},
	{"No ransomware was found on our systems.", "ransomware"},
	{"No data was exfiltrated.", "exfiltration"},
	{"New hardware keys protect against unauthorized access.", "unauthorized access"},
	{"Acme is not subject to any sanctions.", "sanctions"},
	{"Acme has no plans to file for bankruptcy.", "bankruptcy"},
	{"No layoffs are planned.", "layoffs"},
	{"Acme is not affected by the outage.", "outage"},
	{"Our services are unaffected by the regional cloud outage.", "outage"},
	{"The outage has been resolved.", "outage"},
	{"Performance is no longer degraded.", "degradation"},
	{"The scheduled maintenance has been completed.", "maintenance"},
	{"Maintenance is complete and all systems are operational.", "maintenance"},
}

func engine(t testing.TB) *textrisk.Engine {
	t.Helper()
	e, err := textrisk.Default()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEngineSignalsExamples(t *testing.T) {
	signals := vendorrisk.EngineSignals(engine(t))
	has := func(text, term string) bool {
		return slices.ContainsFunc(signals(text), func(s vendorrisk.Signal) bool { return s.Value == term })
	}
	for term, ex := range keywordExamples {
		t.Run(term, func(t *testing.T) {
			if !has(ex.pos, term) {
				t.Errorf("%q did not raise %q: %+v", ex.pos, term, signals(ex.pos))
			}
			if has(ex.neg, term) {
				t.Errorf("%q raised %q", ex.neg, term)
			}
		})
	}
	for _, ex := range negationExamples {
		t.Run("negated/"+ex.text, func(t *testing.T) {
			if got := signals(ex.text); len(got) != 0 {
				t.Errorf("raised %+v", got)
			}
		})
	}
}

// Every vendor-event rule of the built-in pack has an id the recommender
// can read (vendor-<category>-<term>, a known category) and examples; every
// term has examples here.
func TestVendorEventRules(t *testing.T) {
	known := []vendorrisk.Category{vendorrisk.CategoryAvailability, vendorrisk.CategorySecurity, vendorrisk.CategoryFinancial,
		vendorrisk.CategoryLegal, vendorrisk.CategorySanctions, vendorrisk.CategoryWorkforce, vendorrisk.CategoryOwnership}
	signals := vendorrisk.EngineSignals(engine(t))
	terms := map[string]bool{}
	n := 0
	for _, r := range engine(t).Rules() {
		if !slices.Contains(r.Scenarios, textrisk.VendorEvent) {
			continue
		}
		n++
		t.Run(r.ID, func(t *testing.T) {
			if len(r.Scenarios) != 1 {
				t.Errorf("scenarios %v: vendor-event rules run in vendor_event only", r.Scenarios)
			}
			if len(r.Examples.MustFire) == 0 || len(r.Examples.MustNotFire) == 0 {
				t.Fatal("no examples")
			}
			got := signals(r.Examples.MustFire[0])
			i := slices.IndexFunc(got, func(s vendorrisk.Signal) bool { return s.Rule == r.ID })
			if i < 0 {
				t.Fatalf("%q gave %+v", r.Examples.MustFire[0], got)
			}
			s := got[i]
			if !slices.Contains(known, s.Category) || s.Value == "" || !strings.HasPrefix(r.ID, "vendor-"+string(s.Category)+"-") {
				t.Errorf("id %q reads as category %q, term %q", r.ID, s.Category, s.Value)
			}
			want := map[textrisk.Priority]vendorrisk.RiskLevel{textrisk.P1: vendorrisk.LevelHigh, textrisk.P2: vendorrisk.LevelMedium, textrisk.P3: vendorrisk.LevelLow}[r.Severity]
			if s.Level != want {
				t.Errorf("severity %s gave level %s", r.Severity, s.Level)
			}
			terms[s.Value] = true
			if _, ok := keywordExamples[s.Value]; !ok {
				t.Errorf("term %q has no examples in keywordExamples", s.Value)
			}
		})
	}
	if n < 20 {
		t.Fatalf("%d vendor-event rules", n)
	}
	for term := range keywordExamples {
		if !terms[term] {
			t.Errorf("examples for %q, which is no rule", term)
		}
	}
}

// vendor_event is a scenario of rule packs, not of the text-risk API, and
// the compliance scenarios never run vendor rules.
func TestVendorEventScenarioIsInternal(t *testing.T) {
	if _, err := textrisk.ParseScenario("vendor_event"); err == nil {
		t.Error("the API accepts vendor_event")
	}
	if slices.Contains(textrisk.Scenarios(), "vendor_event") {
		t.Error("Scenarios() lists vendor_event")
	}
	for _, name := range textrisk.Scenarios() {
		sc, _ := textrisk.ParseScenario(name)
		for _, f := range engine(t).Analyze("Ransomware outage after data breach; Acme files for bankruptcy.", sc).Findings {
			if strings.HasPrefix(f.RuleID, "vendor-") {
				t.Errorf("scenario %s ran %s", name, f.RuleID)
			}
		}
	}
}

func TestEngineSignalsCarryLevelCategoryAndRule(t *testing.T) {
	got := vendorrisk.EngineSignals(engine(t))("Ransomware outage; ransomware again")
	want := []vendorrisk.Signal{
		{Kind: vendorrisk.SignalKeyword, Value: "ransomware", Level: vendorrisk.LevelHigh, Category: vendorrisk.CategorySecurity, Rule: "vendor-security-ransomware"},
		{Kind: vendorrisk.SignalKeyword, Value: "outage", Level: vendorrisk.LevelMedium, Category: vendorrisk.CategoryAvailability, Rule: "vendor-availability-outage"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if got := vendorrisk.EngineSignals(engine(t))("   "); got != nil {
		t.Fatalf("blank text: %+v", got)
	}
}

// The operator's packs (serve --rules) reach the recommender: a new
// vendor-event rule adds a signal in its own category, a disabled one is
// gone, and a rule id of another shape is its own term.
func TestEngineSignalsWithOperatorRules(t *testing.T) {
	builtin, err := textrisk.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	ops, err := textrisk.ParsePack("ops.yaml", []byte(`pack: acme-ops
version: "1"
rules:
  - id: vendor-workforce-layoffs
    disabled: true
  - id: vendor-esg-forced-labour
    scenarios: [vendor_event]
    severity: p1
    title: Forced labour in the supply chain
    message: The text ties the vendor's supply chain to forced labour.
    remediation: Ask for the supplier audit.
    citations: [{regulation: tprm-guidance-2023}]
    match:
      negatable: true
      phrases: ["forced labour", "forced labor"]
    examples:
      mustFire: ["Report links supplier to forced labour"]
      mustNotFire: ["No forced labour was found"]
  - id: acme-strike
    scenarios: [vendor_event]
    severity: p3
    title: Strike
    message: Workers strike.
    citations: [{regulation: tprm-guidance-2023}]
    match:
      phrases: ["on strike"]
    examples:
      mustFire: ["Warehouse staff on strike"]
      mustNotFire: ["Lucky strike"]
`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := textrisk.New(append(builtin, ops)...)
	if err != nil {
		t.Fatal(err)
	}
	if f := e.CheckExamples(); len(f) != 0 {
		t.Fatalf("examples: %v", f)
	}
	rec := vendorrisk.NewRecommender(e).Recommend(vendorrisk.EventInput{Name: "Layoffs and forced labor at supplier; staff on strike"})
	want := "HIGH: keywords: forced labour (vendor-esg-forced-labour), acme-strike"
	if rec.Level != vendorrisk.LevelHigh || rec.Explanation != want {
		t.Fatalf("got %s %q, want %q", rec.Level, rec.Explanation, want)
	}
	// The news filter's default keywords follow the same rules: the
	// operator's phrases are in, the disabled rule's are out.
	kw := vendorrisk.FeedKeywords(e)
	for _, p := range []string{"forced labour", "forced labor", "on strike", "breach"} {
		if !slices.Contains(kw, p) {
			t.Errorf("feed keywords lack %q", p)
		}
	}
	if slices.Contains(kw, "layoffs") {
		t.Error("feed keywords keep a disabled rule's phrase")
	}
}

// The default news filter keeps every item the vendor-event rules would
// flag: each mustFire example of those rules passes it. Compliance rules
// (other scenarios) add nothing to it.
func TestFeedKeywordsCoverVendorEventRules(t *testing.T) {
	e := engine(t)
	kw := vendorrisk.FeedKeywords(e)
	index := vendorrisk.NewPhraseIndex(kw)
	n := 0
	for _, r := range e.Rules() {
		vendorRule := slices.Contains(r.Scenarios, textrisk.VendorEvent)
		for _, ph := range r.Match.Phrases {
			if !vendorRule && slices.Contains(kw, ph) && !sharedWithVendorRule(e, ph) {
				t.Errorf("compliance rule %s's phrase %q is a feed keyword", r.ID, ph)
			}
		}
		if !vendorRule {
			continue
		}
		for _, ex := range r.Examples.MustFire {
			n++
			if !index.Contains(ex) {
				t.Errorf("rule %s: %q passes no default feed keyword", r.ID, ex)
			}
		}
	}
	if n == 0 || len(kw) == 0 {
		t.Fatal("no vendor-event rules")
	}
	if len(slices.Compact(slices.Sorted(slices.Values(kw)))) != len(kw) {
		t.Fatal("feed keywords repeat a phrase")
	}
}

func sharedWithVendorRule(e *textrisk.Engine, phrase string) bool {
	for _, r := range e.Rules() {
		if slices.Contains(r.Scenarios, textrisk.VendorEvent) && slices.Contains(r.Match.Phrases, phrase) {
			return true
		}
	}
	return false
}

func FuzzPhraseIndex(f *testing.F) {
	for _, ex := range keywordExamples {
		f.Add(ex.pos)
		f.Add(ex.neg)
	}
	f.Add("\xff\xfe chapter\u00a011 \u0301")
	phrases := []string{"breach", "data leak", "chapter 11", "zero day", "acquired by", "outage"}
	p := vendorrisk.NewPhraseIndex(phrases)
	signals := vendorrisk.EngineSignals(engine(f))
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
		for _, s := range signals(text) {
			if s.Kind != vendorrisk.SignalKeyword || s.Value == "" || s.Rule == "" || !s.Level.Valid() {
				t.Fatalf("malformed signal %+v", s)
			}
		}
	})
}
