package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/httpapi"
	"github.com/riskd/riskd/internal/httpapi/apitest"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
)

// Shared by the tests that walk every write route of the OpenAPI document
// (bad input, idempotency): the routes, a request that succeeds on each,
// and a snapshot of the whole database to prove that nothing was written.

// writeExample is a request that succeeds on one write route.
type writeExample struct {
	// Body is sent as is, after each {name} is replaced by the parameter of
	// that name (from the family's isolation seed or Setup). Empty for a
	// route that takes no body.
	Body string
	// Setup, when set, runs after the family's isolation seed and may add
	// or replace parameters: a fresh resource for a route that changes its
	// resource for good (completing an assessment), or ids the body needs.
	Setup func(t *testing.T, e *apitest.Env, params map[string]string) map[string]string
}

// writeExamples holds one succeeding request per write route, keyed by
// "METHOD /path/{template}". A new family adds its own here or, like the
// isolation seeds, from an init() in its own test file. A route without one
// still gets the generic checks: TestBadInput sends it the generic bad
// bodies, and TestIdempotencyOnEveryPost checks that a failing request with
// a key writes nothing and keeps no key, then skips its replay checks with a
// message saying so. TestBadInput also breaks each example field by field.
var writeExamples = map[string]writeExample{
	"POST /api/riskmodel":                {Body: specExample},
	"POST /riskmodel":                    {Body: specExample},
	"POST /api/riskmodel/{id}":           {Body: specExample},
	"POST /riskmodel/{id}":               {Body: specExample},
	"POST /api/riskmodel/{id}/calculate": {Body: `{"values":[2]}`},
	"POST /riskmodel/{id}/calculate":     {Body: `{"values":[2]}`},
	"PUT /api/riskmodel/{id}/activate":   {},
	"PUT /riskmodel/{id}/activate":       {},
	"PUT /api/riskmodel/{id}/deactivate": {},
	"PUT /riskmodel/{id}/deactivate":     {},

	"POST /api/v1/tokens":          {Body: `{"name":"example","role":"viewer","rateLimit":5}`},
	"POST /api/v1/analysis/risk":   {Body: textExample},
	"POST /api/v1/analysis/screen": {Body: textExample},

	"POST /catalog/spaces/{space_slug}/products":                               {Body: `{"name":"Example product","description":"Scores things","tags":["example"]}`},
	"PATCH /catalog/spaces/{space_slug}/products/{product_id}":                 {Body: `{"description":"Changed","tags":["a","b"]}`},
	"POST /catalog/spaces/{space_slug}/products/{product_id}/risk-assessments": {Body: raSpecCreate},
	"PUT /catalog/spaces/{space_slug}/products/{product_id}/risk-assessments/{assessment_id}": {
		Body: `{"summary":"Updated summary","assessment_type":"annual"}`,
	},
	"POST /catalog/spaces/{space_slug}/products/{product_id}/risk-assessments/{assessment_id}/complete": {
		Body: `{"risk_tier":"limited","sync_to_product":true}`,
		// Completing is final: complete an assessment of its own.
		Setup: func(t *testing.T, e *apitest.Env, p map[string]string) map[string]string {
			a := catalogEnv{e}.assess(t, p["product_id"], raSpecCreate)
			return map[string]string{"assessment_id": a.ID}
		},
	},
	"PATCH /catalog/spaces/{space_slug}/products/{product_id}/risk-assessments/{assessment_id}/mitigations/{mitigation_id}": {
		Body: `{"owner_name":"Bob","status":"in_progress"}`,
	},

	"POST /v1/vendors":               {Body: `{"name":"Example Vendor","website":"https://vendor.example.com"}`},
	"PATCH /v1/vendors/{urn}":        {Body: `{"lifecycle_stage":"ONBOARDED"}`},
	"POST /v1/vendors/{urn}/sources": {Body: `{"type":"NEWS","url":"https://news.example.com/feed.xml","keywords":["outage"]}`},
	"PATCH /v1/risk-events/{urn}":    {Body: `{"review_status":"VERIFYING","note":"asking the vendor"}`},
	"POST /v1/risk-events": {
		Body: `{"vendor_urn":"{vendor_urn}","name":"Example event","description":"Something happened","source_type":"MONITOR"}`,
		Setup: func(t *testing.T, e *apitest.Env, _ map[string]string) map[string]string {
			return map[string]string{"vendor_urn": createVendor(t, e, `{"name":"Example Event Vendor"}`).URN}
		},
	},
	"POST /v1/vendors/{urn}/sources/{id}/poll": {
		// A source on a local Statuspage fixture, so that the poll succeeds.
		Setup: func(t *testing.T, e *apitest.Env, _ map[string]string) map[string]string {
			page := newUpstream(t, map[string][]byte{
				"/api/v2/incidents.json":              fixture(t, "statuspage_incidents.json"),
				"/api/v2/scheduled-maintenances.json": fixture(t, "statuspage_maintenances.json"),
			})
			v := createVendor(t, e, `{"name":"Example Polled Vendor"}`)
			var src struct{ ID int64 }
			e.Do("POST", "/v1/vendors/"+v.URN+"/sources", e.Tokens[auth.Assessor], `{"type":"STATUS_PAGE","url":"`+page.URL+`"}`).
				Expect(t, 201).JSON(t, &src)
			return map[string]string{"urn": v.URN, "id": fmt.Sprint(src.ID)}
		},
	},
}

const textExample = `{"content":{"type":"text","text":"A police report is required before we investigate your dispute."},"scenario":"dispute"}`

// writeRoute is one write operation of the OpenAPI document.
type writeRoute struct {
	Method, Path string
	Op           *huma.Operation
}

func (r writeRoute) String() string { return r.Method + " " + r.Path }

// headers are the headers the route requires beyond the token: the
// customer family's X-Domain-ID, for space default.
func (r writeRoute) headers() []string {
	if requiresHeader(r.Op, "X-Domain-ID") {
		return []string{"X-Domain-ID", "1"}
	}
	return nil
}

// writeRoutes lists every POST, PUT and PATCH operation, sorted.
func writeRoutes(e *apitest.Env) []writeRoute {
	var out []writeRoute
	for path, item := range e.API.OpenAPI().Paths {
		for method, op := range map[string]*huma.Operation{"POST": item.Post, "PUT": item.Put, "PATCH": item.Patch} {
			if op != nil {
				out = append(out, writeRoute{method, path, op})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// routeParams resolves a route's path parameters from its family's
// isolation seed (created once per family in cache) and its example's
// Setup, and returns the concrete path and every parameter.
func routeParams(t *testing.T, e *apitest.Env, r writeRoute, cache map[string]map[string]string) (string, map[string]string) {
	t.Helper()
	params := map[string]string{}
	names := paramRE.FindAllStringSubmatch(r.Path, -1)
	if len(names) > 0 {
		prefix := seedPrefix(r.Path)
		if cache[prefix] == nil {
			s, ok := isolationSeeds[prefix]
			if !ok {
				// TestIsolationMatrix fails for it; this test has nothing
				// to send.
				t.Skipf("%s: no isolation seed for %s (add one to isolationSeeds)", r, prefix)
			}
			cache[prefix] = s(t, e)
		}
		for k, v := range cache[prefix] {
			params[k] = v
		}
	}
	if ex, ok := writeExamples[r.String()]; ok && ex.Setup != nil {
		for k, v := range ex.Setup(t, e, params) {
			params[k] = v
		}
	}
	path := r.Path
	for _, n := range names {
		v, ok := params[n[1]]
		if !ok {
			t.Fatalf("%s: no value for path parameter %q", r, n[1])
		}
		path = strings.ReplaceAll(path, n[0], v)
	}
	return path, params
}

// fill replaces each {name} in body by its parameter.
func fill(body string, params map[string]string) string {
	for k, v := range params {
		body = strings.ReplaceAll(body, "{"+k+"}", v)
	}
	return body
}

// raw sends body exactly as given. chunked hides its length, as a client
// streaming a body does. Transport errors are returned, not fatal: a server
// may close the connection on a body it refuses.
func raw(e *apitest.Env, method, path, token string, body []byte, chunked bool, headers ...string) (apitest.Response, error) {
	var r io.Reader = bytes.NewReader(body)
	if chunked {
		r = io.MultiReader(bytes.NewReader(body)) // no Len: sent chunked
	}
	req, err := http.NewRequest(method, e.Server.URL+path, r)
	if err != nil {
		return apitest.Response{}, err
	}
	if !chunked {
		req.ContentLength = int64(len(body))
		if len(body) == 0 {
			req.Body = http.NoBody
		}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.Server.Client().Do(req)
	if err != nil {
		return apitest.Response{}, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	return apitest.Response{Status: res.StatusCode, Header: res.Header, Body: data}, err
}

// volatileTables change without a write of the client's: the shared rate
// limiter's buckets (PostgreSQL).
var volatileTables = map[string]bool{"rate_limits": true}

// dbTables lists the database's tables, so tables added later are covered.
func dbTables(t *testing.T, b storetest.Backend) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if b.Store.Dialect() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := b.Store.Reader().QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		if !volatileTables[n] {
			out = append(out, n)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	if len(out) < 5 {
		t.Fatalf("only %d tables found: %v", len(out), out)
	}
	return out
}

// dbState is every row of every table, as text, sorted per table.
type dbState map[string][]string

// snapshot reads the whole database. Test databases are small.
func snapshot(t *testing.T, b storetest.Backend) dbState {
	t.Helper()
	s := dbState{}
	for _, table := range dbTables(t, b) {
		rows, err := b.Store.Reader().QueryContext(context.Background(), `SELECT * FROM "`+table+`"`)
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		list := []string{}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("read %s: %v", table, err)
			}
			var row strings.Builder
			for i, v := range vals {
				switch v := v.(type) {
				case []byte:
					fmt.Fprintf(&row, "%s=%q\x1f", cols[i], v)
				case time.Time:
					fmt.Fprintf(&row, "%s=%s\x1f", cols[i], v.UTC().Format(time.RFC3339Nano))
				default:
					fmt.Fprintf(&row, "%s=%v\x1f", cols[i], v)
				}
			}
			list = append(list, row.String())
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		sort.Strings(list)
		s[table] = list
	}
	return s
}

// String is the whole state, for searching it.
func (s dbState) String() string {
	var b strings.Builder
	for table, rows := range s {
		b.WriteString(table + "\n" + strings.Join(rows, "\n") + "\n")
	}
	return b.String()
}

// diff describes how after differs from s, one line per changed table.
func (s dbState) diff(after dbState) []string {
	var out []string
	seen := map[string]bool{}
	for table, rows := range after {
		seen[table] = true
		if before, ok := s[table]; !ok {
			out = append(out, fmt.Sprintf("table %s is new", table))
		} else if strings.Join(before, "\n") != strings.Join(rows, "\n") {
			out = append(out, fmt.Sprintf("table %s: %d rows before, %d after; now %s", table, len(before), len(rows), summarize(rows, before)))
		}
	}
	for table := range s {
		if !seen[table] {
			out = append(out, fmt.Sprintf("table %s is gone", table))
		}
	}
	sort.Strings(out)
	return out
}

// summarize shows the first row of rows that is not in before.
func summarize(rows, before []string) string {
	had := map[string]bool{}
	for _, r := range before {
		had[r] = true
	}
	for _, r := range rows {
		if !had[r] {
			if len(r) > 300 {
				r = r[:300] + "…"
			}
			return "new or changed row " + strings.ReplaceAll(r, "\x1f", " ")
		}
	}
	return "rows removed"
}

// rowCounts counts the rows of every table in one query: cheaper than a
// snapshot, for checking after every request.
type rowCounter struct {
	tables []string
	query  string
}

func newRowCounter(t *testing.T, b storetest.Backend) rowCounter {
	tables := dbTables(t, b)
	parts := make([]string, len(tables))
	for i, table := range tables {
		parts[i] = `(SELECT count(*) FROM "` + table + `")`
	}
	return rowCounter{tables: tables, query: "SELECT " + strings.Join(parts, ", ")}
}

func (c rowCounter) count(t *testing.T, b storetest.Backend) map[string]int64 {
	t.Helper()
	n := make([]int64, len(c.tables))
	ptrs := make([]any, len(n))
	for i := range n {
		ptrs[i] = &n[i]
	}
	if err := b.Store.Reader().QueryRowContext(context.Background(), c.query).Scan(ptrs...); err != nil {
		t.Fatalf("count rows: %v", err)
	}
	out := map[string]int64{}
	for i, table := range c.tables {
		out[table] = n[i]
	}
	return out
}

// badInputMaxBody is TestBadInput's body limit, small to keep it quick.
const badInputMaxBody = 16 << 10

// badBody is a malformed request body and the answers it may get.
type badBody struct {
	name    string
	body    []byte
	chunked bool
	codes   []string // acceptable error codes
}

// genericBadBodies break any route's body, whatever its schema. null and {}
// only break a required body: an optional one (a PATCH) may be absent.
func genericBadBodies(required bool) []badBody {
	bad := []string{"invalid_json", "validation_failed"}
	deep := strings.Repeat("[", 40) + strings.Repeat("]", 40)
	big := []byte(`{"x":"` + strings.Repeat("a", badInputMaxBody) + `"}`)
	out := []badBody{
		{name: "not JSON", body: []byte(`{"a":`), codes: bad},
		{name: "garbage", body: []byte("\x00\x01not json at all"), codes: bad},
		{name: "array", body: []byte(`[1,2,3]`), codes: bad},
		{name: "string", body: []byte(`"text"`), codes: bad},
		{name: "number", body: []byte(`42`), codes: bad},
		{name: "two documents", body: []byte(`{} {}`), codes: bad},
		{name: "nested too deep", body: []byte(deep), codes: bad},
		{name: "NUL in a string", body: []byte(`{"name":"a\u0000b","description":"\u0000"}`), codes: bad},
		{name: "too large", body: big, codes: []string{"payload_too_large"}},
		{name: "too large, chunked", body: big, chunked: true, codes: []string{"payload_too_large"}},
	}
	if required {
		out = append(out, badBody{name: "null", body: []byte(`null`), codes: bad})
	}
	return out
}

// exampleBadBodies break a route's succeeding example: cut short, and each
// top-level field in turn given a value of another JSON type.
func exampleBadBodies(t *testing.T, example string) []badBody {
	bad := []string{"invalid_json", "validation_failed"}
	out := []badBody{{name: "example cut short", body: []byte(example[:len(example)/2]), codes: bad}}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(example), &fields); err != nil {
		t.Fatalf("example is not a JSON object: %v", err)
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := bytes.TrimSpace(fields[k])
		wrong := `{"unexpected":[1]}`
		if len(v) > 0 && v[0] == '{' {
			wrong = `12345`
		}
		broken := map[string]json.RawMessage{}
		for k2, v2 := range fields {
			broken[k2] = v2
		}
		broken[k] = json.RawMessage(wrong)
		b, err := json.Marshal(broken)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, badBody{name: "example with " + k + " = " + wrong, body: b, codes: []string{"validation_failed"}})
	}
	return out
}

// TestBadInput sends malformed bodies to every write route of the OpenAPI
// document: each gets its documented error (400 invalid_json, 413
// payload_too_large or 422 validation_failed), never a 5xx or a success,
// nothing is written and the server logs no error. Routes added later are
// covered by the generic bodies; an example in writeExamples adds
// field-by-field breakage.
func TestBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{Config: httpapi.Config{MaxBodyBytes: badInputMaxBody}})
		admin := e.Tokens[auth.Admin]
		seeds := map[string]map[string]string{}
		routes := writeRoutes(e)
		if len(routes) < 10 {
			t.Fatalf("only %d write routes found", len(routes))
		}
		for _, r := range routes {
			t.Run(r.String(), func(t *testing.T) {
				if r.Op.RequestBody == nil {
					t.Skip("takes no body")
				}
				path, params := routeParams(t, e, r, seeds)
				bodies := genericBadBodies(r.Op.RequestBody.Required)
				if ex, ok := writeExamples[r.String()]; ok && ex.Body != "" {
					bodies = append(bodies, exampleBadBodies(t, fill(ex.Body, params))...)
				}
				counter := newRowCounter(t, b)
				before := snapshot(t, b)
				counts := counter.count(t, b)
				for _, bb := range bodies {
					res, err := raw(e, r.Method, path, admin, bb.body, bb.chunked, r.headers()...)
					if err != nil {
						// Refusing a body may close the connection before
						// the client has sent it all; only then.
						if bb.codes[0] != "payload_too_large" {
							t.Fatalf("%s: %v", bb.name, err)
						}
						continue
					}
					var env apitest.Envelope
					if jerr := json.Unmarshal(res.Body, &env); jerr != nil || !slices.Contains(bb.codes, env.Error.Code) || res.Status >= 500 ||
						res.Status != map[string]int{"invalid_json": 400, "validation_failed": 422, "payload_too_large": 413}[env.Error.Code] {
						t.Fatalf("%s: got %d %s, want one of %v", bb.name, res.Status, res.Body, bb.codes)
					}
					if now := counter.count(t, b); !maps.Equal(now, counts) {
						t.Fatalf("%s: rows changed: %v, before %v", bb.name, now, counts)
					}
				}
				if d := before.diff(snapshot(t, b)); len(d) > 0 {
					t.Fatalf("bad bodies wrote:\n%s", strings.Join(d, "\n"))
				}
			})
		}
		if strings.Contains(e.Logs.String(), "level=ERROR") {
			t.Fatalf("the server logged errors:\n%s", e.Logs)
		}
	})
}
