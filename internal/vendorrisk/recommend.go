package vendorrisk

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riskd/riskd/internal/textrisk"
)

// SignalKind names what a signal measures.
type SignalKind string

const (
	// SignalStatuspageImpact is an incident's or maintenance's impact:
	// none, minor, major, critical or maintenance.
	SignalStatuspageImpact SignalKind = "statuspage_impact"
	// SignalStatuspageStatus is an incident's status: investigating,
	// identified, monitoring, resolved or postmortem.
	SignalStatuspageStatus SignalKind = "statuspage_status"
	// SignalStatuspageMaintenance marks a scheduled maintenance; its value is
	// the maintenance status: scheduled, in_progress, verifying or completed.
	SignalStatuspageMaintenance SignalKind = "statuspage_maintenance"
	// Signal8KItem is one item number reported on an SEC Form 8-K or 8-K/A,
	// such as "1.05".
	Signal8KItem SignalKind = "sec_8k_item"
	// SignalKeyword is a vendor-event rule that fired on the event's text;
	// its value is the rule's term ("breach") and Rule the rule's id.
	SignalKeyword SignalKind = "keyword"
)

// Signal is one piece of evidence about an event. Connectors fill Kind and
// Value; the recommender (or a TextSignals function, for keywords) fills the
// Level the signal argues for and its Category. Rule names the text rule a
// keyword signal comes from.
type Signal struct {
	Kind     SignalKind `json:"kind"`
	Value    string     `json:"value"`
	Level    RiskLevel  `json:"level,omitempty"`
	Category Category   `json:"category,omitempty"`
	Rule     string     `json:"rule,omitempty"`
}

// EventInput is what a recommender may read of an event.
type EventInput struct {
	SourceType  SourceType
	Name        string
	Description string
	Signals     []Signal
}

// Recommendation is a recommended level with the reason for it. Signals are
// the signals the recommender recognised, each with the level it argued for.
type Recommendation struct {
	Level       RiskLevel `json:"level"`
	Explanation string    `json:"explanation"`
	Signals     []Signal  `json:"signals,omitempty"`
}

// Recommender recommends a level for an event. RuleRecommender is the
// built-in one; an operator may plug in another (an external model), as long
// as it returns a level from NONE to CRITICAL and says why.
type Recommender interface {
	Recommend(ev EventInput) Recommendation
}

// RuleRecommender combines the structured signals a connector read with
// keyword signals from the event's name and description (the text engine's
// vendor-event rules, see EngineSignals). It is deterministic: the same
// input always gives the same level and wording.
//
// The level is the most severe signal, with two adjustments that apply to
// availability signals only (impact, maintenance, and availability
// keywords), because a fix ends an outage but does not undo a breach:
//   - a scheduled maintenance caps availability at LOW: it is planned;
//   - a resolved or postmortem incident, or a completed maintenance, lowers
//     availability one level (HIGH to MEDIUM, LOW to NONE): it happened, but
//     it is over.
//
// An 8-K Item 1.05 corroborated by a HIGH security keyword becomes CRITICAL.
// With no severity signal at all the level is LOW: someone or something
// thought the event worth raising, so it is not NONE.
type RuleRecommender struct {
	// Text finds keyword signals; nil means structured signals only.
	Text TextSignals
}

// NewRecommender is the RuleRecommender whose keyword signals come from
// the vendor-event rules of e. riskd passes the engine it already built
// (usecase.App.Text: the built-in packs plus `serve --rules`), so the rules
// are compiled once and an operator's vendor-event rules apply too.
func NewRecommender(e *textrisk.Engine) RuleRecommender {
	return RuleRecommender{Text: EngineSignals(e)}
}

// impactLevel maps a Statuspage impact to a level. Statuspage's own wording
// guides it: "critical" is a full outage, which the API reserves CRITICAL
// for; "major" is a partial outage that likely needs action.
func impactLevel(impact string) (RiskLevel, bool) {
	switch impact {
	case "none":
		return LevelNone, true
	case "minor", "maintenance":
		return LevelLow, true
	case "major":
		return LevelHigh, true
	case "critical":
		return LevelCritical, true
	}
	return "", false
}

// item8K describes the 8-K items the recommender weighs. Item 1.05 is a
// material cybersecurity incident, which the issuer itself has judged
// material; 8.01 ("Other Events") is voluntary and often routine.
func item8K(item string) (title string, level RiskLevel, c Category, ok bool) {
	switch item {
	case "1.05":
		return "material cybersecurity incident", LevelHigh, CategorySecurity, true
	case "8.01":
		return "other events", LevelLow, CategoryDisclosure, true
	}
	return "", "", "", false
}

// Recommend implements Recommender.
func (r RuleRecommender) Recommend(ev EventInput) Recommendation {
	var a assessment
	for _, s := range ev.Signals {
		a.structured(s)
	}
	if r.Text != nil {
		// Name and description are matched apart so a phrase cannot run
		// from the end of one into the start of the other.
		a.keywords(r.Text(ev.Name))
		a.keywords(r.Text(ev.Description))
	}
	return a.result()
}

// assessment accumulates the signals of one event.
type assessment struct {
	impact, status, maintenance string
	items                       []Signal
	keys                        []Signal
}

func (a *assessment) structured(s Signal) {
	switch s.Kind {
	case SignalStatuspageImpact:
		if _, ok := impactLevel(s.Value); ok {
			a.impact = s.Value
		}
	case SignalStatuspageStatus:
		switch s.Value {
		case "investigating", "identified", "monitoring", "resolved", "postmortem":
			a.status = s.Value
		}
	case SignalStatuspageMaintenance:
		switch s.Value {
		case "scheduled", "in_progress", "verifying", "completed":
			a.maintenance = s.Value
		}
	case Signal8KItem:
		_, level, c, ok := item8K(s.Value)
		if ok && !slices.ContainsFunc(a.items, func(x Signal) bool { return x.Value == s.Value }) {
			a.items = append(a.items, Signal{Kind: s.Kind, Value: s.Value, Level: level, Category: c})
		}
	}
}

// keywords keeps well-formed keyword signals, once per rule (or per term,
// for signals without a rule). Signals from a plugged-in TextSignals are
// checked too: a bad one is dropped, not trusted.
func (a *assessment) keywords(list []Signal) {
	for _, s := range list {
		if s.Kind != SignalKeyword || s.Value == "" || !s.Level.Valid() || s.Level == LevelUnassigned {
			continue
		}
		if !slices.ContainsFunc(a.keys, func(x Signal) bool { return x.Value == s.Value && x.Rule == s.Rule }) {
			a.keys = append(a.keys, s)
		}
	}
}

func (a *assessment) result() Recommendation {
	var used []Signal
	avail, other := LevelUnassigned, LevelUnassigned

	if a.impact != "" {
		l, _ := impactLevel(a.impact)
		avail = maxLevel(avail, l)
		used = append(used, Signal{Kind: SignalStatuspageImpact, Value: a.impact, Level: l, Category: CategoryAvailability})
	}
	if a.status != "" {
		used = append(used, Signal{Kind: SignalStatuspageStatus, Value: a.status, Category: CategoryAvailability})
	}
	if a.maintenance != "" {
		avail = maxLevel(avail, LevelLow)
		used = append(used, Signal{Kind: SignalStatuspageMaintenance, Value: a.maintenance, Level: LevelLow, Category: CategoryAvailability})
	}
	has105, securityKey := false, false
	for _, s := range a.items {
		other = maxLevel(other, s.Level)
		has105 = has105 || s.Value == "1.05"
	}
	used = append(used, a.items...)
	for _, s := range a.keys {
		if s.Category == CategoryAvailability {
			avail = maxLevel(avail, s.Level)
		} else {
			other = maxLevel(other, s.Level)
		}
		securityKey = securityKey || (s.Category == CategorySecurity && s.Level.AtLeast(LevelHigh))
	}
	used = append(used, a.keys...)
	escalated := has105 && securityKey
	if escalated {
		other = LevelCritical
	}

	// Availability adjustments, noted for the explanation.
	var notes []string
	if a.maintenance != "" && avail.Rank() > LevelLow.Rank() {
		avail = LevelLow
		notes = append(notes, "capped at LOW")
	}
	if (a.status == "resolved" || a.status == "postmortem" || a.maintenance == "completed") && avail.Rank() > LevelNone.Rank() {
		notes = append(notes, "lowered from "+string(avail))
		avail = lower(avail)
	}

	level := maxLevel(avail, other)
	var parts []string
	if p := a.statuspagePart(notes); p != "" {
		parts = append(parts, p)
	}
	if len(a.items) > 0 {
		var xs []string
		for _, s := range a.items {
			title, _, _, _ := item8K(s.Value)
			x := fmt.Sprintf("Item %s (%s", s.Value, title)
			if s.Value == "1.05" && escalated {
				x += ", raised to CRITICAL by security keywords"
			}
			xs = append(xs, x+")")
		}
		parts = append(parts, "SEC 8-K "+strings.Join(xs, ", "))
	}
	if len(a.keys) > 0 {
		keys := slices.Clone(a.keys)
		// Most severe first; the stable sort keeps rule order among equals.
		slices.SortStableFunc(keys, func(x, y Signal) int { return y.Level.Rank() - x.Level.Rank() })
		terms := make([]string, len(keys))
		for i, s := range keys {
			// The term for the reader, the rule for the record: the
			// explanation names every rule that fired.
			terms[i] = s.Value
			if s.Rule != "" && s.Rule != s.Value {
				terms[i] += " (" + s.Rule + ")"
			}
		}
		parts = append(parts, "keywords: "+strings.Join(terms, ", "))
	}
	if level == LevelUnassigned {
		level = LevelLow
		parts = append(parts, "no severity signal, so LOW by default")
	}
	return Recommendation{Level: level, Explanation: string(level) + ": " + strings.Join(parts, "; "), Signals: used}
}

// statuspagePart describes the Statuspage signals, for example
// "Statuspage impact major (status resolved: lowered from HIGH)".
func (a *assessment) statuspagePart(notes []string) string {
	var b strings.Builder
	switch {
	case a.maintenance != "":
		b.WriteString("Statuspage scheduled maintenance")
		if a.impact != "" && a.impact != "maintenance" {
			b.WriteString(", impact " + a.impact)
		}
	case a.impact != "":
		b.WriteString("Statuspage impact " + a.impact)
	case a.status != "":
		b.WriteString("Statuspage incident")
	default:
		return ""
	}
	detail := ""
	if st := cmp.Or(a.maintenance, a.status); st != "" {
		detail = "status " + st
	}
	if len(notes) > 0 {
		if detail != "" {
			detail += ": "
		}
		detail += strings.Join(notes, ", ")
	}
	if detail != "" {
		b.WriteString(" (" + detail + ")")
	}
	return b.String()
}

// ApplyRecommendation records rec on ev and, while no reviewer has set the
// level (it is UNASSIGNED or was itself recommended), makes rec's level the
// event's level. UpdatedAt moves only when something changed. A recommender
// that returns UNASSIGNED or an unknown level is broken; its result is
// refused rather than shown.
func ApplyRecommendation(ev RiskEvent, rec Recommendation, now time.Time) (RiskEvent, error) {
	if !rec.Level.Valid() || rec.Level == LevelUnassigned {
		return ev, fmt.Errorf("vendor: recommender returned level %q", rec.Level)
	}
	out := ev
	r := rec
	r.Signals = slices.Clone(rec.Signals)
	out.Recommendation = &r
	if ev.RiskLevel == LevelUnassigned || ev.LevelFromRecommendation {
		out.RiskLevel = rec.Level
		out.LevelFromRecommendation = true
	}
	if ev.Recommendation == nil || ev.Recommendation.Level != rec.Level ||
		ev.Recommendation.Explanation != rec.Explanation || out.RiskLevel != ev.RiskLevel ||
		out.LevelFromRecommendation != ev.LevelFromRecommendation {
		out.UpdatedAt = now.UTC()
	}
	return out, nil
}

// RecommendationHistory is the history entry of a recommendation that moved
// an event's level (from UNASSIGNED, or from an earlier recommended level):
// the recommender changed what reviewers see, so the event's history shows
// it beside the reviewers' own changes. The note names the recommendation.
// It is nil when the level did not change (a reviewer's level is kept, or
// the recommendation agrees with the last one).
func RecommendationHistory(before, after RiskEvent, actorID string) *HistoryEntry {
	if after.RiskLevel == before.RiskLevel || after.Recommendation == nil {
		return nil
	}
	note := truncate("recommendation: "+after.Recommendation.Explanation, maxNoteLen)
	return &HistoryEntry{
		At:         after.UpdatedAt,
		ActorID:    actorID,
		FromStatus: before.ReviewStatus,
		ToStatus:   after.ReviewStatus,
		FromLevel:  before.RiskLevel,
		ToLevel:    after.RiskLevel,
		Note:       note,
	}
}
