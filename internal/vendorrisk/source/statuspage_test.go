package source

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/vendorrisk"
)

func sig(kind vendorrisk.SignalKind, value string) vendorrisk.Signal {
	return vendorrisk.Signal{Kind: kind, Value: value}
}

func TestParseStatuspageIncidents(t *testing.T) {
	items, err := ParseStatuspageIncidents(fixture(t, "statuspage_incidents.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id, name, desc, url string
		published           time.Time
		signals             []vendorrisk.Signal
	}{
		{
			"statuspage:kx3qz7v1m0pd", "Elevated API error rates in us-east-1",
			"We have identified a faulty configuration push to the API gateway fleet and are rolling it back. Customers may see 5xx responses and timeouts.",
			"https://stspg.io/kx3qz7v1m0pd", time.Date(2025, 3, 14, 9, 58, 3, 114e6, time.UTC),
			[]vendorrisk.Signal{sig(vendorrisk.SignalStatuspageImpact, "major"), sig(vendorrisk.SignalStatuspageStatus, "identified")},
		},
		{
			"statuspage:b4tn8w2c6jqe", "Delayed webhook deliveries",
			"This incident has been resolved. All queued webhooks have been delivered.",
			"https://stspg.io/b4tn8w2c6jqe", time.Date(2025, 3, 11, 16, 20, 45, 870e6, time.UTC),
			[]vendorrisk.Signal{sig(vendorrisk.SignalStatuspageImpact, "minor"), sig(vendorrisk.SignalStatuspageStatus, "resolved")},
		},
		{
			"statuspage:p1rf5d9g3wyl", "Full outage of the dashboard and API",
			"Postmortem: an expired internal TLS certificate took down the control plane. We have automated certificate rotation and added expiry alerts.",
			"https://stspg.io/p1rf5d9g3wyl", time.Date(2025, 2, 27, 3, 12, 9, 4e6, time.UTC),
			[]vendorrisk.Signal{sig(vendorrisk.SignalStatuspageImpact, "critical"), sig(vendorrisk.SignalStatuspageStatus, "postmortem")},
		},
		{
			// No shortlink: the page URL stands in.
			"statuspage:g0sa9h4j6kpx", "Investigating reports of slow search indexing",
			"Indexing has caught up; we continue to monitor.",
			"https://status.acmecloud.example/incidents/g0sa9h4j6kpx", time.Date(2025, 3, 13, 21, 2, 55, 418e6, time.UTC),
			[]vendorrisk.Signal{sig(vendorrisk.SignalStatuspageImpact, "none"), sig(vendorrisk.SignalStatuspageStatus, "monitoring")},
		},
		{
			// A maintenance listed among incidents is still a maintenance.
			"statuspage:n7cu1e5r3tbw", "Database engine upgrade",
			"The scheduled maintenance has been completed.",
			"https://stspg.io/n7cu1e5r3tbw", time.Date(2025, 3, 1, 12, 0, 0, 377e6, time.UTC),
			[]vendorrisk.Signal{sig(vendorrisk.SignalStatuspageImpact, "maintenance"), sig(vendorrisk.SignalStatuspageMaintenance, "completed")},
		},
	}
	if len(items) != len(tests) {
		t.Fatalf("%d items, want %d", len(items), len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			it := items[i]
			if it.ExternalID != tt.id || it.Name != tt.name || it.Description != tt.desc || it.URL != tt.url {
				t.Errorf("got %q %q %q %q", it.ExternalID, it.Name, it.Description, it.URL)
			}
			if !it.PublishedAt.Equal(tt.published) || it.UpdatedAt.Before(it.PublishedAt) {
				t.Errorf("published %s updated %s", it.PublishedAt, it.UpdatedAt)
			}
			if !slices.Equal(it.Signals, tt.signals) {
				t.Errorf("signals %+v, want %+v", it.Signals, tt.signals)
			}
		})
	}
}

func TestParseStatuspageMaintenances(t *testing.T) {
	items, err := ParseStatuspageMaintenances(fixture(t, "statuspage_maintenances.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.ExternalID+" "+it.Signals[0].Value+" "+it.Signals[1].Value)
		if it.Signals[1].Kind != vendorrisk.SignalStatuspageMaintenance {
			t.Errorf("%s: %+v is not marked as maintenance", it.ExternalID, it.Signals)
		}
	}
	want := []string{
		"statuspage:f6wz2q8k4lmr maintenance scheduled",
		"statuspage:v5hm0t7b2dqs major in_progress",
		"statuspage:n7cu1e5r3tbw maintenance completed",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// The newest update wins even when the list is not newest-first.
	if items[1].Description != "Scheduled maintenance is currently in progress. We will provide updates as necessary." {
		t.Errorf("description %q", items[1].Description)
	}
}

func TestParseStatuspageEdgeCases(t *testing.T) {
	tests := []struct {
		name  string
		parse func([]byte) ([]Item, error)
		doc   string
		ids   []string
		err   bool
	}{
		{"malformed JSON", ParseStatuspageIncidents, `{"incidents": [`, nil, true},
		{"not an object", ParseStatuspageIncidents, `[]`, nil, true},
		{"wrong endpoint", ParseStatuspageIncidents, `{"page":{},"scheduled_maintenances":[]}`, nil, true},
		{"wrong endpoint for maintenances", ParseStatuspageMaintenances, `{"page":{},"incidents":[]}`, nil, true},
		{"wrong field type", ParseStatuspageIncidents, `{"incidents":[{"id":7}]}`, nil, true},
		{"no incidents", ParseStatuspageIncidents, `{"page":{},"incidents":[]}`, nil, false},
		{"skips missing and repeated ids", ParseStatuspageIncidents,
			`{"incidents":[{"id":"","name":"a"},{"id":"x1","name":"b"},{"id":"x1","name":"c"}]}`, []string{"statuspage:x1"}, false},
		{"nulls and bad times are tolerated", ParseStatuspageIncidents,
			`{"page":{"url":null},"incidents":[{"id":"x2","name":null,"impact":null,"shortlink":null,"created_at":"yesterday","incident_updates":null}]}`,
			[]string{"statuspage:x2"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := tt.parse([]byte(tt.doc))
			if tt.err {
				if err == nil {
					t.Fatalf("parsed: %+v", items)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, it := range items {
				ids = append(ids, it.ExternalID)
				if it.Name == "" {
					t.Error("item without a name")
				}
			}
			if !slices.Equal(ids, tt.ids) {
				t.Fatalf("ids %v, want %v", ids, tt.ids)
			}
		})
	}
}

func TestStatusPagePoll(t *testing.T) {
	var paths []string
	srv := serve(t, map[string]http.HandlerFunc{
		"/api/v2/incidents.json": func(w http.ResponseWriter, r *http.Request) {
			paths = append(paths, r.URL.Path)
			w.Write(fixture(t, "statuspage_incidents.json"))
		},
		"/api/v2/scheduled-maintenances.json": func(w http.ResponseWriter, r *http.Request) {
			paths = append(paths, r.URL.Path)
			w.Write(fixture(t, "statuspage_maintenances.json"))
		},
	})
	f := NewFetcher(srv.Client(), "test")
	items, err := f.Poll(context.Background(), Source{Type: vendorrisk.SourceStatusPage, URL: srv.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ExternalID)
	}
	// Five incidents, then the two maintenances not already listed.
	want := []string{
		"statuspage:kx3qz7v1m0pd", "statuspage:b4tn8w2c6jqe", "statuspage:p1rf5d9g3wyl",
		"statuspage:g0sa9h4j6kpx", "statuspage:n7cu1e5r3tbw",
		"statuspage:f6wz2q8k4lmr", "statuspage:v5hm0t7b2dqs",
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("ids %v, want %v", ids, want)
	}
	if len(paths) != 2 {
		t.Errorf("requested %v", paths)
	}

	// A second poll of the same data fingerprints the same.
	again, err := f.StatusPage(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for i := range items {
		if items[i].Fingerprint() != again[i].Fingerprint() {
			t.Errorf("%s fingerprint changed between identical polls", items[i].ExternalID)
		}
	}
}

// The copy updated last wins when both endpoints list an id.
func TestStatusPageMergeKeepsNewest(t *testing.T) {
	incidents := `{"page":{},"incidents":[{"id":"m1","name":"old","status":"scheduled","impact":"maintenance","scheduled_for":"2025-03-20T01:00:00Z","updated_at":"2025-03-12T08:00:00Z"}]}`
	maint := `{"page":{},"scheduled_maintenances":[{"id":"m1","name":"new","status":"in_progress","impact":"maintenance","updated_at":"2025-03-20T01:00:00Z"}]}`
	srv := serve(t, map[string]http.HandlerFunc{
		"/api/v2/incidents.json":              body([]byte(incidents)),
		"/api/v2/scheduled-maintenances.json": body([]byte(maint)),
	})
	items, err := NewFetcher(srv.Client(), "test").StatusPage(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Name != "new" {
		t.Fatalf("items %+v", items)
	}
}

func TestStatusPageErrors(t *testing.T) {
	tests := []struct {
		name   string
		routes map[string]http.HandlerFunc
		check  func(error) bool
	}{
		{"incidents missing", map[string]http.HandlerFunc{}, func(err error) bool {
			var se *StatusError
			return errors.As(err, &se) && se.StatusCode == 404
		}},
		{"maintenances rate limited", map[string]http.HandlerFunc{
			"/api/v2/incidents.json": body(fixture(t, "statuspage_incidents.json")),
			"/api/v2/scheduled-maintenances.json": func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", "30")
				w.WriteHeader(http.StatusTooManyRequests)
			},
		}, func(err error) bool {
			var ra *RetryAfterError
			return errors.As(err, &ra) && ra.RetryAfter == 30*time.Second
		}},
		{"malformed incidents", map[string]http.HandlerFunc{
			"/api/v2/incidents.json": body([]byte(`<html>Maintenance</html>`)),
		}, func(err error) bool { return err != nil }},
		{"malformed maintenances", map[string]http.HandlerFunc{
			"/api/v2/incidents.json":              body(fixture(t, "statuspage_incidents.json")),
			"/api/v2/scheduled-maintenances.json": body([]byte(`{"page":{}`)),
		}, func(err error) bool { return err != nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, tt.routes)
			items, err := NewFetcher(srv.Client(), "test").StatusPage(context.Background(), srv.URL)
			if !tt.check(err) {
				t.Fatalf("got %d items, err %v", len(items), err)
			}
		})
	}
}
