package httpapi_test

import (
	"context"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/httpapi"
	"github.com/riskd/riskd/internal/httpapi/apitest"
	"github.com/riskd/riskd/internal/jobs"
	"github.com/riskd/riskd/internal/store/storetest"
)

// seeds create one resource per family in space "default" and return the
// values of the path parameters that reach it. A route whose parameters no
// seed provides fails the test, so a new family must add its seed here.
type seed func(t *testing.T, e *apitest.Env) map[string]string

var isolationSeeds = map[string]seed{
	"/api/riskmodel": seedRiskModel,
	"/riskmodel":     seedRiskModel,
	"/api/v1/jobs":   seedJob,
	"/api/v1/tokens": seedToken,
}

func seedToken(t *testing.T, e *apitest.Env) map[string]string {
	var tok struct{ ID string }
	e.Do("POST", "/api/v1/tokens", e.Tokens[auth.Admin], `{"role":"viewer"}`).Expect(t, 201).JSON(t, &tok)
	return map[string]string{"id": tok.ID}
}

func seedRiskModel(t *testing.T, e *apitest.Env) map[string]string {
	var m struct{ ID string }
	e.Do("POST", "/api/riskmodel", e.Tokens[auth.Admin], specExample).Expect(t, 201).JSON(t, &m)
	return map[string]string{"id": m.ID, "versionId": "1"}
}

func seedJob(t *testing.T, e *apitest.Env) map[string]string {
	j, err := jobs.New(time.Now(), 1, "example", struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Backend.Store.InsertJob(context.Background(), e.Backend.Store.Writer(), j); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"id": j.ID}
}

var paramRE = regexp.MustCompile(`\{([^}]+)\}`)

// TestIsolationMatrix walks every operation of the OpenAPI document: each
// role below the operation's least role gets 403, and a token of another
// space never reaches space "default"'s resources (404, or its own empty
// data).
func TestIsolationMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		other := otherSpaceID(t, e)
		params := map[string]map[string]string{}
		var paths []string
		for path := range e.API.OpenAPI().Paths {
			paths = append(paths, path)
		}
		sort.Strings(paths)
		for _, path := range paths {
			item := e.API.OpenAPI().Paths[path]
			for method, op := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete} {
				if op == nil {
					continue
				}
				minRole, err := auth.ParseRole(op.Extensions[httpapi.RoleExtension].(string))
				if err != nil {
					t.Fatalf("%s %s: %v", method, path, err)
				}
				concrete, ghost := path, path
				if names := paramRE.FindAllStringSubmatch(path, -1); len(names) > 0 {
					prefix := seedPrefix(path)
					if params[prefix] == nil {
						s, ok := isolationSeeds[prefix]
						if !ok {
							t.Fatalf("%s %s: no isolation seed for %s: add one to isolationSeeds", method, path, prefix)
						}
						params[prefix] = s(t, e)
					}
					for _, n := range names {
						v, ok := params[prefix][n[1]]
						if !ok {
							t.Fatalf("%s %s: seed for %s gives no %q", method, path, prefix, n[1])
						}
						concrete = strings.ReplaceAll(concrete, n[0], v)
						ghost = strings.ReplaceAll(ghost, n[0], mutate(v))
					}
				}
				// Routes that require the tenant header get each token's own.
				mine, theirs := []string(nil), []string(nil)
				if requiresHeader(op, "X-Domain-ID") {
					mine, theirs = []string{"X-Domain-ID", "1"}, []string{"X-Domain-ID", other}
				}
				t.Run(method+" "+path, func(t *testing.T) {
					for _, r := range auth.Roles() {
						if r >= minRole {
							break
						}
						e.Do(method, concrete, e.Tokens[r], `{}`, mine...).ExpectError(t, http.StatusForbidden, "forbidden")
					}
					e.Do(method, concrete, "", `{}`, mine...).ExpectError(t, http.StatusUnauthorized, "unauthorized")
					res := e.Do(method, concrete, e.OtherTokens[auth.Admin], `{}`, theirs...)
					if concrete != path { // a route to one of default's resources
						// Another space learns nothing: it gets what the
						// owner gets for a resource that does not exist.
						missing := e.Do(method, ghost, e.Tokens[auth.Admin], `{}`, mine...)
						if res.Status != missing.Status || (res.Status != http.StatusNotFound && res.Status != http.StatusForbidden && res.Status != http.StatusUnprocessableEntity) {
							t.Fatalf("another space's token got %d (a missing resource gets %d): %s", res.Status, missing.Status, res.Body)
						}
						return
					}
					for _, v := range params {
						for _, id := range v {
							if len(id) > 8 && strings.Contains(string(res.Body), id) {
								t.Fatalf("another space's token saw %s in %s", id, res.Body)
							}
						}
					}
				})
			}
		}
	})
}

// requiresHeader reports whether an operation declares a required header.
func requiresHeader(op *huma.Operation, name string) bool {
	for _, p := range op.Parameters {
		if p.In == "header" && p.Required && strings.EqualFold(p.Name, name) {
			return true
		}
	}
	return false
}

// otherSpaceID is the id of the space of e.OtherTokens.
func otherSpaceID(t *testing.T, e *apitest.Env) string {
	var who struct {
		Space struct{ ID int64 } `json:"space"`
	}
	e.Do("GET", "/api/v1/whoami", e.OtherTokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &who)
	return strconv.FormatInt(who.Space.ID, 10)
}

// mutate changes the last character of an id, keeping its format, to name
// a resource that does not exist.
func mutate(v string) string {
	last := v[len(v)-1]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	if len(v) == 1 {
		return "9"
	}
	return v[:len(v)-1] + string(repl)
}

// seedPrefix is the route's family prefix: the path up to its first parameter.
func seedPrefix(path string) string {
	i := strings.Index(path, "/{")
	if i < 0 {
		return path
	}
	return path[:i]
}
