// Package customer rates the money-laundering and terrorist-financing risk
// of a customer (KYC/AML customer risk rating): the customer and its related
// parties (CRPs) are scored against a versioned methodology of weights and
// factor tables, knock-outs set floors under the rating, and maker-checker
// rules govern approvals and methodology activation.
//
// The package is pure: no I/O, no clock and no mutable globals. Callers pass
// `now`, party ids and the methodology, and persist what comes back. Wire
// names are the documented ones, so the API marshals these types directly.
package customer

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/riskd/riskd/internal/errs"
)

// Limits on a customer. The API is public, so every list and string is
// bounded.
const (
	MaxReferenceIDLength = 200
	MaxNameLength        = 500
	MaxValueLength       = 100 // industry, entity type, payment mode, product, FATCA status
	MaxListItems         = 50  // payment modes, products
	MaxCRPs              = 500
	MaxOwnershipLayers   = 100
)

// PartyType says whether a customer or related party is a person or an
// organisation.
type PartyType string

const (
	Individual PartyType = "INDIVIDUAL"
	Corporate  PartyType = "CORPORATE"
)

// OnboardingMode is how the customer was identified.
type OnboardingMode string

const (
	FaceToFace    OnboardingMode = "FACE_TO_FACE"
	NonFaceToFace OnboardingMode = "NON_FACE_TO_FACE"
)

// Role is what a related party is to the customer.
type Role string

const (
	Shareholder Role = "SHAREHOLDER"
	Director    Role = "DIRECTOR"
	UBO         Role = "UBO"
	Signatory   Role = "SIGNATORY"
)

// Screening holds the outcome of name screening for one party. An absent
// object decodes as no hits.
type Screening struct {
	PEP          bool `json:"pep"`
	Sanctions    bool `json:"sanctions"`
	AdverseMedia bool `json:"adverse_media"`
}

// Customer is a primary customer as the API carries it. Every scoring input
// is optional: a missing one is scored with the methodology's
// unknown_default and counted towards the UNKNOWN rating. Vocabulary values
// (industry, entity type, payment modes, products, FATCA status) are open:
// a value the methodology does not list is accepted and scored with
// unknown_default, so a new product never blocks onboarding.
type Customer struct {
	Type        PartyType `json:"type"`
	ReferenceID string    `json:"referenceId"`
	Name        string    `json:"name"`
	// Country is the country of residence (individuals) or incorporation
	// (corporates); Nationality is an individual's. Both are ISO 3166-1
	// alpha-2 codes in upper case.
	Country        string         `json:"country,omitempty"`
	Nationality    string         `json:"nationality,omitempty"`
	Industry       string         `json:"industry,omitempty"`
	EntityType     string         `json:"entity_type,omitempty"`
	PaymentModes   []string       `json:"payment_modes,omitempty"`
	OnboardingMode OnboardingMode `json:"onboarding_mode,omitempty"`
	// OwnershipLayers counts the legal entities between the customer and its
	// ultimate beneficial owners; nil when not known.
	OwnershipLayers *int      `json:"ownership_layers,omitempty"`
	Products        []string  `json:"products,omitempty"`
	FATCAStatus     string    `json:"fatca_status,omitempty"`
	Screening       Screening `json:"screening"`
}

// CRP is a customer related party: a shareholder, director, ultimate
// beneficial owner or signatory.
type CRP struct {
	Type PartyType `json:"type"`
	Name string    `json:"name"`
	Role Role      `json:"role"`
	// OwnershipPct is the share of the customer the party owns, 0–100.
	OwnershipPct float64   `json:"ownership_pct"`
	Country      string    `json:"country,omitempty"`
	Nationality  string    `json:"nationality,omitempty"`
	Screening    Screening `json:"screening"`
}

// ValidateCustomer checks a customer and its related parties, naming every
// bad field in its wire spelling (for example "country" or
// "crps[1].ownership_pct"). Uniqueness of referenceId within a space is the
// store's to enforce.
func ValidateCustomer(c Customer, crps []CRP) error {
	var f errs.Fields
	partyType(&f, "type", c.Type)
	text(&f, "referenceId", c.ReferenceID, MaxReferenceIDLength)
	text(&f, "name", c.Name, MaxNameLength)
	countryCode(&f, "country", c.Country)
	countryCode(&f, "nationality", c.Nationality)
	value(&f, "industry", c.Industry)
	value(&f, "entity_type", c.EntityType)
	values(&f, "payment_modes", c.PaymentModes)
	if c.OnboardingMode != "" {
		oneOf(&f, "onboarding_mode", c.OnboardingMode, FaceToFace, NonFaceToFace)
	}
	if n := c.OwnershipLayers; n != nil {
		f.Check(*n >= 0 && *n <= MaxOwnershipLayers, "ownership_layers", "must be from 0 to %d", MaxOwnershipLayers)
	}
	values(&f, "products", c.Products)
	value(&f, "fatca_status", c.FATCAStatus)
	if len(crps) > MaxCRPs {
		f.Add("crps", "must have at most %d related parties", MaxCRPs)
	} else {
		for i, p := range crps {
			if err := ValidateCRP(p); err != nil {
				f.Merge(fmt.Sprintf("crps[%d]", i), err)
			}
		}
	}
	return f.Err()
}

// ValidateCRP checks one related party, naming fields without a prefix.
func ValidateCRP(p CRP) error {
	var f errs.Fields
	partyType(&f, "type", p.Type)
	text(&f, "name", p.Name, MaxNameLength)
	oneOf(&f, "role", p.Role, Shareholder, Director, UBO, Signatory)
	f.Check(p.OwnershipPct >= 0 && p.OwnershipPct <= 100, "ownership_pct", "must be from 0 to 100")
	countryCode(&f, "country", p.Country)
	countryCode(&f, "nationality", p.Nationality)
	return f.Err()
}

func partyType(f *errs.Fields, field string, t PartyType) {
	oneOf(f, field, t, Individual, Corporate)
}

func oneOf[T ~string](f *errs.Fields, field string, v T, allowed ...T) {
	if slices.Contains(allowed, v) {
		return
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	f.Add(field, "must be one of %s", strings.Join(names, ", "))
}

// text checks a required string.
func text(f *errs.Fields, field, v string, limit int) {
	switch {
	case strings.TrimSpace(v) == "":
		f.Add(field, "is required")
	case utf8.RuneCountInString(v) > limit:
		f.Add(field, "must be at most %d characters", limit)
	}
}

// value checks an optional vocabulary value. Any text is accepted, because
// unknown values are scored, not refused.
func value(f *errs.Fields, field, v string) {
	if v != "" && (strings.TrimSpace(v) == "" || utf8.RuneCountInString(v) > MaxValueLength) {
		f.Add(field, "must be non-blank and at most %d characters", MaxValueLength)
	}
}

func values(f *errs.Fields, field string, vs []string) {
	if len(vs) > MaxListItems {
		f.Add(field, "must have at most %d items", MaxListItems)
		return
	}
	for i, v := range vs {
		if v == "" {
			f.Add(fmt.Sprintf("%s[%d]", field, i), "must not be empty")
			continue
		}
		value(f, fmt.Sprintf("%s[%d]", field, i), v)
	}
}

func countryCode(f *errs.Fields, field, v string) {
	if v == "" {
		return
	}
	if !IsCountry(v) {
		f.Add(field, "must be an ISO 3166-1 alpha-2 country code in upper case, such as SG")
	}
}

// ScreeningPatch changes some screening flags and keeps the others.
type ScreeningPatch struct {
	PEP          *bool `json:"pep,omitempty"`
	Sanctions    *bool `json:"sanctions,omitempty"`
	AdverseMedia *bool `json:"adverse_media,omitempty"`
}

// Patch is the body of a partial update. An absent or null field keeps the
// stored value; an empty string clears an optional text and an empty list
// clears a list. ownership_layers can be changed but not cleared, because
// JSON null cannot be told apart from an absent field here.
type Patch struct {
	Type            *PartyType      `json:"type,omitempty"`
	ReferenceID     *string         `json:"referenceId,omitempty"`
	Name            *string         `json:"name,omitempty"`
	Country         *string         `json:"country,omitempty"`
	Nationality     *string         `json:"nationality,omitempty"`
	Industry        *string         `json:"industry,omitempty"`
	EntityType      *string         `json:"entity_type,omitempty"`
	PaymentModes    []string        `json:"payment_modes,omitempty"`
	OnboardingMode  *OnboardingMode `json:"onboarding_mode,omitempty"`
	OwnershipLayers *int            `json:"ownership_layers,omitempty"`
	Products        []string        `json:"products,omitempty"`
	FATCAStatus     *string         `json:"fatca_status,omitempty"`
	Screening       *ScreeningPatch `json:"screening,omitempty"`
}

// Merge applies a partial update to a customer and returns the result,
// which the caller validates with ValidateCustomer before storing it. The
// inputs are not modified; the result shares no slices with the patch.
func Merge(c Customer, p Patch) Customer {
	set(&c.Type, p.Type)
	set(&c.ReferenceID, p.ReferenceID)
	set(&c.Name, p.Name)
	set(&c.Country, p.Country)
	set(&c.Nationality, p.Nationality)
	set(&c.Industry, p.Industry)
	set(&c.EntityType, p.EntityType)
	set(&c.OnboardingMode, p.OnboardingMode)
	set(&c.FATCAStatus, p.FATCAStatus)
	if p.OwnershipLayers != nil {
		n := *p.OwnershipLayers
		c.OwnershipLayers = &n
	}
	// encoding/json leaves an absent list nil and decodes [] as empty and
	// non-nil, which is exactly keep versus clear.
	if p.PaymentModes != nil {
		c.PaymentModes = listOrNil(p.PaymentModes)
	}
	if p.Products != nil {
		c.Products = listOrNil(p.Products)
	}
	if s := p.Screening; s != nil {
		set(&c.Screening.PEP, s.PEP)
		set(&c.Screening.Sanctions, s.Sanctions)
		set(&c.Screening.AdverseMedia, s.AdverseMedia)
	}
	return c
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// listOrNil copies a list; a cleared list becomes nil so it is stored and
// scored like one never given.
func listOrNil(v []string) []string {
	if len(v) == 0 {
		return nil
	}
	return slices.Clone(v)
}
