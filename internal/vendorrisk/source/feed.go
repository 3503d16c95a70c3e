package source

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"

	"github.com/riskd/riskd/internal/vendorrisk"
)

// FeedFilter chooses the feed items worth an event: those whose title,
// summary or content mention the vendor's name or one of the keywords, as
// whole words and ignoring case. A filter with neither keeps every item,
// which suits a feed that is about the vendor already (its own blog).
type FeedFilter struct {
	VendorName string
	Keywords   []string
}

// maxDerivedNameLen bounds a name made from an untitled item's summary.
const maxDerivedNameLen = 120

// ParseFeed reads an RSS, Atom or JSON Feed document and returns the items
// the filter keeps.
func ParseFeed(data []byte, filter FeedFilter) ([]Item, error) {
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("source: feed: %w", err)
	}
	var phrases []string
	for _, p := range append([]string{filter.VendorName}, filter.Keywords...) {
		if strings.TrimSpace(p) != "" {
			phrases = append(phrases, p)
		}
	}
	index := vendorrisk.NewPhraseIndex(phrases)

	var out []Item
	seen := map[string]bool{}
	for _, it := range feed.Items {
		if it == nil {
			continue
		}
		title := plainText(it.Title)
		summary := plainText(it.Description)
		content := plainText(it.Content)
		// Each field is matched on its own so a phrase cannot straddle two.
		if len(phrases) > 0 && !index.Contains(title) && !index.Contains(summary) && !index.Contains(content) {
			continue
		}
		desc := cmp.Or(summary, content)
		name := cmp.Or(title, clip(desc, maxDerivedNameLen))
		if name == "" {
			continue // nothing to show a reviewer
		}
		id := feedItemID(it, title, desc)
		if seen[id] {
			continue // a feed repeating an item yields one event
		}
		seen[id] = true
		item := Item{ExternalID: id, Name: name, Description: desc}
		if link := strings.TrimSpace(it.Link); isHTTPURL(link) {
			item.URL = link // a javascript: or relative link is no use to a reviewer
		}
		if it.PublishedParsed != nil {
			item.PublishedAt = it.PublishedParsed.UTC()
		}
		if it.UpdatedParsed != nil {
			item.UpdatedAt = it.UpdatedParsed.UTC()
		}
		if item.PublishedAt.IsZero() {
			item.PublishedAt = item.UpdatedAt
		}
		if item.UpdatedAt.IsZero() {
			item.UpdatedAt = item.PublishedAt
		}
		out = append(out, item)
	}
	return out, nil
}

// feedItemID keys an item by its guid (RSS guid, Atom id, JSON Feed id), else
// its link; an item with neither is keyed by its text, which is the best
// available identity. Overlong ids are hashed to fit the store.
func feedItemID(it *gofeed.Item, title, desc string) string {
	key := cmp.Or(strings.TrimSpace(it.GUID), strings.TrimSpace(it.Link))
	if key == "" || len("feed:")+len(key) > vendorrisk.MaxExternalIDLen {
		src := key
		if src == "" {
			src = title + "\x00" + desc
		}
		sum := sha256.Sum256([]byte(src))
		return "feed:sha256:" + hex.EncodeToString(sum[:])
	}
	return "feed:" + key
}

// plainText turns feed HTML into text: tags dropped, entities decoded,
// whitespace collapsed. It is for matching and display, not for rendering,
// so a simple scanner is enough; it never executes or keeps markup. A "<"
// that cannot start a tag ("growth < 5%") is kept as text.
func plainText(s string) string {
	var b strings.Builder
	inTag := false
	for i, r := range s {
		switch {
		case inTag:
			inTag = r != '>'
		case r == '<' && startsTag(s[i+1:]):
			inTag = true
			b.WriteByte(' ') // "a<br>b" reads as two words
		default:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(html.UnescapeString(b.String())), " ")
}

func startsTag(rest string) bool {
	r, _ := utf8.DecodeRuneInString(rest)
	return unicode.IsLetter(r) || r == '/' || r == '!' || r == '?'
}

// clip cuts s to at most n runes at a word boundary when there is one.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > 0 {
		cut = cut[:i]
	}
	return cut + "…"
}

// Feed polls an RSS, Atom or JSON feed.
func (f *Fetcher) Feed(ctx context.Context, feedURL string, filter FeedFilter) ([]Item, error) {
	body, err := f.Get(ctx, feedURL, "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
	if err != nil {
		return nil, err
	}
	return ParseFeed(body, filter)
}
