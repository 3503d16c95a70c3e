// Package source fetches and parses the upstream data behind vendor risk
// events: Atlassian Statuspage v2 incidents and maintenances, RSS, Atom and
// JSON feeds, and SEC EDGAR submissions. Parsers are pure functions over
// bytes (fuzzed); the Fetcher adds the network with firm limits. Every
// connector returns Items keyed by a stable ExternalID, so a job can upsert
// them and skip the ones whose fingerprint has not changed.
package source

import (
	"context"
	"fmt"

	"github.com/riskd/riskd/internal/vendorrisk"
)

// Item is one normalised upstream entry. It is the domain's Observation, so
// a poll's result goes to vendorrisk.NewObservedEvent and
// vendorrisk.RefreshObservedEvent without conversion; Item.Fingerprint() tells an
// unchanged re-poll apart.
type Item = vendorrisk.Observation

// Source is one connector configuration of a vendor.
type Source struct {
	Type vendorrisk.SourceType
	// URL is the status page's base URL (STATUS_PAGE), the feed's URL
	// (NEWS) or the EDGAR submissions JSON URL (SEC_FILING).
	URL string
	// VendorName and Keywords filter NEWS items (FeedFilter); the vendor
	// risk use case passes vendorrisk.FeedKeywords when the source sets
	// none.
	VendorName string
	Keywords   []string
}

// Poll fetches and parses one source. MONITOR events are raised through the
// API, so there is nothing to poll for them.
func (f *Fetcher) Poll(ctx context.Context, s Source) ([]Item, error) {
	switch s.Type {
	case vendorrisk.SourceStatusPage:
		return f.StatusPage(ctx, s.URL)
	case vendorrisk.SourceNews:
		return f.Feed(ctx, s.URL, FeedFilter{VendorName: s.VendorName, Keywords: s.Keywords})
	case vendorrisk.SourceSECFiling:
		return f.SECFilings(ctx, s.URL)
	}
	return nil, fmt.Errorf("source: source type %q cannot be polled", s.Type)
}
