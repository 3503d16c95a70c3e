package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/riskd/riskd/internal/loadgen"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/vendorrisk"
)

// vendorScenarios measure the vendor risk family: listing risk events at
// 100,000 rows.
func vendorScenarios() []scenario {
	return []scenario{{
		name:          "risk-event-list",
		what:          "GET /v1/risk-events?limit=50 with 100,000 risk events of 100 vendors",
		routes:        []string{"GET /v1/risk-events"},
		prepare:       prepareRiskEventList,
		targets:       []target{maxP99(10 * time.Millisecond)},
		targetClients: 1,
	}}
}

const (
	seededVendors    = 100
	seededRiskEvents = 100_000
)

func prepareRiskEventList(ctx context.Context, e *env) (workload, error) {
	if err := seedRiskEvents(ctx, e, seededVendors, seededRiskEvents); err != nil {
		return workload{}, err
	}
	req := loadgen.Request{Method: http.MethodGet, Path: "/v1/risk-events?limit=50", Header: e.header}
	return workload{next: func(int) loadgen.Request { return req }}, nil
}

// riskEventColumns are the risk_events table's columns (migration
// 00006_vendors).
var riskEventColumns = []string{"space_id", "urn", "vendor_urn", "source_type", "review_status", "level_rank",
	"external_id", "created_at", "updated_at", "doc"}

// seedRiskEvents adds vendors through the store, then inserts events
// spread over them, each made by the domain as POST /v1/risk-events makes
// it, a millisecond apart so their URNs (ULIDs) follow creation order.
func seedRiskEvents(ctx context.Context, e *env, vendors, events int) error {
	start := time.Now().Add(-time.Duration(events) * time.Millisecond)
	urns := make([]string, vendors)
	err := e.st.Tx(ctx, func(tx store.Q) error {
		for i := range urns {
			v, err := vendorrisk.NewVendor(vendorrisk.VendorCreate{
				Name: fmt.Sprintf("Vendor %03d", i), Description: "A supplier seeded by the benchmark",
				Website: fmt.Sprintf("https://vendor%03d.example.com", i),
			}, start)
			if err != nil {
				return err
			}
			if err := e.st.InsertVendor(ctx, tx, e.space.ID, v); err != nil {
				return err
			}
			urns[i] = v.URN
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seeding vendors: %w", err)
	}
	sources := []vendorrisk.SourceType{vendorrisk.SourceStatusPage, vendorrisk.SourceNews, vendorrisk.SourceSECFiling, vendorrisk.SourceMonitor}
	err = insertRows(ctx, e.st, "risk_events", riskEventColumns, events, func(i int) ([]any, error) {
		ev, err := vendorrisk.NewRiskEvent(vendorrisk.RiskEventCreate{
			VendorURN:    urns[i%len(urns)],
			Name:         fmt.Sprintf("Elevated API error rates (incident %d)", i),
			Description:  "Some customers are seeing elevated error rates and latency on API requests. We are investigating.",
			SourceType:   sources[i%len(sources)],
			URL:          fmt.Sprintf("https://status.example.com/incidents/%d", i),
			CategoryTags: []string{"availability"},
		}, start.Add(time.Duration(i)*time.Millisecond))
		if err != nil {
			return nil, err
		}
		doc, err := json.Marshal(ev)
		if err != nil {
			return nil, err
		}
		return []any{e.space.ID, ev.URN, ev.VendorURN, string(ev.SourceType), string(ev.ReviewStatus), ev.RiskLevel.Rank(),
			nil, store.T(ev.CreatedAt), store.T(ev.UpdatedAt), string(doc)}, nil
	})
	if err != nil {
		return err
	}
	return vacuumAnalyze(ctx, e.st, "vendors", "risk_events")
}
