package vendorrisk

import (
	"strings"
	"time"

	"github.com/riskd/riskd/internal/errs"
)

const maxNoteLen = 2000

// TriagePatch is a reviewer's change to an event. Every field is optional; a
// note alone is a comment and is recorded too.
type TriagePatch struct {
	ReviewStatus *ReviewStatus `json:"review_status,omitempty"`
	RiskLevel    *RiskLevel    `json:"risk_level,omitempty"`
	Note         *string       `json:"note,omitempty"`
}

// HistoryEntry records one triage change: who, when, from what to what, and
// why.
type HistoryEntry struct {
	At         time.Time    `json:"at"`
	ActorID    string       `json:"actor_id"`
	FromStatus ReviewStatus `json:"from_status"`
	ToStatus   ReviewStatus `json:"to_status"`
	FromLevel  RiskLevel    `json:"from_level"`
	ToLevel    RiskLevel    `json:"to_level"`
	Note       string       `json:"note,omitempty"`
}

// Triage applies a reviewer's patch. It returns the updated event and the
// history entry to append, or a nil entry (and ev unchanged) when the patch
// changes nothing, so a repeated PATCH writes no second entry.
//
// Rules:
//   - any status may follow any other: reopening a decided event is normal;
//   - a reviewer may set any level except UNASSIGNED, and their level is
//     final: later recommendations no longer move it;
//   - an event cannot be APPLICABLE while its level is UNASSIGNED, since
//     "applies to us, severity unknown" gives the reader nothing to act on.
func Triage(ev RiskEvent, p TriagePatch, actorID string, now time.Time) (RiskEvent, *HistoryEntry, error) {
	var f errs.Fields
	out := ev
	if p.ReviewStatus != nil {
		out.ReviewStatus = *p.ReviewStatus
		f.Check(out.ReviewStatus.Valid(), "review_status", "must be one of PENDING, VERIFYING, APPLICABLE, NOT_APPLICABLE")
	}
	if p.RiskLevel != nil {
		out.RiskLevel = *p.RiskLevel
		if f.Check(out.RiskLevel.Valid(), "risk_level", "must be one of NONE, LOW, MEDIUM, HIGH, CRITICAL") &&
			f.Check(out.RiskLevel != LevelUnassigned, "risk_level", "cannot be set back to UNASSIGNED") {
			out.LevelFromRecommendation = false
		}
	}
	note := ""
	if p.Note != nil {
		note = strings.TrimSpace(*p.Note)
		checkLen(&f, "note", note, maxNoteLen)
	}
	if out.ReviewStatus == StatusApplicable && out.RiskLevel == LevelUnassigned {
		f.Add("risk_level", "is required before an event can be APPLICABLE")
	}
	if err := f.Err(); err != nil {
		return ev, nil, err
	}
	if out.ReviewStatus == ev.ReviewStatus && out.RiskLevel == ev.RiskLevel &&
		out.LevelFromRecommendation == ev.LevelFromRecommendation && note == "" {
		return ev, nil, nil
	}
	now = now.UTC()
	out.UpdatedAt = now
	return out, &HistoryEntry{
		At:         now,
		ActorID:    actorID,
		FromStatus: ev.ReviewStatus,
		ToStatus:   out.ReviewStatus,
		FromLevel:  ev.RiskLevel,
		ToLevel:    out.RiskLevel,
		Note:       note,
	}, nil
}
