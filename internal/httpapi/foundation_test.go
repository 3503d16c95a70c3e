package httpapi_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/httpapi/apitest"
	"github.com/riskd/riskd/internal/jobs"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
	"github.com/riskd/riskd/internal/usecase"
)

func TestAuthentication(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		admin := e.Tokens[auth.Admin]

		e.Do("GET", "/api/v1/whoami", "", nil).ExpectError(t, 401, "unauthorized")
		e.Do("GET", "/api/v1/whoami", "rk_nottherealtokennottherealtokennottherealtok", nil).ExpectError(t, 401, "unauthorized")
		e.Do("GET", "/api/v1/whoami", "", nil, "Authorization", "Basic abc").ExpectError(t, 401, "unauthorized")

		// The three header spellings of the compatible clients.
		for _, h := range []string{"Authorization", "x-api-key", "auth-token"} {
			v := admin
			if h == "Authorization" {
				v = "Bearer " + admin
			}
			var who struct {
				Principal struct{ ID, Name, Role string }
				Space     struct {
					ID   int64
					Slug string
				}
			}
			e.Do("GET", "/api/v1/whoami", "", nil, h, v).Expect(t, 200).JSON(t, &who)
			if who.Principal.Role != "admin" || who.Space.ID != 1 || who.Space.Slug != "default" || len(who.Principal.ID) != 36 {
				t.Fatalf("%s: whoami = %+v", h, who)
			}
		}

		// Tenant headers must name the token's own space; auth-tenant-id 0,
		// as the risk-model API's clients send it, means no tenant in
		// particular (X-Domain-ID has no such value).
		e.Do("GET", "/api/v1/whoami", admin, nil, "X-Domain-ID", "1").Expect(t, 200)
		e.Do("GET", "/api/v1/whoami", admin, nil, "X-Domain-ID", "2").ExpectError(t, 403, "forbidden")
		e.Do("GET", "/api/v1/whoami", admin, nil, "X-Domain-ID", "0").ExpectError(t, 403, "forbidden")
		e.Do("GET", "/api/v1/whoami", admin, nil, "auth-tenant-id", "0").Expect(t, 200)
		e.Do("GET", "/api/v1/whoami", admin, nil, "auth-tenant-id", "1").Expect(t, 200)
		e.Do("GET", "/api/v1/whoami", admin, nil, "auth-tenant-id", "104").ExpectError(t, 403, "forbidden")

		// Roles: the audit log needs admin.
		for _, r := range []auth.Role{auth.Viewer, auth.Assessor, auth.Reviewer} {
			e.Do("GET", "/api/v1/audit-events", e.Tokens[r], nil).ExpectError(t, 403, "forbidden")
		}
		e.Do("GET", "/api/v1/audit-events", admin, nil).Expect(t, 200)

		// Revocation takes effect on the next request.
		tok := e.Token("default", auth.Viewer)
		e.Do("GET", "/api/v1/whoami", tok, nil).Expect(t, 200)
		if _, err := e.App.RevokeToken(context.Background(), usecase.SystemActor, 0, tok); err != nil {
			t.Fatal(err)
		}
		e.Do("GET", "/api/v1/whoami", tok, nil).ExpectError(t, 401, "unauthorized")

		if strings.Contains(e.Logs.String(), admin) || strings.Contains(e.Logs.String(), tok) {
			t.Fatal("a token appears in the server log")
		}
	})
}

func TestErrorsUseTheEnvelope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		tok := e.Tokens[auth.Viewer]
		res := e.Do("GET", "/no/such/route", tok, nil)
		res.ExpectError(t, 404, "not_found")
		if res.Header.Get("X-Request-ID") == "" {
			t.Fatal("no X-Request-ID")
		}
		env := e.Do("GET", "/api/v1/jobs?limit=1000", tok, nil).ExpectError(t, 422, "validation_failed")
		if !env.HasField("limit") {
			t.Fatalf("details do not name limit: %+v", env)
		}
		env = e.Do("GET", "/api/v1/jobs?cursor=abc", tok, nil).ExpectError(t, 422, "validation_failed")
		if !env.HasField("cursor") {
			t.Fatalf("details do not name cursor: %+v", env)
		}
		e.Do("GET", "/api/v1/jobs?start=yesterday", tok, nil).ExpectError(t, 422, "validation_failed")
		e.Do("GET", "/api/v1/jobs/job_01HY3K4M7QR9VP2N8WYJF5GTB0", tok, nil).ExpectError(t, 404, "not_found")
		e.Do("GET", "/api/v1/jobs/whatever", tok, nil).ExpectError(t, 404, "not_found")
	})
}

// Every response carries the security headers and a request id, whether
// the request succeeded, failed or matched no route; a caller's plain id is
// echoed, any other is replaced.
func TestResponseHeaders(t *testing.T) {
	e := apitest.New(t, storetest.SQLite(t), apitest.Options{})
	tok := e.Tokens[auth.Viewer]
	want := map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
	for _, res := range []apitest.Response{
		e.Do("GET", "/api/v1/whoami", tok, nil).Expect(t, 200),
		e.Do("GET", "/api/v1/whoami", "", nil).Expect(t, 401),
		e.Do("GET", "/no/such/route", tok, nil).Expect(t, 404),
		e.Do("GET", "/healthz", "", nil).Expect(t, 200),
	} {
		for k, v := range want {
			if got := res.Header.Values(k); len(got) != 1 || got[0] != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if id := res.Header.Get("X-Request-ID"); len(id) != 24 {
			t.Errorf("X-Request-ID = %q, want 24 hex digits", id)
		}
	}
	if id := e.Do("GET", "/api/v1/whoami", tok, nil, "X-Request-ID", "trace-42_A").Header.Get("X-Request-ID"); id != "trace-42_A" {
		t.Errorf("a plain X-Request-ID came back as %q", id)
	}
	if id := e.Do("GET", "/api/v1/whoami", tok, nil, "X-Request-ID", "a b").Header.Get("X-Request-ID"); id == "a b" || len(id) != 24 {
		t.Errorf("an X-Request-ID with a space came back as %q", id)
	}
}

func TestJobsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		ctx := context.Background()
		now := time.Now().UTC()
		var created []string
		for i, status := range []string{store.JobQueued, store.JobSucceeded, store.JobFailed} {
			j, err := jobs.New(now.Add(time.Duration(i)*time.Millisecond), 1, "example", map[string]int{"i": i})
			if err != nil {
				t.Fatal(err)
			}
			j.Status = status
			if status == store.JobSucceeded {
				j.Result = json.RawMessage(`{"type":"example.result","n":1}`)
			}
			if status == store.JobFailed {
				j.ErrorCode, j.ErrorMessage = "analysis_failed", "could not be completed"
			}
			if _, err := b.Store.InsertJob(ctx, b.Store.Writer(), j); err != nil {
				t.Fatal(err)
			}
			created = append(created, j.ID)
		}
		tok := e.Tokens[auth.Viewer]
		var env struct {
			ID, Type, Status     string
			Result               map[string]any
			Error                *struct{ Code, Message string }
			CreatedAt, UpdatedAt time.Time
		}
		e.Do("GET", "/api/v1/jobs/"+created[0], tok, nil).Expect(t, 200).JSON(t, &env)
		if env.Status != "running" || env.Result != nil || env.Error != nil || env.Type != "example" || env.CreatedAt.IsZero() {
			t.Fatalf("queued job = %+v", env)
		}
		env.Result = nil
		e.Do("GET", "/api/v1/jobs/"+created[1], tok, nil).Expect(t, 200).JSON(t, &env)
		if env.Status != "succeeded" || env.Result["type"] != "example.result" || env.Error != nil {
			t.Fatalf("succeeded job = %+v", env)
		}
		env.Result = nil
		e.Do("GET", "/api/v1/jobs/"+created[2], tok, nil).Expect(t, 200).JSON(t, &env)
		if env.Status != "failed" || env.Result != nil || env.Error == nil || env.Error.Code != "analysis_failed" {
			t.Fatalf("failed job = %+v", env)
		}
		// Another space sees nothing.
		e.Do("GET", "/api/v1/jobs/"+created[0], e.OtherTokens[auth.Admin], nil).ExpectError(t, 404, "not_found")
		var page struct {
			Results    []struct{ ID string }
			Pagination struct {
				NextCursor       *string
				HasMore          bool
				ApproximateTotal int
			}
		}
		e.Do("GET", "/api/v1/jobs?limit=2", tok, nil).Expect(t, 200).JSON(t, &page)
		if len(page.Results) != 2 || !page.Pagination.HasMore || page.Pagination.ApproximateTotal != 3 || page.Results[0].ID != created[2] {
			t.Fatalf("page 1 = %+v", page)
		}
		e.Do("GET", "/api/v1/jobs?limit=2&cursor="+*page.Pagination.NextCursor, tok, nil).Expect(t, 200).JSON(t, &page)
		if len(page.Results) != 1 || page.Pagination.HasMore || page.Results[0].ID != created[0] {
			t.Fatalf("page 2 = %+v", page)
		}
		e.Do("GET", "/api/v1/jobs?jobType=other", tok, nil).Expect(t, 200).JSON(t, &page)
		if len(page.Results) != 0 {
			t.Fatalf("type filter = %+v", page)
		}
		e.Do("GET", "/api/v1/jobs", e.OtherTokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &page)
		if len(page.Results) != 0 {
			t.Fatal("other space lists our jobs")
		}
	})
}

func TestAuditEventsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		// apitest bootstrapped an admin token and created 4 more in each space:
		// each is an audited write.
		var page struct {
			Results []struct {
				Seq                                 int64
				Action, ResourceType, Hash, ActorID string
			}
			Pagination struct {
				NextCursor *string
				HasMore    bool
			}
		}
		admin := e.Tokens[auth.Admin]
		e.Do("GET", "/api/v1/audit-events?resourceType=token&limit=3", admin, nil).Expect(t, 200).JSON(t, &page)
		if len(page.Results) != 3 || !page.Pagination.HasMore || page.Results[0].Action != "token.create" || page.Results[0].Seq <= page.Results[1].Seq {
			t.Fatalf("page = %+v", page)
		}
		e.Do("GET", "/api/v1/audit-events?resourceType=token&limit=3&cursor="+*page.Pagination.NextCursor, admin, nil).Expect(t, 200).JSON(t, &page)
		if len(page.Results) != 2 || page.Pagination.HasMore || page.Results[0].Seq <= page.Results[1].Seq {
			t.Fatalf("page 2 = %+v", page)
		}
		if n, err := b.Store.VerifyAudit(context.Background(), b.Store.Reader()); err != nil || n < 8 {
			t.Fatalf("verify: %d %v", n, err)
		}
	})
}

func TestOperationalEndpoints(t *testing.T) {
	storetest.Each(t, testOperationalEndpoints)
}

func testOperationalEndpoints(t *testing.T, b storetest.Backend) {
	e := apitest.New(t, b, apitest.Options{})
	// A job waiting in the queue (no runner here) shows in the backlog gauge.
	j, err := jobs.New(time.Now(), 1, "example", struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Store.InsertJob(context.Background(), b.Store.Writer(), j); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/healthz":                          `"ok"`,
		"/readyz":                           `"ready"`,
		"/openapi.json":                     `"openapi":"3.1.0"`,
		"/openapi.yaml":                     "openapi: 3.1.0",
		"/docs":                             "/docs/assets/swagger-ui-bundle.js",
		"/docs/assets/swagger-ui-bundle.js": "SwaggerUIBundle",
	} {
		res := e.Do("GET", path, "", nil).Expect(t, 200)
		if !strings.Contains(string(res.Body), want) {
			t.Errorf("%s does not contain %q", path, want)
		}
	}
	e.Do("GET", "/api/v1/whoami", e.Tokens[auth.Viewer], nil).Expect(t, 200)
	metrics := string(e.Do("GET", "/metrics", "", nil).Expect(t, http.StatusOK).Body)
	for _, want := range []string{`riskd_http_requests_total{method="GET",route="GET /api/v1/whoami",status="200"} 1`, "riskd_http_request_duration_seconds_bucket",
		`riskd_jobs{state="queued",type="example"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// The OpenAPI document describes the error envelope and every route's role.
	var doc struct {
		Paths map[string]map[string]map[string]any
	}
	e.Do("GET", "/openapi.json", "", nil).JSON(t, &doc)
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if op["x-riskd-min-role"] == nil {
				t.Errorf("%s %s has no x-riskd-min-role", method, path)
			}
		}
	}
}

// TestRevocationOutsideTheServer revokes a token that the server has just
// resolved (and keeps in memory) the ways an operator can without going
// through it: another process on the same database, as riskd token revoke
// does, and plain SQL. The very next request with the token is refused.
func TestRevocationOutsideTheServer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		ctx := context.Background()
		other, err := store.Open(ctx, b.URL, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		app, err := usecase.NewApp(other, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		viaCLI, viaSQL := e.Token("default", auth.Viewer), e.Token("default", auth.Assessor)
		for _, tok := range []string{viaCLI, viaSQL} {
			for range 3 {
				e.Do("GET", "/api/v1/whoami", tok, nil).Expect(t, 200)
			}
		}
		if _, err := app.RevokeToken(ctx, usecase.SystemActor, 0, viaCLI); err != nil {
			t.Fatal(err)
		}
		e.Do("GET", "/api/v1/whoami", viaCLI, nil).ExpectError(t, 401, "unauthorized")
		e.Do("GET", "/api/v1/whoami", viaSQL, nil).Expect(t, 200)
		if _, err := other.Writer().ExecContext(ctx, `UPDATE tokens SET revoked_at = $1 WHERE token_hash = $2`,
			store.T(time.Now()), auth.HashToken(viaSQL)); err != nil {
			t.Fatal(err)
		}
		e.Do("GET", "/api/v1/whoami", viaSQL, nil).ExpectError(t, 401, "unauthorized")
		e.Do("GET", "/api/v1/whoami", e.Tokens[auth.Admin], nil).Expect(t, 200)

		// Write routes confirm a token kept in memory with their rate-limit
		// decision on PostgreSQL (httpapi's writeFromMemory): a revocation
		// shows there too, also for a token over its limit, which is
		// refused as revoked rather than as limited.
		body := analysisBody("We will review your dispute.", "dispute")
		writer := e.Token("default", auth.Assessor)
		slow, _, err := e.App.CreateToken(ctx, usecase.NewToken{SpaceSlug: "default", Role: auth.Assessor, RateLimit: 1})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			e.Do("POST", "/api/v1/analysis/risk", writer, body).Expect(t, 200)
		}
		e.Do("POST", "/api/v1/analysis/risk", slow, body).Expect(t, 200)
		e.Do("POST", "/api/v1/analysis/risk", slow, body).ExpectError(t, 429, "rate_limit_exceeded")
		// Another token's revocation changes the generation: writer's
		// next request is confirmed by a fresh read, and goes through.
		if _, err := app.RevokeToken(ctx, usecase.SystemActor, 0, e.Token("default", auth.Viewer)); err != nil {
			t.Fatal(err)
		}
		e.Do("POST", "/api/v1/analysis/risk", writer, body).Expect(t, 200)
		e.Do("POST", "/api/v1/analysis/risk", writer, body).Expect(t, 200)
		for _, tok := range []string{writer, slow} {
			if _, err := app.RevokeToken(ctx, usecase.SystemActor, 0, tok); err != nil {
				t.Fatal(err)
			}
		}
		e.Do("POST", "/api/v1/analysis/risk", writer, body).ExpectError(t, 401, "unauthorized")
		e.Do("POST", "/api/v1/analysis/risk", slow, body).ExpectError(t, 401, "unauthorized")
		e.Do("POST", "/api/v1/analysis/risk", e.Tokens[auth.Assessor], body).Expect(t, 200)
	})
}

func TestTokensAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		admin := e.Tokens[auth.Admin]
		var created struct {
			ID, Name, Role, Token string
			RateLimit             int
		}
		e.Do("POST", "/api/v1/tokens", admin, `{"name":"bot","role":"assessor","rateLimit":3}`).Expect(t, 201).JSON(t, &created)
		if created.Role != "assessor" || created.RateLimit != 3 || !auth.LooksLikeToken(created.Token) {
			t.Fatalf("created = %+v", created)
		}
		var who struct{ Space struct{ Slug string } }
		e.Do("GET", "/api/v1/whoami", created.Token, nil).Expect(t, 200).JSON(t, &who)
		if who.Space.Slug != "default" {
			t.Fatalf("new token is in space %q", who.Space.Slug)
		}
		env := e.Do("POST", "/api/v1/tokens", admin, `{"role":"root"}`).ExpectError(t, 422, "validation_failed")
		if !env.HasField("role") {
			t.Fatalf("details: %+v", env)
		}
		list := e.Do("GET", "/api/v1/tokens", admin, nil).Expect(t, 200)
		if strings.Contains(string(list.Body), created.Token) || !strings.Contains(string(list.Body), created.ID) {
			t.Fatal("token list shows a secret or misses the new token")
		}
		e.Do("DELETE", "/api/v1/tokens/"+created.ID, e.OtherTokens[auth.Admin], nil).ExpectError(t, 404, "not_found")
		var revoked struct{ RevokedAt *time.Time }
		e.Do("DELETE", "/api/v1/tokens/"+created.ID, admin, nil).Expect(t, 200).JSON(t, &revoked)
		if revoked.RevokedAt == nil {
			t.Fatal("revokedAt not set")
		}
		e.Do("GET", "/api/v1/whoami", created.Token, nil).ExpectError(t, 401, "unauthorized")
		if strings.Contains(e.Logs.String(), created.Token) {
			t.Fatal("a token secret appears in the log")
		}
	})
}
