package customer_test

import (
	"testing"

	"github.com/riskd/riskd/internal/customer"
)

// benchCase is a typical corporate customer with two related parties and a
// screening hit, so every comment and knock-out path runs.
func benchCase() (customer.Customer, []customer.CRP, customer.IDs) {
	c := highRisk()
	c.Industry = "Real estate" // not canonical: exercises the slower lookup
	c.PaymentModes = []string{"BANK_TRANSFER", "CARD", "CASH"}
	crps := []customer.CRP{
		{Type: customer.Individual, Name: "A", Role: customer.UBO, OwnershipPct: 60, Country: "SG", Nationality: "MY"},
		{Type: customer.Individual, Name: "B", Role: customer.Director, Country: "GB", Screening: customer.Screening{PEP: true}},
	}
	return c, crps, customer.IDs{Customer: 1_000_926, CRPs: []int64{1_000_927, 1_000_928}}
}

// BenchmarkScore is the full assessment a re-scoring job stores: comments,
// knock-outs and explanation.
func BenchmarkScore(b *testing.B) {
	s := compile(b, customer.DefaultMethodology())
	c, crps, ids := benchCase()
	b.ReportAllocs()
	for b.Loop() {
		r := s.Score(c, crps, ids)
		if r.RiskRating != customer.High {
			b.Fatal(r.RiskRating)
		}
	}
}

// BenchmarkRate is the rating alone, as a dry run computes it.
func BenchmarkRate(b *testing.B) {
	s := compile(b, customer.DefaultMethodology())
	c, crps, _ := benchCase()
	b.ReportAllocs()
	for b.Loop() {
		if s.Rate(c, crps) != customer.High {
			b.Fatal()
		}
	}
}

// BenchmarkCompile is paid once per re-scoring run or dry run.
func BenchmarkCompile(b *testing.B) {
	m := customer.DefaultMethodology()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := customer.Compile(m); err != nil {
			b.Fatal(err)
		}
	}
}
