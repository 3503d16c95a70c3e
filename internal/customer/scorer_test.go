package customer_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/customer"
)

func TestLowRiskBaseline(t *testing.T) {
	s := compile(t, customer.DefaultMethodology())
	r := s.Score(lowRisk(), []customer.CRP{director("SG")}, ids)
	if r.RiskScore != 0 || r.RiskRating != customer.Low || r.MissingCount != 0 || len(r.KnockOuts) != 0 {
		t.Fatalf("baseline %v %s, missing %v, knock-outs %v", r.RiskScore, r.RiskRating, r.MissingInputs, r.KnockOuts)
	}
	if r.MethodologyVersion != 1 {
		t.Errorf("methodology_version %d", r.MethodologyVersion)
	}
}

// TestComponents changes one input of the low-risk baseline at a time and
// checks the one component it drives, with positive and negative cases for
// every rule.
func TestComponents(t *testing.T) {
	s := compile(t, customer.DefaultMethodology())
	ru := (10*1 + 2.5*0.75 + 10*0 + 10*1) / 32.5 // RU: cpi 1, fsi 0.75, fatf 0, oecd 1
	type change func(c *customer.Customer, crps *[]customer.CRP)
	for _, tc := range []struct {
		name      string
		change    change
		component string
		factor    float64
		basis     customer.Basis
		input     string
	}{
		{"cpi from the country table", func(c *customer.Customer, _ *[]customer.CRP) { c.Country = "VN" }, "cpi", 0.75, customer.BasisTable, "VN"},
		{"cpi of a clean country is 0", func(*customer.Customer, *[]customer.CRP) {}, "cpi", 0, customer.BasisTable, "SG"},
		{"riskier of country and nationality", func(c *customer.Customer, _ *[]customer.CRP) { c.Nationality = "RU" }, "cpi", 1, customer.BasisTable, "RU"},
		{"jurisdiction the source does not cover", func(c *customer.Customer, _ *[]customer.CRP) { c.Country = "JE" }, "cpi", 1, customer.BasisNoData, "JE"},
		{"missing country", func(c *customer.Customer, _ *[]customer.CRP) { c.Country = "" }, "cpi", 1, customer.BasisMissing, ""},
		{"nationality alone (country still counts as missing)", func(c *customer.Customer, _ *[]customer.CRP) {
			c.Country, c.Nationality = "", "SG"
		}, "cpi", 0, customer.BasisTable, "SG"},
		{"fsi", func(c *customer.Customer, _ *[]customer.CRP) { c.Country = "UA" }, "fsi", 1, customer.BasisTable, "UA"},
		{"fatf increased monitoring", func(c *customer.Customer, _ *[]customer.CRP) { c.Country = "VG" }, "fatf", 0.5, customer.BasisTable, "VG"},
		{"fatf call for action", func(c *customer.Customer, _ *[]customer.CRP) { c.Country = "IR" }, "fatf", 1, customer.BasisTable, "IR"},
		{"fatf unlisted", func(*customer.Customer, *[]customer.CRP) {}, "fatf", 0, customer.BasisTable, "SG"},
		{"oecd Annex I", func(c *customer.Customer, _ *[]customer.CRP) { c.Country = "PA" }, "oecd", 1, customer.BasisTable, "PA"},
		{"oecd Annex II", func(c *customer.Customer, _ *[]customer.CRP) { c.Country = "TR" }, "oecd", 0.5, customer.BasisTable, "TR"},
		{"fatca", func(c *customer.Customer, _ *[]customer.CRP) { c.FATCAStatus = "PASSIVE_NFFE" }, "fatca", 0.5, customer.BasisTable, "PASSIVE_NFFE"},
		{"fatca matched ignoring case and spaces", func(c *customer.Customer, _ *[]customer.CRP) { c.FATCAStatus = " us person " }, "fatca", 0.25, customer.BasisTable, " us person "},
		{"fatca unknown value", func(c *customer.Customer, _ *[]customer.CRP) { c.FATCAStatus = "W8_PENDING" }, "fatca", 1, customer.BasisUnknown, "W8_PENDING"},
		{"fatca missing", func(c *customer.Customer, _ *[]customer.CRP) { c.FATCAStatus = "" }, "fatca", 1, customer.BasisMissing, ""},
		{"industry", func(c *customer.Customer, _ *[]customer.CRP) { c.Industry = "REAL_ESTATE" }, "industry", 0.75, customer.BasisTable, "REAL_ESTATE"},
		{"industry in words", func(c *customer.Customer, _ *[]customer.CRP) { c.Industry = "Real estate" }, "industry", 0.75, customer.BasisTable, "Real estate"},
		{"industry unknown", func(c *customer.Customer, _ *[]customer.CRP) { c.Industry = "BAKERY" }, "industry", 1, customer.BasisUnknown, "BAKERY"},
		{"entity type", func(c *customer.Customer, _ *[]customer.CRP) { c.EntityType = "TRUST" }, "entity_type", 1, customer.BasisTable, "TRUST"},
		{"entity type missing for a corporate", func(c *customer.Customer, _ *[]customer.CRP) { c.EntityType = "" }, "entity_type", 1, customer.BasisMissing, ""},
		{"entity type does not apply to an individual", func(c *customer.Customer, _ *[]customer.CRP) {
			c.Type, c.EntityType, c.Nationality = customer.Individual, "", "SG"
		}, "entity_type", 0, customer.BasisNotApplicable, ""},
		{"riskiest payment mode", func(c *customer.Customer, _ *[]customer.CRP) {
			c.PaymentModes = []string{"BANK_TRANSFER", "CASH", "CARD"}
		}, "payment_modes", 1, customer.BasisTable, "CASH"},
		{"low-risk payment mode", func(c *customer.Customer, _ *[]customer.CRP) { c.PaymentModes = []string{"CARD"} }, "payment_modes", 0.25, customer.BasisTable, "CARD"},
		{"unknown payment mode", func(c *customer.Customer, _ *[]customer.CRP) { c.PaymentModes = []string{"BANK_TRANSFER", "BARTER"} }, "payment_modes", 1, customer.BasisUnknown, "BARTER"},
		{"no payment modes", func(c *customer.Customer, _ *[]customer.CRP) { c.PaymentModes = nil }, "payment_modes", 1, customer.BasisMissing, ""},
		{"non-face-to-face onboarding", func(c *customer.Customer, _ *[]customer.CRP) { c.OnboardingMode = customer.NonFaceToFace }, "onboarding_mode", 1, customer.BasisTable, "NON_FACE_TO_FACE"},
		{"onboarding missing", func(c *customer.Customer, _ *[]customer.CRP) { c.OnboardingMode = "" }, "onboarding_mode", 1, customer.BasisMissing, ""},
		{"two ownership layers", func(c *customer.Customer, _ *[]customer.CRP) { c.OwnershipLayers = intp(2) }, "ownership_layer", 0.5, customer.BasisTable, "2"},
		{"layers beyond the table", func(c *customer.Customer, _ *[]customer.CRP) { c.OwnershipLayers = intp(9) }, "ownership_layer", 1, customer.BasisTable, "9"},
		{"layers missing for a corporate", func(c *customer.Customer, _ *[]customer.CRP) { c.OwnershipLayers = nil }, "ownership_layer", 1, customer.BasisMissing, ""},
		{"layers do not apply to an individual", func(c *customer.Customer, _ *[]customer.CRP) {
			c.Type, c.OwnershipLayers, c.Nationality = customer.Individual, nil, "SG"
		}, "ownership_layer", 0, customer.BasisNotApplicable, ""},
		{"riskiest product", func(c *customer.Customer, _ *[]customer.CRP) {
			c.Products = []string{"SAVINGS_ACCOUNT", "TRADE_FINANCE"}
		}, "product_complexity", 0.75, customer.BasisTable, "TRADE_FINANCE"},
		{"no products", func(c *customer.Customer, _ *[]customer.CRP) { c.Products = []string{} }, "product_complexity", 1, customer.BasisMissing, ""},
		{"customer PEP", func(c *customer.Customer, _ *[]customer.CRP) { c.Screening.PEP = true }, "screening", 0.75, customer.BasisComputed, "926"},
		{"customer adverse media", func(c *customer.Customer, _ *[]customer.CRP) { c.Screening.AdverseMedia = true }, "screening", 0.5, customer.BasisComputed, "926"},
		{"customer PEP and sanctions take the higher", func(c *customer.Customer, _ *[]customer.CRP) {
			c.Screening = customer.Screening{PEP: true, Sanctions: true}
		}, "screening", 1, customer.BasisComputed, "926"},
		{"sanctions on a related party only", func(_ *customer.Customer, p *[]customer.CRP) { (*p)[0].Screening.Sanctions = true }, "screening", 0.5, customer.BasisComputed, "927"},
		{"no hits", func(*customer.Customer, *[]customer.CRP) {}, "screening", 0, customer.BasisComputed, ""},
		{"clean director", func(*customer.Customer, *[]customer.CRP) {}, "individual_shareholding", 0, customer.BasisComputed, ""},
		{"UBO in a risky jurisdiction", func(_ *customer.Customer, p *[]customer.CRP) {
			(*p)[0].Role, (*p)[0].Country, (*p)[0].Nationality = customer.UBO, "RU", ""
		}, "individual_shareholding", ru, customer.BasisComputed, "927"},
		{"director in a risky jurisdiction counts half", func(_ *customer.Customer, p *[]customer.CRP) {
			(*p)[0].Nationality = "RU"
		}, "individual_shareholding", ru / 2, customer.BasisComputed, "927"},
		{"sanctioned 30% shareholder", func(_ *customer.Customer, p *[]customer.CRP) {
			*p = append(*p, customer.CRP{Type: customer.Corporate, Name: "H", Role: customer.Shareholder, OwnershipPct: 30, Country: "SG", Screening: customer.Screening{Sanctions: true}})
		}, "individual_shareholding", 0.3, customer.BasisComputed, "928"},
		{"related party without jurisdiction", func(_ *customer.Customer, p *[]customer.CRP) {
			(*p)[0].Country, (*p)[0].Nationality = "", ""
		}, "individual_shareholding", 0.5, customer.BasisComputed, "927"},
		{"no related parties", func(_ *customer.Customer, p *[]customer.CRP) { *p = nil }, "individual_shareholding", 0, customer.BasisNotApplicable, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, crps := lowRisk(), []customer.CRP{director("SG")}
			tc.change(&c, &crps)
			if err := customer.ValidateCustomer(c, crps); err != nil {
				t.Fatal(err)
			}
			r := s.Score(c, crps, ids)
			i := slices.IndexFunc(r.Explanation[:], func(tr customer.Trace) bool { return tr.Component == tc.component })
			tr := r.Explanation[i]
			if !near(tr.Factor, tc.factor, 1e-12) || tr.Basis != tc.basis || tr.Input != tc.input {
				t.Errorf("%s: got factor %v basis %s input %q, want %v %s %q", tc.component, tr.Factor, tr.Basis, tr.Input, tc.factor, tc.basis, tc.input)
			}
			if tr.Score != tr.Weight*tr.Factor {
				t.Errorf("score %v is not weight %v × factor %v", tr.Score, tr.Weight, tr.Factor)
			}
			wantMissing := 0
			if tc.basis == customer.BasisMissing || strings.HasPrefix(tc.name, "nationality alone") {
				wantMissing = 1
			}
			if r.MissingCount != wantMissing || len(r.MissingInputs) != wantMissing {
				t.Errorf("missing inputs %v", r.MissingInputs)
			}
		})
	}
}

func TestUnknownDefault(t *testing.T) {
	m := customer.DefaultMethodology()
	m.UnknownDefault = 0.4
	s := compile(t, m)
	for _, tc := range []struct {
		name     string
		industry string
		factor   float64
	}{
		{"unknown vocabulary scores unknown_default", "BAKERY", 0.4},
		{"missing input scores unknown_default", "", 0.4},
		{"a listed value does not", "REAL_ESTATE", 0.75},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := lowRisk()
			c.Industry = tc.industry
			r := s.Score(c, nil, ids)
			if got := r.ComponentScore.Industry; !near(got, 2.5*tc.factor, 1e-12) {
				t.Errorf("industry %v, want %v", got, 2.5*tc.factor)
			}
		})
	}
}

func TestPrimaryWeight(t *testing.T) {
	for _, tc := range []struct {
		name       string
		primary    float64
		customer   bool // the hit is on the customer, else on a related party
		wantFactor float64
	}{
		{"50: a related party's hit counts half", 50, false, 0.5},
		{"50: the customer's own hit counts in full", 50, true, 1},
		{"100: only the customer's screening counts", 100, false, 0},
		{"100: the customer's hit", 100, true, 1},
		{"0: the riskiest party counts", 0, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := customer.DefaultMethodology()
			m.PrimaryWeight = tc.primary
			s := compile(t, m)
			c, crps := lowRisk(), []customer.CRP{director("SG")}
			if tc.customer {
				c.Screening.Sanctions = true
			} else {
				crps[0].Screening.Sanctions = true
			}
			r := s.Score(c, crps, ids)
			if got := r.Explanation[6].Factor; got != tc.wantFactor {
				t.Errorf("screening factor %v, want %v", got, tc.wantFactor)
			}
			if r.WeightSettings.PrimaryWeight != tc.primary {
				t.Errorf("weight_settings.primary_weight %v", r.WeightSettings.PrimaryWeight)
			}
		})
	}
}

// highRisk scores at least 50 under the default methodology without any
// screening hit: 10 cpi + 10 oecd + 7.5 fsi + 5 payment + 5 onboarding +
// 15 entity type + 5 product = 57.5.
func highRisk() customer.Customer {
	c := lowRisk()
	c.Country = "RU"
	c.PaymentModes = []string{"CASH"}
	c.OnboardingMode = customer.NonFaceToFace
	c.EntityType = "TRUST"
	c.Products = []string{"PRIVATE_BANKING"}
	return c
}

func TestRatingAndKnockOuts(t *testing.T) {
	type setup func(m *customer.Methodology, c *customer.Customer, crps *[]customer.CRP)
	for _, tc := range []struct {
		name      string
		setup     setup
		want      customer.Rating
		knockOuts []string // rule@party
		comment   string   // one comment expected on the customer (926) or "927:" a related party
	}{
		{"no hits: the score decides", func(*customer.Methodology, *customer.Customer, *[]customer.CRP) {}, customer.Low, nil, ""},
		{"a high score is HIGH without knock-outs", func(_ *customer.Methodology, c *customer.Customer, _ *[]customer.CRP) { *c = highRisk() }, customer.High, nil, ""},
		{"sanctions on a related party only: HIGH", func(_ *customer.Methodology, _ *customer.Customer, p *[]customer.CRP) {
			(*p)[0].Screening.Sanctions = true
		}, customer.High, []string{"sanctions@927"}, "927:Knock-out: sanctions (rating at least HIGH)."},
		{"sanctions on the customer: HIGH", func(_ *customer.Methodology, c *customer.Customer, _ *[]customer.CRP) {
			c.Screening.Sanctions = true
		}, customer.High, []string{"sanctions@926"}, "Marked as Sanction related person/entity."},
		{"PEP customer with a low score: MEDIUM_HIGH", func(_ *customer.Methodology, c *customer.Customer, _ *[]customer.CRP) {
			c.Screening.PEP = true
		}, customer.MediumHigh, []string{"pep@926"}, "Marked as Politically Exposed Person."},
		{"PEP related party: MEDIUM_HIGH", func(_ *customer.Methodology, _ *customer.Customer, p *[]customer.CRP) {
			(*p)[0].Screening.PEP = true
		}, customer.MediumHigh, []string{"pep@927"}, "927:Marked as Politically Exposed Person."},
		{"PEP with a HIGH score stays HIGH", func(_ *customer.Methodology, c *customer.Customer, _ *[]customer.CRP) {
			*c = highRisk()
			c.Screening.PEP = true
		}, customer.High, []string{"pep@926"}, "Knock-out: pep (rating at least MEDIUM_HIGH)."},
		{"adverse media has no knock-out by default", func(_ *customer.Methodology, c *customer.Customer, _ *[]customer.CRP) {
			c.Screening.AdverseMedia = true
		}, customer.Low, nil, "Adverse media found."},
		{"FATF call-for-action nationality: HIGH", func(_ *customer.Methodology, c *customer.Customer, _ *[]customer.CRP) {
			c.Type, c.Nationality = customer.Individual, "KP"
		}, customer.High, []string{"fatf_call_for_action@926"}, "High-risk jurisdiction (FATF call for action)."},
		{"FATF call-for-action related party: HIGH", func(_ *customer.Methodology, _ *customer.Customer, p *[]customer.CRP) {
			(*p)[0].Nationality = "MM"
		}, customer.High, []string{"fatf_call_for_action@927"}, "927:High-risk jurisdiction (FATF call for action)."},
		{"increased monitoring is no knock-out", func(_ *customer.Methodology, c *customer.Customer, _ *[]customer.CRP) {
			c.Country = "VG" // fatf 0.5, oecd 0.5, no CPI or FSI coverage: 22.5
		}, customer.MediumLow, nil, ""},
		{"a knock-out switched off", func(m *customer.Methodology, c *customer.Customer, _ *[]customer.CRP) {
			m.KnockOuts.Sanctions = ""
			c.Screening.Sanctions = true
		}, customer.MediumLow, nil, "Marked as Sanction related person/entity."},
		{"an operator's adverse media knock-out", func(m *customer.Methodology, c *customer.Customer, _ *[]customer.CRP) {
			m.KnockOuts.AdverseMedia = customer.Medium
			c.Screening.AdverseMedia = true
		}, customer.Medium, []string{"adverse_media@926"}, "Knock-out: adverse_media (rating at least MEDIUM)."},
		{"two missing inputs are still rated", func(_ *customer.Methodology, c *customer.Customer, _ *[]customer.CRP) {
			c.Industry, c.Products = "", nil
		}, customer.Low, nil, ""},
		{"three missing inputs: UNKNOWN", func(_ *customer.Methodology, c *customer.Customer, _ *[]customer.CRP) {
			c.Industry, c.Products, c.FATCAStatus = "", nil, ""
		}, customer.Unknown, nil, "Too many inputs missing to rate (3, threshold 3): industry, products, fatca_status."},
		{"an individual's missing nationality counts", func(_ *customer.Methodology, c *customer.Customer, _ *[]customer.CRP) {
			c.Type, c.Industry, c.Products = customer.Individual, "", nil
		}, customer.Unknown, nil, "Too many inputs missing to rate (3, threshold 3): nationality, industry, products."},
		{"UNKNOWN yields to a sanctions knock-out", func(_ *customer.Methodology, c *customer.Customer, p *[]customer.CRP) {
			c.Industry, c.Products, c.FATCAStatus = "", nil, ""
			(*p)[0].Screening.Sanctions = true
		}, customer.High, []string{"sanctions@927"}, ""},
		{"UNKNOWN stays UNKNOWN with a PEP", func(_ *customer.Methodology, c *customer.Customer, _ *[]customer.CRP) {
			c.Industry, c.Products, c.FATCAStatus = "", nil, ""
			c.Screening.PEP = true
		}, customer.Unknown, []string{"pep@926"}, ""},
		{"the threshold is the methodology's", func(m *customer.Methodology, c *customer.Customer, _ *[]customer.CRP) {
			m.UnknownRatingThreshold = 4
			c.Industry, c.Products, c.FATCAStatus = "", nil, "" // 2.5 + 5 + 2.5
		}, customer.Low, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := customer.DefaultMethodology()
			c, crps := lowRisk(), []customer.CRP{director("SG")}
			tc.setup(&m, &c, &crps)
			r := compile(t, m).Score(c, crps, ids)
			if r.RiskRating != tc.want {
				t.Errorf("rating %s (score %v), want %s", r.RiskRating, r.RiskScore, tc.want)
			}
			var kos []string
			for _, k := range r.KnockOuts {
				kos = append(kos, k.Rule+"@"+k.Party)
			}
			if !slices.Equal(kos, tc.knockOuts) {
				t.Errorf("knock-outs %v, want %v", kos, tc.knockOuts)
			}
			if tc.comment != "" {
				party, text := "926", tc.comment
				if p, rest, ok := strings.Cut(tc.comment, ":"); ok && p == "927" {
					party, text = p, rest
				}
				if !slices.Contains(r.Comments[party], text) {
					t.Errorf("comments[%s] = %q, want %q among them", party, r.Comments[party], text)
				}
			}
			if s := compile(t, m).Rate(c, crps); s != r.RiskRating {
				t.Errorf("Rate %s, Score %s", s, r.RiskRating)
			}
		})
	}
}

func TestThresholds(t *testing.T) {
	th := customer.DefaultMethodology().Thresholds
	for _, tc := range []struct {
		score float64
		want  customer.Rating
	}{
		{0, customer.Low}, {19.999, customer.Low}, {20, customer.MediumLow}, {29.999, customer.MediumLow},
		{30, customer.Medium}, {40, customer.MediumHigh}, {49.999, customer.MediumHigh}, {50, customer.High}, {100, customer.High},
	} {
		if got := th.Rate(tc.score); got != tc.want {
			t.Errorf("Rate(%v) = %s, want %s", tc.score, got, tc.want)
		}
	}
}

func TestUnvalidatedInputNeverPanics(t *testing.T) {
	s := compile(t, customer.DefaultMethodology())
	c := customer.Customer{Type: "ROBOT", Country: "sg", Nationality: "??", OwnershipLayers: intp(-3), PaymentModes: []string{""},
		Industry: strings.Repeat("é", 100), Products: []string{strings.Repeat("x", 200)}}
	crps := []customer.CRP{{Role: "BOSS", OwnershipPct: 250, Country: "ZZ"}, {OwnershipPct: -5}}
	r := s.Score(c, crps, customer.IDs{Customer: 1})
	if r.RiskScore < 0 || r.RiskScore > 100 {
		t.Errorf("score %v", r.RiskScore)
	}
	if _, ok := r.Comments["crps[1]"]; !ok {
		t.Errorf("a related party without id is keyed by index: %v", r.Comments)
	}
}

func TestDryRun(t *testing.T) {
	recs := []customer.Record{
		{Customer: lowRisk()},
		{Customer: lowRisk(), CRPs: []customer.CRP{{Type: customer.Individual, Name: "X", Role: customer.UBO, Country: "SG", Screening: customer.Screening{Sanctions: true}}}},
		{Customer: highRisk()},
		{Customer: customer.Customer{Type: customer.Individual, Name: "N", ReferenceID: "N"}},
	}
	got, err := customer.DryRun(customer.DefaultMethodology(), recs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[customer.Rating]int{customer.Low: 1, customer.MediumLow: 0, customer.Medium: 0, customer.MediumHigh: 0, customer.High: 2, customer.Unknown: 1}
	if len(got) != len(want) {
		t.Errorf("distribution %v, want %v", got, want)
	}
	for r, n := range want {
		if got[r] != n {
			t.Errorf("%s: %d, want %d", r, got[r], n)
		}
	}
	m := customer.DefaultMethodology()
	m.Weights.CPI = 11
	if _, err := customer.DryRun(m, recs); err == nil {
		t.Error("a dry run under an invalid methodology must fail")
	}
}

func TestNextReviewAt(t *testing.T) {
	at := time.Date(2026, 3, 15, 9, 30, 0, 0, time.UTC)
	leap := time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		rating customer.Rating
		at     time.Time
		want   time.Time
	}{
		{customer.High, at, time.Date(2027, 3, 15, 9, 30, 0, 0, time.UTC)},
		{customer.MediumHigh, at, time.Date(2028, 3, 15, 9, 30, 0, 0, time.UTC)},
		{customer.Medium, at, time.Date(2029, 3, 15, 9, 30, 0, 0, time.UTC)},
		{customer.MediumLow, at, time.Date(2030, 3, 15, 9, 30, 0, 0, time.UTC)},
		{customer.Low, at, time.Date(2031, 3, 15, 9, 30, 0, 0, time.UTC)},
		{customer.Unknown, at, at},
		{customer.High, leap, time.Date(2029, 2, 28, 12, 0, 0, 0, time.UTC)},
		{customer.Medium, leap, time.Date(2031, 2, 28, 12, 0, 0, 0, time.UTC)},
		{customer.Low, time.Date(2027, 2, 28, 0, 0, 0, 0, time.UTC), time.Date(2032, 2, 28, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(string(tc.rating)+" "+tc.at.Format(time.DateOnly), func(t *testing.T) {
			if got := customer.NextReviewAt(tc.rating, tc.at); !got.Equal(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	m := customer.DefaultMethodology()
	m.ReviewYears.High = 3
	if got := compile(t, m).NextReviewAt(customer.High, at); got.Year() != 2029 {
		t.Errorf("the methodology's schedule: %v", got)
	}
}
