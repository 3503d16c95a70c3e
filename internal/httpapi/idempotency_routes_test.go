package httpapi_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/httpapi/apitest"
	"github.com/riskd/riskd/internal/store/storetest"
)

// secretRE matches a token secret anywhere in a text.
var secretRE = regexp.MustCompile(regexp.QuoteMeta(auth.TokenPrefix) + `[A-Za-z0-9_-]{43}`)

// TestIdempotencyOnEveryPost walks every POST of the OpenAPI document (new
// routes are covered automatically; one without a writeExamples entry gets
// only the failure checks, and says so) and checks Idempotency-Key on each: the same key and body replay
// the original status and body and write nothing more; the same key with
// another body is 409 and writes nothing. A response that carries a secret
// is never stored, so its replay is 409 too (and still creates nothing).
func TestIdempotencyOnEveryPost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		admin := e.Tokens[auth.Admin]
		seeds := map[string]map[string]string{}
		n := 0
		for _, r := range writeRoutes(e) {
			if r.Method != "POST" {
				continue
			}
			n++
			t.Run(r.String(), func(t *testing.T) {
				ex, ok := writeExamples[r.String()]
				path, params := routeParams(t, e, r, seeds)
				body := fill(ex.Body, params)
				key := fmt.Sprintf("idem-%d-%s", n, strings.ReplaceAll(r.Path, "/", "."))
				if !ok {
					// A route without an example (a new family): an empty
					// object fails validation on any route that needs a
					// body, which still shows that a failure keeps no key.
					if r.Op.RequestBody != nil {
						body = `{}`
					}
					before := snapshot(t, b)
					first := e.Do("POST", path, admin, body, append([]string{"Idempotency-Key", key}, r.headers()...)...)
					if first.Status >= 200 && first.Status <= 299 {
						t.Skipf("no writeExamples entry for %s, and %s succeeded (%d): add an example (writeroutes_test.go) to check replays", r, body, first.Status)
					}
					if d := before.diff(snapshot(t, b)); len(d) > 0 {
						t.Fatalf("a request that failed (%d) with an Idempotency-Key wrote:\n%s", first.Status, strings.Join(d, "\n"))
					}
					again := e.Do("POST", path, admin, body, append([]string{"Idempotency-Key", key}, r.headers()...)...)
					if again.Header.Get("Idempotent-Replayed") != "" || again.Status != first.Status {
						t.Fatalf("after a failure the key was kept: first %d, again %d %s", first.Status, again.Status, again.Body)
					}
					t.Skipf("no writeExamples entry for %s: checked only that a failing request keeps no key; add a request that succeeds (writeroutes_test.go) to check replays", r)
				}

				before := snapshot(t, b)
				first := e.Do("POST", path, admin, body, append([]string{"Idempotency-Key", key}, r.headers()...)...)
				if first.Status < 200 || first.Status > 299 {
					t.Fatalf("the example failed: %d %s", first.Status, first.Body)
				}
				if first.Header.Get("Idempotent-Replayed") != "" {
					t.Fatal("the first request says it was replayed")
				}
				afterFirst := snapshot(t, b)
				if len(before.diff(afterFirst)) == 0 {
					t.Fatal("the first request did not even record its key")
				}
				if secret := secretRE.Find(first.Body); secret != nil && strings.Contains(afterFirst.String(), string(secret)) {
					t.Fatal("the response's secret is stored in the database")
				}

				again := e.Do("POST", path, admin, body, append([]string{"Idempotency-Key", key}, r.headers()...)...)
				if again.Header.Get("Idempotent-Replayed") != "true" {
					t.Fatalf("replay not marked Idempotent-Replayed: %d %s", again.Status, again.Body)
				}
				if secretRE.Match(first.Body) {
					// The secret is shown once and not kept: the replay
					// cannot repeat it, and must not create another.
					env := again.ExpectError(t, 409, "conflict")
					if secretRE.MatchString(env.Error.Message) {
						t.Fatalf("the replay shows a secret: %s", again.Body)
					}
				} else if again.Status != first.Status || !bytes.Equal(again.Body, first.Body) {
					t.Fatalf("replay differs:\nfirst  %d %s\nreplay %d %s", first.Status, first.Body, again.Status, again.Body)
				}
				if d := afterFirst.diff(snapshot(t, b)); len(d) > 0 {
					t.Fatalf("the replay wrote:\n%s", strings.Join(d, "\n"))
				}

				other := `{}`
				if body != "" {
					other = body[:strings.LastIndex(body, "}")] + `,"idempotencyProbe":1}`
				}
				e.Do("POST", path, admin, other, append([]string{"Idempotency-Key", key}, r.headers()...)...).ExpectError(t, 409, "conflict")
				if d := afterFirst.diff(snapshot(t, b)); len(d) > 0 {
					t.Fatalf("the same key with another body wrote:\n%s", strings.Join(d, "\n"))
				}
			})
		}
		if n < 10 {
			t.Fatalf("only %d POST routes found", n)
		}
		if strings.Contains(e.Logs.String(), "level=ERROR") {
			t.Fatalf("the server logged errors:\n%s", e.Logs)
		}
	})
}
