package source

import (
	"net/url"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/vendorrisk"
)

// Parsers read bytes from servers riskd does not control: whatever arrives,
// they return items or an error, never panic, and every item they return is
// one the domain can store.
func checkItems(t *testing.T, items []Item, prefix string) {
	t.Helper()
	seen := map[string]bool{}
	for _, it := range items {
		if !strings.HasPrefix(it.ExternalID, prefix) || len(it.ExternalID) == len(prefix) {
			t.Fatalf("external id %q", it.ExternalID)
		}
		if seen[it.ExternalID] {
			t.Fatalf("external id %q returned twice", it.ExternalID)
		}
		seen[it.ExternalID] = true
		if strings.TrimSpace(it.Name) == "" {
			t.Fatalf("item %q has no name", it.ExternalID)
		}
		if u, err := url.Parse(it.URL); it.URL != "" && (err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "") {
			t.Fatalf("item %q has URL %q", it.ExternalID, it.URL)
		}
		_ = it.Fingerprint()
	}
}

func FuzzParseStatuspage(f *testing.F) {
	f.Add(fixture(f, "statuspage_incidents.json"))
	f.Add(fixture(f, "statuspage_maintenances.json"))
	f.Add([]byte(`{"incidents":[{"id":"a","incident_updates":[{"created_at":"x"},{"created_at":"2025-01-01T00:00:00Z"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func([]byte) ([]Item, error){ParseStatuspageIncidents, ParseStatuspageMaintenances} {
			items, err := parse(data)
			if err == nil {
				checkItems(t, items, "statuspage:")
			}
		}
	})
}

func FuzzParseEDGAR(f *testing.F) {
	f.Add(fixture(f, "edgar_submissions.json"))
	f.Add([]byte(`{"cik":1,"filings":{"recent":{"accessionNumber":["1-2"],"form":["8-K"],"items":["1.05,,8.01"]}}}`))
	f.Add([]byte(`{"cik":"1","filings":{"recent":{"accessionNumber":["1"],"form":["8-K"],"items":[]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := ParseEDGARSubmissions(data)
		if err != nil {
			return
		}
		checkItems(t, items, "sec:")
		for _, it := range items {
			if !strings.HasPrefix(it.URL, "https://www.sec.gov/Archives/edgar/data/") || len(it.Signals) == 0 {
				t.Fatalf("item %+v", it)
			}
		}
	})
}

func FuzzParseFeed(f *testing.F) {
	for _, name := range []string{"feed_rss.xml", "feed_atom.xml", "feed.json"} {
		f.Add(fixture(f, name), "Acme Cloud", "ransomware")
	}
	f.Add([]byte(`<rss version="2.0"><channel><item><title>&lt;b</title></item></channel></rss>`), "", "")
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","content_html":"<p>x"}]}`), "x", "")
	f.Fuzz(func(t *testing.T, data []byte, name, keyword string) {
		items, err := ParseFeed(data, FeedFilter{VendorName: name, Keywords: []string{keyword}})
		if err != nil {
			return
		}
		checkItems(t, items, "feed:")
		for _, it := range items {
			if len(it.ExternalID) > vendorrisk.MaxExternalIDLen {
				t.Fatalf("external id of %d bytes", len(it.ExternalID))
			}
		}
	})
}
