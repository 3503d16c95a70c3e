package bench

import (
	"context"
	"net/http"

	"github.com/riskd/riskd/internal/loadgen"
)

// systemScenarios measure what every request pays: the middleware, the token
// lookup in the database and huma's encoding, with no family's work.
func systemScenarios() []scenario {
	return []scenario{{
		name:   "whoami",
		what:   "GET /api/v1/whoami: authentication and middleware alone",
		routes: []string{"GET /api/v1/whoami"},
		prepare: func(_ context.Context, e *env) (workload, error) {
			req := loadgen.Request{Method: http.MethodGet, Path: "/api/v1/whoami", Header: e.header}
			return workload{next: func(int) loadgen.Request { return req }}, nil
		},
	}}
}
