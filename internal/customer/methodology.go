package customer

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/riskd/riskd/internal/errs"
)

// Status is a methodology version's state. One version per space is
// active; new versions start as drafts, and an activated draft retires the
// version it replaces (the store does that in one transaction).
type Status string

const (
	StatusDraft   Status = "draft"
	StatusActive  Status = "active"
	StatusRetired Status = "retired"
)

// Components holds one number per scoring component, in the order of the
// spec's component_score: the methodology's weights, and an assessment's
// component scores.
type Components struct {
	CPI                    float64 `json:"cpi"`
	FSI                    float64 `json:"fsi"`
	FATF                   float64 `json:"fatf"`
	OECD                   float64 `json:"oecd"`
	FATCA                  float64 `json:"fatca"`
	Industry               float64 `json:"industry"`
	Screening              float64 `json:"screening"`
	EntityType             float64 `json:"entity_type"`
	PaymentModes           float64 `json:"payment_modes"`
	OnboardingMode         float64 `json:"onboarding_mode"`
	OwnershipLayer         float64 `json:"ownership_layer"`
	ProductComplexity      float64 `json:"product_complexity"`
	IndividualShareholding float64 `json:"individual_shareholding"`
}

// Component indexes, in the order of Components' fields.
const (
	cCPI = iota
	cFSI
	cFATF
	cOECD
	cFATCA
	cIndustry
	cScreening
	cEntityType
	cPaymentModes
	cOnboardingMode
	cOwnershipLayer
	cProductComplexity
	cIndividualShareholding
	nComponents
)

// componentNames are the wire names of the components, by index.
var componentNames = [nComponents]string{
	"cpi", "fsi", "fatf", "oecd", "fatca", "industry", "screening", "entity_type",
	"payment_modes", "onboarding_mode", "ownership_layer", "product_complexity", "individual_shareholding",
}

func (c Components) array() [nComponents]float64 {
	return [nComponents]float64{c.CPI, c.FSI, c.FATF, c.OECD, c.FATCA, c.Industry, c.Screening, c.EntityType,
		c.PaymentModes, c.OnboardingMode, c.OwnershipLayer, c.ProductComplexity, c.IndividualShareholding}
}

func componentsOf(v [nComponents]float64) Components {
	return Components{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12]}
}

// WeightSettings are the weights an assessment used, as the spec's
// weight_settings shows them: the 13 component weights with primary_weight
// in the spec's position.
type WeightSettings struct {
	CPI                    float64 `json:"cpi"`
	FSI                    float64 `json:"fsi"`
	FATF                   float64 `json:"fatf"`
	OECD                   float64 `json:"oecd"`
	FATCA                  float64 `json:"fatca"`
	Industry               float64 `json:"industry"`
	Screening              float64 `json:"screening"`
	EntityType             float64 `json:"entity_type"`
	PaymentModes           float64 `json:"payment_modes"`
	PrimaryWeight          float64 `json:"primary_weight"`
	OnboardingMode         float64 `json:"onboarding_mode"`
	OwnershipLayer         float64 `json:"ownership_layer"`
	ProductComplexity      float64 `json:"product_complexity"`
	IndividualShareholding float64 `json:"individual_shareholding"`
}

// ScreeningFactors score screening hits; a party with several hits scores
// its highest.
type ScreeningFactors struct {
	PEP          float64 `json:"pep"`
	Sanctions    float64 `json:"sanctions"`
	AdverseMedia float64 `json:"adverse_media"`
}

// RoleWeights are how much a related party in each role can influence the
// customer, from 0 to 1, before its ownership is considered (see
// individual_shareholding in docs/customer-risk.md).
type RoleWeights struct {
	Shareholder float64 `json:"shareholder"`
	Director    float64 `json:"director"`
	UBO         float64 `json:"ubo"`
	Signatory   float64 `json:"signatory"`
}

// KnockOuts are rating floors: when the trigger is present on any party
// (the customer or a related party), the rating is at least the floor. An
// empty floor switches the knock-out off.
type KnockOuts struct {
	Sanctions    Rating `json:"sanctions,omitempty"`
	PEP          Rating `json:"pep,omitempty"`
	AdverseMedia Rating `json:"adverse_media,omitempty"`
	// FATFCallForAction triggers on a party whose country or nationality
	// has a fatf factor of 1, the value reserved for the FATF's high-risk
	// jurisdictions subject to a call for action.
	FATFCallForAction Rating `json:"fatf_call_for_action,omitempty"`
}

// Source names where a factor table comes from.
type Source struct {
	Component string `json:"component"`
	Name      string `json:"name"`
	URL       string `json:"url,omitempty"`
	AsOf      string `json:"as_of,omitempty"`
}

// Methodology is one version of a space's rating methodology: component
// weights, factor tables, thresholds, knock-outs and the review schedule.
// Vocabulary tables are matched ignoring case, with spaces and hyphens read
// as underscores, so "Real estate" finds REAL_ESTATE.
type Methodology struct {
	// Version is assigned by the store; Validate ignores it.
	Version int    `json:"version"`
	Status  Status `json:"status"`
	// Weights are the components' weights; they sum to 100, so the risk
	// score runs from 0 to 100.
	Weights Components `json:"weights"`
	// PrimaryWeight (0–100) is the share of the screening component that
	// reflects the customer's own screening; the rest reflects the
	// riskiest screening among all parties.
	PrimaryWeight float64 `json:"primary_weight"`

	Countries       map[string]CountryFactors `json:"countries"`
	Industries      map[string]float64        `json:"industries"`
	EntityTypes     map[string]float64        `json:"entity_types"`
	PaymentModes    map[string]float64        `json:"payment_modes"`
	OnboardingModes map[string]float64        `json:"onboarding_modes"`
	Products        map[string]float64        `json:"products"`
	FATCAStatuses   map[string]float64        `json:"fatca_statuses"`
	// OwnershipLayers[n] scores n layers; more layers than the list holds
	// score its last entry.
	OwnershipLayers []float64        `json:"ownership_layers"`
	Screening       ScreeningFactors `json:"screening"`
	RoleWeights     RoleWeights      `json:"role_weights"`

	Thresholds Thresholds `json:"thresholds"`
	KnockOuts  KnockOuts  `json:"knock_outs"`
	// UnknownDefault scores missing inputs, vocabulary values the tables do
	// not list and jurisdictions a source does not cover.
	UnknownDefault float64 `json:"unknown_default"`
	// UnknownRatingThreshold is how many missing inputs make the rating
	// UNKNOWN.
	UnknownRatingThreshold int         `json:"unknown_rating_threshold"`
	ReviewYears            ReviewYears `json:"review_years"`
	CountriesAsOf          string      `json:"countries_as_of"`
	Sources                []Source    `json:"sources"`
}

// Limits on a methodology document.
const (
	MaxTableEntries = 1000
	MaxLayers       = 50
	MaxSources      = 50
	MaxSourceText   = 500
	// weightTolerance absorbs the rounding of decimal weights such as 2.5
	// or 33.3 when they are added up.
	weightTolerance = 1e-9
)

// Validate checks a methodology, naming every bad field (for example
// "weights", "thresholds.medium" or "countries.SG.cpi").
func (m Methodology) Validate() error {
	var f errs.Fields
	oneOf(&f, "status", m.Status, StatusDraft, StatusActive, StatusRetired)
	sum := 0.0
	for i, w := range m.Weights.array() {
		if factorOK(w / 100) {
			sum += w
		} else {
			f.Add("weights."+componentNames[i], "must be from 0 to 100")
		}
	}
	if f.Empty() && math.Abs(sum-100) > weightTolerance {
		f.Add("weights", "must sum to 100, not %v", sum)
	}
	f.Check(factorOK(m.PrimaryWeight/100), "primary_weight", "must be from 0 to 100")

	if len(m.Countries) > MaxTableEntries {
		f.Add("countries", "must have at most %d entries", MaxTableEntries)
	} else {
		for _, code := range slices.Sorted(maps.Keys(m.Countries)) {
			if !IsCountry(code) {
				f.Add("countries."+code, "must be an ISO 3166-1 alpha-2 country code in upper case")
				continue
			}
			for i, v := range m.Countries[code].list() {
				if v != nil && !factorOK(*v) {
					f.Add("countries."+code+"."+countryColumns[i+1], "must be from 0 to 1, or null")
				}
			}
		}
	}
	vocabulary(&f, "industries", m.Industries)
	vocabulary(&f, "entity_types", m.EntityTypes)
	vocabulary(&f, "payment_modes", m.PaymentModes)
	vocabulary(&f, "onboarding_modes", m.OnboardingModes)
	vocabulary(&f, "products", m.Products)
	vocabulary(&f, "fatca_statuses", m.FATCAStatuses)
	if n := len(m.OwnershipLayers); n == 0 || n > MaxLayers {
		f.Add("ownership_layers", "must have from 1 to %d entries", MaxLayers)
	}
	for i, v := range m.OwnershipLayers {
		factor(&f, fmt.Sprintf("ownership_layers[%d]", i), v)
	}
	factor(&f, "screening.pep", m.Screening.PEP)
	factor(&f, "screening.sanctions", m.Screening.Sanctions)
	factor(&f, "screening.adverse_media", m.Screening.AdverseMedia)
	factor(&f, "role_weights.shareholder", m.RoleWeights.Shareholder)
	factor(&f, "role_weights.director", m.RoleWeights.Director)
	factor(&f, "role_weights.ubo", m.RoleWeights.UBO)
	factor(&f, "role_weights.signatory", m.RoleWeights.Signatory)

	m.Thresholds.validate(&f)
	for _, k := range []struct {
		name string
		r    Rating
	}{{"sanctions", m.KnockOuts.Sanctions}, {"pep", m.KnockOuts.PEP}, {"adverse_media", m.KnockOuts.AdverseMedia}, {"fatf_call_for_action", m.KnockOuts.FATFCallForAction}} {
		if k.r != "" {
			definite(&f, "knock_outs."+k.name, k.r)
		}
	}
	factor(&f, "unknown_default", m.UnknownDefault)
	f.Check(m.UnknownRatingThreshold >= 1 && m.UnknownRatingThreshold <= maxInputs, "unknown_rating_threshold",
		"must be from 1 to %d, the number of inputs a customer has", maxInputs)
	m.ReviewYears.validate(&f)
	f.Check(utf8.RuneCountInString(m.CountriesAsOf) <= MaxSourceText, "countries_as_of", "must be at most %d characters", MaxSourceText)
	if len(m.Sources) > MaxSources {
		f.Add("sources", "must have at most %d entries", MaxSources)
	} else {
		for i, s := range m.Sources {
			for _, t := range []struct{ name, v string }{{"component", s.Component}, {"name", s.Name}, {"url", s.URL}, {"as_of", s.AsOf}} {
				f.Check(utf8.RuneCountInString(t.v) <= MaxSourceText, fmt.Sprintf("sources[%d].%s", i, t.name), "must be at most %d characters", MaxSourceText)
			}
		}
	}
	return f.Err()
}

// factorOK reports whether v is in [0, 1]; NaN is not.
func factorOK(v float64) bool { return v >= 0 && v <= 1 }

func factor(f *errs.Fields, field string, v float64) {
	f.Check(factorOK(v), field, "must be from 0 to 1")
}

// vocabulary checks a factor table. Keys that read the same once
// canonicalised ("Real estate", "REAL_ESTATE") would make the table
// ambiguous, so they are refused.
func vocabulary(f *errs.Fields, field string, t map[string]float64) {
	if len(t) > MaxTableEntries {
		f.Add(field, "must have at most %d entries", MaxTableEntries)
		return
	}
	seen := make(map[string]string, len(t))
	for _, k := range slices.Sorted(maps.Keys(t)) {
		name := field + "." + k
		c := canon(k)
		switch {
		case c == "" || utf8.RuneCountInString(k) > MaxValueLength:
			f.Add(name, "key must be non-blank and at most %d characters", MaxValueLength)
			continue
		case seen[c] != "":
			f.Add(name, "is the same value as %q", seen[c])
			continue
		}
		seen[c] = k
		factor(f, name, t[k])
	}
}

// canon is the form vocabulary is matched in: trimmed, ASCII letters in
// upper case, spaces and hyphens as underscores.
func canon(v string) string {
	return strings.Map(canonByte, strings.TrimSpace(v))
}

func canonByte(r rune) rune {
	switch {
	case 'a' <= r && r <= 'z':
		return r - ('a' - 'A')
	case r == ' ' || r == '-':
		return '_'
	}
	return r
}

// WithCountries returns a copy of m as a new draft whose country table has
// the given rows: each row replaces that country's row, countries not given
// keep theirs. asOf records the date of the imported data. m itself is not
// modified.
func (m Methodology) WithCountries(rows map[string]CountryFactors, asOf string) Methodology {
	countries := make(map[string]CountryFactors, len(m.Countries)+len(rows))
	maps.Copy(countries, m.Countries)
	maps.Copy(countries, rows)
	m.Countries = countries
	m.CountriesAsOf = asOf
	m.Status = StatusDraft
	return m
}

// ValidateActivation checks that activatorID may activate the draft m,
// written by authorID: four eyes, so the author may not activate their own
// draft (forbidden); only a draft can be activated (conflict); and it must
// be valid (validation_failed).
func ValidateActivation(m Methodology, authorID, activatorID string) error {
	if activatorID == "" || activatorID == authorID {
		return errs.Forbiddenf("a methodology must be activated by someone other than its author")
	}
	if m.Status != StatusDraft {
		return errs.Conflictf("only a draft methodology can be activated; version %d is %s", m.Version, m.Status)
	}
	return m.Validate()
}

// DefaultMethodology returns the shipped methodology (see
// docs/customer-risk.md): the spec's weights, the thresholds LOW < 20 ≤
// MEDIUM_LOW < 30 ≤ MEDIUM < 40 ≤ MEDIUM_HIGH < 50 ≤ HIGH, sanctions and
// FATF call-for-action knock-outs to HIGH and a PEP knock-out to
// MEDIUM_HIGH, and the indicative country table in countries.csv.
func DefaultMethodology() Methodology {
	countries, err := ParseCountriesCSV(strings.NewReader(defaultCountriesCSV))
	if err != nil {
		// countries.csv is compiled in and tested; this is a build defect.
		panic("customer: shipped countries.csv is invalid: " + err.Error())
	}
	return Methodology{
		Version: 1,
		Status:  StatusActive,
		Weights: Components{
			CPI: 10, FSI: 2.5, FATF: 10, OECD: 10, FATCA: 2.5, Industry: 2.5, Screening: 20, EntityType: 15,
			PaymentModes: 5, OnboardingMode: 5, OwnershipLayer: 2.5, ProductComplexity: 5, IndividualShareholding: 10,
		},
		PrimaryWeight: 50,
		Countries:     countries,
		Industries: map[string]float64{
			// FATF and EU supranational risk assessment sectors: cash- and
			// value-intensive businesses, gatekeepers and virtual assets.
			"CASINO_GAMBLING": 1, "VIRTUAL_ASSETS": 1, "MONEY_SERVICES": 1, "PRECIOUS_METALS_AND_STONES": 1,
			"ARMS_AND_DEFENCE": 1, "TRUST_AND_COMPANY_SERVICES": 1,
			"REAL_ESTATE": 0.75, "ART_AND_ANTIQUES": 0.75, "NON_PROFIT": 0.75, "EXTRACTIVES": 0.75,
			"MOTOR_VEHICLE_DEALERS": 0.75, "CONSTRUCTION": 0.75, "PAWN_BROKING": 0.75,
			"LEGAL_SERVICES": 0.5, "ACCOUNTING": 0.5, "IMPORT_EXPORT": 0.5, "SHIPPING": 0.5,
			"HOSPITALITY": 0.5, "TRAVEL": 0.5, "FINANCIAL_SERVICES": 0.5,
			"RETAIL": 0.25, "MANUFACTURING": 0.25, "TECHNOLOGY": 0.25, "HEALTHCARE": 0.25,
			"PROFESSIONAL_SERVICES": 0.25, "AGRICULTURE": 0.25, "LOGISTICS": 0.25, "MEDIA": 0.25,
			"EDUCATION": 0, "GOVERNMENT": 0, "UTILITIES": 0, "SALARIED_EMPLOYEE": 0, "STUDENT": 0, "RETIRED": 0,
		},
		EntityTypes: map[string]float64{
			"INDIVIDUAL": 0, "LISTED_COMPANY": 0, "GOVERNMENT_ENTITY": 0, "REGULATED_FINANCIAL_INSTITUTION": 0,
			"PRIVATE_LIMITED_COMPANY": 0.25, "PARTNERSHIP": 0.25, "LIMITED_LIABILITY_PARTNERSHIP": 0.25, "SOLE_PROPRIETORSHIP": 0.25,
			"FOUNDATION": 0.75, "CHARITY": 0.75, "PRIVATE_INVESTMENT_COMPANY": 0.75,
			"TRUST": 1, "NOMINEE_COMPANY": 1, "BEARER_SHARE_COMPANY": 1,
		},
		PaymentModes: map[string]float64{
			"BANK_TRANSFER": 0, "DIRECT_DEBIT": 0, "CARD": 0.25, "E_WALLET": 0.5, "CHEQUE": 0.5,
			"MONEY_ORDER": 0.75, "CASH": 1, "VIRTUAL_ASSETS": 1, "THIRD_PARTY_PAYMENT": 1,
		},
		OnboardingModes: map[string]float64{
			string(FaceToFace): 0, string(NonFaceToFace): 1,
		},
		Products: map[string]float64{
			"SAVINGS_ACCOUNT": 0, "FIXED_DEPOSIT": 0, "CURRENT_ACCOUNT": 0.25, "LOAN": 0.25, "MORTGAGE": 0.25,
			"INSURANCE": 0.5, "INVESTMENT_FUND": 0.5, "ESCROW": 0.5, "SECURITIES_TRADING": 0.5,
			"TRADE_FINANCE": 0.75, "CROSS_BORDER_TRANSFERS": 0.75, "DERIVATIVES": 0.75, "PREPAID_CARD": 0.75,
			"SAFE_DEPOSIT_BOX": 0.75, "COMPANY_FORMATION": 0.75,
			"PRIVATE_BANKING": 1, "CORRESPONDENT_BANKING": 1, "TRUST_SERVICES": 1, "VIRTUAL_ASSETS": 1,
		},
		FATCAStatuses: map[string]float64{
			"NON_US_PERSON": 0, "PARTICIPATING_FFI": 0, "REGISTERED_DEEMED_COMPLIANT_FFI": 0,
			"EXEMPT_BENEFICIAL_OWNER": 0, "US_PERSON": 0.25, "CERTIFIED_DEEMED_COMPLIANT_FFI": 0.25,
			"ACTIVE_NFFE": 0.25, "PASSIVE_NFFE": 0.5, "NON_PARTICIPATING_FFI": 1, "RECALCITRANT": 1,
		},
		OwnershipLayers: []float64{0, 0.25, 0.5, 0.75, 1},
		Screening:       ScreeningFactors{PEP: 0.75, Sanctions: 1, AdverseMedia: 0.5},
		RoleWeights:     RoleWeights{Shareholder: 0, Director: 0.5, UBO: 1, Signatory: 0.5},
		Thresholds:      Thresholds{MediumLow: 20, Medium: 30, MediumHigh: 40, High: 50},
		KnockOuts:       KnockOuts{Sanctions: High, PEP: MediumHigh, FATFCallForAction: High},
		UnknownDefault:  1,
		// Three of a customer's eight inputs missing leaves too little to
		// stand behind a rating.
		UnknownRatingThreshold: 3,
		ReviewYears:            DefaultReviewYears(),
		CountriesAsOf:          "2026-06",
		Sources: []Source{
			{Component: "cpi", Name: "Transparency International, Corruption Perceptions Index 2024 (indicative bands)", URL: "https://www.transparency.org/en/cpi/2024", AsOf: "2025-02"},
			{Component: "fsi", Name: "Fund for Peace, Fragile States Index 2024 (indicative bands)", URL: "https://fragilestatesindex.org/", AsOf: "2024"},
			{Component: "fatf", Name: "FATF, High-risk jurisdictions subject to a call for action; Jurisdictions under increased monitoring", URL: "https://www.fatf-gafi.org/en/countries/black-and-grey-lists.html", AsOf: "2026-06"},
			{Component: "oecd", Name: "Council of the EU, EU list of non-cooperative jurisdictions for tax purposes (Annex I and II), applying OECD tax-transparency and BEPS standards", URL: "https://www.consilium.europa.eu/en/policies/eu-list-of-non-cooperative-jurisdictions/", AsOf: "2026-02-17"},
			{Component: "fatca", Name: "US Treasury FATCA classifications (IRS Forms W-8BEN-E and W-9)", URL: "https://www.irs.gov/businesses/corporations/foreign-account-tax-compliance-act-fatca"},
		},
	}
}
