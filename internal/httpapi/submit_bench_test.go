package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/httpapi"
	"github.com/riskd/riskd/internal/httpapi/apitest"
	"github.com/riskd/riskd/internal/store/storetest"
)

// BenchmarkSubmit runs POST /api/v1/analysis/risk through the whole handler
// stack in process (no network): authentication, limits, the engine and
// the durable job row, on SQLite. The server's own figure is the load test
// (riskd bench --scenarios submit); this one shows the CPU and allocations
// of a request without the network and the load generator.
func BenchmarkSubmit(b *testing.B) {
	// A limit no run reaches: the test's default (10,000 a second) is one a
	// fast machine exceeds, and a refused request measures nothing.
	e := apitest.New(b, storetest.SQLite(b), apitest.Options{Config: httpapi.Config{RateLimit: 1_000_000}})
	h := e.API.Handler()
	token := e.Tokens[auth.Assessor]
	body := `{"content":{"type":"text","text":"` + strings.Repeat("We will credit your account within 10 business days while we investigate. ", 13) + `"},"scenario":"dispute"}`
	b.ReportAllocs()
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/analysis/risk", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
}
