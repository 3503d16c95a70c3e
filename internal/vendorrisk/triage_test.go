package vendorrisk_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/vendorrisk"
)

func TestTriage(t *testing.T) {
	fresh, err := vendorrisk.NewRiskEvent(vendorrisk.RiskEventCreate{VendorURN: vendorURN, Name: "Outage", SourceType: vendorrisk.SourceMonitor}, now)
	if err != nil {
		t.Fatal(err)
	}
	recommended, _ := vendorrisk.ApplyRecommendation(fresh, vendorrisk.Recommendation{Level: vendorrisk.LevelMedium, Explanation: "MEDIUM: x"}, now)
	later := now.Add(time.Hour)

	tests := []struct {
		name      string
		ev        vendorrisk.RiskEvent
		patch     vendorrisk.TriagePatch
		bad       []string
		noEntry   bool
		status    vendorrisk.ReviewStatus
		level     vendorrisk.RiskLevel
		fromRec   bool
		entryNote string
	}{
		{name: "start verifying", ev: fresh, patch: vendorrisk.TriagePatch{ReviewStatus: ptr(vendorrisk.StatusVerifying)},
			status: vendorrisk.StatusVerifying, level: vendorrisk.LevelUnassigned},
		{name: "applicable with a level", ev: fresh,
			patch:  vendorrisk.TriagePatch{ReviewStatus: ptr(vendorrisk.StatusApplicable), RiskLevel: ptr(vendorrisk.LevelHigh), Note: ptr(" confirmed with vendor ")},
			status: vendorrisk.StatusApplicable, level: vendorrisk.LevelHigh, entryNote: "confirmed with vendor"},
		{name: "applicable keeps the recommended level", ev: recommended, patch: vendorrisk.TriagePatch{ReviewStatus: ptr(vendorrisk.StatusApplicable)},
			status: vendorrisk.StatusApplicable, level: vendorrisk.LevelMedium, fromRec: true},
		{name: "confirming the recommended level takes it over", ev: recommended, patch: vendorrisk.TriagePatch{RiskLevel: ptr(vendorrisk.LevelMedium)},
			status: vendorrisk.StatusPending, level: vendorrisk.LevelMedium},
		{name: "not applicable", ev: recommended, patch: vendorrisk.TriagePatch{ReviewStatus: ptr(vendorrisk.StatusNotApplicable), RiskLevel: ptr(vendorrisk.LevelNone)},
			status: vendorrisk.StatusNotApplicable, level: vendorrisk.LevelNone},
		{name: "note only", ev: fresh, patch: vendorrisk.TriagePatch{Note: ptr("asked the vendor")},
			status: vendorrisk.StatusPending, level: vendorrisk.LevelUnassigned, entryNote: "asked the vendor"},
		{name: "no change", ev: recommended, patch: vendorrisk.TriagePatch{ReviewStatus: ptr(vendorrisk.StatusPending), Note: ptr("  ")}, noEntry: true},
		{name: "empty patch", ev: fresh, patch: vendorrisk.TriagePatch{}, noEntry: true},

		{name: "unknown status", ev: fresh, patch: vendorrisk.TriagePatch{ReviewStatus: ptr(vendorrisk.ReviewStatus("DONE"))}, bad: []string{"review_status"}},
		{name: "unknown level", ev: fresh, patch: vendorrisk.TriagePatch{RiskLevel: ptr(vendorrisk.RiskLevel("SEVERE"))}, bad: []string{"risk_level"}},
		{name: "back to unassigned", ev: recommended, patch: vendorrisk.TriagePatch{RiskLevel: ptr(vendorrisk.LevelUnassigned)}, bad: []string{"risk_level"}},
		{name: "applicable without a level", ev: fresh, patch: vendorrisk.TriagePatch{ReviewStatus: ptr(vendorrisk.StatusApplicable)}, bad: []string{"risk_level"}},
		{name: "long note", ev: fresh, patch: vendorrisk.TriagePatch{Note: ptr(strings.Repeat("x", 2001))}, bad: []string{"note"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, entry, err := vendorrisk.Triage(tt.ev, tt.patch, "user-7", later)
			if tt.bad != nil {
				if f := badFields(t, err); !slices.Equal(f, tt.bad) {
					t.Fatalf("bad fields %v, want %v", f, tt.bad)
				}
				if entry != nil || got.ReviewStatus != tt.ev.ReviewStatus || got.RiskLevel != tt.ev.RiskLevel {
					t.Fatal("a refused patch changed the event")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.noEntry {
				if entry != nil || !got.UpdatedAt.Equal(tt.ev.UpdatedAt) {
					t.Fatalf("a no-op patch wrote %+v", entry)
				}
				return
			}
			if entry == nil {
				t.Fatal("no history entry")
			}
			if got.ReviewStatus != tt.status || got.RiskLevel != tt.level || got.LevelFromRecommendation != tt.fromRec {
				t.Errorf("event status %s level %s fromRec %v", got.ReviewStatus, got.RiskLevel, got.LevelFromRecommendation)
			}
			want := vendorrisk.HistoryEntry{
				At: later, ActorID: "user-7",
				FromStatus: tt.ev.ReviewStatus, ToStatus: tt.status,
				FromLevel: tt.ev.RiskLevel, ToLevel: tt.level, Note: tt.entryNote,
			}
			if *entry != want {
				t.Errorf("entry %+v, want %+v", *entry, want)
			}
			if !got.UpdatedAt.Equal(later) {
				t.Error("updated_at did not move")
			}
		})
	}
}

// After a reviewer sets the level, new recommendations are recorded but no
// longer move it; before, they do (an incident that escalates escalates).
func TestReviewerLevelOutranksRecommendations(t *testing.T) {
	ev, _ := vendorrisk.NewRiskEvent(vendorrisk.RiskEventCreate{VendorURN: vendorURN, Name: "x", SourceType: vendorrisk.SourceStatusPage}, now)
	ev, _ = vendorrisk.ApplyRecommendation(ev, vendorrisk.Recommendation{Level: vendorrisk.LevelLow, Explanation: "LOW: a"}, now)
	ev, _ = vendorrisk.ApplyRecommendation(ev, vendorrisk.Recommendation{Level: vendorrisk.LevelCritical, Explanation: "CRITICAL: b"}, now)
	if ev.RiskLevel != vendorrisk.LevelCritical {
		t.Fatalf("recommended level did not follow the escalation: %s", ev.RiskLevel)
	}
	ev, _, err := vendorrisk.Triage(ev, vendorrisk.TriagePatch{RiskLevel: ptr(vendorrisk.LevelMedium)}, "u", now)
	if err != nil {
		t.Fatal(err)
	}
	ev, _ = vendorrisk.ApplyRecommendation(ev, vendorrisk.Recommendation{Level: vendorrisk.LevelHigh, Explanation: "HIGH: c"}, now)
	if ev.RiskLevel != vendorrisk.LevelMedium || ev.Recommendation.Level != vendorrisk.LevelHigh {
		t.Fatalf("level %s, recommendation %s", ev.RiskLevel, ev.Recommendation.Level)
	}
}
