package httpapi_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/httpapi"
	"github.com/riskd/riskd/internal/httpapi/apitest"
	"github.com/riskd/riskd/internal/store/storetest"
	"github.com/riskd/riskd/internal/usecase"
)

func TestIdempotencyKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		tok := e.Tokens[auth.Assessor]
		first := e.Do("POST", "/api/riskmodel", tok, specExample, "Idempotency-Key", "k-1").Expect(t, 201)
		again := e.Do("POST", "/api/riskmodel", tok, specExample, "Idempotency-Key", "k-1").Expect(t, 201)
		if string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay differs:\n%s\n%s", first.Body, again.Body)
		}
		other := strings.Replace(specExample, "Seriousness\"", "Gravity\"", 1)
		e.Do("POST", "/api/riskmodel", tok, other, "Idempotency-Key", "k-1").ExpectError(t, 409, "conflict")
		// The same key in another space is another key.
		e.Do("POST", "/api/riskmodel", e.OtherTokens[auth.Assessor], specExample, "Idempotency-Key", "k-1").Expect(t, 201)
		// A failed request releases its key.
		e.Do("POST", "/api/riskmodel", tok, `{"name":{}}`, "Idempotency-Key", "k-2").ExpectError(t, 422, "validation_failed")
		e.Do("POST", "/api/riskmodel", tok, specExample, "Idempotency-Key", "k-2").Expect(t, 201)
		e.Do("POST", "/api/riskmodel", tok, specExample, "Idempotency-Key", strings.Repeat("x", 300)).ExpectError(t, 422, "validation_failed")

		res := e.Do("GET", "/api/riskmodel", tok, nil).Expect(t, 200)
		// built-in + k-1 + k-2: the replay created nothing.
		if res.Header.Get("X-Total-Count") != "3" {
			t.Fatalf("%s models after replays", res.Header.Get("X-Total-Count"))
		}
	})
}

func TestRateLimitPerToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		secret, _, err := e.App.CreateToken(context.Background(), usecase.NewToken{SpaceSlug: "default", Role: auth.Assessor, RateLimit: 2})
		if err != nil {
			t.Fatal(err)
		}
		e.Do("POST", "/api/riskmodel", secret, specExample).Expect(t, 201)
		e.Do("POST", "/api/riskmodel", secret, specExample).Expect(t, 201)
		res := e.Do("POST", "/api/riskmodel", secret, specExample)
		res.ExpectError(t, 429, "rate_limit_exceeded")
		if res.Header.Get("Retry-After") != "1" {
			t.Fatalf("Retry-After = %q", res.Header.Get("Retry-After"))
		}
		// Reads are not limited, and other tokens have their own bucket.
		for i := 0; i < 5; i++ {
			e.Do("GET", "/api/riskmodel", secret, nil).Expect(t, 200)
		}
		e.Do("POST", "/api/riskmodel", e.Tokens[auth.Assessor], specExample).Expect(t, 201)
	})
}

func TestBodyLimits(t *testing.T) {
	e := apitest.New(t, storetest.SQLite(t), apitest.Options{Config: httpapi.Config{MaxBodyBytes: 4096}})
	tok := e.Tokens[auth.Assessor]
	big := `{"name":{"en-US":"` + strings.Repeat("a", 5000) + `"}}`
	e.Do("POST", "/api/riskmodel", tok, big).ExpectError(t, 413, "payload_too_large")
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	e.Do("POST", "/api/riskmodel", tok, deep).ExpectError(t, 400, "invalid_json")
	// Exactly at the limit is accepted (and then validated).
	exact := `{"name":{"en-US":"` + strings.Repeat("a", 4096-21) + `"}}`
	if len(exact) != 4096 {
		t.Fatalf("test body is %d bytes", len(exact))
	}
	e.Do("POST", "/api/riskmodel", tok, exact).ExpectError(t, 422, "validation_failed")
	e.Do("POST", "/api/riskmodel", tok, "\xff\xfe{not json").ExpectError(t, 400, "invalid_json")
}

// The text-risk submit routes are limited per token: the server's default
// rate, or the token's own when it has one (lower or higher).
func TestRateLimitAnalysisSubmit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{Config: httpapi.Config{RateLimit: 2}})
		body := analysisBody("Guaranteed approval!", "marketing_asset")
		token := func(limit int) string {
			secret, _, err := e.App.CreateToken(context.Background(), usecase.NewToken{SpaceSlug: "default", Role: auth.Assessor, RateLimit: limit})
			if err != nil {
				t.Fatal(err)
			}
			return secret
		}
		limited := func(tok, path string) {
			t.Helper()
			res := e.Do("POST", path, tok, body)
			res.ExpectError(t, 429, "rate_limit_exceeded")
			if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 {
				t.Fatalf("Retry-After = %q", res.Header.Get("Retry-After"))
			}
		}
		jobs := func(tok string) int {
			var list struct{ Results []any }
			e.Do("GET", "/api/v1/jobs?limit=100", tok, nil).Expect(t, 200).JSON(t, &list)
			return len(list.Results)
		}

		// The server's default, 2/s (burst 2), shared by both submit routes.
		def := e.Tokens[auth.Assessor]
		e.Do("POST", "/api/v1/analysis/risk", def, body).Expect(t, 200)
		e.Do("POST", "/api/v1/analysis/screen", def, body).Expect(t, 202)
		limited(def, "/api/v1/analysis/risk")
		if n := jobs(def); n != 2 {
			t.Fatalf("%d jobs, want 2: a limited submit stored a job", n)
		}
		def2 := token(0) // 0: the server's default
		e.Do("POST", "/api/v1/analysis/screen", def2, body).Expect(t, 202)
		e.Do("POST", "/api/v1/analysis/screen", def2, body).Expect(t, 202)
		limited(def2, "/api/v1/analysis/screen")

		// A token's own lower limit: 1/s.
		low := token(1)
		e.Do("POST", "/api/v1/analysis/risk", low, body).Expect(t, 200)
		limited(low, "/api/v1/analysis/risk")

		// A token's own higher limit: 5/s lets five through where the
		// default would stop at two (a slow machine only refills more).
		high := token(5)
		for i := 0; i < 5; i++ {
			e.Do("POST", "/api/v1/analysis/risk", high, body).Expect(t, 200)
		}
		for i := 0; ; i++ {
			res := e.Do("POST", "/api/v1/analysis/risk", high, body)
			if res.Status == 429 {
				limited(high, "/api/v1/analysis/risk")
				break
			}
			res.Expect(t, 200)
			if i == 20 {
				t.Fatal("a 5/s token was never limited")
			}
		}
	})
}
