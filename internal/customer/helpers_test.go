package customer_test

import (
	"errors"
	"math"
	"testing"

	"github.com/riskd/riskd/internal/customer"
	"github.com/riskd/riskd/internal/errs"
)

// details returns the field → message map of a validation error.
func details(t *testing.T, err error) map[string]string {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != errs.ValidationFailed {
		t.Fatalf("want a validation error, got %v", err)
	}
	out := map[string]string{}
	for _, d := range e.Details {
		out[d.Field] = d.Message
	}
	return out
}

// wantFields asserts that err is a validation error naming exactly fields.
func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	got := details(t, err)
	for _, f := range fields {
		if _, ok := got[f]; !ok {
			t.Errorf("no error on %q; got %v", f, got)
		}
	}
	if len(got) != len(fields) {
		t.Errorf("want errors on %v, got %v", fields, got)
	}
}

func wantCode(t *testing.T, err error, code errs.Code) {
	t.Helper()
	if got := errs.CodeOf(err); err == nil || got != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func intp(n int) *int { return &n }

func compile(t testing.TB, m customer.Methodology) *customer.Scorer {
	t.Helper()
	s, err := customer.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// lowRisk is a customer every default table scores at 0: a Singapore
// company, met face to face, paid by bank transfer, holding a savings
// account, no ownership layers, no screening hits. Tests change one input
// at a time from here.
func lowRisk() customer.Customer {
	return customer.Customer{
		Type:            customer.Corporate,
		ReferenceID:     "ACME-001",
		Name:            "Acme Pte Ltd",
		Country:         "SG",
		Industry:        "EDUCATION",
		EntityType:      "LISTED_COMPANY",
		PaymentModes:    []string{"BANK_TRANSFER"},
		OnboardingMode:  customer.FaceToFace,
		OwnershipLayers: intp(0),
		Products:        []string{"SAVINGS_ACCOUNT"},
		FATCAStatus:     "PARTICIPATING_FFI",
	}
}

func director(country string) customer.CRP {
	return customer.CRP{Type: customer.Individual, Name: "Tan Mei Ling", Role: customer.Director, Country: country, Nationality: country}
}

var ids = customer.IDs{Customer: 926, CRPs: []int64{927, 928}}
