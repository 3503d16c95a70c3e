package assessment

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/risk"
)

// Limits on a catalog product.
const (
	MaxNameLength        = 200
	MaxSlugLength        = 100
	MaxDescriptionLength = 5000
	MaxProductTypeLength = 100
	MaxProviderLength    = 200
	MaxTags              = 20
	MaxTagLength         = 50
)

// Product is an AI product in a space's catalog.
type Product struct {
	ID                 string     `json:"id"`
	SpaceID            string     `json:"space_id"`
	Name               string     `json:"name"`
	Slug               string     `json:"slug"`
	Description        *string    `json:"description"`
	ProductType        *string    `json:"product_type"`
	Provider           *string    `json:"provider"`
	Tags               []string   `json:"tags"`
	RiskClassification *risk.Tier `json:"risk_classification"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

// ProductInput is the body of a product create request.
type ProductInput struct {
	Name string `json:"name"`
	// Slug is derived from Name when absent.
	Slug               *string  `json:"slug,omitempty"`
	Description        *string  `json:"description,omitempty"`
	ProductType        *string  `json:"product_type,omitempty"`
	Provider           *string  `json:"provider,omitempty"`
	Tags               []string `json:"tags,omitempty"`
	RiskClassification *string  `json:"risk_classification,omitempty"`
}

// ProductPatch is the body of a product update: an absent field keeps its
// value, an empty string clears an optional one (risk_classification
// included), and given tags replace the stored ones. The slug is not
// re-derived from a new name, so links to the product keep working.
type ProductPatch struct {
	Name               *string  `json:"name,omitempty"`
	Slug               *string  `json:"slug,omitempty"`
	Description        *string  `json:"description,omitempty"`
	ProductType        *string  `json:"product_type,omitempty"`
	Provider           *string  `json:"provider,omitempty"`
	Tags               []string `json:"tags,omitempty"`
	RiskClassification *string  `json:"risk_classification,omitempty"`
}

// NewProduct makes a product from a create request. Slug uniqueness within
// the space is the store's to enforce (409).
func NewProduct(in ProductInput, spaceID string, now time.Time) (Product, error) {
	var f errs.Fields
	p := Product{
		Name:        requiredText(&f, "name", in.Name, MaxNameLength),
		Description: optText(&f, "description", in.Description, MaxDescriptionLength),
		ProductType: optText(&f, "product_type", in.ProductType, MaxProductTypeLength),
		Provider:    optText(&f, "provider", in.Provider, MaxProviderLength),
		Tags:        tags(&f, in.Tags),
	}
	switch {
	case in.Slug != nil:
		p.Slug = slug(&f, *in.Slug)
	case p.Name != "":
		if p.Slug = Slugify(p.Name); p.Slug == "" {
			f.Add("slug", "cannot be derived from name %q (no letters or digits in a-z, 0-9); send a slug", p.Name)
		}
	}
	if in.RiskClassification != nil {
		p.RiskClassification = classification(&f, *in.RiskClassification)
	}
	if err := f.Err(); err != nil {
		return Product{}, err
	}
	now = wireTime(now)
	p.ID = ids.UUID(now)
	p.SpaceID = spaceID
	p.CreatedAt, p.UpdatedAt = now, now
	return p, nil
}

// UpdateProduct applies a ProductPatch.
func UpdateProduct(p Product, in ProductPatch, now time.Time) (Product, error) {
	var f errs.Fields
	if in.Name != nil {
		p.Name = requiredText(&f, "name", *in.Name, MaxNameLength)
	}
	if in.Slug != nil {
		p.Slug = slug(&f, *in.Slug)
	}
	if in.Description != nil {
		p.Description = optText(&f, "description", in.Description, MaxDescriptionLength)
	}
	if in.ProductType != nil {
		p.ProductType = optText(&f, "product_type", in.ProductType, MaxProductTypeLength)
	}
	if in.Provider != nil {
		p.Provider = optText(&f, "provider", in.Provider, MaxProviderLength)
	}
	if in.Tags != nil {
		p.Tags = tags(&f, in.Tags)
	}
	if in.RiskClassification != nil {
		p.RiskClassification = classification(&f, *in.RiskClassification)
	}
	if err := f.Err(); err != nil {
		return Product{}, err
	}
	p.UpdatedAt = wireTime(now)
	return p, nil
}

// classification parses a risk tier; an empty string clears it (null).
func classification(f *errs.Fields, s string) *risk.Tier {
	if s == "" {
		return nil
	}
	t, ok := oneOf(f, "risk_classification", s, risk.Tiers())
	if !ok {
		return nil
	}
	return &t
}

var slugRE = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

func slug(f *errs.Fields, s string) string {
	f.Check(len(s) <= MaxSlugLength && slugRE.MatchString(s), "slug",
		"must be %d characters at most of a-z and 0-9 in words joined by single hyphens, like \"credit-scoring-v2\"", MaxSlugLength)
	return s
}

// tags trims each tag and drops repeats (tags are a set; a repeat is a
// slip, not a mistake worth a round trip). Blank or long tags are errors.
func tags(f *errs.Fields, in []string) []string {
	if len(in) > MaxTags {
		f.Add("tags", "must have at most %d tags", MaxTags)
		return []string{}
	}
	out := make([]string, 0, len(in))
	for i, t := range in {
		t = strings.TrimSpace(t)
		field := fmt.Sprintf("tags[%d]", i)
		switch {
		case t == "":
			f.Add(field, "must not be blank")
		case utf8.RuneCountInString(t) > MaxTagLength:
			f.Add(field, "must be at most %d characters", MaxTagLength)
		case !slices.Contains(out, t):
			out = append(out, t)
		}
	}
	return out
}

// foldings spell Latin letters that Unicode does not decompose into a base
// letter and marks, so they survive in slugs as readers would write them.
var foldings = map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ð': "d", 'ł': "l", 'þ': "th", 'ı': "i"}

// Slugify derives a URL slug from a name: lower-case ASCII letters and
// digits, words joined by single hyphens, at most MaxSlugLength characters.
// Accents are dropped ("Crème Brûlée" → "creme-brulee"), apostrophes join
// ("Alice's" → "alices") and anything else separates words. A name with no
// Latin letters or digits gives "".
func Slugify(name string) string {
	var b strings.Builder
	gap := false // a separator was seen since the last letter
	write := func(s string) {
		if gap && b.Len() > 0 {
			b.WriteByte('-')
		}
		gap = false
		b.WriteString(s)
	}
	// NFKD splits "é" into "e" and a combining accent and spells
	// compatibility forms ("ﬁ", "²") as plain letters and digits.
	for _, r := range norm.NFKD.String(name) {
		if b.Len() > MaxSlugLength {
			break
		}
		r = unicode.ToLower(r)
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			write(string(r))
		case foldings[r] != "":
			write(foldings[r])
		case unicode.Is(unicode.Mn, r), r == '\'', r == '’':
		default:
			gap = true
		}
	}
	s := b.String()
	if len(s) > MaxSlugLength {
		// Cut at the last word boundary that fits, or mid-word if none does.
		s = s[:MaxSlugLength+1]
		if i := strings.LastIndexByte(s, '-'); i > 0 {
			s = s[:i]
		} else {
			s = s[:MaxSlugLength]
		}
	}
	return s
}
