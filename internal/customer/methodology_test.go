package customer_test

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/customer"
	"github.com/riskd/riskd/internal/errs"
)

func TestDefaultMethodology(t *testing.T) {
	m := customer.DefaultMethodology()
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(m.Countries) != 249 {
		t.Errorf("%d countries, want every ISO 3166-1 code", len(m.Countries))
	}
	for code, want := range map[string][4]float64{
		"KP": {1, 1, 1, 0}, "IR": {1, 0.75, 1, 0}, "MM": {1, 1, 1, 0}, // FATF call for action
		"BG": {0.75, 0.25, 0.5, 0}, "IQ": {1, 1, 0.5, 0}, "BA": {0.75, 0.5, 0.5, 0}, // increased monitoring
		"DZ": {0.75, 0.5, 0, 0}, "NA": {0.5, 0.5, 0, 0}, // left the list in June 2026
		"PA": {0.75, 0.25, 0, 1}, "RU": {1, 0.75, 0, 1}, "TR": {0.75, 0.75, 0, 0.5}, // EU tax list
		"SG": {0, 0, 0, 0}, "DK": {0, 0, 0, 0},
	} {
		cf := m.Countries[code]
		for i, v := range []*float64{cf.CPI, cf.FSI, cf.FATF, cf.OECD} {
			if v == nil || *v != want[i] {
				t.Errorf("%s column %d: %v, want %v", code, i, v, want[i])
			}
		}
	}
	if cf := m.Countries["JE"]; cf.CPI != nil || cf.FSI != nil || cf.FATF == nil {
		t.Errorf("Jersey has no CPI or FSI score but is on (off) the FATF lists: %+v", cf)
	}
	// The document round-trips through JSON, as the store keeps it.
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back customer.Methodology
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"weights":`, `"primary_weight":50`, `"countries":`, `"industries":`, `"entity_types":`, `"payment_modes":`,
		`"onboarding_modes":`, `"products":`, `"fatca_statuses":`, `"ownership_layers":`, `"thresholds":`, `"knock_outs":`,
		`"unknown_default":1`, `"unknown_rating_threshold":3`, `"review_years":`, `"countries_as_of":"2026-06"`, `"sources":`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

// TestShippedCSVIsImportable reads countries.csv the way operators' files
// are read.
func TestShippedCSVIsImportable(t *testing.T) {
	f, err := os.Open("countries.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := customer.ParseCountriesCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 249 {
		t.Errorf("%d rows", len(rows))
	}
}

func TestMethodologyValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(m *customer.Methodology)
		fields []string
	}{
		{"weights do not sum to 100", func(m *customer.Methodology) { m.Weights.CPI = 11 }, []string{"weights"}},
		{"weights a hair off 100", func(m *customer.Methodology) { m.Weights.CPI += 1e-8 }, []string{"weights"}},
		{"negative weight", func(m *customer.Methodology) { m.Weights.FSI, m.Weights.CPI = -2.5, 15 }, []string{"weights.fsi"}},
		{"weight NaN", func(m *customer.Methodology) { m.Weights.OECD = math.NaN() }, []string{"weights.oecd"}},
		{"primary weight above 100", func(m *customer.Methodology) { m.PrimaryWeight = 101 }, []string{"primary_weight"}},
		{"thresholds not ascending", func(m *customer.Methodology) { m.Thresholds.Medium = 20 }, []string{"thresholds.medium"}},
		{"threshold above 100", func(m *customer.Methodology) { m.Thresholds.High = 101 }, []string{"thresholds.high"}},
		{"threshold at 0", func(m *customer.Methodology) { m.Thresholds.MediumLow = 0 }, []string{"thresholds.medium_low"}},
		{"country factor above 1", func(m *customer.Methodology) {
			m.Countries["SG"] = customer.CountryFactors{CPI: customer.Factor(1.5)}
		}, []string{"countries.SG.cpi"}},
		{"negative country factor", func(m *customer.Methodology) {
			m.Countries["FR"] = customer.CountryFactors{OECD: customer.Factor(-0.1)}
		}, []string{"countries.FR.oecd"}},
		{"unknown country code", func(m *customer.Methodology) { m.Countries["UK"] = customer.CountryFactors{} }, []string{"countries.UK"}},
		{"lower-case country code", func(m *customer.Methodology) { m.Countries["sg"] = customer.CountryFactors{} }, []string{"countries.sg"}},
		{"industry factor above 1", func(m *customer.Methodology) { m.Industries["MINING"] = 2 }, []string{"industries.MINING"}},
		{"entity type factor below 0", func(m *customer.Methodology) { m.EntityTypes["TRUST"] = -1 }, []string{"entity_types.TRUST"}},
		{"payment mode factor NaN", func(m *customer.Methodology) { m.PaymentModes["CASH"] = math.NaN() }, []string{"payment_modes.CASH"}},
		{"onboarding factor above 1", func(m *customer.Methodology) { m.OnboardingModes["NON_FACE_TO_FACE"] = 1.01 }, []string{"onboarding_modes.NON_FACE_TO_FACE"}},
		{"product factor above 1", func(m *customer.Methodology) { m.Products["LOAN"] = 5 }, []string{"products.LOAN"}},
		{"fatca factor above 1", func(m *customer.Methodology) { m.FATCAStatuses["US_PERSON"] = 3 }, []string{"fatca_statuses.US_PERSON"}},
		{"keys that read the same", func(m *customer.Methodology) { m.Industries["Real estate"] = 0.5 }, []string{"industries.Real estate"}},
		{"blank key", func(m *customer.Methodology) { m.Products[" "] = 0.5 }, []string{"products. "}},
		{"ownership layer factor above 1", func(m *customer.Methodology) { m.OwnershipLayers[2] = 1.5 }, []string{"ownership_layers[2]"}},
		{"no ownership layers", func(m *customer.Methodology) { m.OwnershipLayers = nil }, []string{"ownership_layers"}},
		{"screening factor above 1", func(m *customer.Methodology) { m.Screening.PEP = 2 }, []string{"screening.pep"}},
		{"role weight below 0", func(m *customer.Methodology) { m.RoleWeights.UBO = -1 }, []string{"role_weights.ubo"}},
		{"knock-out to UNKNOWN", func(m *customer.Methodology) { m.KnockOuts.PEP = customer.Unknown }, []string{"knock_outs.pep"}},
		{"knock-out to a made-up rating", func(m *customer.Methodology) { m.KnockOuts.Sanctions = "SEVERE" }, []string{"knock_outs.sanctions"}},
		{"unknown_default above 1", func(m *customer.Methodology) { m.UnknownDefault = 1.5 }, []string{"unknown_default"}},
		{"unknown rating threshold 0", func(m *customer.Methodology) { m.UnknownRatingThreshold = 0 }, []string{"unknown_rating_threshold"}},
		{"unknown rating threshold above the inputs", func(m *customer.Methodology) { m.UnknownRatingThreshold = 9 }, []string{"unknown_rating_threshold"}},
		{"review years 0", func(m *customer.Methodology) { m.ReviewYears.Low = 0 }, []string{"review_years.low"}},
		{"bad status", func(m *customer.Methodology) { m.Status = "live" }, []string{"status"}},
		{"source name too long", func(m *customer.Methodology) { m.Sources[0].Name = strings.Repeat("x", 501) }, []string{"sources[0].name"}},
		{"several at once", func(m *customer.Methodology) {
			m.Weights.CPI = 11
			m.Thresholds.High = 40
			m.Countries["SG"] = customer.CountryFactors{FSI: customer.Factor(7)}
		}, []string{"weights", "thresholds.high", "countries.SG.fsi"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := customer.DefaultMethodology()
			tc.change(&m)
			err := m.Validate()
			wantFields(t, err, tc.fields...)
			if _, cerr := customer.Compile(m); errs.CodeOf(cerr) != errs.ValidationFailed {
				t.Errorf("Compile accepted an invalid methodology: %v", cerr)
			}
		})
	}
}

func TestWeightsWithinTolerance(t *testing.T) {
	m := customer.DefaultMethodology()
	// 100/3 three times is 99.99999999999999 or 100.00000000000001 in
	// floating point; both are 100.
	m.Weights = customer.Components{CPI: 100.0 / 3, FSI: 100.0 / 3, FATF: 100.0 / 3}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestWithCountries(t *testing.T) {
	m := customer.DefaultMethodology()
	next := m.WithCountries(map[string]customer.CountryFactors{
		"SG": {CPI: customer.Factor(0.1), FSI: customer.Factor(0.2), FATF: customer.Factor(0), OECD: customer.Factor(0)},
	}, "2027-01-31")
	if *next.Countries["SG"].CPI != 0.1 || *m.Countries["SG"].CPI != 0 {
		t.Errorf("SG: new %v, old %v: the original must not change", *next.Countries["SG"].CPI, *m.Countries["SG"].CPI)
	}
	if *next.Countries["KP"].FATF != 1 {
		t.Error("countries not in the import keep their rows")
	}
	if next.Status != customer.StatusDraft || next.CountriesAsOf != "2027-01-31" || m.Status != customer.StatusActive {
		t.Errorf("status %s as of %s", next.Status, next.CountriesAsOf)
	}
}

func TestValidateActivation(t *testing.T) {
	draft := customer.DefaultMethodology()
	draft.Status = customer.StatusDraft
	invalid := draft
	invalid.Weights.CPI = 50
	for _, tc := range []struct {
		name      string
		m         customer.Methodology
		author    string
		activator string
		want      errs.Code
	}{
		{"another principal activates a valid draft", draft, "alice", "bob", ""},
		{"the author may not activate", draft, "alice", "alice", errs.Forbidden},
		{"no activator", draft, "alice", "", errs.Forbidden},
		{"only a draft", customer.DefaultMethodology(), "alice", "bob", errs.Conflict},
		{"an invalid draft", invalid, "alice", "bob", errs.ValidationFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := customer.ValidateActivation(tc.m, tc.author, tc.activator)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tc.want)
		})
	}
}

func TestParseCountriesCSV(t *testing.T) {
	rows, err := customer.ParseCountriesCSV(strings.NewReader("\ufeffCountry, CPI,FSI,FATF,OECD\n# a comment\nsg,0.16,0.2,0,0\nJE,,,0,0.5\n"))
	if err != nil {
		t.Fatal(err)
	}
	sg, je := rows["SG"], rows["JE"]
	if len(rows) != 2 || *sg.CPI != 0.16 || *sg.FSI != 0.2 || je.CPI != nil || je.FSI != nil || *je.OECD != 0.5 {
		t.Errorf("rows %+v", rows)
	}
	// A spreadsheet's byte order mark before a leading comment line (the
	// documented example file) is still a comment.
	rows, err = customer.ParseCountriesCSV(strings.NewReader("\ufeff# CPI 2025, FATF February 2027\ncountry,cpi,fsi,fatf,oecd\nKP,0.85,0.76,1,0\n"))
	if err != nil || len(rows) != 1 || *rows["KP"].FATF != 1 {
		t.Errorf("BOM and comment first: %+v, %v", rows, err)
	}
	for _, tc := range []struct {
		name   string
		in     string
		fields []string
	}{
		{"empty file", "", []string{"line 1"}},
		{"wrong header", "code,cpi,fsi,fatf,oecd\nSG,0,0,0,0\n", []string{"line 1"}},
		{"header only", "country,cpi,fsi,fatf,oecd\n", []string{""}},
		{"factor above 1", "country,cpi,fsi,fatf,oecd\nSG,0,0,0,0\nFR,0.3,1.2,0,0\n", []string{"line 3, column fsi"}},
		{"negative factor", "country,cpi,fsi,fatf,oecd\nFR,-0.1,0,0,0\n", []string{"line 2, column cpi"}},
		{"not a number", "country,cpi,fsi,fatf,oecd\nFR,0,0,high,0\n", []string{"line 2, column fatf"}},
		{"NaN", "country,cpi,fsi,fatf,oecd\nFR,0,0,0,NaN\n", []string{"line 2, column oecd"}},
		{"unknown code", "country,cpi,fsi,fatf,oecd\nUK,0,0,0,0\n", []string{"line 2, column country"}},
		{"duplicate code", "country,cpi,fsi,fatf,oecd\nFR,0,0,0,0\nfr,0,0,0,0\n", []string{"line 3, column country"}},
		{"too few columns", "country,cpi,fsi,fatf,oecd\nFR,0,0\n", []string{"line 2"}},
		{"bad quoting", "country,cpi,fsi,fatf,oecd\nFR,\"0,0,0,0\n", []string{"line 2"}},
		{"every error at once", "country,cpi,fsi,fatf,oecd\nFR,2,0,0,0\nXX,0,0,0,0\nDE,0,0,0,x\n",
			[]string{"line 2, column cpi", "line 3, column country", "line 4, column oecd"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := customer.ParseCountriesCSV(strings.NewReader(tc.in))
			if rows != nil {
				t.Errorf("rows returned with an error: %v", rows)
			}
			wantFields(t, err, tc.fields...)
		})
	}
}

func TestParseCountriesCSVStopsOnAFloodOfErrors(t *testing.T) {
	in := "country,cpi,fsi,fatf,oecd\n" + strings.Repeat("ZZ,0,0,0,0\n", 10000)
	_, err := customer.ParseCountriesCSV(strings.NewReader(in))
	if n := len(details(t, err)); n > 60 {
		t.Errorf("%d errors reported", n)
	}
}

func TestIsCountry(t *testing.T) {
	for code, want := range map[string]bool{
		"AD": true, "SG": true, "ZW": true, "GB": true, "XK": false, "UK": false, "sg": false, "S": false, "SGP": false, "": false, "AA": false,
	} {
		if got := customer.IsCountry(code); got != want {
			t.Errorf("IsCountry(%q) = %v", code, got)
		}
	}
}
