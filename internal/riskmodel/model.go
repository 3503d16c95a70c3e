// Package riskmodel holds risk models: matrices of dimensions and scales
// whose selected scale values multiply into a risk score. It validates
// models, makes their versions, projects them for listing and calculates
// scores. It is pure: callers pass the clock and persist the results.
//
// Wire names are the documented camelCase ones, so the API marshals these
// types directly.
package riskmodel

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"

	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/risk"
)

// Limits on a model. The API is public, so every list and string is
// bounded; the bounds are far above what a readable risk matrix needs.
const (
	MaxDimensions  = 20
	MaxScales      = 20
	MaxBands       = 20
	MaxLocales     = 50   // locales per text
	MaxTextLength  = 2000 // characters per locale
	maxLocaleBytes = 64   // longer keys are not plausible tags; reject before parsing
)

// Scale is one selectable level of a dimension. Value runs from 1 to the
// model's numberOfScales; a higher value means a higher risk.
type Scale struct {
	Value       int               `json:"value"`
	Name        map[string]string `json:"name"`
	Description map[string]string `json:"description,omitempty"`
}

// Dimension is one column of the matrix, such as severity or likelihood.
type Dimension struct {
	ID          int               `json:"id"`
	Name        map[string]string `json:"name"`
	Description map[string]string `json:"description,omitempty"`
	Scales      []Scale           `json:"scales"`
}

// Band names a range of scores: it covers scores from Min up to the next
// band's Min. Bands are sorted ascending by Min.
type Band struct {
	Name  map[string]string `json:"name"`
	Min   int               `json:"min"`
	Color string            `json:"color"`
}

// Model is one version of a risk model, as the API shows it. Texts are
// maps from BCP 47 language tag to text. The field order is the spec's key
// order.
type Model struct {
	ID                 string            `json:"id"`
	Version            int               `json:"version"`
	Name               map[string]string `json:"name"`
	Description        map[string]string `json:"description,omitempty"`
	CreatedOn          time.Time         `json:"createdOn"`
	CreatedBy          string            `json:"createdBy"`
	UpdatedOn          time.Time         `json:"updatedOn"`
	UpdatedBy          string            `json:"updatedBy"`
	Active             bool              `json:"active"`
	NumberOfDimensions int               `json:"numberOfDimensions"`
	NumberOfScales     int               `json:"numberOfScales"`
	Dimensions         []Dimension       `json:"dimensions"`
	Bands              []Band            `json:"bands,omitempty"`
	// VersionID identifies this version record; the version endpoints show
	// it as "id" (see Version). The model's own JSON does not carry it.
	VersionID string `json:"-"`
}

// Input is the body of a create or update request. Server-owned fields (id,
// version, timestamps, authors) are not part of it.
type Input struct {
	Name               map[string]string `json:"name"`
	Description        map[string]string `json:"description,omitempty"`
	Active             *bool             `json:"active,omitempty"`
	NumberOfDimensions int               `json:"numberOfDimensions"`
	NumberOfScales     int               `json:"numberOfScales"`
	Dimensions         []Dimension       `json:"dimensions"`
	Bands              []Band            `json:"bands,omitempty"`
}

// Version is a model version as the version endpoints show it: "id" names
// the version record and "riskModelId" the model.
type Version struct {
	ID          string `json:"id"`
	RiskModelID string `json:"riskModelId"`
	// Model's own "id" is hidden by the shallower ID above, so the embedded
	// fields follow in the spec's order without a duplicate key.
	Model
}

// AsVersion shows m as a version record.
func (m Model) AsVersion() Version {
	return Version{ID: m.VersionID, RiskModelID: m.ID, Model: m}
}

// New makes version 1 of a new model. Active defaults to true. Times are
// UTC and truncated to milliseconds, the precision the wire format shows,
// so a stored model reads back exactly as it was returned.
func New(in Input, now time.Time, by string) (Model, error) {
	if err := Validate(in); err != nil {
		return Model{}, err
	}
	now = wireTime(now)
	m := fromInput(in)
	m.ID = ids.UUID(now)
	m.VersionID = ids.UUID(now)
	m.Version = 1
	m.CreatedOn, m.CreatedBy = now, by
	m.UpdatedOn, m.UpdatedBy = now, by
	m.Active = in.Active == nil || *in.Active
	return m, nil
}

// NewVersion makes the version after prev from an update request. It keeps
// the model's id and its creation (createdOn and createdBy stay those of
// version 1, so they always say who started the model); updatedOn and
// updatedBy name this version's author. An absent active keeps prev's
// state: an edit must not silently re-activate a deactivated model. prev
// itself is not changed; earlier versions are immutable.
func NewVersion(prev Model, in Input, now time.Time, by string) (Model, error) {
	if err := Validate(in); err != nil {
		return Model{}, err
	}
	now = wireTime(now)
	m := fromInput(in)
	m.ID = prev.ID
	m.VersionID = ids.UUID(now)
	m.Version = prev.Version + 1
	m.CreatedOn, m.CreatedBy = prev.CreatedOn, prev.CreatedBy
	m.UpdatedOn, m.UpdatedBy = now, by
	m.Active = prev.Active
	if in.Active != nil {
		m.Active = *in.Active
	}
	return m, nil
}

// SetActive activates or deactivates the model whose latest version is m
// and reports whether anything changed. Activation is a state of the model,
// not a new version, so the version number stays; the store applies it to
// the latest version. Repeating the current state is a no-op (PUT is
// idempotent), so callers can skip the write and the audit record.
func SetActive(m Model, active bool, now time.Time, by string) (Model, bool) {
	if m.Active == active {
		return m, false
	}
	m.Active = active
	m.UpdatedOn, m.UpdatedBy = wireTime(now), by
	return m, true
}

func wireTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func fromInput(in Input) Model {
	return Model{
		Name:               in.Name,
		Description:        in.Description,
		NumberOfDimensions: in.NumberOfDimensions,
		NumberOfScales:     in.NumberOfScales,
		Dimensions:         in.Dimensions,
		Bands:              in.Bands,
	}
}

// Validate checks a create or update request and reports every bad field
// at once, named in the wire spelling (for example
// "dimensions[0].scales[1].value").
func Validate(in Input) error {
	var f errs.Fields
	checkText(&f, "name", in.Name, true)
	checkText(&f, "description", in.Description, false)

	dimsOK := f.Check(in.NumberOfDimensions >= 1 && in.NumberOfDimensions <= MaxDimensions,
		"numberOfDimensions", "must be between 1 and %d", MaxDimensions)
	scalesOK := f.Check(in.NumberOfScales >= 2 && in.NumberOfScales <= MaxScales,
		"numberOfScales", "must be between 2 and %d", MaxScales)
	maxScore := 0
	if dimsOK && scalesOK {
		var fits bool
		maxScore, fits = risk.MaxScore(in.NumberOfScales, in.NumberOfDimensions)
		if !fits {
			f.Add("numberOfDimensions", "must be at most %d with %d scales, or the highest score %d^%d exceeds %d",
				maxFittingDimensions(in.NumberOfScales), in.NumberOfScales, in.NumberOfScales, in.NumberOfDimensions, risk.Limit)
			dimsOK = false
		}
	}

	switch n := len(in.Dimensions); {
	case n == 0:
		f.Add("dimensions", "must have at least one dimension")
	case n > MaxDimensions:
		f.Add("dimensions", "must have at most %d dimensions", MaxDimensions)
	default:
		if dimsOK && n != in.NumberOfDimensions {
			f.Add("numberOfDimensions", "must equal the number of dimensions (%d)", n)
		}
		scales := 0 // unknown: skip the checks that need a valid numberOfScales
		if scalesOK {
			scales = in.NumberOfScales
		}
		firstWithID := map[int]int{}
		for i, d := range in.Dimensions {
			checkDimension(&f, fmt.Sprintf("dimensions[%d]", i), d, scales)
			if d.ID < 1 {
				continue
			}
			if j, dup := firstWithID[d.ID]; dup {
				f.Add(fmt.Sprintf("dimensions[%d].id", i), "duplicate id %d (also dimensions[%d])", d.ID, j)
			} else {
				firstWithID[d.ID] = i
			}
		}
	}

	checkBands(&f, in.Bands, maxScore)
	return f.Err()
}

// maxFittingDimensions is the most dimensions of the given scale count
// whose highest score stays within risk.Limit.
func maxFittingDimensions(scales int) int {
	d := 0
	for {
		if _, ok := risk.MaxScore(scales, d+1); !ok {
			return d
		}
		d++
	}
}

// checkDimension validates one dimension; scales is the model's valid
// numberOfScales, or 0 when that is itself invalid.
func checkDimension(f *errs.Fields, field string, d Dimension, scales int) {
	f.Check(d.ID >= 1, field+".id", "must be a positive integer")
	checkText(f, field+".name", d.Name, true)
	checkText(f, field+".description", d.Description, false)
	switch n := len(d.Scales); {
	case n > MaxScales:
		f.Add(field+".scales", "must have at most %d scales", MaxScales)
		return
	case scales > 0 && n != scales:
		f.Add(field+".scales", "must have numberOfScales (%d) scales, has %d", scales, n)
	}
	firstWithValue := map[int]int{}
	for j, s := range d.Scales {
		sf := fmt.Sprintf("%s.scales[%d]", field, j)
		checkText(f, sf+".name", s.Name, true)
		checkText(f, sf+".description", s.Description, false)
		if scales > 0 && (s.Value < 1 || s.Value > scales) {
			f.Add(sf+".value", "must be between 1 and %d", scales)
			continue
		}
		if k, dup := firstWithValue[s.Value]; dup {
			f.Add(sf+".value", "duplicate value %d (also scales[%d])", s.Value, k)
		} else {
			firstWithValue[s.Value] = j
		}
	}
}

var colorRE = regexp.MustCompile(`^#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$`)

// checkBands validates the optional bands. A band's min is a raw score, so
// it lies in 1..maxScore (maxScore is 0 when the shape is invalid and the
// upper bound cannot be known). Mins strictly ascend: a band with the same
// min as the one before it could never be matched. Scores below the first
// band have no band, so the first min need not be 1.
func checkBands(f *errs.Fields, bands []Band, maxScore int) {
	if len(bands) > MaxBands {
		f.Add("bands", "must have at most %d bands", MaxBands)
		return
	}
	for i, b := range bands {
		field := fmt.Sprintf("bands[%d]", i)
		checkText(f, field+".name", b.Name, true)
		f.Check(colorRE.MatchString(b.Color), field+".color", "must be a hex color such as #C62828 or #C22")
		switch {
		case b.Min < 1:
			f.Add(field+".min", "must be at least 1")
		case maxScore > 0 && b.Min > maxScore:
			f.Add(field+".min", "must be at most the highest score %d", maxScore)
		case i > 0 && b.Min <= bands[i-1].Min:
			f.Add(field+".min", "must be greater than bands[%d].min (%d): bands ascend by min", i-1, bands[i-1].Min)
		}
	}
}

// checkText validates a localised text: keys are BCP 47 language tags,
// values bounded; a required text needs at least one non-blank locale.
func checkText(f *errs.Fields, field string, text map[string]string, required bool) {
	if len(text) > MaxLocales {
		f.Add(field, "must have at most %d locales", MaxLocales)
		return
	}
	filled := false
	// Sorted so the same bad input always yields the same error list.
	for _, k := range slices.Sorted(maps.Keys(text)) {
		v := text[k]
		if len(k) > maxLocaleBytes {
			f.Add(field, "locale keys must be at most %d characters", maxLocaleBytes)
			continue
		}
		if !validLocale(k) {
			f.Add(field+"."+k, "%q is not a BCP 47 language tag (for example \"en-US\", \"nl\", \"zh-Hant-TW\")", k)
		}
		if utf8.RuneCountInString(v) > MaxTextLength {
			f.Add(field+"."+k, "must be at most %d characters", MaxTextLength)
		}
		if strings.TrimSpace(v) != "" {
			filled = true
		}
	}
	if required && !filled {
		f.Add(field, "must have text in at least one locale, for example {\"en-US\": \"…\"}")
	}
}

// validLocale accepts BCP 47 tags. language.Parse also takes the POSIX
// spelling "en_US", which is not BCP 47 and which clients would then find
// under a key they did not expect, so underscores are refused first.
func validLocale(k string) bool {
	if strings.Contains(k, "_") {
		return false
	}
	_, err := language.Parse(k)
	return err == nil
}
