// Package vendorrisk holds the vendor risk domain: vendors, the risk events
// discovered about them, their triage, and the recommended risk level of each
// event. It is pure: values in, values out, the clock passed in. Connectors
// that fetch upstream data live in vendor/source; storage and HTTP live
// elsewhere and map to the wire types declared here.
package vendorrisk

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/ids"
)

// URN kinds handed to ids.URN and ids.ParseURN.
const (
	VendorKind    = "vendor"
	RiskEventKind = "risk-event"
)

// Limits on client-supplied text. They keep rows, audit states and the
// keyword matcher's input bounded; upstream text is truncated to the same
// limits instead of being refused.
const (
	maxNameLen          = 255
	maxDescriptionLen   = 10000
	maxURLLen           = 2048
	maxMetadataEntries  = 50
	maxMetadataNameLen  = 100
	maxMetadataTextLen  = 2000
	maxMetadataOptLen   = 200
	maxMetadataOptCount = 50
)

// LifecycleStage is where a vendor stands in the organisation's relationship
// with it.
type LifecycleStage string

const (
	StageInitialAssessment LifecycleStage = "INITIAL_ASSESSMENT"
	StageOnboarded         LifecycleStage = "ONBOARDED"
)

// Valid reports whether s is a known stage.
func (s LifecycleStage) Valid() bool {
	return s == StageInitialAssessment || s == StageOnboarded
}

// MetadataType says which shape a metadata value has.
type MetadataType string

const (
	MetadataText        MetadataType = "TEXT"         // value is a string
	MetadataSelect      MetadataType = "SELECT"       // value is one chosen option (a string)
	MetadataMultiSelect MetadataType = "MULTI_SELECT" // value is a list of options ([]string)
)

// Valid reports whether t is a known metadata type.
func (t MetadataType) Valid() bool {
	return t == MetadataText || t == MetadataSelect || t == MetadataMultiSelect
}

// Metadata is one operator-defined attribute of a vendor. Value is `any`
// because its JSON shape depends on Type; after validation it is always a
// string (TEXT, SELECT) or a []string (MULTI_SELECT).
type Metadata struct {
	Name  string       `json:"name"`
	Type  MetadataType `json:"type"`
	Value any          `json:"value"`
}

// VendorCreate is the body of a vendor create request.
type VendorCreate struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// LifecycleStage defaults to INITIAL_ASSESSMENT when empty: a vendor
	// that is just being added has not been onboarded yet.
	LifecycleStage LifecycleStage `json:"lifecycle_stage"`
	Website        string         `json:"website,omitempty"`
	Metadata       []Metadata     `json:"metadata,omitempty"`
}

// VendorPatch is a partial update: a nil field is left as it is. An empty
// website clears it; a non-nil metadata list replaces the whole list.
type VendorPatch struct {
	Name           *string         `json:"name,omitempty"`
	Description    *string         `json:"description,omitempty"`
	LifecycleStage *LifecycleStage `json:"lifecycle_stage,omitempty"`
	Website        *string         `json:"website,omitempty"`
	Metadata       *[]Metadata     `json:"metadata,omitempty"`
}

// Vendor is a third party whose risk is tracked. Its JSON form is the API
// response. Website is empty when none is known; Metadata is never nil so it
// encodes as [] rather than null.
type Vendor struct {
	URN            string         `json:"urn"`
	Name           string         `json:"name"`
	Description    string         `json:"description"`
	CreatedAt      time.Time      `json:"created_at"`
	LifecycleStage LifecycleStage `json:"lifecycle_stage"`
	Website        string         `json:"website"`
	Metadata       []Metadata     `json:"metadata"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

// VendorSummary is the vendor as embedded in a risk event response.
type VendorSummary struct {
	CreatedAt   time.Time `json:"created_at"`
	Description string    `json:"description"`
	Name        string    `json:"name"`
	URN         string    `json:"urn"`
}

// Summary returns the fields a risk event response embeds.
func (v Vendor) Summary() VendorSummary {
	return VendorSummary{CreatedAt: v.CreatedAt, Description: v.Description, Name: v.Name, URN: v.URN}
}

// NewVendor validates a create request and returns the new vendor with a
// fresh URN, created and updated at now.
func NewVendor(in VendorCreate, now time.Time) (Vendor, error) {
	var f errs.Fields
	name := strings.TrimSpace(in.Name)
	checkName(&f, "name", name)
	checkLen(&f, "description", in.Description, maxDescriptionLen)
	stage := in.LifecycleStage
	if stage == "" {
		stage = StageInitialAssessment
	}
	checkStage(&f, stage)
	website := strings.TrimSpace(in.Website)
	checkURL(&f, "website", website)
	meta := normalizeMetadata(&f, in.Metadata)
	if err := f.Err(); err != nil {
		return Vendor{}, err
	}
	now = now.UTC()
	return Vendor{
		URN:            ids.URN(VendorKind, now),
		Name:           name,
		Description:    in.Description,
		CreatedAt:      now,
		LifecycleStage: stage,
		Website:        website,
		Metadata:       meta,
		UpdatedAt:      now,
	}, nil
}

// PatchVendor applies p to v. UpdatedAt moves to now only when something
// actually changed, so a repeated PATCH is a no-op.
func PatchVendor(v Vendor, p VendorPatch, now time.Time) (Vendor, error) {
	var f errs.Fields
	out := v
	if p.Name != nil {
		out.Name = strings.TrimSpace(*p.Name)
		checkName(&f, "name", out.Name)
	}
	if p.Description != nil {
		out.Description = *p.Description
		checkLen(&f, "description", out.Description, maxDescriptionLen)
	}
	if p.LifecycleStage != nil {
		out.LifecycleStage = *p.LifecycleStage
		checkStage(&f, out.LifecycleStage)
	}
	if p.Website != nil {
		out.Website = strings.TrimSpace(*p.Website)
		checkURL(&f, "website", out.Website)
	}
	if p.Metadata != nil {
		out.Metadata = normalizeMetadata(&f, *p.Metadata)
	}
	if err := f.Err(); err != nil {
		return v, err
	}
	if out.Name != v.Name || out.Description != v.Description || out.LifecycleStage != v.LifecycleStage ||
		out.Website != v.Website || !sameMetadata(out.Metadata, v.Metadata) {
		out.UpdatedAt = now.UTC()
	}
	return out, nil
}

// SortByName orders vendors by name, ignoring case, as people expect a
// vendor list to read; exact name and then URN break ties so the order is
// stable across calls.
func SortByName(vs []Vendor) {
	slices.SortFunc(vs, func(a, b Vendor) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.URN, b.URN))
	})
}

func checkName(f *errs.Fields, field, name string) {
	if f.Check(name != "", field, "is required") {
		checkLen(f, field, name, maxNameLen)
	}
}

func checkLen(f *errs.Fields, field, s string, limit int) {
	f.Check(utf8.RuneCountInString(s) <= limit, field, "must be at most %d characters", limit)
}

func checkStage(f *errs.Fields, s LifecycleStage) {
	f.Check(s.Valid(), "lifecycle_stage", "must be one of INITIAL_ASSESSMENT, ONBOARDED")
}

// checkURL accepts an empty string (no URL) or an absolute http(s) URL.
func checkURL(f *errs.Fields, field, s string) {
	if s != "" {
		f.Check(validURL(s), field, "must be an absolute http or https URL of at most %d characters", maxURLLen)
	}
}

func validURL(s string) bool {
	if len(s) > maxURLLen {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// normalizeMetadata validates every entry, recording problems under
// metadata[i], and returns the entries with values as string or []string.
func normalizeMetadata(f *errs.Fields, in []Metadata) []Metadata {
	out := make([]Metadata, 0, len(in))
	if !f.Check(len(in) <= maxMetadataEntries, "metadata", "must have at most %d entries", maxMetadataEntries) {
		return out
	}
	seen := make(map[string]bool, len(in))
	for i, m := range in {
		p := "metadata[" + strconv.Itoa(i) + "]"
		name := strings.TrimSpace(m.Name)
		if f.Check(name != "", p+".name", "is required") {
			checkLen(f, p+".name", name, maxMetadataNameLen)
			key := strings.ToLower(name)
			f.Check(!seen[key], p+".name", "duplicates an earlier entry's name")
			seen[key] = true
		}
		if !f.Check(m.Type.Valid(), p+".type", "must be one of TEXT, SELECT, MULTI_SELECT") {
			continue
		}
		out = append(out, Metadata{Name: name, Type: m.Type, Value: metadataValue(f, p+".value", m.Type, m.Value)})
	}
	return out
}

// metadataValue checks v against type t and returns it as a string or a
// []string. JSON decoding gives []any for an array, while Go callers (and the
// store) may pass []string: both are accepted.
func metadataValue(f *errs.Fields, field string, t MetadataType, v any) any {
	if t == MetadataMultiSelect {
		list, ok := stringList(v)
		if !f.Check(ok, field, "must be an array of strings for type MULTI_SELECT") {
			return nil
		}
		f.Check(len(list) <= maxMetadataOptCount, field, "must have at most %d options", maxMetadataOptCount)
		seen := make(map[string]bool, len(list))
		for j := range list {
			s := strings.TrimSpace(list[j])
			list[j] = s
			fj := field + "[" + strconv.Itoa(j) + "]"
			if f.Check(s != "", fj, "must not be empty") {
				checkLen(f, fj, s, maxMetadataOptLen)
				f.Check(!seen[s], fj, "duplicates an earlier option")
				seen[s] = true
			}
		}
		return list
	}
	s, ok := v.(string)
	if !f.Check(ok, field, "must be a string for type %s", t) {
		return nil
	}
	if t == MetadataSelect {
		s = strings.TrimSpace(s)
		if f.Check(s != "", field, "must name the selected option") {
			checkLen(f, field, s, maxMetadataOptLen)
		}
		return s
	}
	checkLen(f, field, s, maxMetadataTextLen)
	return s
}

// stringList returns a fresh []string copy of v when v is a list of strings.
func stringList(v any) ([]string, bool) {
	switch l := v.(type) {
	case []string:
		return append([]string{}, l...), true
	case []any:
		out := make([]string, len(l))
		for i, e := range l {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

// sameMetadata compares normalised entries a with entries b that may come
// straight from storage (lists as []any).
func sameMetadata(a, b []Metadata) bool {
	return slices.EqualFunc(a, b, func(x, y Metadata) bool {
		if x.Name != y.Name || x.Type != y.Type {
			return false
		}
		if xs, ok := x.Value.(string); ok {
			ys, ok := y.Value.(string)
			return ok && xs == ys
		}
		xs, _ := stringList(x.Value)
		ys, ok := stringList(y.Value)
		return ok && slices.Equal(xs, ys)
	})
}
