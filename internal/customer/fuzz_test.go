package customer_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/customer"
	"github.com/riskd/riskd/internal/errs"
)

// FuzzParseCountriesCSV must never panic; it either reports a validation
// error or returns rows that a methodology accepts and scores with.
func FuzzParseCountriesCSV(f *testing.F) {
	shipped, err := os.ReadFile("countries.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(shipped)
	f.Add([]byte("country,cpi,fsi,fatf,oecd\nSG,0.16,,0,1\n"))
	f.Add([]byte("\ufeffcountry,cpi,fsi,fatf,oecd\r\n# c\r\nsg,1e-3,0x1p-2,+0,1.\r\n"))
	f.Add([]byte("country,cpi,fsi,fatf,oecd\nFR,\"0\",\"1\nDE\",0,0\n"))
	f.Add([]byte("country,cpi\nSG,Inf\n"))
	base := customer.DefaultMethodology() // WithCountries copies, so sharing is safe
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := customer.ParseCountriesCSV(bytes.NewReader(data))
		if err != nil {
			if !errs.Is(err, errs.ValidationFailed) {
				t.Fatalf("not a validation error: %v", err)
			}
			if rows != nil {
				t.Fatal("rows with an error")
			}
			return
		}
		m := base.WithCountries(rows, "fuzz")
		s, err := customer.Compile(m)
		if err != nil {
			t.Fatalf("parsed rows make an invalid methodology: %v", err)
		}
		for code := range rows {
			r := s.Score(customer.Customer{Type: customer.Individual, Country: code, Nationality: code}, nil, customer.IDs{})
			if r.RiskScore < 0 || r.RiskScore > 100 {
				t.Fatalf("%s: score %v", code, r.RiskScore)
			}
		}
	})
}

// body is a customer request with its related parties.
type body struct {
	customer.Customer
	CRPs []customer.CRP `json:"crps"`
}

// FuzzCustomerJSON decodes and validates arbitrary customer bodies and
// patches, then scores what validation accepts. It must never panic, and
// accepted customers must keep the scoring invariants.
func FuzzCustomerJSON(f *testing.F) {
	good, _ := json.Marshal(body{Customer: lowRisk(), CRPs: []customer.CRP{director("SG")}})
	f.Add(good, []byte(`{"country":"KP","screening":{"pep":true}}`))
	f.Add([]byte(`{"type":"INDIVIDUAL","referenceId":"r","name":"n","nationality":"IR","payment_modes":["cash","Crypto"],
		"crps":[{"type":"CORPORATE","name":"h","role":"UBO","ownership_pct":100,"screening":{"sanctions":true}}]}`), []byte(`{"products":[]}`))
	f.Add([]byte(`{"type":"CORPORATE","referenceId":" ","name":"x","ownership_layers":-4,"crps":[{"ownership_pct":1e309}]}`), []byte(`{"ownership_layers":99999}`))
	f.Add([]byte(`{"type":"CORPORATE","referenceId":"a","name":"b","country":"sg","industry":"\u0000"}`), []byte(`null`))
	s := compile(f, customer.DefaultMethodology())
	ratings := customer.Ratings()
	f.Fuzz(func(t *testing.T, data, patch []byte) {
		var b body
		if json.Unmarshal(data, &b) != nil {
			return
		}
		// Scoring never panics, even on input validation would refuse.
		crpIDs := make([]int64, len(b.CRPs))
		for i := range crpIDs {
			crpIDs[i] = int64(1000 + i)
		}
		r := s.Score(b.Customer, b.CRPs, customer.IDs{Customer: 1, CRPs: crpIDs})
		checkResult(t, r, len(b.CRPs), ratings)

		err := customer.ValidateCustomer(b.Customer, b.CRPs)
		if err != nil {
			if !errs.Is(err, errs.ValidationFailed) {
				t.Fatalf("not a validation error: %v", err)
			}
			return
		}
		var p customer.Patch
		if json.Unmarshal(patch, &p) != nil {
			return
		}
		merged := customer.Merge(b.Customer, p)
		if err := customer.ValidateCustomer(merged, b.CRPs); err == nil {
			checkResult(t, s.Score(merged, b.CRPs, customer.IDs{Customer: 1, CRPs: crpIDs}), len(b.CRPs), ratings)
		}
	})
}

func checkResult(t *testing.T, r customer.Result, crps int, ratings []customer.Rating) {
	t.Helper()
	if math.IsNaN(float64(r.RiskScore)) || r.RiskScore < 0 || r.RiskScore > 100 {
		t.Fatalf("score %v", r.RiskScore)
	}
	if !slices.Contains(ratings, r.RiskRating) {
		t.Fatalf("rating %q", r.RiskRating)
	}
	if len(r.Comments) != 1+crps {
		t.Fatalf("%d comment entries for %d parties", len(r.Comments), 1+crps)
	}
	if r.MissingCount != len(r.MissingInputs) {
		t.Fatalf("missing %d vs %v", r.MissingCount, r.MissingInputs)
	}
	for _, tr := range r.Explanation {
		if tr.Factor < 0 || tr.Factor > 1 || tr.Score != tr.Weight*tr.Factor {
			t.Fatalf("explanation %+v", tr)
		}
	}
	if b, err := json.Marshal(r); err != nil || !strings.HasPrefix(string(b), `{"comments":`) {
		t.Fatalf("marshal: %v %.40s", err, b)
	}
	checkStoredForm(t, r)
}

// checkStoredForm: the stored form restores the result exactly.
func checkStoredForm(t *testing.T, r customer.Result) {
	t.Helper()
	stored := customer.EncodeResult(nil, r)
	got, err := customer.DecodeResult(stored, r.RiskScore, r.RiskRating, r.MethodologyVersion)
	if err != nil {
		t.Fatalf("decode %s: %v", stored, err)
	}
	want, _ := json.Marshal(r)
	back, _ := json.Marshal(got)
	if !bytes.Equal(want, back) || !reflect.DeepEqual(normal(got), normal(r)) {
		t.Fatalf("stored form does not restore the result:\n got %s\nwant %s\nstored %s", back, want, stored)
	}
}

// normal makes a result's empty lists comparable (nil and [] marshal alike
// here only after the scorer's own normalisation).
func normal(r customer.Result) customer.Result {
	if len(r.KnockOuts) == 0 {
		r.KnockOuts = nil
	}
	if len(r.MissingInputs) == 0 {
		r.MissingInputs = nil
	}
	return r
}
