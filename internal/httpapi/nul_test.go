package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/httpapi/apitest"
	"github.com/riskd/riskd/internal/store/storetest"
)

// TestNULIsAClientMistake sends the NUL character where PostgreSQL's text
// cannot hold it: in a body, a path and a query. Each is the client's
// mistake (404 or 422 naming the field), never a 500, on both databases.
func TestNULIsAClientMistake(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		tok := e.Tokens[auth.Admin]
		env := e.Do("POST", "/catalog/spaces/default/products", tok, `{"name":"Widget\u0000"}`).ExpectError(t, http.StatusUnprocessableEntity, "validation_failed")
		if !env.HasField("name") {
			t.Fatalf("NUL in name: %+v", env)
		}
		e.Do("GET", "/api/riskmodel/abc%00def", tok, nil).ExpectError(t, http.StatusNotFound, "not_found")
		e.Do("GET", "/catalog/spaces/default/products-by-slug/a%00", tok, nil).ExpectError(t, http.StatusNotFound, "not_found")
		env = e.Do("GET", "/catalog/spaces/default/products?search=a%00b", tok, nil).ExpectError(t, http.StatusUnprocessableEntity, "validation_failed")
		if !env.HasField("search") {
			t.Fatalf("NUL in search: %+v", env)
		}
		e.Do("GET", "/api/v1/jobs?jobType=%00", tok, nil).ExpectError(t, http.StatusUnprocessableEntity, "validation_failed")
		e.Do("GET", "/api/v1/audit-events?resourceId=%00", tok, nil).ExpectError(t, http.StatusUnprocessableEntity, "validation_failed")
		// Text to analyse is a body field like any other.
		env = e.Do("POST", "/api/v1/analysis/risk", tok, `{"content":{"type":"text","text":"pay now\u0000"},"scenario":"generic"}`).
			ExpectError(t, http.StatusUnprocessableEntity, "validation_failed")
		if !env.HasField("content.text") {
			t.Fatalf("NUL in text: %+v", env)
		}
		if logs := e.Logs.String(); strings.Contains(logs, "level=ERROR") {
			t.Fatalf("the server logged an error:\n%s", logs)
		}
	})
}
