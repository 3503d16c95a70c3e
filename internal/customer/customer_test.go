package customer_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/customer"
	"github.com/riskd/riskd/internal/errs"
)

func TestValidateCustomer(t *testing.T) {
	if err := customer.ValidateCustomer(lowRisk(), []customer.CRP{director("SG")}); err != nil {
		t.Fatal(err)
	}
	minimal := customer.Customer{Type: customer.Individual, ReferenceID: "r", Name: "n"}
	if err := customer.ValidateCustomer(minimal, nil); err != nil {
		t.Fatalf("every scoring input is optional: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(c *customer.Customer, crps *[]customer.CRP)
		fields []string
	}{
		{"unknown vocabulary is accepted", func(c *customer.Customer, _ *[]customer.CRP) {
			c.Industry, c.EntityType, c.FATCAStatus = "SPACE_MINING", "DAO", "W8_PENDING"
			c.PaymentModes, c.Products = []string{"BARTER"}, []string{"NFT_CUSTODY"}
		}, nil},
		{"type", func(c *customer.Customer, _ *[]customer.CRP) { c.Type = "PERSON" }, []string{"type"}},
		{"reference id required", func(c *customer.Customer, _ *[]customer.CRP) { c.ReferenceID = " " }, []string{"referenceId"}},
		{"reference id too long", func(c *customer.Customer, _ *[]customer.CRP) { c.ReferenceID = strings.Repeat("r", 201) }, []string{"referenceId"}},
		{"name required", func(c *customer.Customer, _ *[]customer.CRP) { c.Name = "" }, []string{"name"}},
		{"lower-case country", func(c *customer.Customer, _ *[]customer.CRP) { c.Country = "sg" }, []string{"country"}},
		{"alpha-3 country", func(c *customer.Customer, _ *[]customer.CRP) { c.Country = "SGP" }, []string{"country"}},
		{"country that does not exist", func(c *customer.Customer, _ *[]customer.CRP) { c.Country = "UK" }, []string{"country"}},
		{"nationality", func(c *customer.Customer, _ *[]customer.CRP) { c.Nationality = "XK" }, []string{"nationality"}},
		{"blank industry", func(c *customer.Customer, _ *[]customer.CRP) { c.Industry = "  " }, []string{"industry"}},
		{"entity type too long", func(c *customer.Customer, _ *[]customer.CRP) { c.EntityType = strings.Repeat("e", 101) }, []string{"entity_type"}},
		{"empty payment mode", func(c *customer.Customer, _ *[]customer.CRP) { c.PaymentModes = []string{"CASH", ""} }, []string{"payment_modes[1]"}},
		{"too many products", func(c *customer.Customer, _ *[]customer.CRP) { c.Products = make([]string, 51) }, []string{"products"}},
		{"onboarding mode", func(c *customer.Customer, _ *[]customer.CRP) { c.OnboardingMode = "VIDEO_CALL" }, []string{"onboarding_mode"}},
		{"negative ownership layers", func(c *customer.Customer, _ *[]customer.CRP) { c.OwnershipLayers = intp(-1) }, []string{"ownership_layers"}},
		{"fatca status blank", func(c *customer.Customer, _ *[]customer.CRP) { c.FATCAStatus = "\t" }, []string{"fatca_status"}},
		{"related party ownership above 100", func(_ *customer.Customer, p *[]customer.CRP) {
			*p = append(*p, director("SG"))
			(*p)[1].OwnershipPct = 100.5
		}, []string{"crps[1].ownership_pct"}},
		{"related party fields", func(_ *customer.Customer, p *[]customer.CRP) {
			(*p)[0] = customer.CRP{Type: "ROBOT", Role: "CEO", OwnershipPct: -1, Country: "Singapore", Nationality: "sg"}
		}, []string{"crps[0].type", "crps[0].name", "crps[0].role", "crps[0].ownership_pct", "crps[0].country", "crps[0].nationality"}},
		{"too many related parties", func(_ *customer.Customer, p *[]customer.CRP) {
			*p = slices.Repeat([]customer.CRP{director("SG")}, customer.MaxCRPs+1)
		}, []string{"crps"}},
		{"several at once", func(c *customer.Customer, p *[]customer.CRP) {
			c.Country, c.Type = "ZZ", ""
			(*p)[0].Role = ""
		}, []string{"type", "country", "crps[0].role"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, crps := lowRisk(), []customer.CRP{director("SG")}
			tc.change(&c, &crps)
			err := customer.ValidateCustomer(c, crps)
			if tc.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantFields(t, err, tc.fields...)
		})
	}
}

func TestValidateCRPNamesFieldsWithoutPrefix(t *testing.T) {
	p := director("SG")
	p.OwnershipPct = 101
	wantFields(t, customer.ValidateCRP(p), "ownership_pct")
}

func TestCustomerJSON(t *testing.T) {
	body := `{"type":"CORPORATE","referenceId":"ACME-001","name":"Acme","country":"SG","industry":"EDUCATION",
		"entity_type":"LISTED_COMPANY","payment_modes":["BANK_TRANSFER"],"onboarding_mode":"FACE_TO_FACE",
		"ownership_layers":0,"products":["SAVINGS_ACCOUNT"],"fatca_status":"PARTICIPATING_FFI",
		"screening":{"pep":false,"sanctions":false,"adverse_media":false}}`
	var c customer.Customer
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		t.Fatal(err)
	}
	want := lowRisk()
	want.Name = "Acme"
	b1, _ := json.Marshal(c)
	b2, _ := json.Marshal(want)
	if string(b1) != string(b2) {
		t.Errorf("decoded\n%s\nwant\n%s", b1, b2)
	}
	var p customer.CRP
	if err := json.Unmarshal([]byte(`{"type":"INDIVIDUAL","name":"X","role":"UBO","ownership_pct":25.5,"country":"SG","screening":{"adverse_media":true}}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.OwnershipPct != 25.5 || !p.Screening.AdverseMedia || p.Role != customer.UBO {
		t.Errorf("CRP %+v", p)
	}
}

func TestMerge(t *testing.T) {
	decode := func(s string) customer.Patch {
		var p customer.Patch
		if err := json.Unmarshal([]byte(s), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	base := lowRisk()
	base.Screening.PEP = true
	for _, tc := range []struct {
		name  string
		patch string
		check func(t *testing.T, got customer.Customer)
	}{
		{"empty patch keeps everything", `{}`, func(t *testing.T, got customer.Customer) {
			b1, _ := json.Marshal(got)
			b2, _ := json.Marshal(base)
			if string(b1) != string(b2) {
				t.Errorf("%s", b1)
			}
		}},
		{"null keeps", `{"country":null,"products":null,"ownership_layers":null}`, func(t *testing.T, got customer.Customer) {
			if got.Country != "SG" || len(got.Products) != 1 || got.OwnershipLayers == nil {
				t.Errorf("%+v", got)
			}
		}},
		{"values replace", `{"country":"MY","industry":"RETAIL","onboarding_mode":"NON_FACE_TO_FACE","ownership_layers":3,"type":"INDIVIDUAL"}`,
			func(t *testing.T, got customer.Customer) {
				if got.Country != "MY" || got.Industry != "RETAIL" || got.OnboardingMode != customer.NonFaceToFace ||
					*got.OwnershipLayers != 3 || got.Type != customer.Individual || got.Name != base.Name {
					t.Errorf("%+v", got)
				}
			}},
		{"empty string clears a text", `{"industry":"","nationality":""}`, func(t *testing.T, got customer.Customer) {
			if got.Industry != "" {
				t.Errorf("industry %q", got.Industry)
			}
		}},
		{"a list replaces, an empty list clears", `{"payment_modes":["CASH","CARD"],"products":[]}`, func(t *testing.T, got customer.Customer) {
			if !slices.Equal(got.PaymentModes, []string{"CASH", "CARD"}) || got.Products != nil {
				t.Errorf("%v %#v", got.PaymentModes, got.Products)
			}
		}},
		{"screening flags one at a time", `{"screening":{"sanctions":true}}`, func(t *testing.T, got customer.Customer) {
			if got.Screening != (customer.Screening{PEP: true, Sanctions: true}) {
				t.Errorf("%+v", got.Screening)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := decode(tc.patch)
			got := customer.Merge(base, p)
			tc.check(t, got)
			if base.Country != "SG" || *base.OwnershipLayers != 0 || base.PaymentModes[0] != "BANK_TRANSFER" {
				t.Error("Merge modified its input")
			}
			if p.PaymentModes != nil {
				p.PaymentModes[0] = "CHANGED"
				if got.PaymentModes[0] == "CHANGED" {
					t.Error("the result shares a list with the patch")
				}
			}
		})
	}
	// A merge that breaks the customer is caught by validation.
	got := customer.Merge(base, decode(`{"country":"Singapore","name":""}`))
	wantFields(t, customer.ValidateCustomer(got, nil), "country", "name")
}

func TestValidateApproval(t *testing.T) {
	rating := func(r customer.Rating) *customer.Rating { return &r }
	for _, tc := range []struct {
		name     string
		req      customer.ApprovalRequest
		approver string
		makers   []string
		want     errs.Code
		fields   []string
	}{
		{"accept", customer.ApprovalRequest{ApprovalStatus: customer.Accepted}, "checker", []string{"maker", "editor"}, "", nil},
		{"clear with a message", customer.ApprovalRequest{ApprovalStatus: customer.Cleared, Message: "ok"}, "checker", []string{"maker"}, "", nil},
		{"override with a reason", customer.ApprovalRequest{ApprovalStatus: customer.Accepted, OverrideRiskRating: rating(customer.Medium), Message: "documented source of wealth"}, "checker", nil, "", nil},
		{"request changes", customer.ApprovalRequest{ApprovalStatus: customer.RequestChanges}, "checker", []string{"", "maker"}, "", nil},
		{"reject", customer.ApprovalRequest{ApprovalStatus: customer.Rejected}, "checker", nil, "", nil},
		{"the creator may not approve", customer.ApprovalRequest{ApprovalStatus: customer.Accepted}, "maker", []string{"maker", "editor"}, errs.Forbidden, nil},
		{"the last editor may not approve", customer.ApprovalRequest{ApprovalStatus: customer.Accepted}, "editor", []string{"maker", "editor"}, errs.Forbidden, nil},
		{"no approver", customer.ApprovalRequest{ApprovalStatus: customer.Accepted}, "", nil, errs.Forbidden, nil},
		{"four eyes come before validation", customer.ApprovalRequest{ApprovalStatus: "MAYBE"}, "maker", []string{"maker"}, errs.Forbidden, nil},
		{"PENDING is not a decision", customer.ApprovalRequest{ApprovalStatus: customer.Pending}, "checker", nil, errs.ValidationFailed, []string{"approvalStatus"}},
		{"missing status", customer.ApprovalRequest{}, "checker", nil, errs.ValidationFailed, []string{"approvalStatus"}},
		{"override without a message", customer.ApprovalRequest{ApprovalStatus: customer.Accepted, OverrideRiskRating: rating(customer.Low), Message: "  "}, "checker", nil, errs.ValidationFailed, []string{"message"}},
		{"override to a made-up rating", customer.ApprovalRequest{ApprovalStatus: customer.Accepted, OverrideRiskRating: rating("SEVERE"), Message: "x"}, "checker", nil, errs.ValidationFailed, []string{"overrideRiskRating"}},
		{"override to UNKNOWN", customer.ApprovalRequest{ApprovalStatus: customer.Accepted, OverrideRiskRating: rating(customer.Unknown), Message: "x"}, "checker", nil, errs.ValidationFailed, []string{"overrideRiskRating"}},
		{"message too long", customer.ApprovalRequest{ApprovalStatus: customer.Rejected, Message: strings.Repeat("m", customer.MaxMessageLength+1)}, "checker", nil, errs.ValidationFailed, []string{"message"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := customer.ValidateApproval(tc.req, tc.approver, tc.makers...)
			switch {
			case tc.want == "":
				if err != nil {
					t.Fatal(err)
				}
			case tc.fields != nil:
				wantFields(t, err, tc.fields...)
			default:
				wantCode(t, err, tc.want)
			}
		})
	}
}

func TestApprovalRequestJSON(t *testing.T) {
	var req customer.ApprovalRequest
	if err := json.Unmarshal([]byte(`{"approvalStatus":"ACCEPTED","overrideRiskRating":"MEDIUM_LOW","message":"EDD complete"}`), &req); err != nil {
		t.Fatal(err)
	}
	if req.ApprovalStatus != customer.Accepted || *req.OverrideRiskRating != customer.MediumLow || req.Message != "EDD complete" {
		t.Errorf("%+v", req)
	}
}
