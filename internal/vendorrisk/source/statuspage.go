package source

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/riskd/riskd/internal/vendorrisk"
)

// The Statuspage v2 public API (https://<page>/api/v2/…). Only the fields
// riskd reads are declared; the rest (components, page time zone, tweet
// ids, …) are ignored.
type spDocument struct {
	Page struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		URL  string `json:"url"`
	} `json:"page"`
	Incidents    *[]spIncident `json:"incidents"`
	Maintenances *[]spIncident `json:"scheduled_maintenances"`
}

// spIncident is an incident or a scheduled maintenance: Statuspage models
// maintenances as incidents with a schedule.
type spIncident struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Status       string     `json:"status"`
	Impact       string     `json:"impact"`
	CreatedAt    string     `json:"created_at"`
	UpdatedAt    string     `json:"updated_at"`
	Shortlink    string     `json:"shortlink"`
	ScheduledFor string     `json:"scheduled_for"`
	Updates      []spUpdate `json:"incident_updates"`
}

type spUpdate struct {
	Status    string `json:"status"`
	Body      string `json:"body"`
	CreatedAt string `json:"created_at"`
}

// ParseStatuspageIncidents reads /api/v2/incidents.json.
func ParseStatuspageIncidents(data []byte) ([]Item, error) {
	doc, err := decodeStatuspage(data)
	if err != nil {
		return nil, err
	}
	if doc.Incidents == nil {
		return nil, errors.New("source: statuspage: no incidents array")
	}
	return statuspageItems(doc, *doc.Incidents, false), nil
}

// ParseStatuspageMaintenances reads /api/v2/scheduled-maintenances.json.
func ParseStatuspageMaintenances(data []byte) ([]Item, error) {
	doc, err := decodeStatuspage(data)
	if err != nil {
		return nil, err
	}
	if doc.Maintenances == nil {
		return nil, errors.New("source: statuspage: no scheduled_maintenances array")
	}
	return statuspageItems(doc, *doc.Maintenances, true), nil
}

func decodeStatuspage(data []byte) (spDocument, error) {
	var doc spDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		return doc, fmt.Errorf("source: statuspage: %w", err)
	}
	return doc, nil
}

func statuspageItems(doc spDocument, list []spIncident, maintenances bool) []Item {
	var out []Item
	seen := make(map[string]bool, len(list))
	for _, in := range list {
		id := strings.TrimSpace(in.ID)
		if id == "" || seen[id] {
			continue // no id, no stable key to upsert by; a repeat adds nothing
		}
		seen[id] = true
		status := strings.ToLower(strings.TrimSpace(in.Status))
		impact := strings.ToLower(strings.TrimSpace(in.Impact))
		var sig []vendorrisk.Signal
		if impact != "" {
			sig = append(sig, vendorrisk.Signal{Kind: vendorrisk.SignalStatuspageImpact, Value: impact})
		}
		// incidents.json can list maintenances too; they carry a schedule
		// or maintenance impact and must not read as unplanned outages.
		if maintenances || in.ScheduledFor != "" || impact == "maintenance" {
			sig = append(sig, vendorrisk.Signal{Kind: vendorrisk.SignalStatuspageMaintenance, Value: status})
		} else if status != "" {
			sig = append(sig, vendorrisk.Signal{Kind: vendorrisk.SignalStatuspageStatus, Value: status})
		}
		out = append(out, Item{
			ExternalID:  "statuspage:" + id,
			Name:        cmp.Or(strings.TrimSpace(in.Name), "Statuspage incident "+id),
			Description: latestUpdate(in.Updates),
			URL:         incidentURL(doc.Page.URL, id, in.Shortlink),
			PublishedAt: parseTime(in.CreatedAt),
			UpdatedAt:   parseTime(in.UpdatedAt),
			Signals:     sig,
		})
	}
	return out
}

// latestUpdate returns the body of the newest update. Statuspage lists
// updates newest first, but the timestamps decide; on a tie or unreadable
// times the earlier-listed update wins.
func latestUpdate(updates []spUpdate) string {
	best := -1
	var bestAt time.Time
	for i, u := range updates {
		if at := parseTime(u.CreatedAt); best < 0 || at.After(bestAt) {
			best, bestAt = i, at
		}
	}
	if best < 0 {
		return ""
	}
	return strings.TrimSpace(updates[best].Body)
}

// incidentURL prefers the shortlink; pages that have none still serve every
// incident at <page url>/incidents/<id>.
func incidentURL(pageURL, id, shortlink string) string {
	if isHTTPURL(shortlink) {
		return shortlink
	}
	if isHTTPURL(pageURL) {
		return strings.TrimRight(pageURL, "/") + "/incidents/" + url.PathEscape(id)
	}
	return ""
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// parseTime reads an RFC 3339 time, or returns zero: one bad timestamp must
// not cost the whole poll.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// StatusPage polls a Statuspage: its incidents and its scheduled
// maintenances. An id listed by both endpoints is kept once, from whichever
// copy was updated last (the maintenance endpoint's on a tie).
func (f *Fetcher) StatusPage(ctx context.Context, baseURL string) ([]Item, error) {
	base := strings.TrimRight(strings.TrimSpace(baseURL), "/")
	body, err := f.Get(ctx, base+"/api/v2/incidents.json", "application/json")
	if err != nil {
		return nil, err
	}
	incidents, err := ParseStatuspageIncidents(body)
	if err != nil {
		return nil, err
	}
	body, err = f.Get(ctx, base+"/api/v2/scheduled-maintenances.json", "application/json")
	if err != nil {
		return nil, err
	}
	maint, err := ParseStatuspageMaintenances(body)
	if err != nil {
		return nil, err
	}
	at := make(map[string]int, len(incidents))
	for i, it := range incidents {
		at[it.ExternalID] = i
	}
	for _, m := range maint {
		i, dup := at[m.ExternalID]
		switch {
		case !dup:
			at[m.ExternalID] = len(incidents)
			incidents = append(incidents, m)
		case !incidents[i].UpdatedAt.After(m.UpdatedAt):
			incidents[i] = m
		}
	}
	return incidents, nil
}
