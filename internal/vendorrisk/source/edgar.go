package source

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/riskd/riskd/internal/vendorrisk"
)

// The EDGAR submissions API (https://data.sec.gov/submissions/CIK##########.json)
// lists a company's recent filings as parallel arrays: entry i of every array
// describes filing i. Only the arrays riskd reads are declared. Older
// filings, paged out to filings.files, are not read: a poll looks for new
// filings, and those are always in "recent".
type edgarDocument struct {
	CIK     flexString `json:"cik"`
	Name    string     `json:"name"`
	Filings struct {
		Recent *edgarRecent `json:"recent"`
	} `json:"filings"`
}

type edgarRecent struct {
	AccessionNumber       []string `json:"accessionNumber"`
	FilingDate            []string `json:"filingDate"`
	AcceptanceDateTime    []string `json:"acceptanceDateTime"`
	Form                  []string `json:"form"`
	Items                 []string `json:"items"`
	PrimaryDocument       []string `json:"primaryDocument"`
	PrimaryDocDescription []string `json:"primaryDocDescription"`
}

// flexString accepts a JSON string or number: EDGAR writes the CIK as a
// zero-padded string here, but as a number in other endpoints.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(b, []byte(`"`)) {
		var v string
		err := json.Unmarshal(b, &v)
		*s = flexString(v)
		return err
	}
	var n json.Number
	err := json.Unmarshal(b, &n)
	*s = flexString(n)
	return err
}

// 8-K items riskd raises events for, most severe first: the first one a
// filing reports names the item.
var watched8K = []struct{ item, title string }{
	{"1.05", "Material Cybersecurity Incident"},
	{"8.01", "Other Events"},
}

// ParseEDGARSubmissions reads an EDGAR submissions document and returns one
// item per Form 8-K or 8-K/A reporting Item 1.05 or 8.01. Parallel arrays of
// different lengths are refused: the entries could no longer be trusted to
// describe the same filing.
func ParseEDGARSubmissions(data []byte) ([]Item, error) {
	var doc edgarDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("source: edgar: %w", err)
	}
	cik := strings.TrimLeft(strings.TrimSpace(string(doc.CIK)), "0")
	if cik == "" || !allDigits(cik) {
		return nil, fmt.Errorf("source: edgar: cik %q is not a number", string(doc.CIK))
	}
	r := doc.Filings.Recent
	if r == nil {
		return nil, errors.New("source: edgar: no filings.recent")
	}
	n := len(r.AccessionNumber)
	for _, a := range []struct {
		name     string
		list     []string
		required bool
	}{
		{"form", r.Form, true},
		{"items", r.Items, true},
		{"filingDate", r.FilingDate, false},
		{"acceptanceDateTime", r.AcceptanceDateTime, false},
		{"primaryDocument", r.PrimaryDocument, false},
		{"primaryDocDescription", r.PrimaryDocDescription, false},
	} {
		if (a.list != nil || a.required) && len(a.list) != n {
			return nil, fmt.Errorf("source: edgar: filings.recent.%s has %d entries, accessionNumber has %d", a.name, len(a.list), n)
		}
	}
	at := func(list []string, i int) string {
		if list == nil {
			return ""
		}
		return strings.TrimSpace(list[i])
	}

	var out []Item
	seen := map[string]bool{}
	for i := range n {
		form := at(r.Form, i)
		if form != "8-K" && form != "8-K/A" {
			continue
		}
		reported := splitItems(at(r.Items, i))
		var sig []vendorrisk.Signal
		title := ""
		for _, w := range watched8K {
			if slices.Contains(reported, w.item) {
				sig = append(sig, vendorrisk.Signal{Kind: vendorrisk.Signal8KItem, Value: w.item})
				if title == "" {
					title = form + " Item " + w.item + ": " + w.title
				}
			}
		}
		acc := at(r.AccessionNumber, i)
		accDigits := strings.ReplaceAll(acc, "-", "")
		if len(sig) == 0 || accDigits == "" || !allDigits(accDigits) || seen[acc] {
			continue // not watched, no usable accession number to key it by, or a repeat
		}
		seen[acc] = true
		published := parseTime(at(r.AcceptanceDateTime, i))
		if published.IsZero() {
			published, _ = time.Parse(time.DateOnly, at(r.FilingDate, i))
		}
		out = append(out, Item{
			ExternalID:  "sec:" + acc,
			Name:        title,
			Description: filingDescription(doc.Name, form, at(r.FilingDate, i), reported, at(r.PrimaryDocDescription, i)),
			URL:         filingURL(cik, acc, accDigits, at(r.PrimaryDocument, i)),
			PublishedAt: published,
			UpdatedAt:   published,
			Signals:     sig,
		})
	}
	return out, nil
}

// splitItems splits EDGAR's comma-separated item list ("1.05,9.01") into
// exact item numbers, so "11.05" is never mistaken for "1.05".
func splitItems(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func filingDescription(company, form, filed string, items []string, docDesc string) string {
	var b strings.Builder
	b.WriteString(cmp.Or(strings.TrimSpace(company), "The company"))
	b.WriteString(" filed Form " + form)
	if filed != "" {
		b.WriteString(" on " + filed)
	}
	if len(items) == 1 {
		b.WriteString(" reporting item " + items[0] + ".")
	} else {
		b.WriteString(" reporting items " + strings.Join(items, ", ") + ".")
	}
	if docDesc != "" {
		b.WriteString(" Primary document: " + docDesc + ".")
	}
	return b.String()
}

// filingURL links the primary document, or the filing's index page when
// EDGAR names no primary document.
func filingURL(cik, acc, accDigits, doc string) string {
	base := "https://www.sec.gov/Archives/edgar/data/" + cik + "/" + accDigits + "/"
	if doc == "" {
		return base + url.PathEscape(acc) + "-index.htm"
	}
	return base + url.PathEscape(doc)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// SECFilings polls an EDGAR submissions document.
func (f *Fetcher) SECFilings(ctx context.Context, submissionsURL string) ([]Item, error) {
	body, err := f.Get(ctx, submissionsURL, "application/json")
	if err != nil {
		return nil, err
	}
	return ParseEDGARSubmissions(body)
}
