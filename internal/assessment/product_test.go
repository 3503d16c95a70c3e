package assessment_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/assessment"
	"github.com/riskd/riskd/internal/risk"
)

func TestSlugify(t *testing.T) {
	tests := []struct{ name, want string }{
		{"Customer Scoring Model", "customer-scoring-model"},
		{"  GPT-4 powered   chat  ", "gpt-4-powered-chat"},
		{"Crème Brûlée", "creme-brulee"},
		{"Alice's model", "alices-model"},
		{"Alice’s model", "alices-model"},
		{"Straße & Søn", "strasse-son"},
		{"Łódź Æther", "lodz-aether"},
		{"ﬁnance²", "finance2"},
		{"İstanbul", "istanbul"},
		{"v2.0 (beta)", "v2-0-beta"},
		{"--edge--", "edge"},
		{"日本語モデル", ""},
		{"", ""},
		{"🤖", ""},
		{strings.Repeat("word ", 30), strings.TrimSuffix(strings.Repeat("word-", 20), "-")},
		{strings.Repeat("a", 150), strings.Repeat("a", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := assessment.Slugify(tt.name); got != tt.want {
				t.Fatalf("Slugify(%q) = %q; want %q", tt.name, got, tt.want)
			}
		})
	}
}

func TestNewProduct(t *testing.T) {
	in := assessment.ProductInput{
		Name: "Customer Scoring Model", Description: ptr("Scores customers"), ProductType: ptr("ml_model"),
		Provider: ptr("In-house"), Tags: []string{" credit ", "scoring", "credit"},
	}
	p, err := assessment.NewProduct(in, "space-1", now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Slug != "customer-scoring-model" || p.SpaceID != "space-1" || p.ID == "" || p.CreatedAt != now || p.RiskClassification != nil {
		t.Fatalf("got %+v", p)
	}
	if !slices.Equal(p.Tags, []string{"credit", "scoring"}) {
		t.Fatalf("tags %q; want trimmed and without repeats", p.Tags)
	}

	in.Slug, in.RiskClassification = ptr("csm-v2"), ptr("high")
	p, err = assessment.NewProduct(in, "space-1", now)
	if err != nil || p.Slug != "csm-v2" || *p.RiskClassification != risk.High {
		t.Fatalf("given slug and tier: %+v, %v", p, err)
	}
	if p, _ := assessment.NewProduct(assessment.ProductInput{Name: "x"}, "s", now); p.Tags == nil {
		t.Fatal("tags must be [] rather than null")
	}
}

func TestNewProductRejects(t *testing.T) {
	tests := []struct {
		name  string
		in    assessment.ProductInput
		field string
		msg   string
	}{
		{"no name", assessment.ProductInput{}, "name", "is required"},
		{"blank name", assessment.ProductInput{Name: "   "}, "name", "is required"},
		{"long name", assessment.ProductInput{Name: strings.Repeat("n", 201)}, "name", "at most 200"},
		{"underivable slug", assessment.ProductInput{Name: "日本語"}, "slug", "cannot be derived"},
		{"upper-case slug", assessment.ProductInput{Name: "x", Slug: ptr("Model")}, "slug", "a-z and 0-9"},
		{"slug with spaces", assessment.ProductInput{Name: "x", Slug: ptr("my model")}, "slug", "a-z and 0-9"},
		{"slug with double hyphen", assessment.ProductInput{Name: "x", Slug: ptr("a--b")}, "slug", "single hyphens"},
		{"slug with edge hyphen", assessment.ProductInput{Name: "x", Slug: ptr("-a")}, "slug", "single hyphens"},
		{"empty slug", assessment.ProductInput{Name: "x", Slug: ptr("")}, "slug", "a-z"},
		{"non-ascii slug", assessment.ProductInput{Name: "x", Slug: ptr("crème")}, "slug", "a-z"},
		{"long slug", assessment.ProductInput{Name: "x", Slug: ptr(strings.Repeat("a", 101))}, "slug", "100 characters"},
		{"long description", assessment.ProductInput{Name: "x", Description: ptr(strings.Repeat("d", 5001))}, "description", "at most 5000"},
		{"long type", assessment.ProductInput{Name: "x", ProductType: ptr(strings.Repeat("t", 101))}, "product_type", "at most 100"},
		{"long provider", assessment.ProductInput{Name: "x", Provider: ptr(strings.Repeat("p", 201))}, "provider", "at most 200"},
		{"too many tags", assessment.ProductInput{Name: "x", Tags: make([]string, 21)}, "tags", "at most 20"},
		{"blank tag", assessment.ProductInput{Name: "x", Tags: []string{"a", " "}}, "tags[1]", "must not be blank"},
		{"long tag", assessment.ProductInput{Name: "x", Tags: []string{strings.Repeat("t", 51)}}, "tags[0]", "at most 50"},
		{"unknown classification", assessment.ProductInput{Name: "x", RiskClassification: ptr("medium")}, "risk_classification", "must be one of minimal, limited, high, unacceptable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := assessment.NewProduct(tt.in, "s", now)
			wantField(t, err, tt.field, tt.msg)
		})
	}
}

func TestUpdateProduct(t *testing.T) {
	p, err := assessment.NewProduct(assessment.ProductInput{Name: "Old name", Provider: ptr("Acme"), Tags: []string{"a"}, RiskClassification: ptr("high")}, "s", now)
	if err != nil {
		t.Fatal(err)
	}
	got, err := assessment.UpdateProduct(p, assessment.ProductPatch{Name: ptr("New name"), Provider: ptr("")}, later)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "New name" || got.Slug != "old-name" || got.Provider != nil || *got.RiskClassification != risk.High ||
		!slices.Equal(got.Tags, []string{"a"}) || got.UpdatedAt != later || got.CreatedAt != now {
		t.Fatalf("got %+v", got)
	}
	got, err = assessment.UpdateProduct(p, assessment.ProductPatch{Slug: ptr("renamed"), Tags: []string{}, RiskClassification: ptr("")}, later)
	if err != nil || got.Slug != "renamed" || len(got.Tags) != 0 || got.RiskClassification != nil {
		t.Fatalf("got %+v, %v", got, err)
	}
	_, err = assessment.UpdateProduct(p, assessment.ProductPatch{Name: ptr(""), Slug: ptr("Bad Slug"), RiskClassification: ptr("x")}, later)
	got2 := details(t, err)
	for _, f := range []string{"name", "slug", "risk_classification"} {
		if _, ok := got2[f]; !ok {
			t.Errorf("no error for %s in %v", f, got2)
		}
	}
}
