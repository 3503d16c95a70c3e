package source

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/vendorrisk"
)

func TestParseEDGARSubmissions(t *testing.T) {
	items, err := ParseEDGARSubmissions(fixture(t, "edgar_submissions.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Of the fixture's filings, these are kept; the 10-K, 10-Q, Form 4 and
	// SC 13G/A are not 8-Ks, and the 8-Ks reporting "11.05" and "2.02,9.01"
	// report neither watched item.
	tests := []struct {
		id, name, url, desc string
		published           time.Time
		items               []string
	}{
		{
			"sec:0001234567-25-000031", "8-K/A Item 1.05: Material Cybersecurity Incident",
			"https://www.sec.gov/Archives/edgar/data/1234567/000123456725000031/acme-20250310.htm",
			"Acme Cloud, Inc. filed Form 8-K/A on 2025-03-14 reporting items 1.05, 9.01. Primary document: 8-K/A.",
			time.Date(2025, 3, 14, 16, 31, 7, 0, time.UTC), []string{"1.05"},
		},
		{
			"sec:0001234567-25-000024", "8-K Item 1.05: Material Cybersecurity Incident",
			"https://www.sec.gov/Archives/edgar/data/1234567/000123456725000024/acme-20250218.htm",
			"Acme Cloud, Inc. filed Form 8-K on 2025-02-21 reporting item 1.05. Primary document: 8-K.",
			time.Date(2025, 2, 21, 17, 5, 19, 0, time.UTC), []string{"1.05"},
		},
		{
			"sec:0001234567-25-000019", "8-K Item 8.01: Other Events",
			"https://www.sec.gov/Archives/edgar/data/1234567/000123456725000019/acme-20250210.htm",
			"Acme Cloud, Inc. filed Form 8-K on 2025-02-10 reporting item 8.01. Primary document: 8-K.",
			time.Date(2025, 2, 10, 21, 15, 33, 0, time.UTC), []string{"8.01"},
		},
		{
			"sec:0001234567-24-000071", "8-K Item 8.01: Other Events",
			"https://www.sec.gov/Archives/edgar/data/1234567/000123456724000071/acme-20240812.htm",
			"Acme Cloud, Inc. filed Form 8-K on 2024-08-15 reporting items 5.02, 8.01, 9.01. Primary document: 8-K.",
			time.Date(2024, 8, 15, 12, 1, 9, 0, time.UTC), []string{"8.01"},
		},
	}
	if len(items) != len(tests) {
		var ids []string
		for _, it := range items {
			ids = append(ids, it.ExternalID)
		}
		t.Fatalf("items %v, want %d", ids, len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			it := items[i]
			if it.ExternalID != tt.id || it.Name != tt.name || it.URL != tt.url || it.Description != tt.desc {
				t.Errorf("got %q\n%q\n%q\n%q", it.ExternalID, it.Name, it.URL, it.Description)
			}
			if !it.PublishedAt.Equal(tt.published) {
				t.Errorf("published %s", it.PublishedAt)
			}
			var got []string
			for _, s := range it.Signals {
				if s.Kind != vendorrisk.Signal8KItem {
					t.Errorf("signal kind %q", s.Kind)
				}
				got = append(got, s.Value)
			}
			if !slices.Equal(got, tt.items) {
				t.Errorf("items %v, want %v", got, tt.items)
			}
		})
	}
}

// edgarDoc builds a submissions document from rows of form and items.
func edgarDoc(extra string, rows ...[2]string) string {
	var acc, form, items, doc []string
	for i, r := range rows {
		acc = append(acc, `"0000000001-25-00000`+string(rune('0'+i))+`"`)
		form = append(form, `"`+r[0]+`"`)
		items = append(items, `"`+r[1]+`"`)
		doc = append(doc, `"d.htm"`)
	}
	return `{"cik":"0000000001","name":"X","filings":{"recent":{"accessionNumber":[` + strings.Join(acc, ",") +
		`],"form":[` + strings.Join(form, ",") + `],"items":[` + strings.Join(items, ",") +
		`],"primaryDocument":[` + strings.Join(doc, ",") + `]` + extra + `}}}`
}

func TestParseEDGARItems(t *testing.T) {
	tests := []struct {
		form, items string
		want        string // the item's name, "" when no item is made
	}{
		{"8-K", "1.05", "8-K Item 1.05: Material Cybersecurity Incident"},
		{"8-K", "1.05,9.01", "8-K Item 1.05: Material Cybersecurity Incident"},
		{"8-K", " 9.01 , 1.05 ", "8-K Item 1.05: Material Cybersecurity Incident"},
		{"8-K", "8.01,1.05", "8-K Item 1.05: Material Cybersecurity Incident"},
		{"8-K/A", "8.01", "8-K/A Item 8.01: Other Events"},
		{"8-K", "11.05", ""},
		{"8-K", "1.051", ""},
		{"8-K", "1.05.1", ""},
		{"8-K", "2.02,9.01", ""},
		{"8-K", "", ""},
		{"10-K", "1.05", ""},
		{"8-K12B", "1.05", ""},
		{"6-K", "8.01", ""},
	}
	for _, tt := range tests {
		t.Run(tt.form+" "+tt.items, func(t *testing.T) {
			items, err := ParseEDGARSubmissions([]byte(edgarDoc("", [2]string{tt.form, tt.items})))
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.want == "" && len(items) != 0:
				t.Fatalf("made %q", items[0].Name)
			case tt.want != "" && (len(items) != 1 || items[0].Name != tt.want):
				t.Fatalf("items %+v, want %q", items, tt.want)
			}
		})
	}
}

func TestParseEDGARMalformed(t *testing.T) {
	tests := map[string]string{
		"malformed JSON":      `{"cik":"1","filings":`,
		"no recent":           `{"cik":"1","filings":{}}`,
		"bad cik":             `{"cik":"12ab","filings":{"recent":{}}}`,
		"zero cik":            `{"cik":"0000000000","filings":{"recent":{}}}`,
		"null cik":            `{"cik":null,"filings":{"recent":{}}}`,
		"short form array":    `{"cik":"1","filings":{"recent":{"accessionNumber":["a","b"],"form":["8-K"],"items":["1.05","1.05"]}}}`,
		"long items array":    `{"cik":"1","filings":{"recent":{"accessionNumber":["a"],"form":["8-K"],"items":["1.05","1.05"]}}}`,
		"missing items array": `{"cik":"1","filings":{"recent":{"accessionNumber":["a"],"form":["8-K"]}}}`,
		"short optional array": edgarDoc(`,"primaryDocDescription":[]`,
			[2]string{"8-K", "1.05"}),
		"items not strings": `{"cik":"1","filings":{"recent":{"accessionNumber":["a"],"form":["8-K"],"items":[1.05]}}}`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			if items, err := ParseEDGARSubmissions([]byte(doc)); err == nil {
				t.Fatalf("parsed: %+v", items)
			}
		})
	}
}

func TestParseEDGARLenientRows(t *testing.T) {
	doc := `{"cik":320193,"name":"","filings":{"recent":{
		"accessionNumber":["0000320193-25-000001","bad/../acc","0000320193-25-000003"],
		"form":["8-K","8-K","8-K"],
		"items":["1.05","1.05","8.01"],
		"filingDate":["2025-01-02","2025-01-03","2025-01-04"],
		"primaryDocument":["","x.htm","a b.htm"]}}}`
	items, err := ParseEDGARSubmissions([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.ExternalID+" "+it.URL+" "+it.PublishedAt.Format(time.DateOnly))
	}
	want := []string{
		// No primary document: the filing index. A numeric CIK works too.
		"sec:0000320193-25-000001 https://www.sec.gov/Archives/edgar/data/320193/000032019325000001/0000320193-25-000001-index.htm 2025-01-02",
		// The malformed accession number is skipped; the document name is escaped.
		"sec:0000320193-25-000003 https://www.sec.gov/Archives/edgar/data/320193/000032019325000003/a%20b.htm 2025-01-04",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if !strings.HasPrefix(items[0].Description, "The company filed Form 8-K") {
		t.Errorf("description %q", items[0].Description)
	}
}

func TestSECFilingsPoll(t *testing.T) {
	var ua string
	srv := serve(t, map[string]http.HandlerFunc{
		"/submissions/CIK0001234567.json": func(w http.ResponseWriter, r *http.Request) {
			ua = r.Header.Get("User-Agent")
			w.Write(fixture(t, "edgar_submissions.json"))
		},
		"/submissions/broken.json": body([]byte(`{"cik":"1","filings":{"recent":{"accessionNumber":["a"],"form":[]}}}`)),
	})
	f := NewFetcher(srv.Client(), "0.9.0")
	items, err := f.Poll(context.Background(), Source{Type: vendorrisk.SourceSECFiling, URL: srv.URL + "/submissions/CIK0001234567.json"})
	if err != nil || len(items) != 4 {
		t.Fatalf("got %d items, %v", len(items), err)
	}
	if ua != "riskd/0.9.0 (+vendor risk monitor)" {
		t.Errorf("User-Agent %q", ua)
	}
	if _, err := f.SECFilings(context.Background(), srv.URL+"/submissions/broken.json"); err == nil {
		t.Error("unequal arrays accepted")
	}
}
