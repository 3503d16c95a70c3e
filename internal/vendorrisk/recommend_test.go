package vendorrisk_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/riskd/riskd/internal/textrisk"
	"github.com/riskd/riskd/internal/vendorrisk"
)

// defaultRecommender is the recommender riskd serve builds without --rules:
// NewRecommender with the engine of the built-in packs.
func defaultRecommender(t testing.TB) vendorrisk.RuleRecommender {
	t.Helper()
	e, err := textrisk.Default()
	if err != nil {
		t.Fatal(err)
	}
	return vendorrisk.NewRecommender(e)
}

func impact(v string) vendorrisk.Signal {
	return vendorrisk.Signal{Kind: vendorrisk.SignalStatuspageImpact, Value: v}
}
func status(v string) vendorrisk.Signal {
	return vendorrisk.Signal{Kind: vendorrisk.SignalStatuspageStatus, Value: v}
}
func maint(v string) vendorrisk.Signal {
	return vendorrisk.Signal{Kind: vendorrisk.SignalStatuspageMaintenance, Value: v}
}
func item(v string) vendorrisk.Signal {
	return vendorrisk.Signal{Kind: vendorrisk.Signal8KItem, Value: v}
}

// Every structured signal and every adjustment, each with an example that
// triggers it and one that must not.
func TestRecommendSignals(t *testing.T) {
	rec := defaultRecommender(t)
	tests := []struct {
		name        string
		in          vendorrisk.EventInput
		want        vendorrisk.RiskLevel
		explanation string
	}{
		// Statuspage impact.
		{"impact none", vendorrisk.EventInput{Signals: []vendorrisk.Signal{impact("none"), status("investigating")}},
			vendorrisk.LevelNone, "NONE: Statuspage impact none (status investigating)"},
		{"impact minor", vendorrisk.EventInput{Signals: []vendorrisk.Signal{impact("minor"), status("investigating")}},
			vendorrisk.LevelLow, "LOW: Statuspage impact minor (status investigating)"},
		{"impact major", vendorrisk.EventInput{Signals: []vendorrisk.Signal{impact("major"), status("identified")}},
			vendorrisk.LevelHigh, "HIGH: Statuspage impact major (status identified)"},
		{"impact critical", vendorrisk.EventInput{Signals: []vendorrisk.Signal{impact("critical"), status("investigating")}},
			vendorrisk.LevelCritical, "CRITICAL: Statuspage impact critical (status investigating)"},
		{"impact with keywords", vendorrisk.EventInput{Name: "API outage", Signals: []vendorrisk.Signal{impact("major"), status("identified")}},
			vendorrisk.LevelHigh, "HIGH: Statuspage impact major (status identified); keywords: outage (vendor-availability-outage)"},
		{"not an impact: unknown value", vendorrisk.EventInput{Signals: []vendorrisk.Signal{impact("catastrophic")}},
			vendorrisk.LevelLow, "LOW: no severity signal, so LOW by default"},
		{"not an impact: status alone", vendorrisk.EventInput{Signals: []vendorrisk.Signal{status("identified")}},
			vendorrisk.LevelLow, "LOW: Statuspage incident (status identified); no severity signal, so LOW by default"},

		// Resolution lowers availability one level.
		{"resolved major", vendorrisk.EventInput{Signals: []vendorrisk.Signal{impact("major"), status("resolved")}},
			vendorrisk.LevelMedium, "MEDIUM: Statuspage impact major (status resolved: lowered from HIGH)"},
		{"postmortem critical", vendorrisk.EventInput{Signals: []vendorrisk.Signal{impact("critical"), status("postmortem")}},
			vendorrisk.LevelHigh, "HIGH: Statuspage impact critical (status postmortem: lowered from CRITICAL)"},
		{"resolved minor", vendorrisk.EventInput{Signals: []vendorrisk.Signal{impact("minor"), status("resolved")}},
			vendorrisk.LevelNone, "NONE: Statuspage impact minor (status resolved: lowered from LOW)"},
		{"resolved none stays none", vendorrisk.EventInput{Signals: []vendorrisk.Signal{impact("none"), status("resolved")}},
			vendorrisk.LevelNone, "NONE: Statuspage impact none (status resolved)"},
		{"resolved lowers availability keywords too", vendorrisk.EventInput{Name: "Outage", Signals: []vendorrisk.Signal{status("resolved")}},
			vendorrisk.LevelLow, "LOW: Statuspage incident (status resolved: lowered from MEDIUM); keywords: outage (vendor-availability-outage)"},
		{"resolved with an availability keyword", vendorrisk.EventInput{Name: "API outage", Signals: []vendorrisk.Signal{impact("major"), status("resolved")}},
			vendorrisk.LevelMedium, "MEDIUM: Statuspage impact major (status resolved: lowered from HIGH); keywords: outage (vendor-availability-outage)"},
		{"not resolved: monitoring", vendorrisk.EventInput{Signals: []vendorrisk.Signal{impact("major"), status("monitoring")}},
			vendorrisk.LevelHigh, "HIGH: Statuspage impact major (status monitoring)"},
		{"not lowered: a resolved breach", vendorrisk.EventInput{Name: "Security breach", Signals: []vendorrisk.Signal{impact("minor"), status("resolved")}},
			vendorrisk.LevelHigh, "HIGH: Statuspage impact minor (status resolved: lowered from LOW); keywords: breach (vendor-security-breach)"},

		// Scheduled maintenance caps availability at LOW.
		{"maintenance scheduled", vendorrisk.EventInput{Signals: []vendorrisk.Signal{impact("maintenance"), maint("scheduled")}},
			vendorrisk.LevelLow, "LOW: Statuspage scheduled maintenance (status scheduled)"},
		{"maintenance with major impact", vendorrisk.EventInput{Name: "Dashboard downtime", Signals: []vendorrisk.Signal{impact("major"), maint("in_progress")}},
			vendorrisk.LevelLow, "LOW: Statuspage scheduled maintenance, impact major (status in_progress: capped at LOW); keywords: outage (vendor-availability-outage)"},
		{"maintenance completed", vendorrisk.EventInput{Signals: []vendorrisk.Signal{impact("maintenance"), maint("completed")}},
			vendorrisk.LevelNone, "NONE: Statuspage scheduled maintenance (status completed: lowered from LOW)"},
		{"maintenance verifying is not completed", vendorrisk.EventInput{Signals: []vendorrisk.Signal{impact("maintenance"), maint("verifying")}},
			vendorrisk.LevelLow, "LOW: Statuspage scheduled maintenance (status verifying)"},
		{"not a maintenance: unknown status", vendorrisk.EventInput{Signals: []vendorrisk.Signal{impact("major"), maint("paused")}},
			vendorrisk.LevelHigh, "HIGH: Statuspage impact major"},
		{"maintenance does not cap a breach", vendorrisk.EventInput{Name: "Ransomware", Signals: []vendorrisk.Signal{impact("maintenance"), maint("in_progress")}},
			vendorrisk.LevelHigh, "HIGH: Statuspage scheduled maintenance (status in_progress); keywords: ransomware (vendor-security-ransomware)"},

		// SEC 8-K items.
		{"item 1.05", vendorrisk.EventInput{Signals: []vendorrisk.Signal{item("1.05")}},
			vendorrisk.LevelHigh, "HIGH: SEC 8-K Item 1.05 (material cybersecurity incident)"},
		{"item 1.05 with ransomware", vendorrisk.EventInput{Description: "A ransomware attack encrypted systems.", Signals: []vendorrisk.Signal{item("1.05")}},
			vendorrisk.LevelCritical, "CRITICAL: SEC 8-K Item 1.05 (material cybersecurity incident, raised to CRITICAL by security keywords); keywords: ransomware (vendor-security-ransomware)"},
		{"item 1.05 with a medium security keyword is not raised", vendorrisk.EventInput{Description: "A vulnerability was exploited.", Signals: []vendorrisk.Signal{item("1.05")}},
			vendorrisk.LevelHigh, "HIGH: SEC 8-K Item 1.05 (material cybersecurity incident); keywords: vulnerability (vendor-security-vulnerability)"},
		{"item 8.01", vendorrisk.EventInput{Signals: []vendorrisk.Signal{item("8.01")}},
			vendorrisk.LevelLow, "LOW: SEC 8-K Item 8.01 (other events)"},
		{"items 1.05 and 8.01", vendorrisk.EventInput{Signals: []vendorrisk.Signal{item("1.05"), item("8.01"), item("1.05")}},
			vendorrisk.LevelHigh, "HIGH: SEC 8-K Item 1.05 (material cybersecurity incident), Item 8.01 (other events)"},
		{"item 8.01 with ransomware is not raised", vendorrisk.EventInput{Name: "Ransomware", Signals: []vendorrisk.Signal{item("8.01")}},
			vendorrisk.LevelHigh, "HIGH: SEC 8-K Item 8.01 (other events); keywords: ransomware (vendor-security-ransomware)"},
		{"not an item: 11.05", vendorrisk.EventInput{Signals: []vendorrisk.Signal{item("11.05")}},
			vendorrisk.LevelLow, "LOW: no severity signal, so LOW by default"},
		{"not an item: 2.02", vendorrisk.EventInput{Signals: []vendorrisk.Signal{item("2.02")}},
			vendorrisk.LevelLow, "LOW: no severity signal, so LOW by default"},

		// Keywords alone, most severe first.
		{"keywords only", vendorrisk.EventInput{Name: "Layoffs after data breach", Description: "Outage too."},
			vendorrisk.LevelHigh, "HIGH: keywords: breach (vendor-security-breach), outage (vendor-availability-outage), layoffs (vendor-workforce-layoffs)"},
		{"keywords in the name only", vendorrisk.EventInput{Name: "Layoffs after data breach"},
			vendorrisk.LevelHigh, "HIGH: keywords: breach (vendor-security-breach), layoffs (vendor-workforce-layoffs)"},
		{"no signals at all", vendorrisk.EventInput{Name: "Vendor updates its logo"},
			vendorrisk.LevelLow, "LOW: no severity signal, so LOW by default"},
		// Negations and endings: the text engine's rules do not fire on a
		// risk mentioned only to deny it, nor on an outage said to be over
		// (the old phrase matcher raised all of these).
		{"no evidence of a breach", vendorrisk.EventInput{Name: "Acme update", Description: "There is no evidence of a breach."},
			vendorrisk.LevelLow, "LOW: no severity signal, so LOW by default"},
		{"not affected by the outage", vendorrisk.EventInput{Name: "Acme is not affected by the AWS outage"},
			vendorrisk.LevelLow, "LOW: no severity signal, so LOW by default"},
		{"a denial in one sentence, a breach in the next", vendorrisk.EventInput{Description: "We were not affected by the outage. Customer data was breached."},
			vendorrisk.LevelHigh, "HIGH: keywords: breach (vendor-security-breach)"},
		{"completed maintenance text", vendorrisk.EventInput{Name: "Database maintenance", Description: "The scheduled maintenance has been completed.",
			Signals: []vendorrisk.Signal{impact("maintenance"), maint("completed")}},
			vendorrisk.LevelNone, "NONE: Statuspage scheduled maintenance (status completed: lowered from LOW); keywords: maintenance (vendor-availability-maintenance)"},
		{"phrase does not run from name into description", vendorrisk.EventInput{Name: "big data", Description: "leak testing finished"},
			vendorrisk.LevelLow, "LOW: no severity signal, so LOW by default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rec.Recommend(tt.in)
			if got.Level != tt.want || got.Explanation != tt.explanation {
				t.Fatalf("got %s %q\nwant %s %q", got.Level, got.Explanation, tt.want, tt.explanation)
			}
			if again := rec.Recommend(tt.in); again.Explanation != got.Explanation {
				t.Fatal("not deterministic")
			}
		})
	}
}

func TestRecommendReportsRecognisedSignals(t *testing.T) {
	got := defaultRecommender(t).Recommend(vendorrisk.EventInput{
		Name:    "Outage",
		Signals: []vendorrisk.Signal{impact("major"), status("identified"), item("2.02"), {Kind: "tweet", Value: "x"}},
	})
	want := []vendorrisk.Signal{
		{Kind: vendorrisk.SignalStatuspageImpact, Value: "major", Level: vendorrisk.LevelHigh, Category: vendorrisk.CategoryAvailability},
		{Kind: vendorrisk.SignalStatuspageStatus, Value: "identified", Category: vendorrisk.CategoryAvailability},
		{Kind: vendorrisk.SignalKeyword, Value: "outage", Level: vendorrisk.LevelMedium, Category: vendorrisk.CategoryAvailability, Rule: "vendor-availability-outage"},
	}
	if len(got.Signals) != len(want) {
		t.Fatalf("signals %+v", got.Signals)
	}
	for i := range want {
		if got.Signals[i] != want[i] {
			t.Errorf("signal %d = %+v, want %+v", i, got.Signals[i], want[i])
		}
	}
}

// A plugged-in keyword source (the textrisk engine, later) is used, but its
// malformed signals are dropped rather than trusted.
func TestRecommendWithCustomTextSignals(t *testing.T) {
	text := func(s string) []vendorrisk.Signal {
		if s == "" {
			return nil
		}
		return []vendorrisk.Signal{
			{Kind: vendorrisk.SignalKeyword, Value: "supply chain", Level: vendorrisk.LevelMedium, Category: vendorrisk.CategorySecurity},
			{Kind: vendorrisk.SignalKeyword, Value: "unassigned", Level: vendorrisk.LevelUnassigned},
			{Kind: vendorrisk.SignalKeyword, Value: "bogus", Level: "SEVERE"},
			{Kind: vendorrisk.SignalKeyword, Value: "", Level: vendorrisk.LevelCritical},
			{Kind: vendorrisk.Signal8KItem, Value: "1.05", Level: vendorrisk.LevelCritical},
		}
	}
	got := vendorrisk.RuleRecommender{Text: text}.Recommend(vendorrisk.EventInput{Name: "anything", Description: "more"})
	if got.Level != vendorrisk.LevelMedium || got.Explanation != "MEDIUM: keywords: supply chain" {
		t.Fatalf("got %s %q", got.Level, got.Explanation)
	}
	structuredOnly := vendorrisk.RuleRecommender{}.Recommend(vendorrisk.EventInput{Name: "ransomware", Signals: []vendorrisk.Signal{impact("minor")}})
	if structuredOnly.Explanation != "LOW: Statuspage impact minor" {
		t.Fatalf("without Text: %q", structuredOnly.Explanation)
	}
}

func TestApplyRecommendation(t *testing.T) {
	ev, _ := vendorrisk.NewRiskEvent(vendorrisk.RiskEventCreate{VendorURN: vendorURN, Name: "x", SourceType: vendorrisk.SourceNews}, now)
	later := now.Add(time.Minute)
	for _, bad := range []vendorrisk.RiskLevel{vendorrisk.LevelUnassigned, "", "SEVERE"} {
		if got, err := vendorrisk.ApplyRecommendation(ev, vendorrisk.Recommendation{Level: bad}, later); err == nil || got.Recommendation != nil {
			t.Errorf("level %q accepted", bad)
		}
	}
	rec := vendorrisk.Recommendation{Level: vendorrisk.LevelHigh, Explanation: "HIGH: keywords: breach",
		Signals: []vendorrisk.Signal{{Kind: vendorrisk.SignalKeyword, Value: "breach", Level: vendorrisk.LevelHigh}}}
	got, err := vendorrisk.ApplyRecommendation(ev, rec, later)
	if err != nil {
		t.Fatal(err)
	}
	if got.RiskLevel != vendorrisk.LevelHigh || !got.LevelFromRecommendation || got.Recommendation.Explanation != rec.Explanation || !got.UpdatedAt.Equal(later) {
		t.Fatalf("applied: %+v", got)
	}
	rec.Signals[0].Value = "changed"
	if got.Recommendation.Signals[0].Value != "breach" {
		t.Error("the event shares the recommendation's signal slice")
	}
	again, _ := vendorrisk.ApplyRecommendation(got, vendorrisk.Recommendation{Level: vendorrisk.LevelHigh, Explanation: "HIGH: keywords: breach"}, later.Add(time.Hour))
	if !again.UpdatedAt.Equal(later) {
		t.Error("re-applying the same recommendation moved updated_at")
	}
}

// The whole path a poll takes: observation → event → recommendation → level.
func TestRecommendObservedEvent(t *testing.T) {
	var r vendorrisk.Recommender = defaultRecommender(t)
	ev, err := vendorrisk.NewObservedEvent(vendorURN, vendorrisk.SourceStatusPage, vendorrisk.Observation{
		ExternalID: "statuspage:kx3qz7v1m0pd", Name: "API outage in us-east-1",
		Signals: []vendorrisk.Signal{impact("major"), status("identified")},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	ev, err = vendorrisk.ApplyRecommendation(ev, r.Recommend(ev.Input()), now)
	if err != nil {
		t.Fatal(err)
	}
	if ev.RiskLevel != vendorrisk.LevelHigh || ev.Recommendation.Explanation != "HIGH: Statuspage impact major (status identified); keywords: outage (vendor-availability-outage)" {
		t.Fatalf("level %s, explanation %q", ev.RiskLevel, ev.Recommendation.Explanation)
	}
}

// A recommendation that moves the level is a history entry by the
// recommender; one that does not (a reviewer's level, the same level again)
// is not.
func TestRecommendationHistory(t *testing.T) {
	ev, _ := vendorrisk.NewRiskEvent(vendorrisk.RiskEventCreate{VendorURN: vendorURN, Name: "x", SourceType: vendorrisk.SourceNews}, now)
	later := now.Add(time.Minute)
	first, _ := vendorrisk.ApplyRecommendation(ev, vendorrisk.Recommendation{Level: vendorrisk.LevelHigh, Explanation: "HIGH: keywords: breach (vendor-security-breach)"}, later)
	h := vendorrisk.RecommendationHistory(ev, first, "system:recommender")
	want := vendorrisk.HistoryEntry{At: later, ActorID: "system:recommender", FromStatus: vendorrisk.StatusPending, ToStatus: vendorrisk.StatusPending,
		FromLevel: vendorrisk.LevelUnassigned, ToLevel: vendorrisk.LevelHigh, Note: "recommendation: HIGH: keywords: breach (vendor-security-breach)"}
	if h == nil || *h != want {
		t.Fatalf("entry %+v, want %+v", h, want)
	}
	// The same level again, with another explanation: no entry.
	same, _ := vendorrisk.ApplyRecommendation(first, vendorrisk.Recommendation{Level: vendorrisk.LevelHigh, Explanation: "HIGH: other"}, later.Add(time.Minute))
	if h := vendorrisk.RecommendationHistory(first, same, "system:recommender"); h != nil {
		t.Fatalf("unchanged level gave %+v", h)
	}
	// A later recommendation still moves a recommended level.
	lower, _ := vendorrisk.ApplyRecommendation(same, vendorrisk.Recommendation{Level: vendorrisk.LevelMedium, Explanation: "MEDIUM: " + strings.Repeat("x", 3000)}, later.Add(2*time.Minute))
	h = vendorrisk.RecommendationHistory(same, lower, "system:recommender")
	if h == nil || h.FromLevel != vendorrisk.LevelHigh || h.ToLevel != vendorrisk.LevelMedium || utf8.RuneCountInString(h.Note) != 2000 {
		t.Fatalf("second entry %+v", h)
	}
	// A reviewer's level is theirs: the recommendation is recorded, the
	// level does not move, and there is no entry.
	reviewed, _, _ := vendorrisk.Triage(lower, vendorrisk.TriagePatch{RiskLevel: ptr(vendorrisk.LevelLow)}, "u1", later.Add(3*time.Minute))
	after, _ := vendorrisk.ApplyRecommendation(reviewed, vendorrisk.Recommendation{Level: vendorrisk.LevelCritical, Explanation: "CRITICAL: y"}, later.Add(4*time.Minute))
	if h := vendorrisk.RecommendationHistory(reviewed, after, "system:recommender"); h != nil || after.RiskLevel != vendorrisk.LevelLow {
		t.Fatalf("reviewed event: level %s, entry %+v", after.RiskLevel, h)
	}
}
