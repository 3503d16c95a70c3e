package vendorrisk_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/vendorrisk"
)

var vendorURN = ids.URN(vendorrisk.VendorKind, now)

func TestNewRiskEvent(t *testing.T) {
	valid := vendorrisk.RiskEventCreate{VendorURN: vendorURN, Name: "Outage", SourceType: vendorrisk.SourceMonitor}
	with := func(f func(*vendorrisk.RiskEventCreate)) vendorrisk.RiskEventCreate {
		in := valid
		f(&in)
		return in
	}
	tests := []struct {
		name string
		in   vendorrisk.RiskEventCreate
		bad  []string
	}{
		{"minimal", valid, nil},
		{"every source type", with(func(in *vendorrisk.RiskEventCreate) { in.SourceType = vendorrisk.SourceSECFiling }), nil},
		{"url and tags", with(func(in *vendorrisk.RiskEventCreate) {
			in.URL = "https://status.acme.example/incidents/1"
			in.CategoryTags = []string{"security", " Security ", "ops"}
		}), nil},
		{"lower-case urn is canonicalised", with(func(in *vendorrisk.RiskEventCreate) { in.VendorURN = strings.ToLower(vendorURN) }), nil},
		{"risk-event urn as vendor", with(func(in *vendorrisk.RiskEventCreate) { in.VendorURN = ids.URN(vendorrisk.RiskEventKind, now) }), []string{"vendor_urn"}},
		{"no name", with(func(in *vendorrisk.RiskEventCreate) { in.Name = "" }), []string{"name"}},
		{"unknown source", with(func(in *vendorrisk.RiskEventCreate) { in.SourceType = "TWITTER" }), []string{"source_type"}},
		{"lower-case source", with(func(in *vendorrisk.RiskEventCreate) { in.SourceType = "news" }), []string{"source_type"}},
		{"javascript url", with(func(in *vendorrisk.RiskEventCreate) { in.URL = "javascript:alert(1)" }), []string{"url"}},
		{"empty tag", with(func(in *vendorrisk.RiskEventCreate) { in.CategoryTags = []string{"ok", ""} }), []string{"category_tags[1]"}},
		{"too many tags", with(func(in *vendorrisk.RiskEventCreate) { in.CategoryTags = make([]string, 21) }), []string{"category_tags"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := vendorrisk.NewRiskEvent(tt.in, now)
			if tt.bad != nil {
				if got := badFields(t, err); !slices.Equal(got, tt.bad) {
					t.Fatalf("bad fields %v, want %v", got, tt.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.ReviewStatus != vendorrisk.StatusPending || ev.RiskLevel != vendorrisk.LevelUnassigned || ev.Recommendation != nil {
				t.Errorf("new event status %s level %s rec %v", ev.ReviewStatus, ev.RiskLevel, ev.Recommendation)
			}
			if ev.VendorURN != vendorURN {
				t.Errorf("vendor URN %q, want %q", ev.VendorURN, vendorURN)
			}
			if _, ok := ids.ParseURN(vendorrisk.RiskEventKind, ev.URN); !ok {
				t.Errorf("URN %q is not a risk-event URN", ev.URN)
			}
			if ev.CategoryTags == nil {
				t.Error("category_tags is nil; it must encode as []")
			}
		})
	}
}

func TestCategoryTagsDeduplicateIgnoringCase(t *testing.T) {
	ev, err := vendorrisk.NewRiskEvent(vendorrisk.RiskEventCreate{
		VendorURN: vendorURN, Name: "x", SourceType: vendorrisk.SourceNews,
		CategoryTags: []string{" Security", "security", "ops", "OPS "},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Security", "ops"}; !slices.Equal(ev.CategoryTags, want) {
		t.Fatalf("tags %v, want %v", ev.CategoryTags, want)
	}
}

func TestRiskLevelOrder(t *testing.T) {
	tests := []struct {
		level, min vendorrisk.RiskLevel
		want       bool
	}{
		{vendorrisk.LevelCritical, vendorrisk.LevelHigh, true},
		{vendorrisk.LevelHigh, vendorrisk.LevelHigh, true},
		{vendorrisk.LevelMedium, vendorrisk.LevelHigh, false},
		{vendorrisk.LevelLow, vendorrisk.LevelNone, true},
		{vendorrisk.LevelNone, vendorrisk.LevelLow, false},
		{vendorrisk.LevelUnassigned, vendorrisk.LevelNone, false},
		{vendorrisk.LevelUnassigned, vendorrisk.LevelUnassigned, true},
		{"SEVERE", vendorrisk.LevelLow, false},
		{vendorrisk.LevelHigh, "SEVERE", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.level)+">="+string(tt.min), func(t *testing.T) {
			if got := tt.level.AtLeast(tt.min); got != tt.want {
				t.Fatalf("AtLeast = %v, want %v", got, tt.want)
			}
		})
	}
	ranks := []int{}
	for _, l := range []vendorrisk.RiskLevel{vendorrisk.LevelUnassigned, vendorrisk.LevelNone, vendorrisk.LevelLow, vendorrisk.LevelMedium, vendorrisk.LevelHigh, vendorrisk.LevelCritical} {
		ranks = append(ranks, l.Rank())
	}
	if !slices.Equal(ranks, []int{0, 1, 2, 3, 4, 5}) {
		t.Errorf("ranks %v", ranks)
	}
}

func TestParseRiskLevel(t *testing.T) {
	tests := []struct {
		in   string
		want vendorrisk.RiskLevel
		ok   bool
	}{
		{"HIGH", vendorrisk.LevelHigh, true},
		{" medium ", vendorrisk.LevelMedium, true},
		{"UNASSIGNED", vendorrisk.LevelUnassigned, true},
		{"", "", false},
		{"SEVERE", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := vendorrisk.ParseRiskLevel("risk_threshold", tt.in)
			if !tt.ok {
				if f := badFields(t, err); !slices.Equal(f, []string{"risk_threshold"}) {
					t.Fatalf("bad fields %v", f)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// The response must carry exactly the spec's fields plus category_tags and
// updated_at, with the recommendation null until one exists.
func TestRiskEventResponseShape(t *testing.T) {
	v, _ := vendorrisk.NewVendor(vendorrisk.VendorCreate{Name: "Acme", Description: "Hosting"}, now)
	ev, err := vendorrisk.NewRiskEvent(vendorrisk.RiskEventCreate{VendorURN: v.URN, Name: "Outage", SourceType: vendorrisk.SourceStatusPage}, now)
	if err != nil {
		t.Fatal(err)
	}
	decode := func(r vendorrisk.RiskEventResponse) map[string]any {
		b, _ := json.Marshal(r)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := decode(ev.Response(v.Summary()))
	want := []string{"ai_risk_level_recommendation", "category_tags", "created_at", "description", "name",
		"review_status", "risk_level", "source_type", "updated_at", "url", "urn", "vendor"}
	if got := sortedKeys(m); !slices.Equal(got, want) {
		t.Fatalf("keys %v, want %v", got, want)
	}
	if m["ai_risk_level_recommendation"] != nil {
		t.Errorf("recommendation %v, want null", m["ai_risk_level_recommendation"])
	}
	if got := sortedKeys(m["vendor"].(map[string]any)); !slices.Equal(got, []string{"created_at", "description", "name", "urn"}) {
		t.Errorf("vendor keys %v", got)
	}
	if m["created_at"] != "2026-05-01T12:00:00Z" {
		t.Errorf("created_at %v", m["created_at"])
	}

	ev, _ = vendorrisk.ApplyRecommendation(ev, vendorrisk.Recommendation{Level: vendorrisk.LevelHigh, Explanation: "HIGH: why"}, now)
	rec := decode(ev.Response(v.Summary()))["ai_risk_level_recommendation"].(map[string]any)
	if got := sortedKeys(rec); !slices.Equal(got, []string{"explanation", "recommended_risk_level"}) {
		t.Fatalf("recommendation keys %v", got)
	}
	if rec["recommended_risk_level"] != "HIGH" || rec["explanation"] != "HIGH: why" {
		t.Errorf("recommendation %v", rec)
	}
}

func TestObservationFingerprint(t *testing.T) {
	base := vendorrisk.Observation{
		ExternalID: "statuspage:abc", Name: "Outage", Description: "API down", URL: "https://stspg.io/abc",
		PublishedAt: now, UpdatedAt: now,
		Signals: []vendorrisk.Signal{{Kind: vendorrisk.SignalStatuspageImpact, Value: "major"}},
	}
	fp := base.Fingerprint()
	same := base
	same.UpdatedAt = now.Add(time.Hour) // feeds rewrite dates; that is not a change
	same.PublishedAt = time.Time{}
	if same.Fingerprint() != fp {
		t.Error("timestamps changed the fingerprint")
	}
	changes := map[string]func(*vendorrisk.Observation){
		"name":        func(o *vendorrisk.Observation) { o.Name = "Outage!" },
		"description": func(o *vendorrisk.Observation) { o.Description = "API up" },
		"url":         func(o *vendorrisk.Observation) { o.URL = "https://stspg.io/abd" },
		"signal": func(o *vendorrisk.Observation) {
			o.Signals = []vendorrisk.Signal{{Kind: vendorrisk.SignalStatuspageImpact, Value: "minor"}}
		},
		"more": func(o *vendorrisk.Observation) {
			o.Signals = append(o.Signals, vendorrisk.Signal{Kind: vendorrisk.SignalStatuspageStatus, Value: "resolved"})
		},
		"boundary": func(o *vendorrisk.Observation) {
			o.Name, o.Description = "OutageA", "PI down" // same bytes, moved between fields
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			o := base
			o.Signals = slices.Clone(base.Signals)
			change(&o)
			if o.Fingerprint() == fp {
				t.Fatal("fingerprint did not change")
			}
		})
	}
}

func TestObservedEvents(t *testing.T) {
	o := vendorrisk.Observation{
		ExternalID: "feed:x", Name: "  " + strings.Repeat("n", 300), Description: strings.Repeat("d", 10050),
		URL: "file:///etc/passwd", Signals: []vendorrisk.Signal{{Kind: vendorrisk.SignalKeyword, Value: "x"}},
	}
	ev, err := vendorrisk.NewObservedEvent(vendorURN, vendorrisk.SourceNews, o, now)
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(ev.Name); n != 255 || !strings.HasSuffix(ev.Name, "…") {
		t.Errorf("name has %d runes: %q", n, ev.Name[len(ev.Name)-8:])
	}
	if n := utf8.RuneCountInString(ev.Description); n != 10000 {
		t.Errorf("description has %d runes", n)
	}
	if ev.URL != "" {
		t.Errorf("unusable URL kept: %q", ev.URL)
	}
	if ev.ExternalID != "feed:x" || ev.Fingerprint != o.Fingerprint() || ev.ReviewStatus != vendorrisk.StatusPending ||
		ev.RiskLevel != vendorrisk.LevelUnassigned || ev.SourceType != vendorrisk.SourceNews || len(ev.Signals) != 1 {
		t.Errorf("event %+v", ev)
	}

	later := now.Add(time.Hour)
	if got, changed := vendorrisk.RefreshObservedEvent(ev, o, later); changed || !got.UpdatedAt.Equal(now) {
		t.Error("an unchanged re-poll counted as a change")
	}
	o2 := o
	o2.Name = "Resolved"
	o2.URL = "https://acme.example/x"
	ev.ReviewStatus = vendorrisk.StatusVerifying
	got, changed := vendorrisk.RefreshObservedEvent(ev, o2, later)
	if !changed || got.Name != "Resolved" || got.URL != o2.URL || !got.UpdatedAt.Equal(later) || got.Fingerprint != o2.Fingerprint() {
		t.Errorf("refresh gave %+v, changed %v", got, changed)
	}
	if got.ReviewStatus != vendorrisk.StatusVerifying || got.URN != ev.URN {
		t.Error("refresh touched the review or the identity")
	}

	for name, bad := range map[string]vendorrisk.Observation{
		"no id":   {Name: "x"},
		"no name": {ExternalID: "feed:y", Name: " "},
		"long id": {ExternalID: strings.Repeat("i", 513), Name: "x"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := vendorrisk.NewObservedEvent(vendorURN, vendorrisk.SourceNews, bad, now); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if _, err := vendorrisk.NewObservedEvent("urn:riskd:vendor:nope", vendorrisk.SourceNews, o, now); err == nil {
		t.Error("accepted a bad vendor URN")
	}
	if _, err := vendorrisk.NewObservedEvent(vendorURN, "RADIO", o, now); err == nil {
		t.Error("accepted a bad source type")
	}
}
