package customer

import (
	"strconv"
	"strings"
	"time"
)

// maxInputs is how many scoring inputs apply to a customer of either type:
// country, industry, payment_modes, onboarding_mode, products and
// fatca_status, plus nationality for individuals or entity_type and
// ownership_layers for corporates.
const maxInputs = 8

// Comments, in the wording of the reference API, so clients that match on
// them keep working.
const (
	commentPEP          = "Marked as Politically Exposed Person."
	commentSanctions    = "Marked as Sanction related person/entity."
	commentAdverseMedia = "Adverse media found."
	commentFATF         = "High-risk jurisdiction (FATF call for action)."
)

// Knock-out rule names, as KnockOut.Rule and the comments show them.
const (
	RuleSanctions         = "sanctions"
	RulePEP               = "pep"
	RuleAdverseMedia      = "adverse_media"
	RuleFATFCallForAction = "fatf_call_for_action"
)

// Basis says where a component's factor came from.
type Basis string

const (
	BasisTable         Basis = "table"          // the input's value, found in the methodology's table
	BasisUnknown       Basis = "unknown"        // a value the table does not list: unknown_default
	BasisNoData        Basis = "no_data"        // a listed jurisdiction the source does not cover: unknown_default
	BasisMissing       Basis = "missing"        // the input was not given: unknown_default, counted as missing
	BasisNotApplicable Basis = "not_applicable" // the input does not apply to this customer: 0
	BasisComputed      Basis = "computed"       // screening and individual_shareholding, from all parties
)

// Trace explains one component: the deciding input value, where its factor
// came from, and weight × factor = score.
type Trace struct {
	Component string  `json:"component"`
	Input     string  `json:"input"`
	Basis     Basis   `json:"basis"`
	Factor    float64 `json:"factor"`
	Weight    float64 `json:"weight"`
	Score     float64 `json:"score"`
}

// KnockOut is a rating floor that a party triggered.
type KnockOut struct {
	Rule  string `json:"rule"`
	Party string `json:"party"`
	Floor Rating `json:"floor"`
}

// Result is an assessment. Its first five fields marshal to the spec's
// `risk` object, in the spec's key order; the rest are riskd's additions,
// which make every score explainable.
type Result struct {
	// Comments maps each party id (the customer's and each CRP's) to the
	// reasons found on it, including the knock-outs it triggered.
	Comments map[string][]string `json:"comments"`
	// RiskScore is the sum of the component scores, 0–100, at single
	// precision like the reference API's: 57.00833… is 57.008335.
	RiskScore          float32        `json:"risk_score"`
	RiskRating         Rating         `json:"risk_rating"`
	ComponentScore     Components     `json:"component_score"`
	WeightSettings     WeightSettings `json:"weight_settings"`
	MethodologyVersion int            `json:"methodology_version"`
	// MissingInputs names the customer's missing inputs; MissingCount is
	// their number, which decides UNKNOWN.
	MissingCount  int        `json:"missing_count"`
	MissingInputs []string   `json:"missing_inputs"`
	KnockOuts     []KnockOut `json:"knock_outs"`
	// Explanation has one entry per component, in component_score order.
	Explanation [nComponents]Trace `json:"explanation"`
}

// RiskScore adds component scores up in component_score order and rounds
// the sum to single precision, as Result.RiskScore reports it.
func RiskScore(c Components) float32 {
	sum := 0.0
	for _, v := range c.array() {
		sum += v
	}
	return float32(sum)
}

// IDs names the parties of one assessment; comments are keyed by these ids
// in decimal, so they must be distinct, as stored ids are. CRPs[i] is the
// id of crps[i]; a related party without one is keyed "crps[i]".
type IDs struct {
	Customer int64
	CRPs     []int64
}

// countryEntry is one jurisdiction, resolved at compile time.
type countryEntry struct {
	f     [4]float64 // cpi, fsi, fatf, oecd, with unknown_default filled in
	basis [4]Basis
	// g is the jurisdiction risk of a related party there: the four
	// factors' mean, weighted by the country components' weights.
	g   float64
	cfa bool // a fatf factor of 1: FATF call for action
}

// countryIndex maps two upper-case letters onto 0..675.
func countryIndex(code string) (int, bool) {
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
		return 0, false
	}
	return int(code[0]-'A')*26 + int(code[1]-'A'), true
}

// Scorer is a compiled methodology: every table resolved into the form a
// score needs, so that re-scoring a million customers does no parsing and
// few allocations. It is immutable and safe for concurrent use.
type Scorer struct {
	version    int
	weights    [nComponents]float64
	settings   WeightSettings
	primary    float64 // primary_weight as a fraction
	countries  [26 * 26]countryEntry
	unlisted   countryEntry // any code the table does not list
	industries map[string]float64
	entities   map[string]float64
	payments   map[string]float64
	onboarding map[string]float64
	products   map[string]float64
	fatca      map[string]float64
	layers     []float64
	screening  ScreeningFactors
	roles      RoleWeights
	thresholds Thresholds
	knockOuts  KnockOuts
	// koComments are the knock-out comments, in partyComments' order
	// (pep, sanctions, adverse media, FATF), built once per methodology.
	koComments [4]string
	unknown    float64
	unknownAt  int
	review     ReviewYears
}

// Compile validates a methodology and prepares it for scoring.
func Compile(m Methodology) (*Scorer, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	w := m.Weights
	s := &Scorer{
		version: m.Version,
		weights: w.array(),
		settings: WeightSettings{
			CPI: w.CPI, FSI: w.FSI, FATF: w.FATF, OECD: w.OECD, FATCA: w.FATCA, Industry: w.Industry,
			Screening: w.Screening, EntityType: w.EntityType, PaymentModes: w.PaymentModes,
			PrimaryWeight: m.PrimaryWeight, OnboardingMode: w.OnboardingMode, OwnershipLayer: w.OwnershipLayer,
			ProductComplexity: w.ProductComplexity, IndividualShareholding: w.IndividualShareholding,
		},
		primary:    m.PrimaryWeight / 100,
		industries: canonTable(m.Industries),
		entities:   canonTable(m.EntityTypes),
		payments:   canonTable(m.PaymentModes),
		onboarding: canonTable(m.OnboardingModes),
		products:   canonTable(m.Products),
		fatca:      canonTable(m.FATCAStatuses),
		layers:     append([]float64(nil), m.OwnershipLayers...),
		screening:  m.Screening,
		roles:      m.RoleWeights,
		thresholds: m.Thresholds,
		knockOuts:  m.KnockOuts,
		unknown:    m.UnknownDefault,
		unknownAt:  m.UnknownRatingThreshold,
		review:     m.ReviewYears,
	}
	for i, k := range []struct {
		rule  string
		floor Rating
	}{{RulePEP, m.KnockOuts.PEP}, {RuleSanctions, m.KnockOuts.Sanctions}, {RuleAdverseMedia, m.KnockOuts.AdverseMedia}, {RuleFATFCallForAction, m.KnockOuts.FATFCallForAction}} {
		s.koComments[i] = "Knock-out: " + k.rule + " (rating at least " + string(k.floor) + ")."
	}
	s.unlisted = s.entry(CountryFactors{}, BasisUnknown)
	for i := range s.countries {
		s.countries[i] = s.unlisted
	}
	for code, cf := range m.Countries {
		i, _ := countryIndex(code) // Validate admitted only ISO codes
		s.countries[i] = s.entry(cf, BasisNoData)
	}
	return s, nil
}

// entry resolves a table row; a nil factor scores unknown_default with the
// given basis.
func (s *Scorer) entry(cf CountryFactors, missing Basis) countryEntry {
	var e countryEntry
	geoWeight := 0.0
	for k, v := range cf.list() {
		if v != nil {
			e.f[k], e.basis[k] = *v, BasisTable
		} else {
			e.f[k], e.basis[k] = s.unknown, missing
		}
		e.g += s.weights[k] * e.f[k]
		geoWeight += s.weights[k]
	}
	if geoWeight > 0 {
		e.g /= geoWeight
	} else {
		// The operator gave geography no weight; related parties' geography
		// then does not count either.
		e.g = 0
	}
	e.cfa = cf.FATF != nil && *cf.FATF == 1
	return e
}

func canonTable(t map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(t))
	for k, v := range t {
		out[canon(k)] = v
	}
	return out
}

// lookup finds v in a canonical table. Values already in canonical form,
// the common case, cost one map lookup and no allocation.
func lookup(t map[string]float64, v string) (float64, bool) {
	if f, ok := t[v]; ok {
		return f, true
	}
	v = strings.TrimSpace(v)
	var buf [64]byte
	if len(v) > len(buf) {
		f, ok := t[canon(v)]
		return f, ok
	}
	b := buf[:len(v)]
	for i := range len(v) {
		b[i] = byte(canonByte(rune(v[i])))
	}
	f, ok := t[string(b)] // the compiler does not allocate for this lookup
	return f, ok
}

func (s *Scorer) country(code string) *countryEntry {
	if i, ok := countryIndex(code); ok {
		return &s.countries[i]
	}
	return &s.unlisted
}

// Version is the methodology version the scorer was compiled from.
func (s *Scorer) Version() int { return s.version }

// NextReviewAt applies the methodology's review schedule.
func (s *Scorer) NextReviewAt(r Rating, assessedAt time.Time) time.Time {
	return s.review.NextReviewAt(r, assessedAt)
}

// Score assesses a customer and its related parties. It never fails: input
// that ValidateCustomer would refuse is scored as unknown, never panics,
// but callers validate first so that such input is not stored.
func (s *Scorer) Score(c Customer, crps []CRP, ids IDs) Result {
	var r Result
	s.score(&r, c, crps, ids, true)
	return r
}

// Rate returns only the rating, without comments or explanation, for dry
// runs over many customers.
func (s *Scorer) Rate(c Customer, crps []CRP) Rating {
	var r Result
	s.score(&r, c, crps, IDs{}, false)
	return r.RiskRating
}

// Record is a customer with its related parties.
type Record struct {
	Customer Customer
	CRPs     []CRP
}

// DryRun rates every record under m and counts the ratings, so an operator
// sees what a draft methodology would do before activating it. Every rating
// is present in the map, with 0 when none was given.
func DryRun(m Methodology, records []Record) (map[Rating]int, error) {
	s, err := Compile(m)
	if err != nil {
		return nil, err
	}
	dist := make(map[Rating]int, len(Ratings()))
	for _, r := range Ratings() {
		dist[r] = 0
	}
	for _, rec := range records {
		dist[s.Rate(rec.Customer, rec.CRPs)]++
	}
	return dist, nil
}

func (s *Scorer) screeningFactor(sc Screening) float64 {
	f := 0.0
	if sc.PEP {
		f = max(f, s.screening.PEP)
	}
	if sc.Sanctions {
		f = max(f, s.screening.Sanctions)
	}
	if sc.AdverseMedia {
		f = max(f, s.screening.AdverseMedia)
	}
	return f
}

func (s *Scorer) roleWeight(r Role) float64 {
	switch r {
	case Shareholder:
		return s.roles.Shareholder
	case Director:
		return s.roles.Director
	case UBO:
		return s.roles.UBO
	case Signatory:
		return s.roles.Signatory
	}
	return 0
}

// score fills r. With explain false it skips comments, the explanation and
// the knock-out list, which only a stored assessment needs.
func (s *Scorer) score(r *Result, c Customer, crps []CRP, ids IDs, explain bool) {
	t := &r.Explanation
	var missing [maxInputs]string
	nMissing := 0
	miss := func(name string) {
		missing[nMissing] = name
		nMissing++
	}
	corporate := c.Type != Individual

	// Geography: the riskier of the customer's country and nationality,
	// per component.
	if c.Country == "" {
		miss("country")
	}
	if c.Nationality == "" && !corporate {
		miss("nationality")
	}
	custCFA := false
	for k := range 4 {
		tr := &t[k]
		tr.Factor, tr.Basis = s.unknown, BasisMissing
		found := false
		for _, code := range [2]string{c.Country, c.Nationality} {
			if code == "" {
				continue
			}
			e := s.country(code)
			custCFA = custCFA || e.cfa
			if !found || e.f[k] > tr.Factor {
				tr.Factor, tr.Basis, tr.Input, found = e.f[k], e.basis[k], code, true
			}
		}
	}

	// In the customer's field order, so missing inputs are listed in it.
	s.vocab(&t[cIndustry], s.industries, c.Industry, miss, "industry", false)
	s.vocab(&t[cEntityType], s.entities, c.EntityType, miss, "entity_type", !corporate)
	s.vocabList(&t[cPaymentModes], s.payments, c.PaymentModes, miss, "payment_modes")
	s.vocab(&t[cOnboardingMode], s.onboarding, string(c.OnboardingMode), miss, "onboarding_mode", false)
	tr := &t[cOwnershipLayer]
	switch {
	case c.OwnershipLayers != nil:
		n := max(*c.OwnershipLayers, 0)
		tr.Factor = s.layers[min(n, len(s.layers)-1)]
		tr.Basis, tr.Input = BasisTable, strconv.Itoa(n)
	case corporate:
		tr.Factor, tr.Basis = s.unknown, BasisMissing
		miss("ownership_layers")
	default:
		tr.Basis = BasisNotApplicable
	}
	s.vocabList(&t[cProductComplexity], s.products, c.Products, miss, "products")
	s.vocab(&t[cFATCA], s.fatca, c.FATCAStatus, miss, "fatca_status", false)

	// Screening: primary_weight of it is the customer's own screening, the
	// rest the riskiest screening of any party, the customer included, so
	// that a clean related party never lowers the score.
	own := s.screeningFactor(c.Screening)
	riskiest, riskiestParty := own, -1
	// Related parties: the riskiest party's risk, weighted by its influence.
	shareholding, shareholder := 0.0, -1
	for i, p := range crps {
		sf := s.screeningFactor(p.Screening)
		if sf > riskiest {
			riskiest, riskiestParty = sf, i
		}
		g := s.unknown
		if p.Country != "" || p.Nationality != "" {
			g = 0
			for _, code := range [2]string{p.Country, p.Nationality} {
				if code != "" {
					g = max(g, s.country(code).g)
				}
			}
		}
		influence := max(s.roleWeight(p.Role), min(max(p.OwnershipPct, 0), 100)/100)
		if v := max(sf, g) * influence; v > shareholding {
			shareholding, shareholder = v, i
		}
	}
	tr = &t[cScreening]
	tr.Factor = s.primary*own + (1-s.primary)*riskiest
	tr.Basis = BasisComputed
	tr = &t[cIndividualShareholding]
	tr.Factor, tr.Basis = shareholding, BasisComputed
	if len(crps) == 0 {
		tr.Basis = BasisNotApplicable
	}

	var scores [nComponents]float64
	sum := 0.0
	for k := range t {
		t[k].Weight = s.weights[k]
		t[k].Score = s.weights[k] * t[k].Factor
		scores[k] = t[k].Score
		sum += t[k].Score
	}
	r.RiskScore = float32(sum)
	r.ComponentScore = componentsOf(scores)
	r.WeightSettings = s.settings
	r.MethodologyVersion = s.version
	r.MissingCount = nMissing

	// Knock-outs: floors from any party.
	floor := Rating("")
	raise := func(to Rating) {
		if to.rank() > floor.rank() {
			floor = to
		}
	}
	flags := func(sc Screening, cfa bool) {
		if sc.Sanctions {
			raise(s.knockOuts.Sanctions)
		}
		if sc.PEP {
			raise(s.knockOuts.PEP)
		}
		if sc.AdverseMedia {
			raise(s.knockOuts.AdverseMedia)
		}
		if cfa {
			raise(s.knockOuts.FATFCallForAction)
		}
	}
	flags(c.Screening, custCFA)
	for _, p := range crps {
		flags(p.Screening, s.partyCFA(p))
	}

	rating := s.thresholds.Rate(float64(r.RiskScore))
	if floor.rank() > rating.rank() {
		rating = floor
	}
	unknown := nMissing >= s.unknownAt
	if unknown && floor != High {
		// Too little is known to rate; only a HIGH floor is certain
		// whatever the missing inputs would have been.
		rating = Unknown
	}
	r.RiskRating = rating
	if !explain {
		return
	}

	for k := range t {
		t[k].Component = componentNames[k]
	}
	r.MissingInputs = append([]string{}, missing[:nMissing]...)
	r.KnockOuts = []KnockOut{}
	r.Comments = make(map[string][]string, 1+len(crps))
	custKey := strconv.FormatInt(ids.Customer, 10)
	keys := make([]string, len(crps))
	for i := range crps {
		keys[i] = crpKey(ids, i)
	}
	var custComments []string
	if unknown {
		custComments = append(custComments, "Too many inputs missing to rate ("+strconv.Itoa(nMissing)+
			", threshold "+strconv.Itoa(s.unknownAt)+"): "+strings.Join(r.MissingInputs, ", ")+".")
	}
	r.Comments[custKey] = s.partyComments(r, custKey, c.Screening, custCFA, custComments)
	for i, p := range crps {
		r.Comments[keys[i]] = s.partyComments(r, keys[i], p.Screening, s.partyCFA(p), nil)
	}
	if riskiest > 0 {
		t[cScreening].Input = custKey
		if riskiestParty >= 0 {
			t[cScreening].Input = keys[riskiestParty]
		}
	}
	if shareholder >= 0 {
		t[cIndividualShareholding].Input = keys[shareholder]
	}
}

func (s *Scorer) partyCFA(p CRP) bool {
	return (p.Country != "" && s.country(p.Country).cfa) || (p.Nationality != "" && s.country(p.Nationality).cfa)
}

// partyComments lists a party's reasons, then the knock-outs it triggered,
// and records those in r.KnockOuts. A party without any has an empty list,
// which marshals as [] like the reference API's.
func (s *Scorer) partyComments(r *Result, key string, sc Screening, cfa bool, list []string) []string {
	hits := [4]struct {
		on      bool
		comment string
		rule    string
		floor   Rating
	}{
		{sc.PEP, commentPEP, RulePEP, s.knockOuts.PEP},
		{sc.Sanctions, commentSanctions, RuleSanctions, s.knockOuts.Sanctions},
		{sc.AdverseMedia, commentAdverseMedia, RuleAdverseMedia, s.knockOuts.AdverseMedia},
		{cfa, commentFATF, RuleFATFCallForAction, s.knockOuts.FATFCallForAction},
	}
	for _, h := range hits {
		if h.on {
			list = append(list, h.comment)
		}
	}
	for i, h := range hits {
		if h.on && h.floor != "" {
			list = append(list, s.koComments[i])
			r.KnockOuts = append(r.KnockOuts, KnockOut{Rule: h.rule, Party: key, Floor: h.floor})
		}
	}
	if list == nil {
		return []string{}
	}
	return list
}

func crpKey(ids IDs, i int) string {
	if i < len(ids.CRPs) {
		return strconv.FormatInt(ids.CRPs[i], 10)
	}
	return "crps[" + strconv.Itoa(i) + "]"
}

// vocab scores a single vocabulary input. notApplicable inputs score 0 when
// absent and are not counted as missing.
func (s *Scorer) vocab(tr *Trace, table map[string]float64, v string, miss func(string), name string, notApplicable bool) {
	tr.Input = v
	switch f, ok := lookup(table, v); {
	case v == "" && notApplicable:
		tr.Factor, tr.Basis = 0, BasisNotApplicable
	case v == "":
		tr.Factor, tr.Basis = s.unknown, BasisMissing
		miss(name)
	case ok:
		tr.Factor, tr.Basis = f, BasisTable
	default:
		tr.Factor, tr.Basis = s.unknown, BasisUnknown
	}
}

// vocabList scores a list input by its riskiest value.
func (s *Scorer) vocabList(tr *Trace, table map[string]float64, vs []string, miss func(string), name string) {
	if len(vs) == 0 {
		tr.Factor, tr.Basis = s.unknown, BasisMissing
		miss(name)
		return
	}
	for i, v := range vs {
		f, ok := lookup(table, v)
		basis := BasisTable
		if !ok {
			f, basis = s.unknown, BasisUnknown
		}
		if i == 0 || f > tr.Factor {
			tr.Factor, tr.Basis, tr.Input = f, basis, v
		}
	}
}
