package httpapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/riskd/riskd/internal/store"
)

// A job envelope written by AppendJSON is byte for byte what huma's own
// JSON format writes for it.
func TestJobEnvelopeJSONMatchesHuma(t *testing.T) {
	at := time.Date(2026, 12, 1, 6, 30, 5, 123456000, time.UTC)
	jobs := []store.Job{
		{ID: "job_01K00000000000000000000000", Type: "risk_assessment", Status: store.JobSucceeded,
			Result: json.RawMessage(`{"type":"analysis.risk.result","riskScore":42,"band":"Moderate","note":"\u003cb\u003e \u2028"}`), CreatedAt: at, UpdatedAt: at},
		{ID: "job_2", Type: "screen_analysis", Status: store.JobQueued, CreatedAt: at.Truncate(time.Second), UpdatedAt: at.Add(time.Hour)},
		{ID: "job_3", Type: "screen_analysis", Status: store.JobRunning, Result: json.RawMessage(`{"progress":0.5}`),
			CreatedAt: at.In(time.FixedZone("CET", 3600)), UpdatedAt: at.Add(500 * time.Millisecond)},
		{ID: "job_4", Type: "vendor \"poll\" <x>", Status: store.JobFailed, Result: json.RawMessage(`{"partial":true}`),
			ErrorCode: "analysis_failed", ErrorMessage: "Could not be completed.\n\tTabbed & \xff", CreatedAt: at, UpdatedAt: at},
		{ID: "job_5", Type: "t", Status: store.JobFailed, CreatedAt: time.Time{}, UpdatedAt: at.Add(time.Nanosecond)},
	}
	for _, j := range jobs {
		if got, want := bothFormats(t, envelope(j)); got != want {
			t.Errorf("job %s:\n got %s\nwant %s", j.ID, got, want)
		}
	}
}

// bothFormats writes v with jsonFormat and with huma's own JSON format.
func bothFormats(t *testing.T, v any) (got, want string) {
	t.Helper()
	var g, w bytes.Buffer
	if err := jsonFormat.Marshal(&g, v); err != nil {
		t.Fatal(err)
	}
	if err := huma.DefaultJSONFormat.Marshal(&w, v); err != nil {
		t.Fatal(err)
	}
	return g.String(), w.String()
}

// Bodies without their own JSON go through huma's format unchanged, and a
// large body's buffer is not kept.
func TestJSONFormatOtherBodies(t *testing.T) {
	if got, want := bothFormats(t, map[string]any{"a": "<&>", "b": []int{1}}); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	big := envelope(store.Job{ID: "job_big", Result: json.RawMessage(`"` + strings.Repeat("x", 2*maxPooledBody) + `"`)})
	var got bytes.Buffer
	if err := jsonFormat.Marshal(&got, big); err != nil || got.Len() < 2*maxPooledBody {
		t.Fatalf("big body: %d bytes, %v", got.Len(), err)
	}
	if bp := bodyBuffers.Get().(*[]byte); cap(*bp) > maxPooledBody {
		t.Errorf("a %d-byte buffer was kept", cap(*bp))
	}
}
