package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestServePollsVendorSources runs the real binary and checks that serve
// schedules source polls: a status page on this machine is polled when the
// operator allows private addresses, and refused (with last_error saying
// why) when it does not, which is the default.
func TestServePollsVendorSources(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	fixtures := map[string]string{
		"/api/v2/incidents.json":              "statuspage_incidents.json",
		"/api/v2/scheduled-maintenances.json": "statuspage_maintenances.json",
	}
	var userAgent atomic.Value
	userAgent.Store("")
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := fixtures[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		userAgent.Store(r.UserAgent())
		b, err := os.ReadFile(filepath.Join("..", "..", "internal", "vendorrisk", "source", "testdata", name))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	defer page.Close()
	bin := buildBinary(t)

	for _, tc := range []struct {
		name  string
		extra []string
		check func(t *testing.T, n *node, src map[string]any)
	}{
		{"allowed", []string{"--allow-private-sources", "--source-contact", "Acme GRC grc@acme.example"}, func(t *testing.T, n *node, src map[string]any) {
			if src["last_error"] != nil {
				t.Fatalf("poll failed: %v", src["last_error"])
			}
			code, body := n.do(t, "GET", "/v1/risk-events", n.token, "")
			var events []map[string]any
			if code != 200 || json.Unmarshal(body, &events) != nil || len(events) == 0 {
				t.Fatalf("no risk events after the poll: %d %s", code, body)
			}
			if ua := userAgent.Load().(string); !strings.HasSuffix(ua, " Acme GRC grc@acme.example") {
				t.Errorf("User-Agent %q lacks the operator's contact", ua)
			}
		}},
		{"refused by default", nil, func(t *testing.T, n *node, src map[string]any) {
			if msg, _ := src["last_error"].(string); !strings.Contains(msg, "not public") {
				t.Fatalf("last_error = %v, want the private address refused", src["last_error"])
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := freeAddr(t)
			cmd, out := startServe(t, bin, "sqlite://"+filepath.Join(t.TempDir(), "riskd.db"), addr,
				append([]string{"--poll-interval", "1s"}, tc.extra...)...)
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			n := &node{cmd: cmd, base: "http://" + addr}
			for _, l := range strings.Split(out, "\n") {
				if tokenRE.MatchString(l) {
					n.token = l
				}
			}
			code, body := n.do(t, "POST", "/v1/vendors", n.token, `{"name":"Acme Cloud","lifecycle_stage":"ONBOARDED"}`)
			var vendor struct{ URN string }
			if code != 201 || json.Unmarshal(body, &vendor) != nil {
				t.Fatalf("create vendor: %d %s", code, body)
			}
			code, body = n.do(t, "POST", "/v1/vendors/"+vendor.URN+"/sources", n.token, `{"type":"STATUS_PAGE","url":"`+page.URL+`"}`)
			if code != 201 {
				t.Fatalf("add source: %d %s", code, body)
			}
			// No one asks for a poll: the periodic job must do it.
			deadline := time.Now().Add(20 * time.Second)
			for {
				code, body = n.do(t, "GET", "/v1/vendors/"+vendor.URN+"/sources", n.token, "")
				var sources []map[string]any
				if code == 200 && json.Unmarshal(body, &sources) == nil && len(sources) == 1 && sources[0]["last_polled_at"] != nil {
					tc.check(t, n, sources[0])
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("source never polled: %d %s", code, body)
				}
				time.Sleep(200 * time.Millisecond)
			}
		})
	}
}
