package source

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/textrisk"
	"github.com/riskd/riskd/internal/vendorrisk"
)

var acme = FeedFilter{VendorName: "Acme Cloud", Keywords: builtinFeedKeywords()}

// builtinFeedKeywords are the news filter's default keywords with the
// built-in packs.
func builtinFeedKeywords() []string {
	e, err := textrisk.Default()
	if err != nil {
		panic(err)
	}
	return vendorrisk.FeedKeywords(e)
}

func feedIDs(items []Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.ExternalID)
	}
	return out
}

func TestParseFeed(t *testing.T) {
	tests := []struct {
		file   string
		filter FeedFilter
		ids    []string
	}{
		{"feed_rss.xml", acme, []string{
			"feed:https://news.infraweekly.example/?p=48211",                      // names the vendor
			"feed:https://news.infraweekly.example/?p=48197",                      // ransomware, no vendor
			"feed:https://news.infraweekly.example/2025/03/09/acme-cost-cutting/", // no guid: keyed by link
			// dropped: the roundup (nothing), "playoffs" (not layoffs), "AcmeCloudify" (not Acme Cloud)
		}},
		{"feed_rss.xml", FeedFilter{VendorName: "Acme Cloud"}, []string{
			"feed:https://news.infraweekly.example/?p=48211",
			"feed:https://news.infraweekly.example/2025/03/09/acme-cost-cutting/",
		}},
		{"feed_rss.xml", FeedFilter{}, []string{ // no filter: every item
			"feed:https://news.infraweekly.example/?p=48211",
			"feed:https://news.infraweekly.example/?p=48197",
			"feed:https://news.infraweekly.example/?p=48150",
			"feed:https://news.infraweekly.example/?p=48122",
			"feed:https://news.infraweekly.example/?p=48101",
			"feed:https://news.infraweekly.example/2025/03/09/acme-cost-cutting/",
		}},
		{"feed_atom.xml", acme, []string{
			"feed:tag:acmecloud.example,2025-03-14:/newsroom/chapter-11-filing",
			"feed:tag:acmecloud.example,2025-03-05:/newsroom/ofac-statement",
			// dropped: "chapter 110" of the handbook
		}},
		{"feed_atom.xml", FeedFilter{VendorName: "Initech"}, nil},
		{"feed.json", acme, []string{
			"feed:https://vendorwatch.example/p/2025-03-14-acme-exfiltration",
			"feed:2025-03-11-acme-short",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.filter.VendorName+"/"+strings.Repeat("k", min(len(tt.filter.Keywords), 1)), func(t *testing.T) {
			items, err := ParseFeed(fixture(t, tt.file), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := feedIDs(items); !slices.Equal(got, tt.ids) {
				t.Fatalf("ids %v\nwant %v", got, tt.ids)
			}
		})
	}
}

func TestParseFeedItemFields(t *testing.T) {
	tests := []struct {
		file, id, name, desc, url string
		published, updated        time.Time
	}{
		{
			"feed_rss.xml", "feed:https://news.infraweekly.example/?p=48211",
			"Acme Cloud confirms data breach affecting support tickets",
			"The hosting provider said an attacker used a stolen contractor credential to read support tickets.",
			"https://news.infraweekly.example/2025/03/14/acme-cloud-data-breach/",
			time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC), time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC),
		},
		{
			// HTML and entities are reduced to text.
			"feed_rss.xml", "feed:https://news.infraweekly.example/2025/03/09/acme-cost-cutting/",
			"Cost cutting at a hosting giant",
			"Acme Cloud announced a 12% workforce reduction & the closure of two offices.",
			"https://news.infraweekly.example/2025/03/09/acme-cost-cutting/",
			time.Date(2025, 3, 9, 10, 0, 0, 0, time.UTC), time.Date(2025, 3, 9, 10, 0, 0, 0, time.UTC),
		},
		{
			"feed_atom.xml", "feed:tag:acmecloud.example,2025-03-14:/newsroom/chapter-11-filing",
			"Acme Cloud files voluntary petitions under Chapter 11",
			"Operations continue without interruption while the company restructures its debt.",
			"https://www.acmecloud.example/newsroom/2025/chapter-11-filing",
			time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC), time.Date(2025, 3, 14, 12, 30, 0, 0, time.UTC),
		},
		{
			"feed.json", "feed:https://vendorwatch.example/p/2025-03-14-acme-exfiltration",
			"Researchers tie exfiltration tool to Acme Cloud tenant",
			"A single tenant was affected, the researchers say.",
			"https://vendorwatch.example/p/2025-03-14-acme-exfiltration",
			time.Date(2025, 3, 14, 13, 0, 0, 0, time.UTC), time.Date(2025, 3, 14, 14, 10, 0, 0, time.UTC),
		},
		{
			// Untitled: the text names it.
			"feed.json", "feed:2025-03-11-acme-short",
			"Acme Cloud quietly raised prices on egress bandwidth for new contracts starting in April.",
			"Acme Cloud quietly raised prices on egress bandwidth for new contracts starting in April.",
			"https://vendorwatch.example/p/2025-03-11-acme-short",
			time.Date(2025, 3, 11, 21, 20, 0, 0, time.UTC), time.Date(2025, 3, 11, 21, 20, 0, 0, time.UTC),
		},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			items, err := ParseFeed(fixture(t, tt.file), acme)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(items, func(it Item) bool { return it.ExternalID == tt.id })
			if i < 0 {
				t.Fatalf("%s not kept", tt.id)
			}
			it := items[i]
			if it.Name != tt.name || it.Description != tt.desc || it.URL != tt.url {
				t.Errorf("got %q\n%q\n%q", it.Name, it.Description, it.URL)
			}
			if !it.PublishedAt.Equal(tt.published) || !it.UpdatedAt.Equal(tt.updated) {
				t.Errorf("published %s updated %s", it.PublishedAt, it.UpdatedAt)
			}
			if len(it.Signals) != 0 {
				t.Errorf("feed items carry no structured signals, got %+v", it.Signals)
			}
		})
	}
}

func TestParseFeedEdgeCases(t *testing.T) {
	long := strings.Repeat("g", 600)
	tests := []struct {
		name string
		doc  string
		ids  []string
		err  bool
	}{
		{"not a feed", `<html><body>hello</body></html>`, nil, true},
		{"empty", ``, nil, true},
		{"malformed JSON feed", `{"version":"https://jsonfeed.org/version/1.1","items":[`, nil, true},
		{"repeated guid is one item", `<rss version="2.0"><channel>
			<item><guid>a</guid><title>Acme Cloud one</title></item>
			<item><guid>a</guid><title>Acme Cloud two</title></item></channel></rss>`, []string{"feed:a"}, false},
		{"a link alone does not match", `<rss version="2.0"><channel>
			<item><guid>b</guid><link>https://x.example/acme-cloud</link></item></channel></rss>`, nil, false},
		{"no guid or link: keyed by text", `<rss version="2.0"><channel>
			<item><title>Acme Cloud outage</title></item></channel></rss>`,
			[]string{"feed:sha256:"}, false},
		{"overlong guid is hashed", `<rss version="2.0"><channel>
			<item><guid>` + long + `</guid><title>Acme Cloud outage</title></item></channel></rss>`,
			[]string{"feed:sha256:"}, false},
		{"a phrase does not straddle title and summary", `<rss version="2.0"><channel>
			<item><guid>c</guid><title>News from Acme</title><description>Cloud prices fall</description></item></channel></rss>`,
			nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := ParseFeed([]byte(tt.doc), FeedFilter{VendorName: "Acme Cloud"})
			if tt.err {
				if err == nil {
					t.Fatalf("parsed: %+v", items)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := feedIDs(items)
			if len(got) != len(tt.ids) {
				t.Fatalf("ids %v, want %v", got, tt.ids)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.ids[i]) || len(got[i]) > 512 {
					t.Errorf("id %q, want prefix %q", got[i], tt.ids[i])
				}
			}
		})
	}
}

func TestParseFeedSkipsItemsWithNothingToShow(t *testing.T) {
	doc := `<rss version="2.0"><channel><item><guid>b</guid><link>https://x.example/b</link></item>
		<item><guid>c</guid><description>&lt;p&gt; &lt;/p&gt;</description></item></channel></rss>`
	items, err := ParseFeed([]byte(doc), FeedFilter{})
	if err != nil || len(items) != 0 {
		t.Fatalf("got %v, %v", feedIDs(items), err)
	}
}

func TestParseFeedText(t *testing.T) {
	tests := []struct{ title, desc, wantName, wantDesc string }{
		{"Acme Cloud growth &lt; 5%", "", "Acme Cloud growth < 5%", "Acme Cloud growth < 5%"},
		{"Acme Cloud", "&lt;p&gt;line&lt;br/&gt;break &amp;amp; more&lt;/p&gt;", "Acme Cloud", "line break & more"},
		{"Acme Cloud", "&lt;!-- note --&gt;a  \n\t b", "Acme Cloud", "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.wantDesc, func(t *testing.T) {
			doc := `<rss version="2.0"><channel><item><guid>g</guid><title>` + tt.title +
				`</title><description>` + tt.desc + `</description></item></channel></rss>`
			items, err := ParseFeed([]byte(doc), FeedFilter{})
			if err != nil || len(items) != 1 {
				t.Fatalf("got %+v, %v", items, err)
			}
			desc := items[0].Description
			if tt.desc == "" {
				desc = items[0].Name
			}
			if items[0].Name != tt.wantName || desc != tt.wantDesc {
				t.Fatalf("name %q description %q", items[0].Name, items[0].Description)
			}
		})
	}
}

func TestFeedPoll(t *testing.T) {
	var accept string
	srv := serve(t, map[string]http.HandlerFunc{
		"/feed.xml": func(w http.ResponseWriter, r *http.Request) {
			accept = r.Header.Get("Accept")
			w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
			w.Write(fixture(t, "feed_rss.xml"))
		},
	})
	f := NewFetcher(srv.Client(), "test")
	// The vendor risk use case passes the vendor-event rules' phrases when
	// a source sets no keywords: the ransomware story is kept.
	items, err := f.Poll(context.Background(), Source{Type: vendorrisk.SourceNews, URL: srv.URL + "/feed.xml", VendorName: "Acme Cloud", Keywords: builtinFeedKeywords()})
	if err != nil || len(items) != 3 {
		t.Fatalf("got %v, %v", feedIDs(items), err)
	}
	if !strings.Contains(accept, "application/rss+xml") || !strings.Contains(accept, "application/feed+json") {
		t.Errorf("Accept %q", accept)
	}
	// Empty keywords mean the vendor's name alone.
	items, err = f.Poll(context.Background(), Source{Type: vendorrisk.SourceNews, URL: srv.URL + "/feed.xml", VendorName: "Acme Cloud", Keywords: []string{}})
	if err != nil || len(items) != 2 {
		t.Fatalf("got %v, %v", feedIDs(items), err)
	}
	if _, err := f.Feed(context.Background(), srv.URL+"/missing.xml", acme); err == nil {
		t.Error("404 accepted")
	}
	if _, err := f.Poll(context.Background(), Source{Type: vendorrisk.SourceMonitor, URL: srv.URL}); err == nil {
		t.Error("polled a MONITOR source")
	}
}
