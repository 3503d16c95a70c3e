// Package customertest holds customers that benchmarks and tests of the
// customer risk family share.
package customertest

import "github.com/riskd/riskd/internal/customer"

// Variant is one kind of customer with its two related parties.
type Variant struct {
	Customer customer.Customer
	CRPs     []customer.CRP
}

// Variants are the kinds of customer the re-scoring benchmarks seed, in
// turn (riskd bench's customer-rescore scenario and BenchmarkRescore): every
// rating from LOW to HIGH and UNKNOWN, the PEP knock-out, related parties of
// each role with and without screening hits, individuals and corporates.
func Variants() []Variant {
	layers := func(n int) *int { return &n }
	return []Variant{{
		// A Singapore technology company with local owners: LOW.
		customer.Customer{Type: customer.Corporate, Country: "SG", Industry: "TECHNOLOGY", EntityType: "PRIVATE_LIMITED_COMPANY",
			PaymentModes: []string{"BANK_TRANSFER", "CARD"}, OnboardingMode: customer.FaceToFace, OwnershipLayers: layers(1),
			Products: []string{"CURRENT_ACCOUNT"}, FATCAStatus: "ACTIVE_NFFE"},
		[]customer.CRP{
			{Type: customer.Individual, Name: "Tan Wei Ming", Role: customer.UBO, OwnershipPct: 60, Country: "SG", Nationality: "SG"},
			{Type: customer.Individual, Name: "Lim Mei Ling", Role: customer.Director, Country: "SG", Nationality: "MY"},
		},
	}, {
		// A British Virgin Islands trust paying cash, onboarded remotely: HIGH.
		customer.Customer{Type: customer.Corporate, Country: "VG", Industry: "REAL_ESTATE", EntityType: "TRUST",
			PaymentModes: []string{"BANK_TRANSFER", "CASH"}, OnboardingMode: customer.NonFaceToFace, OwnershipLayers: layers(4),
			Products: []string{"PRIVATE_BANKING"}, FATCAStatus: "PASSIVE_NFFE"},
		[]customer.CRP{
			{Type: customer.Individual, Name: "Ivan Petrov", Role: customer.UBO, OwnershipPct: 70, Country: "RU", Nationality: "RU"},
			{Type: customer.Corporate, Name: "Harbour Nominees Ltd", Role: customer.Shareholder, OwnershipPct: 30, Country: "PA",
				Screening: customer.Screening{AdverseMedia: true}},
		},
	}, {
		// A salaried individual in the UK whose co-signatory is a PEP:
		// MEDIUM_HIGH by knock-out.
		customer.Customer{Type: customer.Individual, Country: "GB", Nationality: "GB", Industry: "SALARIED_EMPLOYEE",
			PaymentModes: []string{"CARD"}, OnboardingMode: customer.FaceToFace, Products: []string{"SAVINGS_ACCOUNT", "MORTGAGE"},
			FATCAStatus: "NON_US_PERSON"},
		[]customer.CRP{
			{Type: customer.Individual, Name: "Margaret Hale", Role: customer.Signatory, Country: "GB", Nationality: "GB",
				Screening: customer.Screening{PEP: true}},
			{Type: customer.Individual, Name: "John Hale", Role: customer.Signatory, Country: "IE", Nationality: "GB"},
		},
	}, {
		// An individual resident in Türkiye of Vietnamese nationality.
		customer.Customer{Type: customer.Individual, Country: "TR", Nationality: "VN", Industry: "Real estate",
			PaymentModes: []string{"CASH", "E_WALLET"}, OnboardingMode: customer.NonFaceToFace, Products: []string{"INSURANCE"},
			FATCAStatus: "US_PERSON"},
		[]customer.CRP{
			{Type: customer.Individual, Name: "Nguyen Van An", Role: customer.Signatory, Country: "VN", Nationality: "VN"},
			{Type: customer.Individual, Name: "Ayse Yilmaz", Role: customer.Director, Country: "TR"},
		},
	}, {
		// A German partnership whose industry, products and FATCA status
		// were never collected: UNKNOWN.
		customer.Customer{Type: customer.Corporate, Country: "DE", EntityType: "PARTNERSHIP", PaymentModes: []string{"DIRECT_DEBIT"},
			OnboardingMode: customer.FaceToFace, OwnershipLayers: layers(0)},
		[]customer.CRP{
			{Type: customer.Individual, Name: "Klaus Weber", Role: customer.Shareholder, OwnershipPct: 50, Country: "DE"},
			{Type: customer.Individual, Name: "Anna Weber", Role: customer.Shareholder, OwnershipPct: 50, Country: "AT", Nationality: "DE"},
		},
	}}
}
