package vendorrisk

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/ids"
)

// SourceType says where a risk event came from.
type SourceType string

const (
	SourceStatusPage SourceType = "STATUS_PAGE" // an Atlassian Statuspage incident or maintenance
	SourceMonitor    SourceType = "MONITOR"     // raised by a monitor or a person through the API
	SourceNews       SourceType = "NEWS"        // an RSS, Atom or JSON Feed item
	SourceSECFiling  SourceType = "SEC_FILING"  // an SEC EDGAR 8-K filing
)

// Valid reports whether s is a known source type.
func (s SourceType) Valid() bool {
	switch s {
	case SourceStatusPage, SourceMonitor, SourceNews, SourceSECFiling:
		return true
	}
	return false
}

// ReviewStatus is where an event is in triage.
type ReviewStatus string

const (
	StatusPending       ReviewStatus = "PENDING"        // nobody has looked yet
	StatusVerifying     ReviewStatus = "VERIFYING"      // a reviewer is checking it
	StatusApplicable    ReviewStatus = "APPLICABLE"     // it affects the organisation
	StatusNotApplicable ReviewStatus = "NOT_APPLICABLE" // it does not
)

// Valid reports whether s is a known review status.
func (s ReviewStatus) Valid() bool {
	switch s {
	case StatusPending, StatusVerifying, StatusApplicable, StatusNotApplicable:
		return true
	}
	return false
}

// RiskLevel classifies an event. UNASSIGNED means nobody (person or
// recommender) has given it a level yet; NONE means it was judged to carry no
// risk.
type RiskLevel string

const (
	LevelUnassigned RiskLevel = "UNASSIGNED"
	LevelNone       RiskLevel = "NONE"
	LevelLow        RiskLevel = "LOW"
	LevelMedium     RiskLevel = "MEDIUM"
	LevelHigh       RiskLevel = "HIGH"
	LevelCritical   RiskLevel = "CRITICAL"
)

// levelOrder lists the levels from least to most severe.
var levelOrder = [...]RiskLevel{LevelUnassigned, LevelNone, LevelLow, LevelMedium, LevelHigh, LevelCritical}

// Rank orders levels: UNASSIGNED 0, NONE 1, LOW 2, MEDIUM 3, HIGH 4,
// CRITICAL 5, and -1 for anything else. Stores can persist it to filter by
// threshold in SQL.
func (l RiskLevel) Rank() int {
	for i, x := range levelOrder {
		if x == l {
			return i
		}
	}
	return -1
}

// Valid reports whether l is a known level.
func (l RiskLevel) Valid() bool { return l.Rank() >= 0 }

// AtLeast reports whether l meets the threshold min, as the risk_threshold
// filter means it: min itself and everything more severe. An unknown level
// never meets a threshold.
func (l RiskLevel) AtLeast(min RiskLevel) bool {
	return l.Valid() && min.Valid() && l.Rank() >= min.Rank()
}

// ParseRiskLevel reads a level from client input (for example the
// risk_threshold query parameter), naming field in the error.
func ParseRiskLevel(field, s string) (RiskLevel, error) {
	l := RiskLevel(strings.ToUpper(strings.TrimSpace(s)))
	if !l.Valid() {
		return "", errs.Invalid(field, "must be one of UNASSIGNED, NONE, LOW, MEDIUM, HIGH, CRITICAL")
	}
	return l, nil
}

func maxLevel(a, b RiskLevel) RiskLevel {
	if b.Rank() > a.Rank() {
		return b
	}
	return a
}

// lower returns the level one step less severe, never below NONE: lowering
// is a judgement about an event that exists, not a reset to UNASSIGNED.
func lower(l RiskLevel) RiskLevel {
	if l.Rank() <= LevelNone.Rank() {
		return l
	}
	return levelOrder[l.Rank()-1]
}

// RiskEventCreate is the body of a risk event create request.
type RiskEventCreate struct {
	VendorURN    string     `json:"vendor_urn"`
	Name         string     `json:"name"`
	Description  string     `json:"description,omitempty"`
	SourceType   SourceType `json:"source_type"`
	URL          string     `json:"url,omitempty"`
	CategoryTags []string   `json:"category_tags,omitempty"`
}

// RiskEvent is a stored risk event: the response fields plus what the domain
// needs to keep between polls and recommendations.
type RiskEvent struct {
	URN          string       `json:"urn"`
	VendorURN    string       `json:"vendor_urn"`
	Name         string       `json:"name"`
	Description  string       `json:"description"`
	SourceType   SourceType   `json:"source_type"`
	URL          string       `json:"url"`
	CategoryTags []string     `json:"category_tags"`
	ReviewStatus ReviewStatus `json:"review_status"`
	RiskLevel    RiskLevel    `json:"risk_level"`
	// LevelFromRecommendation is true while RiskLevel was set by the
	// recommender rather than a reviewer, so a later recommendation (an
	// incident escalating from minor to critical) may still move it.
	LevelFromRecommendation bool `json:"level_from_recommendation"`
	// Recommendation is the latest recommendation, nil until one is made.
	Recommendation *Recommendation `json:"recommendation"`
	// ExternalID is the connector's stable id for the upstream item
	// ("statuspage:…", "feed:…", "sec:…"); empty for events created through
	// the API. With the vendor and source type it is the upsert key.
	ExternalID string `json:"external_id,omitempty"`
	// Fingerprint is the Observation fingerprint last applied, so a re-poll
	// of unchanged upstream data is recognised and skipped.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Signals are the structured signals the connector read (impact,
	// status, 8-K items); keyword signals are recomputed from the text.
	Signals   []Signal  `json:"signals,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// AIRecommendation is the recommendation as the API shows it.
type AIRecommendation struct {
	Explanation          string    `json:"explanation"`
	RecommendedRiskLevel RiskLevel `json:"recommended_risk_level"`
}

// RiskEventResponse is GET /v1/risk-events/{urn}. AIRiskLevelRecommendation
// is null until a recommendation is made.
type RiskEventResponse struct {
	AIRiskLevelRecommendation *AIRecommendation `json:"ai_risk_level_recommendation"`
	CategoryTags              []string          `json:"category_tags"`
	CreatedAt                 time.Time         `json:"created_at"`
	Description               string            `json:"description"`
	Name                      string            `json:"name"`
	ReviewStatus              ReviewStatus      `json:"review_status"`
	RiskLevel                 RiskLevel         `json:"risk_level"`
	SourceType                SourceType        `json:"source_type"`
	UpdatedAt                 time.Time         `json:"updated_at"`
	URL                       string            `json:"url"`
	URN                       string            `json:"urn"`
	Vendor                    VendorSummary     `json:"vendor"`
}

// Response shapes e and its vendor for the API.
func (e RiskEvent) Response(v VendorSummary) RiskEventResponse {
	r := RiskEventResponse{
		CategoryTags: e.CategoryTags,
		CreatedAt:    e.CreatedAt,
		Description:  e.Description,
		Name:         e.Name,
		ReviewStatus: e.ReviewStatus,
		RiskLevel:    e.RiskLevel,
		SourceType:   e.SourceType,
		UpdatedAt:    e.UpdatedAt,
		URL:          e.URL,
		URN:          e.URN,
		Vendor:       v,
	}
	if r.CategoryTags == nil {
		r.CategoryTags = []string{}
	}
	if e.Recommendation != nil {
		r.AIRiskLevelRecommendation = &AIRecommendation{
			Explanation:          e.Recommendation.Explanation,
			RecommendedRiskLevel: e.Recommendation.Level,
		}
	}
	return r
}

// Input is what a Recommender sees of e.
func (e RiskEvent) Input() EventInput {
	return EventInput{SourceType: e.SourceType, Name: e.Name, Description: e.Description, Signals: e.Signals}
}

const (
	maxCategoryTags   = 20
	maxCategoryTagLen = 64
)

// MaxExternalIDLen bounds an Observation's ExternalID in bytes, so it fits an
// indexed column; connectors hash longer upstream ids.
const MaxExternalIDLen = 512

// NewRiskEvent validates a create request and returns a new event, PENDING
// review with level UNASSIGNED until a recommendation or a reviewer sets one.
// That the vendor exists is the store's check, not this one.
func NewRiskEvent(in RiskEventCreate, now time.Time) (RiskEvent, error) {
	var f errs.Fields
	vendorURN, ok := ids.ParseURN(VendorKind, strings.TrimSpace(in.VendorURN))
	f.Check(ok, "vendor_urn", "must be a vendor URN (urn:riskd:vendor:<ULID>)")
	name := strings.TrimSpace(in.Name)
	checkName(&f, "name", name)
	checkLen(&f, "description", in.Description, maxDescriptionLen)
	f.Check(in.SourceType.Valid(), "source_type", "must be one of STATUS_PAGE, MONITOR, NEWS, SEC_FILING")
	u := strings.TrimSpace(in.URL)
	checkURL(&f, "url", u)
	tags := normalizeTags(&f, in.CategoryTags)
	if err := f.Err(); err != nil {
		return RiskEvent{}, err
	}
	now = now.UTC()
	return RiskEvent{
		URN:          ids.URN(RiskEventKind, now),
		VendorURN:    vendorURN,
		Name:         name,
		Description:  in.Description,
		SourceType:   in.SourceType,
		URL:          u,
		CategoryTags: tags,
		ReviewStatus: StatusPending,
		RiskLevel:    LevelUnassigned,
		CreatedAt:    now,
		UpdatedAt:    now,
	}, nil
}

// normalizeTags trims tags and drops case-insensitive repeats, keeping the
// first spelling, so "Security" and "security" do not both appear.
func normalizeTags(f *errs.Fields, in []string) []string {
	out := []string{}
	if !f.Check(len(in) <= maxCategoryTags, "category_tags", "must have at most %d tags", maxCategoryTags) {
		return out
	}
	seen := make(map[string]bool, len(in))
	for i, t := range in {
		t = strings.TrimSpace(t)
		field := "category_tags[" + strconv.Itoa(i) + "]"
		if !f.Check(t != "", field, "must not be empty") {
			continue
		}
		checkLen(f, field, t, maxCategoryTagLen)
		if key := strings.ToLower(t); !seen[key] {
			seen[key] = true
			out = append(out, t)
		}
	}
	return out
}

// Observation is one upstream item as a connector normalised it (see
// vendor/source, where it is called Item). ExternalID is stable across polls
// of the same upstream item.
type Observation struct {
	ExternalID  string    `json:"external_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	URL         string    `json:"url"`
	PublishedAt time.Time `json:"published_at,omitzero"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
	Signals     []Signal  `json:"signals,omitempty"`
}

// Fingerprint hashes the content a reviewer sees and the recommender reads
// (id, name, description, URL, signals). Timestamps are left out on purpose:
// some feeds rewrite dates on every fetch, and an unchanged item must not
// look changed.
func (o Observation) Fingerprint() string {
	h := sha256.New()
	write := func(s string) {
		// Length-prefix each field so "ab"+"c" and "a"+"bc" differ.
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	write(o.ExternalID)
	write(o.Name)
	write(o.Description)
	write(o.URL)
	for _, s := range o.Signals {
		write(string(s.Kind))
		write(s.Value)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// NewObservedEvent creates the event for an observation seen for the first
// time. Upstream text is not a client's mistake, so overlong text is
// truncated and an unusable URL dropped rather than refused; only a missing
// id or name, which no event can do without, is an error.
func NewObservedEvent(vendorURN string, st SourceType, o Observation, now time.Time) (RiskEvent, error) {
	var f errs.Fields
	vendorURN, ok := ids.ParseURN(VendorKind, vendorURN)
	f.Check(ok, "vendor_urn", "must be a vendor URN")
	f.Check(st.Valid(), "source_type", "must be one of STATUS_PAGE, MONITOR, NEWS, SEC_FILING")
	f.Check(o.ExternalID != "" && len(o.ExternalID) <= MaxExternalIDLen, "external_id",
		"must be 1 to %d bytes", MaxExternalIDLen)
	f.Check(strings.TrimSpace(o.Name) != "", "name", "is required")
	if err := f.Err(); err != nil {
		return RiskEvent{}, err
	}
	now = now.UTC()
	ev := RiskEvent{
		URN:          ids.URN(RiskEventKind, now),
		VendorURN:    vendorURN,
		SourceType:   st,
		CategoryTags: []string{},
		ReviewStatus: StatusPending,
		RiskLevel:    LevelUnassigned,
		ExternalID:   o.ExternalID,
		CreatedAt:    now,
	}
	return observe(ev, o, now), nil
}

// RefreshObservedEvent applies a re-polled observation of the same upstream
// item (the caller matched it by ExternalID). It reports false, leaving ev
// untouched, when the fingerprint shows nothing changed. Review status and a
// reviewer's level are kept: new upstream content reaches the reviewer
// through a new recommendation instead of undoing their decision.
func RefreshObservedEvent(ev RiskEvent, o Observation, now time.Time) (RiskEvent, bool) {
	if ev.Fingerprint == o.Fingerprint() {
		return ev, false
	}
	return observe(ev, o, now.UTC()), true
}

func observe(ev RiskEvent, o Observation, now time.Time) RiskEvent {
	ev.Name = truncate(strings.TrimSpace(o.Name), maxNameLen)
	ev.Description = truncate(o.Description, maxDescriptionLen)
	ev.URL = ""
	if u := strings.TrimSpace(o.URL); validURL(u) {
		ev.URL = u
	}
	ev.Signals = slices.Clone(o.Signals)
	ev.Fingerprint = o.Fingerprint()
	ev.UpdatedAt = now
	return ev
}

// truncate cuts s to at most n runes, ending with "…" when it cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
