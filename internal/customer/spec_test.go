package customer_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/riskd/riskd/internal/customer"
)

// The spec's sample risk report: its component scores and weights.
var (
	specComponents = customer.Components{
		CPI: 6.8, FSI: 0.8333333333333335, FATF: 8.958333333333332, OECD: 10.0, FATCA: 1.25,
		Industry: 1.6666666666666667, Screening: 0.0, EntityType: 10.0, PaymentModes: 5.0, OnboardingMode: 5.0,
		OwnershipLayer: 2.5, ProductComplexity: 5.0, IndividualShareholding: 0,
	}
	specWeights = customer.WeightSettings{
		CPI: 10, FSI: 2.5, FATF: 10, OECD: 10, FATCA: 2.5, Industry: 2.5, Screening: 20, EntityType: 15,
		PaymentModes: 5, PrimaryWeight: 50, OnboardingMode: 5, OwnershipLayer: 2.5, ProductComplexity: 5,
		IndividualShareholding: 10,
	}
)

const specScore = 57.008335

// TestSpecExample is the mandatory check: the spec's component scores add
// up to its risk_score, 57.008335, which the default thresholds rate HIGH,
// and the default weights are the spec's.
func TestSpecExample(t *testing.T) {
	m := customer.DefaultMethodology()
	score := customer.RiskScore(specComponents)
	if !near(float64(score), specScore, 1e-6) {
		t.Errorf("risk_score %v, want %v", score, specScore)
	}
	if b, _ := json.Marshal(score); string(b) != "57.008335" {
		t.Errorf("risk_score marshals as %s, want 57.008335", b)
	}
	if got := m.Thresholds.Rate(float64(score)); got != customer.High {
		t.Errorf("rating %s, want HIGH", got)
	}
	w := m.Weights
	got := customer.WeightSettings{
		CPI: w.CPI, FSI: w.FSI, FATF: w.FATF, OECD: w.OECD, FATCA: w.FATCA, Industry: w.Industry,
		Screening: w.Screening, EntityType: w.EntityType, PaymentModes: w.PaymentModes, PrimaryWeight: m.PrimaryWeight,
		OnboardingMode: w.OnboardingMode, OwnershipLayer: w.OwnershipLayer, ProductComplexity: w.ProductComplexity,
		IndividualShareholding: w.IndividualShareholding,
	}
	if got != specWeights {
		t.Errorf("default weights %+v, want the spec's %+v", got, specWeights)
	}
}

// specCustomer builds, under the default methodology with an imported
// country row and two custom vocabulary values, a customer whose every
// component is the spec's: the factors are the spec's scores divided by
// its weights.
func specCustomer(t *testing.T) (*customer.Scorer, customer.Customer, []customer.CRP) {
	t.Helper()
	m := customer.DefaultMethodology().WithCountries(map[string]customer.CountryFactors{
		"VG": {CPI: customer.Factor(0.68), FSI: customer.Factor(1.0 / 3), FATF: customer.Factor(43.0 / 48), OECD: customer.Factor(1)},
	}, "test")
	m.Industries["COMMODITY_TRADING"] = 2.0 / 3
	m.EntityTypes["PRIVATE_TRUST_COMPANY"] = 2.0 / 3
	c := customer.Customer{
		Type:            customer.Corporate,
		ReferenceID:     "926",
		Name:            "Spec Holdings Ltd",
		Country:         "VG",
		Industry:        "COMMODITY_TRADING",
		EntityType:      "PRIVATE_TRUST_COMPANY",
		PaymentModes:    []string{"BANK_TRANSFER", "CASH"},
		OnboardingMode:  customer.NonFaceToFace,
		OwnershipLayers: intp(4),
		Products:        []string{"PRIVATE_BANKING"},
		FATCAStatus:     "PASSIVE_NFFE",
	}
	crps := []customer.CRP{
		{Type: customer.Individual, Name: "A", Role: customer.Director, Country: "SG", Nationality: "SG"},
		{Type: customer.Individual, Name: "B", Role: customer.Shareholder, OwnershipPct: 40, Country: "SG"},
	}
	if err := customer.ValidateCustomer(c, crps); err != nil {
		t.Fatal(err)
	}
	return compile(t, m), c, crps
}

// TestSpecExampleEndToEnd scores a customer to the spec's numbers and
// checks that the result marshals to the spec's risk object, keys in the
// spec's order.
func TestSpecExampleEndToEnd(t *testing.T) {
	s, c, crps := specCustomer(t)
	r := s.Score(c, crps, ids)
	want := specComponents
	got := r.ComponentScore
	for _, p := range []struct {
		name      string
		got, want float64
	}{
		{"cpi", got.CPI, want.CPI}, {"fsi", got.FSI, want.FSI}, {"fatf", got.FATF, want.FATF}, {"oecd", got.OECD, want.OECD},
		{"fatca", got.FATCA, want.FATCA}, {"industry", got.Industry, want.Industry}, {"screening", got.Screening, want.Screening},
		{"entity_type", got.EntityType, want.EntityType}, {"payment_modes", got.PaymentModes, want.PaymentModes},
		{"onboarding_mode", got.OnboardingMode, want.OnboardingMode}, {"ownership_layer", got.OwnershipLayer, want.OwnershipLayer},
		{"product_complexity", got.ProductComplexity, want.ProductComplexity},
		{"individual_shareholding", got.IndividualShareholding, want.IndividualShareholding},
	} {
		if !near(p.got, p.want, 1e-12) {
			t.Errorf("%s = %v, want %v", p.name, p.got, p.want)
		}
	}
	if !near(float64(r.RiskScore), specScore, 1e-6) || r.RiskRating != customer.High {
		t.Fatalf("risk %v %s, want %v HIGH", r.RiskScore, r.RiskRating, specScore)
	}
	if r.WeightSettings != specWeights || r.MissingCount != 0 || len(r.KnockOuts) != 0 {
		t.Errorf("weights %+v, missing %d, knock-outs %v", r.WeightSettings, r.MissingCount, r.KnockOuts)
	}
	for k, tr := range r.Explanation {
		if tr.Score != tr.Weight*tr.Factor {
			t.Errorf("explanation[%d] %+v: score is not weight × factor", k, tr)
		}
	}

	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile("testdata/spec-risk.json")
	if err != nil {
		t.Fatal(err)
	}
	gotKeys, wantKeys := keyPaths(t, b), keyPaths(t, spec)
	if !slices.Equal(gotKeys[:len(wantKeys)], wantKeys) {
		t.Errorf("keys\n got %v\nwant %v", gotKeys[:len(wantKeys)], wantKeys)
	}
	var gotRisk, wantRisk struct {
		Comments  map[string][]string `json:"comments"`
		RiskScore float64             `json:"risk_score"`
		Rating    string              `json:"risk_rating"`
		Weights   map[string]float64  `json:"weight_settings"`
	}
	if err := json.Unmarshal(b, &gotRisk); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(spec, &wantRisk); err != nil {
		t.Fatal(err)
	}
	if gotRisk.RiskScore != wantRisk.RiskScore || gotRisk.Rating != wantRisk.Rating {
		t.Errorf("risk_score %v %s, want %v %s", gotRisk.RiskScore, gotRisk.Rating, wantRisk.RiskScore, wantRisk.Rating)
	}
	for k, v := range wantRisk.Weights {
		if gotRisk.Weights[k] != v {
			t.Errorf("weight_settings.%s = %v, want %v", k, gotRisk.Weights[k], v)
		}
	}
	for id := range wantRisk.Comments {
		if c, ok := gotRisk.Comments[id]; !ok || c == nil || len(c) != 0 {
			t.Errorf("comments[%s] = %#v, want []", id, c)
		}
	}
}

// TestSpecExampleWithHits gives party 928 the spec's screening hits. The
// spec shows them with a screening component of 0; riskd counts a related
// party's hits: screening rises by 10 (primary_weight 50 leaves half of its
// weight to the riskiest party) and individual_shareholding by 4 (a 40%
// shareholder with a sanctions factor of 1: 10 × 1 × 0.4). The knock-outs
// are named in 928's comments.
func TestSpecExampleWithHits(t *testing.T) {
	s, c, crps := specCustomer(t)
	crps[1].Screening = customer.Screening{PEP: true, Sanctions: true, AdverseMedia: true}
	r := s.Score(c, crps, ids)
	if !near(float64(r.RiskScore), specScore+14, 1e-5) || r.RiskRating != customer.High {
		t.Errorf("risk %v %s, want %v HIGH", r.RiskScore, r.RiskRating, specScore+14)
	}
	want := []string{
		"Marked as Politically Exposed Person.",
		"Marked as Sanction related person/entity.",
		"Adverse media found.",
		"Knock-out: pep (rating at least MEDIUM_HIGH).",
		"Knock-out: sanctions (rating at least HIGH).",
	}
	if got := r.Comments["928"]; !slices.Equal(got, want) {
		t.Errorf("comments[928]\n got %q\nwant %q", got, want)
	}
	if len(r.Comments["926"]) != 0 || len(r.Comments["927"]) != 0 {
		t.Errorf("comments %v", r.Comments)
	}
	wantKO := []customer.KnockOut{{Rule: "pep", Party: "928", Floor: customer.MediumHigh}, {Rule: "sanctions", Party: "928", Floor: customer.High}}
	if !slices.Equal(r.KnockOuts, wantKO) {
		t.Errorf("knock-outs %v, want %v", r.KnockOuts, wantKO)
	}
	if tr := r.Explanation[6]; tr.Component != "screening" || tr.Input != "928" || tr.Factor != 0.5 {
		t.Errorf("screening explanation %+v", tr)
	}
}

// keyPaths lists every object key of a JSON document in document order,
// as dotted paths.
func keyPaths(t *testing.T, doc []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	var keys []string
	var walk func(prefix string)
	walk = func(prefix string) {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					t.Fatal(err)
				}
				path := prefix + k.(string)
				keys = append(keys, path)
				walk(path + ".")
			}
			dec.Token() // }
		case json.Delim('['):
			for dec.More() {
				walk(prefix + "[].")
			}
			dec.Token() // ]
		}
	}
	walk("")
	return keys
}

// TestStoredForm: the spec example's assessment, and one with knock-outs,
// missing inputs and escapes in its comments, restore exactly from the
// stored form, which is at most half the size of the API's.
func TestStoredForm(t *testing.T) {
	s, c, crps := specCustomer(t)
	spec := s.Score(c, crps, ids)
	odd := s.Score(customer.Customer{Type: customer.Individual, ReferenceID: "r", Name: "n", Industry: "Ca\"sino\\\u2028\x01",
		Screening: customer.Screening{PEP: true, Sanctions: true}}, []customer.CRP{{Type: customer.Individual, Name: "x", Role: customer.UBO,
		Country: "KP", Screening: customer.Screening{AdverseMedia: true}}}, customer.IDs{Customer: 7, CRPs: []int64{8}})
	if len(odd.KnockOuts) == 0 || odd.MissingCount == 0 {
		t.Fatalf("the odd result should have knock-outs and missing inputs: %+v", odd)
	}
	for _, r := range []customer.Result{spec, odd} {
		checkStoredForm(t, r)
		full, _ := json.Marshal(r)
		stored := customer.EncodeResult(nil, r)
		if len(stored)*2 > len(full) {
			t.Errorf("stored form %d bytes, API form %d", len(stored), len(full))
		}
		if !bytes.HasPrefix(stored, []byte(`{"f":2,`)) || bytes.Contains(stored, []byte(`"s":`)) {
			t.Errorf("the scorer's result is not stored in format 2, without its scores: %s", stored)
		}
	}
	// A result whose scores are not weight × factor keeps them (format 1).
	doctored := spec
	doctored.ComponentScore.CPI += 1e-9
	doctored.Explanation[0].Score = doctored.ComponentScore.CPI
	checkStoredForm(t, doctored)
	if stored := customer.EncodeResult(nil, doctored); !bytes.HasPrefix(stored, []byte(`{"f":1,`)) {
		t.Errorf("a result with its own scores is not stored in format 1: %s", stored)
	}
	// Assessments stored in format 1 before format 2 still read back.
	low := s.Score(lowRisk(), []customer.CRP{director("SG"), director("RU")}, customer.IDs{Customer: 1234567, CRPs: []int64{1234568, 1234569}})
	v1 := `{"f":1,"c":{"1234567":[],"1234568":[],"1234569":[]},"s":[0,0,0,0,0,0,0,0,0,0,0,0,3.365384615384616],` +
		`"w":[10,2.5,10,10,2.5,2.5,20,15,5,5,2.5,5,10,50],"m":[],"k":[],"e":[["SG","t",0],["SG","t",0],["SG","t",0],["SG","t",0],` +
		`["PARTICIPATING_FFI","t",0],["EDUCATION","t",0],["","c",0],["LISTED_COMPANY","t",0],["BANK_TRANSFER","t",0],` +
		`["FACE_TO_FACE","t",0],["0","t",0],["SAVINGS_ACCOUNT","t",0],["1234569","c",0.33653846153846156]]}`
	if got, err := customer.DecodeResult([]byte(v1), low.RiskScore, low.RiskRating, low.MethodologyVersion); err != nil ||
		!reflect.DeepEqual(normal(got), normal(low)) {
		t.Errorf("format 1 read back as\n%+v, %v\nwant\n%+v", got, err, low)
	}
	if _, err := customer.DecodeResult([]byte(`{"f":3}`), 1, customer.Low, 1); err == nil {
		t.Error("an unknown format decoded")
	}
	for _, truncated := range []string{`{"f":1,"s":[],"w":[],"e":[]}`, `{"f":2,"w":[],"e":[]}`} {
		if _, err := customer.DecodeResult([]byte(truncated), 1, customer.Low, 1); err == nil {
			t.Errorf("a truncated result decoded: %s", truncated)
		}
	}
}
