package httpapi_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/assessment"
	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/httpapi/apitest"
	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/store/storetest"
)

// The isolation matrix needs a seed per route family; isolation_test.go is
// shared, so the catalog's seed is added from here.
func init() { isolationSeeds["/catalog/spaces"] = seedCatalog }

func seedCatalog(t *testing.T, e *apitest.Env) map[string]string {
	c := catalogEnv{e}
	prod := c.product(t, "Isolation seed")
	a := c.assess(t, prod.ID, raSpecCreate)
	return map[string]string{"space_slug": "default", "product_id": prod.ID, "slug": prod.Slug,
		"assessment_id": a.ID, "mitigation_id": a.Mitigations[0].ID}
}

// raSpecCreate is the spec's create example, verbatim.
const raSpecCreate = `{
"assessment_type": "initial",
"lifecycle_stage": "development",
"evaluations": [
{
"category": "bias",
"severity": 3,
"likelihood": 2,
"impact": 4,
"notes": "Potential demographic bias in training data"
},
{
"category": "privacy",
"severity": 4,
"likelihood": 3,
"impact": 5,
"notes": "PII in feature pipeline"
}
],
"summary": "Initial risk assessment for customer scoring model",
"mitigations": [
{
"title": "Implement fairness metrics",
"category": "bias_mitigation",
"owner_name": "Alice",
"deadline": "2026-03-15",
"priority": "high"
}
]
}`

const catalogBase = "/catalog/spaces/default/products"

// catalogEnv adds catalog helpers to a running API.
type catalogEnv struct{ *apitest.Env }

func (c catalogEnv) product(t *testing.T, name string) assessment.Product {
	t.Helper()
	var p assessment.Product
	c.Do("POST", catalogBase, c.Tokens[auth.Assessor], map[string]any{"name": name}).Expect(t, 201).JSON(t, &p)
	return p
}

func (c catalogEnv) assess(t *testing.T, productID string, body any) assessment.Assessment {
	t.Helper()
	var a assessment.Assessment
	c.Do("POST", raPath(productID), c.Tokens[auth.Assessor], body).Expect(t, 201).JSON(t, &a)
	return a
}

func (c catalogEnv) principalID(t *testing.T, r auth.Role) string {
	t.Helper()
	var who struct{ Principal struct{ ID string } }
	c.Do("GET", "/api/v1/whoami", c.Tokens[r], nil).Expect(t, 200).JSON(t, &who)
	return who.Principal.ID
}

// raPath is the risk assessments route of a product, followed by parts.
func raPath(productID string, parts ...string) string {
	return strings.Join(append([]string{catalogBase, productID, "risk-assessments"}, parts...), "/")
}

// wantFields fails unless the response is a 422 naming every field.
func wantFields(t *testing.T, res apitest.Response, fields ...string) {
	t.Helper()
	env := res.ExpectError(t, 422, "validation_failed")
	for _, f := range fields {
		if !env.HasField(f) {
			t.Errorf("details %+v do not name %s", env.Error.Details, f)
		}
	}
}

func TestProducts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := catalogEnv{apitest.New(t, b, apitest.Options{})}
		tok := c.Tokens[auth.Assessor]

		created := c.Do("POST", catalogBase, tok, `{"name":"Crème Scoring v2","description":"Scores applicants","product_type":"ml_model",
			"provider":"In-house","tags":["credit"," credit ","ml"]}`).Expect(t, 201)
		m := created.Map(t)
		if m["risk_classification"] != nil || m["slug"] != "creme-scoring-v2" || m["space_id"] != ids.SpaceUUID(1) ||
			m["created_at"] == nil || m["updated_at"] != m["created_at"] || fmt.Sprint(m["tags"]) != "[credit ml]" {
			t.Fatalf("created %s", created.Body)
		}
		if _, err := ids.ParseUUID(m["id"].(string)); err != nil {
			t.Fatalf("id %v: %v", m["id"], err)
		}
		if _, ok := m["risk_classification"]; !ok {
			t.Fatal("risk_classification is missing; want null")
		}
		id := m["id"].(string)

		t.Run("validation", func(t *testing.T) {
			for _, tt := range []struct {
				name, body string
				fields     []string
			}{
				{"no name", `{"description":"x"}`, []string{"name"}},
				{"blank name", `{"name":"   "}`, []string{"name"}},
				{"bad slug", `{"name":"x","slug":"Not A Slug"}`, []string{"slug"}},
				{"underivable slug", `{"name":"日本語"}`, []string{"slug"}},
				{"long description", `{"name":"x","description":"` + strings.Repeat("d", 5001) + `"}`, []string{"description"}},
				{"blank tag", `{"name":"x","tags":["ok",""]}`, []string{"tags[1]"}},
				{"unknown classification", `{"name":"x","risk_classification":"medium"}`, []string{"risk_classification"}},
				{"wrong type", `{"name":7}`, []string{"name"}},
				{"every error at once", `{"name":"","slug":"-","tags":[" "]}`, []string{"name", "slug", "tags[0]"}},
			} {
				t.Run(tt.name, func(t *testing.T) {
					wantFields(t, c.Do("POST", catalogBase, tok, tt.body), tt.fields...)
				})
			}
			c.Do("POST", catalogBase, tok, `{"name":`).ExpectError(t, 400, "invalid_json")
		})

		t.Run("slugs are unique in a space", func(t *testing.T) {
			c.Do("POST", catalogBase, tok, `{"name":"Creme scoring V2"}`).ExpectError(t, 409, "conflict")
			c.Do("POST", catalogBase, tok, `{"name":"Other","slug":"creme-scoring-v2"}`).ExpectError(t, 409, "conflict")
			c.Do("POST", "/catalog/spaces/other/products", c.OtherTokens[auth.Assessor], `{"name":"Crème Scoring v2"}`).Expect(t, 201)
		})

		t.Run("read", func(t *testing.T) {
			var p assessment.Product
			c.Do("GET", catalogBase+"/"+id, c.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &p)
			if p.ID != id || p.Name != "Crème Scoring v2" || *p.ProductType != "ml_model" || *p.Provider != "In-house" {
				t.Fatalf("get %+v", p)
			}
			c.Do("GET", catalogBase+"/"+strings.ToUpper(id), c.Tokens[auth.Viewer], nil).Expect(t, 200)
			// The issue's path and the alias riskd served first.
			for _, path := range []string{catalogBase + "/by-slug/", "/catalog/spaces/default/products-by-slug/"} {
				var bySlug assessment.Product
				res := c.Do("GET", path+"creme-scoring-v2", c.Tokens[auth.Viewer], nil).Expect(t, 200)
				res.JSON(t, &bySlug)
				if bySlug.ID != id || bySlug.Slug != "creme-scoring-v2" || res.Header.Get("Content-Type") != "application/json" {
					t.Fatalf("%s: %s %s", path, res.Header.Get("Content-Type"), res.Body)
				}
				c.Do("GET", path+"nope", tok, nil).ExpectError(t, 404, "not_found")
				c.Do("GET", path+"creme-scoring-v2", "", nil).ExpectError(t, 401, "unauthorized")
				c.Do("GET", strings.Replace(path, "/default/", "/nowhere/", 1)+"creme-scoring-v2", tok, nil).ExpectError(t, 404, "not_found")
				c.Do("HEAD", path+"creme-scoring-v2", tok, nil).Expect(t, 200)
			}
			// Other paths under a product still answer as unknown routes do,
			// in the error envelope.
			for _, path := range []string{catalogBase + "/" + id + "/nothing", catalogBase + "/by-slug", catalogBase + "/by-slug/a/b"} {
				c.Do("GET", path, tok, nil).ExpectError(t, 404, "not_found")
			}
			c.Do("POST", catalogBase+"/by-slug/creme-scoring-v2", tok, `{}`).ExpectError(t, 404, "not_found")
			// Another space's slug lookup finds its own product of that slug.
			var theirs assessment.Product
			c.Do("GET", "/catalog/spaces/other/products/by-slug/creme-scoring-v2", c.OtherTokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &theirs)
			if theirs.ID == id || theirs.SpaceID == ids.SpaceUUID(1) {
				t.Fatalf("other space found %+v", theirs)
			}
			c.Do("GET", catalogBase+"/"+ids.UUID(p.CreatedAt), tok, nil).ExpectError(t, 404, "not_found")
			c.Do("GET", catalogBase+"/not-a-uuid", tok, nil).ExpectError(t, 404, "not_found")
		})

		t.Run("list", func(t *testing.T) {
			for _, name := range []string{"Fraud Detector", "Chat Assistant", "fraud_rules 100%"} {
				c.product(t, name)
			}
			type page struct {
				Items []struct{ Name string }
				Total int
				Page  int
				Size  int
			}
			for _, tt := range []struct {
				query string
				names []string
				total int
			}{
				{"", []string{"fraud_rules 100%", "Chat Assistant", "Fraud Detector", "Crème Scoring v2"}, 4},
				{"?size=2", []string{"fraud_rules 100%", "Chat Assistant"}, 4},
				{"?size=2&page=2", []string{"Fraud Detector", "Crème Scoring v2"}, 4},
				{"?size=2&page=3", nil, 4},
				{"?search=FRAUD", []string{"fraud_rules 100%", "Fraud Detector"}, 2},
				{"?search=100%25", []string{"fraud_rules 100%"}, 1},
				{"?search=_", []string{"fraud_rules 100%"}, 1},
				{"?search=crème", []string{"Crème Scoring v2"}, 1},
				{"?search=scoring-v", []string{"Crème Scoring v2"}, 1},
			} {
				t.Run(tt.query, func(t *testing.T) {
					var p page
					c.Do("GET", catalogBase+tt.query, c.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &p)
					var names []string
					for _, it := range p.Items {
						names = append(names, it.Name)
					}
					if !slices.Equal(names, tt.names) || p.Total != tt.total || p.Items == nil {
						t.Fatalf("%v of %d; want %v of %d", names, p.Total, tt.names, tt.total)
					}
				})
			}
			var p page
			c.Do("GET", catalogBase, tok, nil).Expect(t, 200).JSON(t, &p)
			if p.Page != 1 || p.Size != 20 {
				t.Fatalf("defaults page %d size %d", p.Page, p.Size)
			}
			for _, q := range []string{"size=0", "size=101", "page=0", "page=x"} {
				wantFields(t, c.Do("GET", catalogBase+"?"+q, tok, nil), strings.Split(q, "=")[0])
			}
			var other page
			c.Do("GET", "/catalog/spaces/other/products", c.OtherTokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &other)
			if other.Total != 1 {
				t.Fatalf("space other lists %d products", other.Total)
			}
		})

		t.Run("patch", func(t *testing.T) {
			var p assessment.Product
			c.Do("PATCH", catalogBase+"/"+id, tok, `{"name":"Crème Scoring v3","description":"","tags":["a"],"risk_classification":"high"}`).
				Expect(t, 200).JSON(t, &p)
			if p.Name != "Crème Scoring v3" || p.Slug != "creme-scoring-v2" || p.Description != nil || *p.RiskClassification != "high" ||
				!slices.Equal(p.Tags, []string{"a"}) {
				t.Fatalf("patched %+v", p)
			}
			c.Do("PATCH", catalogBase+"/"+id, tok, `{"risk_classification":""}`).Expect(t, 200).JSON(t, &p)
			if p.RiskClassification != nil || *p.ProductType != "ml_model" {
				t.Fatalf("cleared %+v", p)
			}
			c.Do("PATCH", catalogBase+"/"+id, tok, `{"slug":"fraud-detector"}`).ExpectError(t, 409, "conflict")
			wantFields(t, c.Do("PATCH", catalogBase+"/"+id, tok, `{"name":"","slug":"A"}`), "name", "slug")
			c.Do("PATCH", catalogBase+"/"+ids.UUID(p.CreatedAt), tok, `{"name":"x"}`).ExpectError(t, 404, "not_found")
		})

		t.Run("delete", func(t *testing.T) {
			gone := c.product(t, "Short lived")
			c.Do("DELETE", catalogBase+"/"+gone.ID, c.Tokens[auth.Viewer], nil).ExpectError(t, 403, "forbidden")
			res := c.Do("DELETE", catalogBase+"/"+gone.ID, tok, nil).Expect(t, 204)
			if len(res.Body) != 0 {
				t.Fatalf("204 with body %s", res.Body)
			}
			c.Do("GET", catalogBase+"/"+gone.ID, tok, nil).ExpectError(t, 404, "not_found")
			c.Do("DELETE", catalogBase+"/"+gone.ID, tok, nil).ExpectError(t, 404, "not_found")

			kept := c.product(t, "Assessed")
			c.assess(t, kept.ID, `{"assessment_type":"initial"}`)
			c.Do("DELETE", catalogBase+"/"+kept.ID, tok, nil).ExpectError(t, 409, "conflict")
			c.Do("GET", catalogBase+"/"+kept.ID, tok, nil).Expect(t, 200)
		})

		t.Run("roles and spaces", func(t *testing.T) {
			c.Do("POST", catalogBase, c.Tokens[auth.Viewer], `{"name":"x"}`).ExpectError(t, 403, "forbidden")
			c.Do("PATCH", catalogBase+"/"+id, c.Tokens[auth.Viewer], `{"name":"x"}`).ExpectError(t, 403, "forbidden")
			for _, tt := range []struct{ method, path, body string }{
				{"GET", catalogBase + "/" + id, ""},
				{"PATCH", catalogBase + "/" + id, `{"name":"stolen"}`},
				{"DELETE", catalogBase + "/" + id, ""},
				{"GET", "/catalog/spaces/default/products-by-slug/creme-scoring-v2", ""},
				{"GET", catalogBase + "/by-slug/creme-scoring-v2", ""},
				{"GET", catalogBase, ""},
				{"POST", catalogBase, `{"name":"planted"}`},
				// Their own space's route with our product's id.
				{"GET", "/catalog/spaces/other/products/" + id, ""},
				{"PATCH", "/catalog/spaces/other/products/" + id, `{"name":"stolen"}`},
				{"DELETE", "/catalog/spaces/other/products/" + id, ""},
			} {
				t.Run(tt.method+" "+tt.path, func(t *testing.T) {
					var body any
					if tt.body != "" {
						body = tt.body
					}
					c.Do(tt.method, tt.path, c.OtherTokens[auth.Admin], body).ExpectError(t, 404, "not_found")
				})
			}
			// Our token on another space's route: that space is not found,
			// though it exists.
			c.Do("GET", "/catalog/spaces/other/products", c.Tokens[auth.Admin], nil).ExpectError(t, 404, "not_found")
			c.Do("GET", "/catalog/spaces/nope/products", c.Tokens[auth.Admin], nil).ExpectError(t, 404, "not_found")
			var p assessment.Product
			c.Do("GET", catalogBase+"/"+id, tok, nil).Expect(t, 200).JSON(t, &p)
			if p.Name != "Crème Scoring v3" {
				t.Fatalf("another space changed our product: %+v", p)
			}
		})

		t.Run("audited", func(t *testing.T) {
			counts := auditCounts(t, c.Env, "product")
			if counts["product.create"] != 6 || counts["product.update"] != 2 || counts["product.delete"] != 1 {
				t.Fatalf("audit %v", counts)
			}
		})
	})
}

// auditCounts counts the default space's audit events on a resource type by action.
func auditCounts(t *testing.T, e *apitest.Env, resourceType string) map[string]int {
	t.Helper()
	var audit struct{ Results []struct{ Action string } }
	e.Do("GET", "/api/v1/audit-events?limit=500&resourceType="+resourceType, e.Tokens[auth.Admin], nil).Expect(t, 200).JSON(t, &audit)
	counts := map[string]int{}
	for _, ev := range audit.Results {
		counts[ev.Action]++
	}
	return counts
}

// TestProductSlugRiskAssessments: …/products/by-slug/risk-assessments is
// the spec's list route (of a product "by-slug", which no UUID names), so a
// product slugged risk-assessments is found through the alias only.
func TestProductSlugRiskAssessments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := catalogEnv{apitest.New(t, b, apitest.Options{})}
		tok := c.Tokens[auth.Assessor]
		c.Do("POST", catalogBase, tok, `{"name":"RA","slug":"risk-assessments"}`).Expect(t, 201)
		c.Do("GET", catalogBase+"/by-slug/risk-assessments", tok, nil).ExpectError(t, 404, "not_found")
		var p assessment.Product
		c.Do("GET", "/catalog/spaces/default/products-by-slug/risk-assessments", tok, nil).Expect(t, 200).JSON(t, &p)
		if p.Slug != "risk-assessments" {
			t.Fatalf("alias found %+v", p)
		}
	})
}

func TestAssessmentLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := catalogEnv{apitest.New(t, b, apitest.Options{})}
		tok := c.Tokens[auth.Assessor]
		assessorID, reviewerID := c.principalID(t, auth.Assessor), c.principalID(t, auth.Reviewer)
		prod := c.product(t, "Customer scoring")

		// The spec's example, with a client-sent score the server ignores.
		body := strings.Replace(raSpecCreate, `"impact": 4,`, `"impact": 4, "score": 125,`, 1)
		res := c.Do("POST", raPath(prod.ID), tok, body).Expect(t, 201)
		var a assessment.Assessment
		res.JSON(t, &a)
		m := res.Map(t)
		for _, k := range []string{"id", "product_id", "space_id", "assessment_type", "lifecycle_stage", "status", "evaluations",
			"overall_risk_score", "risk_tier", "summary", "mitigations", "assessed_by_id", "assessed_at", "reviewed_by_id",
			"reviewed_at", "created_at", "updated_at"} {
			if _, ok := m[k]; !ok {
				t.Errorf("response lacks %s", k)
			}
		}
		// Scored with the default, the space's built-in model, and recorded.
		builtin, err := c.App.BuiltinRiskModel(context.Background(), c.App.Store.Reader(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if m["risk_model_id"] != builtin.ID || m["risk_model_version"] != 1.0 {
			t.Errorf("risk model %v version %v; want the built-in %s version 1", m["risk_model_id"], m["risk_model_version"], builtin.ID)
		}
		if a.Evaluations[0].Score != 24 || a.Evaluations[1].Score != 60 || *a.OverallRiskScore != 34 || a.RiskTier != nil ||
			a.Status != "draft" || a.ProductID != prod.ID || a.SpaceID != ids.SpaceUUID(1) || a.AssessedByID != assessorID ||
			a.AssessedAt.IsZero() || a.ReviewedByID != nil || a.ReviewedAt != nil || *a.LifecycleStage != "development" ||
			*a.Evaluations[0].Notes != "Potential demographic bias in training data" {
			t.Fatalf("created %s", res.Body)
		}
		mit := a.Mitigations[0]
		if _, err := ids.ParseUUID(mit.ID); err != nil || mit.Status != "pending" || mit.Priority != "high" || *mit.Deadline != "2026-03-15" ||
			*mit.OwnerName != "Alice" || mit.Evidence == nil {
			t.Fatalf("mitigation %+v", mit)
		}

		t.Run("get explains the score", func(t *testing.T) {
			var got assessment.Assessment
			c.Do("GET", raPath(prod.ID, a.ID), c.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &got)
			if *got.ScoreExplanation != "mean(24, 60) = 42 → 42 × 100 / 125 = 33.6 → 34" || got.ID != a.ID || !got.CreatedAt.Equal(a.CreatedAt) {
				t.Fatalf("get %+v", got)
			}
		})

		t.Run("put", func(t *testing.T) {
			var up assessment.Assessment
			c.Do("PUT", raPath(prod.ID, a.ID), tok, map[string]any{
				"summary":     "Revised",
				"evaluations": []map[string]any{{"category": "security", "severity": 5, "likelihood": 5, "impact": 4, "score": 1}},
				"mitigations": []map[string]any{
					{"id": strings.ToUpper(mit.ID), "title": "Fairness metrics in CI"},
					{"title": "Red-team the model", "category": "robustness_testing"},
				},
			}).Expect(t, 200).JSON(t, &up)
			if *up.Summary != "Revised" || len(up.Evaluations) != 1 || up.Evaluations[0].Score != 100 || *up.OverallRiskScore != 80 ||
				*up.LifecycleStage != "development" || up.AssessmentType != "initial" {
				t.Fatalf("updated %+v", up)
			}
			kept, added := up.Mitigations[0], up.Mitigations[1]
			if kept.ID != mit.ID || kept.Title != "Fairness metrics in CI" || kept.Priority != "high" || kept.Category != "bias_mitigation" ||
				added.ID == mit.ID || added.Status != "pending" || added.Priority != "medium" {
				t.Fatalf("mitigations %+v", up.Mitigations)
			}
			// An empty body changes nothing but is accepted; a bad one names its field.
			c.Do("PUT", raPath(prod.ID, a.ID), tok, `{}`).Expect(t, 200)
			wantFields(t, c.Do("PUT", raPath(prod.ID, a.ID), tok, `{"assessment_type":"annual","evaluations":[{"category":"bias"}]}`),
				"assessment_type", "evaluations[0].severity", "evaluations[0].likelihood", "evaluations[0].impact")
			c.Do("PUT", raPath(prod.ID, a.ID), c.Tokens[auth.Viewer], `{}`).ExpectError(t, 403, "forbidden")
			// Back to the spec's numbers for the completion below.
			c.Do("PUT", raPath(prod.ID, a.ID), tok, raSpecCreate).Expect(t, 200).JSON(t, &a)
			mit = a.Mitigations[0]
		})

		t.Run("complete", func(t *testing.T) {
			c.Do("POST", raPath(prod.ID, a.ID, "complete"), tok, `{}`).ExpectError(t, 403, "forbidden")
			wantFields(t, c.Do("POST", raPath(prod.ID, a.ID, "complete"), c.Tokens[auth.Reviewer], `{"risk_tier":"medium"}`), "risk_tier")
			// No body at all: every field is optional.
			var done assessment.Assessment
			c.Do("POST", raPath(prod.ID, a.ID, "complete"), c.Tokens[auth.Reviewer], nil).Expect(t, 200).JSON(t, &done)
			if done.Status != "completed" || *done.RiskTier != "limited" || *done.ReviewedByID != reviewerID || done.ReviewedAt == nil ||
				done.AssessedByID != assessorID || *done.ScoreExplanation != "mean(24, 60) = 42 → 42 × 100 / 125 = 33.6 → 34 → limited" {
				t.Fatalf("completed %+v", done)
			}
			c.Do("POST", raPath(prod.ID, a.ID, "complete"), c.Tokens[auth.Admin], `{}`).ExpectError(t, 409, "conflict")
			c.Do("PUT", raPath(prod.ID, a.ID), tok, `{"summary":"late"}`).ExpectError(t, 409, "conflict")
			var got assessment.Assessment
			c.Do("GET", raPath(prod.ID, a.ID), tok, nil).Expect(t, 200).JSON(t, &got)
			if got.Status != "completed" || *got.Summary != *a.Summary {
				t.Fatalf("after refused writes %+v", got)
			}
			var p assessment.Product
			c.Do("GET", catalogBase+"/"+prod.ID, tok, nil).Expect(t, 200).JSON(t, &p)
			if p.RiskClassification != nil {
				t.Fatal("completion without sync_to_product classified the product")
			}
		})

		t.Run("mitigations are tracked after completion", func(t *testing.T) {
			path := raPath(prod.ID, a.ID, "mitigations", mit.ID)
			issue := ids.UUID(a.CreatedAt)
			for _, tt := range []struct {
				name, body string
				status     int
				want       assessment.MitigationStatus
			}{
				{"pending to completed skips a step", `{"status":"completed"}`, 409, ""},
				{"to in_progress with evidence", `{"status":"in_progress","evidence":["https://jira.example.com/PROJ-123"],"linked_issue_id":"` + issue + `"}`, 200, "in_progress"},
				{"repeat is a no-op", `{"status":"in_progress"}`, 200, "in_progress"},
				{"back to pending", `{"status":"pending"}`, 409, ""},
				{"to completed", `{"status":"completed","owner_name":"Bob","deadline":"2026-04-01","priority":"critical"}`, 200, "completed"},
				{"completed is final", `{"status":"cancelled"}`, 409, ""},
				{"fields still change", `{"evidence":["https://ci.example.com/run/7"]}`, 200, "completed"},
			} {
				t.Run(tt.name, func(t *testing.T) {
					res := c.Do("PATCH", path, tok, tt.body)
					if tt.status != 200 {
						res.ExpectError(t, tt.status, "conflict")
						return
					}
					var got assessment.Mitigation
					res.Expect(t, 200).JSON(t, &got)
					if got.Status != tt.want || got.ID != mit.ID {
						t.Fatalf("mitigation %+v", got)
					}
				})
			}
			var got assessment.Assessment
			c.Do("GET", raPath(prod.ID, a.ID), tok, nil).Expect(t, 200).JSON(t, &got)
			m := got.Mitigations[0]
			if m.Status != "completed" || *m.LinkedIssueID != issue || *m.OwnerName != "Bob" || *m.Deadline != "2026-04-01" ||
				m.Priority != "critical" || !slices.Equal(m.Evidence, []string{"https://ci.example.com/run/7"}) || got.Status != "completed" {
				t.Fatalf("stored mitigation %+v", m)
			}

			other := c.assess(t, prod.ID, `{"assessment_type":"periodic","mitigations":[{"title":"t","category":"other"}]}`)
			cancel := raPath(prod.ID, other.ID, "mitigations", other.Mitigations[0].ID)
			c.Do("PATCH", cancel, tok, `{"status":"cancelled"}`).Expect(t, 200)
			c.Do("PATCH", cancel, tok, `{"status":"in_progress"}`).ExpectError(t, 409, "conflict")

			c.Do("PATCH", path, c.Tokens[auth.Viewer], `{"owner_name":"x"}`).ExpectError(t, 403, "forbidden")
			c.Do("PATCH", raPath(prod.ID, a.ID, "mitigations", ids.UUID(a.CreatedAt)), tok, `{"owner_name":"x"}`).ExpectError(t, 404, "not_found")
			c.Do("PATCH", raPath(prod.ID, a.ID, "mitigations", "nope"), tok, `{"owner_name":"x"}`).ExpectError(t, 404, "not_found")
			// A mitigation of another assessment is not this one's.
			c.Do("PATCH", raPath(prod.ID, a.ID, "mitigations", other.Mitigations[0].ID), tok, `{"owner_name":"x"}`).ExpectError(t, 404, "not_found")
		})

		t.Run("mitigation validation", func(t *testing.T) {
			path := raPath(prod.ID, a.ID, "mitigations", mit.ID)
			for _, tt := range []struct{ body, field string }{
				{`{"status":"done"}`, "status"},
				{`{"priority":"urgent"}`, "priority"},
				{`{"deadline":"15/03/2026"}`, "deadline"},
				{`{"deadline":"2026-02-30"}`, "deadline"},
				{`{"owner_id":"alice"}`, "owner_id"},
				{`{"linked_issue_id":"uuid"}`, "linked_issue_id"},
				{`{"evidence":[" "]}`, "evidence[0]"},
				{`{"owner_name":"` + strings.Repeat("n", 201) + `"}`, "owner_name"},
				{`{"evidence":"https://x"}`, "evidence"},
			} {
				t.Run(tt.field+" "+tt.body[:min(len(tt.body), 30)], func(t *testing.T) {
					wantFields(t, c.Do("PATCH", path, tok, tt.body), tt.field)
				})
			}
		})

		t.Run("completing without evaluations", func(t *testing.T) {
			bare := c.assess(t, prod.ID, `{"assessment_type":"incident"}`)
			if bare.OverallRiskScore != nil || bare.ScoreExplanation != nil || len(bare.Evaluations) != 0 || bare.Mitigations == nil {
				t.Fatalf("bare %+v", bare)
			}
			wantFields(t, c.Do("POST", raPath(prod.ID, bare.ID, "complete"), c.Tokens[auth.Reviewer], `{}`), "risk_tier")
			var done assessment.Assessment
			c.Do("POST", raPath(prod.ID, bare.ID, "complete"), c.Tokens[auth.Reviewer], `{"risk_tier":"minimal"}`).Expect(t, 200).JSON(t, &done)
			if *done.RiskTier != "minimal" || done.OverallRiskScore != nil {
				t.Fatalf("done %+v", done)
			}
		})

		t.Run("audited", func(t *testing.T) {
			counts := auditCounts(t, c.Env, "assessment")
			if counts["assessment.create"] != 3 || counts["assessment.update"] != 3 || counts["assessment.complete"] != 2 ||
				counts["assessment.mitigation.update"] != 5 {
				t.Fatalf("audit %v", counts)
			}
		})
	})
}

func TestAssessmentValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := catalogEnv{apitest.New(t, b, apitest.Options{})}
		prod := c.product(t, "Scoring")
		long := func(n int) string { return strings.Repeat("x", n) }
		evals := func(n int) string {
			var parts []string
			for i := range n {
				parts = append(parts, fmt.Sprintf(`{"category":%q,"severity":1,"likelihood":1,"impact":1}`, assessment.Categories()[i%6]))
			}
			return `{"assessment_type":"initial","evaluations":[` + strings.Join(parts, ",") + `]}`
		}
		swap := func(old, new string) string { return strings.Replace(raSpecCreate, old, new, 1) }
		for _, tt := range []struct {
			name, body string
			fields     []string
		}{
			{"no assessment_type", swap(`"assessment_type": "initial",`, ``), []string{"assessment_type"}},
			{"unknown assessment_type", swap(`"initial"`, `"annual"`), []string{"assessment_type"}},
			{"unknown category", swap(`"bias"`, `"toxicity"`), []string{"evaluations[0].category"}},
			{"duplicate category", swap(`"privacy"`, `"bias"`), []string{"evaluations[1].category"}},
			{"severity 0", swap(`"severity": 3`, `"severity": 0`), []string{"evaluations[0].severity"}},
			{"severity 6", swap(`"severity": 3`, `"severity": 6`), []string{"evaluations[0].severity"}},
			{"likelihood 6", swap(`"likelihood": 3`, `"likelihood": 6`), []string{"evaluations[1].likelihood"}},
			{"impact missing", swap(`"impact": 5,`, ``), []string{"evaluations[1].impact"}},
			{"seven evaluations", evals(7), []string{"evaluations"}},
			{"notes too long", swap(`"PII in feature pipeline"`, `"`+long(5001)+`"`), []string{"evaluations[1].notes"}},
			{"summary too long", swap(`"Initial risk assessment for customer scoring model"`, `"`+long(10001)+`"`), []string{"summary"}},
			{"lifecycle_stage too long", swap(`"development"`, `"`+long(101)+`"`), []string{"lifecycle_stage"}},
			{"mitigation without title", swap(`"title": "Implement fairness metrics",`, ``), []string{"mitigations[0].title"}},
			{"mitigation category", swap(`"bias_mitigation"`, `"bias"`), []string{"mitigations[0].category"}},
			{"mitigation priority", swap(`"priority": "high"`, `"priority": "urgent"`), []string{"mitigations[0].priority"}},
			{"mitigation deadline", swap(`"2026-03-15"`, `"March 15"`), []string{"mitigations[0].deadline"}},
			{"mitigation owner_id", swap(`"owner_name": "Alice",`, `"owner_id": "alice",`), []string{"mitigations[0].owner_id"}},
			{"mitigation linked_issue_id", swap(`"owner_name": "Alice",`, `"linked_issue_id": "PROJ-1",`), []string{"mitigations[0].linked_issue_id"}},
			{"mitigation status other than pending", swap(`"owner_name": "Alice",`, `"status": "completed",`), []string{"mitigations[0].status"}},
			{"mitigation with an unknown id", swap(`"owner_name": "Alice",`, `"id": "`+ids.UUID(prod.CreatedAt)+`",`), []string{"mitigations[0].id"}},
			{"severity of the wrong type", swap(`"severity": 3`, `"severity": "high"`), []string{"evaluations[0].severity"}},
			{"unknown risk model", swap(`"initial",`, `"initial", "risk_model_id": "no-such-model",`), []string{"risk_model_id"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				wantFields(t, c.Do("POST", raPath(prod.ID), c.Tokens[auth.Assessor], tt.body), tt.fields...)
			})
		}
		t.Run("every error at once", func(t *testing.T) {
			body := strings.NewReplacer(`"initial"`, `"x"`, `"severity": 3`, `"severity": 9`, `"privacy"`, `"bias"`, `"2026-03-15"`, `"soon"`).Replace(raSpecCreate)
			wantFields(t, c.Do("POST", raPath(prod.ID), c.Tokens[auth.Assessor], body),
				"assessment_type", "evaluations[0].severity", "evaluations[1].category", "mitigations[0].deadline")
		})
		c.Do("POST", raPath(prod.ID), c.Tokens[auth.Assessor], `{"assessment_type":`).ExpectError(t, 400, "invalid_json")
		c.Do("POST", raPath(prod.ID), c.Tokens[auth.Assessor], ``).ExpectError(t, 400, "invalid_json")

		// Nothing was stored by the failures.
		var list struct{ Total int }
		c.Do("GET", raPath(prod.ID), c.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &list)
		if list.Total != 0 {
			t.Fatalf("%d assessments stored by failed creates", list.Total)
		}
	})
}

func TestAssessmentList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := catalogEnv{apitest.New(t, b, apitest.Options{})}
		prod, other := c.product(t, "Scoring"), c.product(t, "Other")
		var created []string
		for range 4 {
			created = append([]string{c.assess(t, prod.ID, raSpecCreate).ID}, created...)
		}
		// A retried create with the same Idempotency-Key creates once.
		var first, retry assessment.Assessment
		c.Do("POST", raPath(prod.ID), c.Tokens[auth.Assessor], raSpecCreate, "Idempotency-Key", "k1").Expect(t, 201).JSON(t, &first)
		c.Do("POST", raPath(prod.ID), c.Tokens[auth.Assessor], raSpecCreate, "Idempotency-Key", "k1").Expect(t, 201).JSON(t, &retry)
		if retry.ID != first.ID {
			t.Fatalf("retry created %s beside %s", retry.ID, first.ID)
		}
		created = append([]string{first.ID}, created...)
		c.assess(t, other.ID, raSpecCreate)

		type page struct {
			Items                []assessment.Assessment
			Total, Limit, Offset int
		}
		for _, tt := range []struct {
			query         string
			want          []string
			limit, offset int
		}{
			{"", created, 20, 0},
			{"?limit=2", created[:2], 2, 0},
			{"?limit=2&offset=2", created[2:4], 2, 2},
			{"?offset=4", created[4:], 20, 4},
			{"?offset=5", nil, 20, 5},
			{"?limit=100", created, 100, 0},
		} {
			t.Run(tt.query, func(t *testing.T) {
				var p page
				c.Do("GET", raPath(prod.ID)+tt.query, c.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &p)
				var got []string
				for _, a := range p.Items {
					got = append(got, a.ID)
				}
				if !slices.Equal(got, tt.want) || p.Total != 5 || p.Limit != tt.limit || p.Offset != tt.offset || p.Items == nil {
					t.Fatalf("%v of %d (limit %d offset %d); want %v", got, p.Total, p.Limit, p.Offset, tt.want)
				}
			})
		}
		for _, q := range []string{"limit=0", "limit=101", "limit=-1", "offset=-1", "limit=ten"} {
			t.Run(q, func(t *testing.T) {
				wantFields(t, c.Do("GET", raPath(prod.ID)+"?"+q, c.Tokens[auth.Viewer], nil), strings.Split(q, "=")[0])
			})
		}
		c.Do("GET", raPath(ids.UUID(prod.CreatedAt)), c.Tokens[auth.Viewer], nil).ExpectError(t, 404, "not_found")
	})
}

func TestAssessmentIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := catalogEnv{apitest.New(t, b, apitest.Options{})}
		prod, sibling := c.product(t, "Scoring"), c.product(t, "Sibling")
		a := c.assess(t, prod.ID, raSpecCreate)
		mid := a.Mitigations[0].ID
		theirs := "/catalog/spaces/other/products/" + prod.ID + "/risk-assessments"
		for _, tt := range []struct {
			name, method, path string
			token              string
			body               any
		}{
			{"another space's token, list", "GET", raPath(prod.ID), c.OtherTokens[auth.Admin], nil},
			{"another space's token, create", "POST", raPath(prod.ID), c.OtherTokens[auth.Admin], raSpecCreate},
			{"another space's token, get", "GET", raPath(prod.ID, a.ID), c.OtherTokens[auth.Admin], nil},
			{"another space's token, put", "PUT", raPath(prod.ID, a.ID), c.OtherTokens[auth.Admin], `{}`},
			{"another space's token, complete", "POST", raPath(prod.ID, a.ID, "complete"), c.OtherTokens[auth.Admin], `{}`},
			{"another space's token, mitigation", "PATCH", raPath(prod.ID, a.ID, "mitigations", mid), c.OtherTokens[auth.Admin], `{"status":"cancelled"}`},
			{"their own space's path, list", "GET", theirs, c.OtherTokens[auth.Admin], nil},
			{"their own space's path, create", "POST", theirs, c.OtherTokens[auth.Admin], raSpecCreate},
			{"their own space's path, get", "GET", theirs + "/" + a.ID, c.OtherTokens[auth.Admin], nil},
			{"their own space's path, put", "PUT", theirs + "/" + a.ID, c.OtherTokens[auth.Admin], `{}`},
			{"their own space's path, complete", "POST", theirs + "/" + a.ID + "/complete", c.OtherTokens[auth.Admin], `{}`},
			{"their own space's path, mitigation", "PATCH", theirs + "/" + a.ID + "/mitigations/" + mid, c.OtherTokens[auth.Admin], `{"status":"cancelled"}`},
			{"our token, their space's path", "GET", theirs + "/" + a.ID, c.Tokens[auth.Admin], nil},
			{"through another product, get", "GET", raPath(sibling.ID, a.ID), c.Tokens[auth.Admin], nil},
			{"through another product, put", "PUT", raPath(sibling.ID, a.ID), c.Tokens[auth.Admin], `{}`},
			{"through another product, complete", "POST", raPath(sibling.ID, a.ID, "complete"), c.Tokens[auth.Admin], `{}`},
			{"through another product, mitigation", "PATCH", raPath(sibling.ID, a.ID, "mitigations", mid), c.Tokens[auth.Admin], `{}`},
			{"malformed assessment id", "GET", raPath(prod.ID, "42"), c.Tokens[auth.Admin], nil},
			{"malformed product id", "GET", raPath("42", a.ID), c.Tokens[auth.Admin], nil},
			{"unknown assessment", "PUT", raPath(prod.ID, ids.UUID(a.CreatedAt)), c.Tokens[auth.Admin], `{}`},
			{"create for an unknown product", "POST", raPath(ids.UUID(a.CreatedAt)), c.Tokens[auth.Admin], raSpecCreate},
		} {
			t.Run(tt.name, func(t *testing.T) {
				c.Do(tt.method, tt.path, tt.token, tt.body).ExpectError(t, 404, "not_found")
			})
		}
		var got assessment.Assessment
		c.Do("GET", raPath(prod.ID, a.ID), c.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &got)
		if got.Status != "draft" || got.Mitigations[0].Status != "pending" {
			t.Fatalf("changed through another space: %+v", got)
		}
		// Creating with another space's risk model is an unknown model.
		var theirModel struct{ ID string }
		c.Do("POST", "/api/riskmodel", c.OtherTokens[auth.Admin], raModel(4)).Expect(t, 201).JSON(t, &theirModel)
		wantFields(t, c.Do("POST", raPath(prod.ID), c.Tokens[auth.Assessor], `{"assessment_type":"initial","risk_model_id":"`+theirModel.ID+`"}`), "risk_model_id")
	})
}

func TestCompleteSyncToProduct(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := catalogEnv{apitest.New(t, b, apitest.Options{})}
		reviewer := c.Tokens[auth.Reviewer]
		for _, tt := range []struct {
			name, body, want string
		}{
			{"derived tier", `{"sync_to_product":true}`, "limited"},
			{"overridden tier, the spec's example", `{"risk_tier":"high","sync_to_product":true}`, "high"},
			{"no sync", `{"risk_tier":"unacceptable"}`, ""},
			{"explicitly no sync", `{"risk_tier":"unacceptable","sync_to_product":false}`, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				prod := c.product(t, tt.name)
				a := c.assess(t, prod.ID, raSpecCreate)
				var done assessment.Assessment
				c.Do("POST", raPath(prod.ID, a.ID, "complete"), reviewer, tt.body).Expect(t, 200).JSON(t, &done)
				var p assessment.Product
				c.Do("GET", catalogBase+"/"+prod.ID, reviewer, nil).Expect(t, 200).JSON(t, &p)
				got := ""
				if p.RiskClassification != nil {
					got = string(*p.RiskClassification)
				}
				if got != tt.want {
					t.Fatalf("risk_classification %q; want %q", got, tt.want)
				}
				if tt.want != "" && (string(*done.RiskTier) != tt.want || !p.UpdatedAt.Equal(done.UpdatedAt)) {
					t.Fatalf("tier %s, product updated %v, assessment %v", *done.RiskTier, p.UpdatedAt, done.UpdatedAt)
				}
			})
		}
		t.Run("a refused completion does not sync", func(t *testing.T) {
			prod := c.product(t, "Refused")
			a := c.assess(t, prod.ID, `{"assessment_type":"initial"}`)
			wantFields(t, c.Do("POST", raPath(prod.ID, a.ID, "complete"), reviewer, `{"sync_to_product":true}`), "risk_tier")
			wantFields(t, c.Do("POST", raPath(prod.ID, a.ID, "complete"), reviewer, `{"risk_tier":"severe","sync_to_product":true}`), "risk_tier")
			var p assessment.Product
			c.Do("GET", catalogBase+"/"+prod.ID, reviewer, nil).Expect(t, 200).JSON(t, &p)
			if p.RiskClassification != nil {
				t.Fatalf("classified %s by a refused completion", *p.RiskClassification)
			}
		})
		if counts := auditCounts(t, c.Env, "product"); counts["product.classify"] != 2 {
			t.Fatalf("audit %v", counts)
		}
	})
}

// raModel is a risk model of severity, likelihood and impact with the given
// number of levels.
func raModel(scales int) string {
	var dims []string
	for d := 1; d <= 3; d++ {
		var sc []string
		for v := 1; v <= scales; v++ {
			sc = append(sc, fmt.Sprintf(`{"value":%d,"name":{"en":"level %d"}}`, v, v))
		}
		dims = append(dims, fmt.Sprintf(`{"id":%d,"name":{"en":"dimension %d"},"scales":[%s]}`, d, d, strings.Join(sc, ",")))
	}
	return fmt.Sprintf(`{"name":{"en":"%d levels"},"numberOfDimensions":3,"numberOfScales":%d,"dimensions":[%s]}`, scales, scales, strings.Join(dims, ","))
}

func TestAssessmentRiskModel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := catalogEnv{apitest.New(t, b, apitest.Options{})}
		tok := c.Tokens[auth.Assessor]
		prod := c.product(t, "Scoring")
		builtin, err := c.App.BuiltinRiskModel(context.Background(), c.App.Store.Reader(), 1)
		if err != nil {
			t.Fatal(err)
		}
		withModel := func(id string) string {
			return strings.Replace(raSpecCreate, `"initial",`, `"initial", "risk_model_id": "`+id+`",`, 1)
		}

		t.Run("the built-in model gives the built-in scale's numbers", func(t *testing.T) {
			a := c.assess(t, prod.ID, withModel(builtin.ID))
			if *a.RiskModelID != builtin.ID || *a.RiskModelVersion != builtin.Version || *a.OverallRiskScore != 34 ||
				*a.ScoreExplanation != "mean(24, 60) = 42 → 42 × 100 / 125 = 33.6 → 34" {
				t.Fatalf("scored %+v", a)
			}
		})

		var four struct{ ID string }
		c.Do("POST", "/api/riskmodel", tok, raModel(4)).Expect(t, 201).JSON(t, &four)
		t.Run("a model of four levels", func(t *testing.T) {
			wantFields(t, c.Do("POST", raPath(prod.ID), tok, withModel(four.ID)), "evaluations[1].impact")
			a := c.assess(t, prod.ID, `{"assessment_type":"initial","risk_model_id":"`+four.ID+`",
				"evaluations":[{"category":"bias","severity":2,"likelihood":3,"impact":4}]}`)
			if *a.RiskModelID != four.ID || *a.RiskModelVersion != 1 || a.Evaluations[0].Score != 24 || *a.OverallRiskScore != 38 ||
				*a.ScoreExplanation != "mean(24) = 24 → 24 × 100 / 64 = 37.5 → 38" {
				t.Fatalf("scored %+v", a)
			}
			// Updates keep the model; "" returns to the built-in scale.
			var up assessment.Assessment
			c.Do("PUT", raPath(prod.ID, a.ID), tok, `{"summary":"s"}`).Expect(t, 200).JSON(t, &up)
			if *up.RiskModelID != four.ID || *up.OverallRiskScore != 38 {
				t.Fatalf("kept %+v", up)
			}
			res := c.Do("PUT", raPath(prod.ID, a.ID), tok, `{"risk_model_id":""}`).Expect(t, 200)
			var back assessment.Assessment
			res.JSON(t, &back)
			if *back.RiskModelID != builtin.ID || *back.RiskModelVersion != builtin.Version || *back.OverallRiskScore != 19 {
				t.Fatalf("back to the default model %s", res.Body)
			}

			// A deactivated model scores no new work.
			c.Do("PUT", "/api/riskmodel/"+four.ID+"/deactivate", tok, nil).Expect(t, 200)
			c.Do("POST", raPath(prod.ID), tok, `{"assessment_type":"initial","risk_model_id":"`+four.ID+`"}`).ExpectError(t, 409, "conflict")
		})

		t.Run("a model that is not severity × likelihood × impact", func(t *testing.T) {
			var two struct{ ID string }
			c.Do("POST", "/api/riskmodel", tok, specExample).Expect(t, 201).JSON(t, &two)
			wantFields(t, c.Do("POST", raPath(prod.ID), tok, withModel(two.ID)), "risk_model_id")
		})
		wantFields(t, c.Do("POST", raPath(prod.ID), tok, withModel(ids.UUID(prod.CreatedAt))), "risk_model_id")
	})
}

// TestAssessmentDefaultModel: without risk_model_id an assessment is scored
// with the space's built-in "AI system risk" model, which is recorded, and
// gives the spec's numbers.
func TestAssessmentDefaultModel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := catalogEnv{apitest.New(t, b, apitest.Options{})}
		tok, admin := c.Tokens[auth.Assessor], c.Tokens[auth.Admin]
		prod := c.product(t, "Scoring")
		ctx := context.Background()
		builtin, err := c.App.BuiltinRiskModel(ctx, c.App.Store.Reader(), 1)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := c.App.BuiltinRiskModel(ctx, c.App.Store.Reader(), 2)
		if err != nil || theirs.ID == builtin.ID {
			t.Fatalf("other space's built-in %s, %v", theirs.ID, err)
		}
		wantModel := func(t *testing.T, a assessment.Assessment, version int) {
			t.Helper()
			if a.RiskModelID == nil || *a.RiskModelID != builtin.ID || a.RiskModelVersion == nil || *a.RiskModelVersion != version {
				t.Fatalf("risk model %v version %v; want %s version %d", a.RiskModelID, a.RiskModelVersion, builtin.ID, version)
			}
		}

		// The spec's example: the spec's numbers, the built-in model recorded,
		// every documented field still there, also when read back.
		res := c.Do("POST", raPath(prod.ID), tok, raSpecCreate).Expect(t, 201)
		var first assessment.Assessment
		res.JSON(t, &first)
		wantModel(t, first, 1)
		if first.Evaluations[0].Score != 24 || first.Evaluations[1].Score != 60 || *first.OverallRiskScore != 34 ||
			*first.ScoreExplanation != "mean(24, 60) = 42 → 42 × 100 / 125 = 33.6 → 34" {
			t.Fatalf("scored %s", res.Body)
		}
		var got assessment.Assessment
		got1 := c.Do("GET", raPath(prod.ID, first.ID), c.Tokens[auth.Viewer], nil).Expect(t, 200)
		got1.JSON(t, &got)
		wantModel(t, got, 1)
		m := got1.Map(t)
		for _, k := range []string{"id", "product_id", "space_id", "assessment_type", "lifecycle_stage", "status", "evaluations",
			"overall_risk_score", "risk_tier", "summary", "mitigations", "assessed_by_id", "assessed_at", "reviewed_by_id",
			"reviewed_at", "created_at", "updated_at"} {
			if _, ok := m[k]; !ok {
				t.Errorf("response lacks %s", k)
			}
		}
		var list struct{ Items []assessment.Assessment }
		c.Do("GET", raPath(prod.ID), tok, nil).Expect(t, 200).JSON(t, &list)
		wantModel(t, list.Items[0], 1)
		// The range is the built-in model's 1–5.
		wantFields(t, c.Do("POST", raPath(prod.ID), tok, `{"assessment_type":"initial","evaluations":[{"category":"bias","severity":6,"likelihood":1,"impact":0}]}`),
			"evaluations[0].severity", "evaluations[0].impact")

		// Another space's default is its own built-in model.
		var otherProd assessment.Product
		c.Do("POST", "/catalog/spaces/other/products", c.OtherTokens[auth.Assessor], `{"name":"Theirs"}`).Expect(t, 201).JSON(t, &otherProd)
		var their assessment.Assessment
		c.Do("POST", "/catalog/spaces/other/products/"+otherProd.ID+"/risk-assessments", c.OtherTokens[auth.Assessor], raSpecCreate).Expect(t, 201).JSON(t, &their)
		if their.RiskModelID == nil || *their.RiskModelID != theirs.ID {
			t.Fatalf("other space scored with %v; want its own %s", their.RiskModelID, theirs.ID)
		}

		// A completed assessment keeps the version it was scored with.
		done := c.assess(t, prod.ID, raSpecCreate)
		c.Do("POST", raPath(prod.ID, done.ID, "complete"), c.Tokens[auth.Reviewer], nil).Expect(t, 200)

		// A new version of the built-in model (same scale, new texts) is the
		// default from then on: new assessments and drafts on their next
		// update record it.
		var doc map[string]any
		c.Do("GET", "/api/riskmodel/"+builtin.ID, tok, nil).Expect(t, 200).JSON(t, &doc)
		doc["description"] = map[string]string{"en-US": "Our wording"}
		c.Do("POST", "/api/riskmodel/"+builtin.ID, admin, doc).Expect(t, 200)
		wantModel(t, c.assess(t, prod.ID, raSpecCreate), 2)
		var up assessment.Assessment
		c.Do("PUT", raPath(prod.ID, first.ID), tok, `{"summary":"revised"}`).Expect(t, 200).JSON(t, &up)
		wantModel(t, up, 2)
		if *up.OverallRiskScore != 34 {
			t.Fatalf("re-scored %d", *up.OverallRiskScore)
		}
		c.Do("GET", raPath(prod.ID, done.ID), tok, nil).Expect(t, 200).JSON(t, &got)
		wantModel(t, got, 1)

		// A deactivated default scores no new work; naming another model
		// still does, and activating the default again restores it.
		c.Do("PUT", "/api/riskmodel/"+builtin.ID+"/deactivate", admin, nil).Expect(t, 200)
		env := c.Do("POST", raPath(prod.ID), tok, raSpecCreate).ExpectError(t, 409, "conflict")
		if !strings.Contains(env.Error.Message, "default risk model") || !strings.Contains(env.Error.Message, "risk_model_id") {
			t.Fatalf("message %q does not say how to go on", env.Error.Message)
		}
		c.Do("PUT", raPath(prod.ID, first.ID), tok, `{"summary":"again"}`).ExpectError(t, 409, "conflict")
		var four struct{ ID string }
		c.Do("POST", "/api/riskmodel", tok, raModel(4)).Expect(t, 201).JSON(t, &four)
		a := c.assess(t, prod.ID, `{"assessment_type":"initial","risk_model_id":"`+four.ID+`"}`)
		if *a.RiskModelID != four.ID {
			t.Fatalf("scored with %s", *a.RiskModelID)
		}
		c.Do("PUT", "/api/riskmodel/"+builtin.ID+"/activate", admin, nil).Expect(t, 200)
		wantModel(t, c.assess(t, prod.ID, raSpecCreate), 2)
	})
}

func TestRiskRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := catalogEnv{apitest.New(t, b, apitest.Options{})}
		const path = "/catalog/spaces/default/risk-register.csv"

		read := func(t *testing.T, token string) [][]string {
			t.Helper()
			res := c.Do("GET", path, token, nil).Expect(t, 200)
			if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Fatalf("Content-Type %q", ct)
			}
			rows, err := csv.NewReader(strings.NewReader(string(res.Body))).ReadAll()
			if err != nil {
				t.Fatalf("%v in %s", err, res.Body)
			}
			if !slices.Equal(rows[0], assessment.RegisterHeader()) {
				t.Fatalf("header %v", rows[0])
			}
			return rows[1:]
		}

		if rows := read(t, c.Tokens[auth.Viewer]); len(rows) != 0 {
			t.Fatalf("empty register has rows %v", rows)
		}

		first := c.product(t, "=HYPERLINK(\"http://evil\")")
		second := c.product(t, "Chat, \"assistant\"")
		c.product(t, "Not assessed")
		old := c.assess(t, first.ID, raSpecCreate)
		c.Do("POST", raPath(first.ID, old.ID, "complete"), c.Tokens[auth.Reviewer], `{"risk_tier":"high"}`).Expect(t, 200)
		c.Do("PATCH", raPath(first.ID, old.ID, "mitigations", old.Mitigations[0].ID), c.Tokens[auth.Assessor], `{"status":"cancelled"}`).Expect(t, 200)
		newer := c.assess(t, first.ID, `{"assessment_type":"periodic","mitigations":[{"title":"a","category":"other"},{"title":"b","category":"other"}]}`)
		chat := c.assess(t, second.ID, `{"assessment_type":"incident","evaluations":[{"category":"security","severity":5,"likelihood":5,"impact":5}]}`)
		var theirs assessment.Product
		c.Do("POST", "/catalog/spaces/other/products", c.OtherTokens[auth.Assessor], `{"name":"Theirs"}`).Expect(t, 201).JSON(t, &theirs)
		c.Do("POST", "/catalog/spaces/other/products/"+theirs.ID+"/risk-assessments", c.OtherTokens[auth.Assessor], raSpecCreate).Expect(t, 201)

		at := func(a assessment.Assessment) string { return a.AssessedAt.Format(time.RFC3339) }
		// Product by product, newest assessment first. Product ids order
		// the products; two made in the same millisecond may come in either
		// order, so the expected groups are ordered the same way.
		groups := [][][]string{{
			{newer.ID, `'=HYPERLINK("http://evil")`, first.Slug, "periodic", "draft", "", "", "2", at(newer)},
			{old.ID, `'=HYPERLINK("http://evil")`, first.Slug, "initial", "completed", "high", "34", "0", at(old)},
		}, {
			{chat.ID, `Chat, "assistant"`, second.Slug, "incident", "draft", "", "100", "0", at(chat)},
		}}
		if second.ID < first.ID {
			groups[0], groups[1] = groups[1], groups[0]
		}
		want := slices.Concat(groups...)
		rows := read(t, c.Tokens[auth.Viewer])
		if len(rows) != len(want) {
			t.Fatalf("rows %q", rows)
		}
		for i, w := range want {
			if !slices.Equal(rows[i], w) {
				t.Errorf("row %d\n got %q\nwant %q", i, rows[i], w)
			}
		}

		res := c.Do("GET", "/catalog/spaces/other/risk-register.csv", c.OtherTokens[auth.Viewer], nil).Expect(t, 200)
		if lines := strings.Split(strings.TrimSpace(string(res.Body)), "\n"); len(lines) != 2 || !strings.Contains(lines[1], ",Theirs,theirs,") {
			t.Fatalf("another space's register %s", res.Body)
		}
		c.Do("GET", path, c.OtherTokens[auth.Admin], nil).ExpectError(t, 404, "not_found")
		c.Do("GET", path, "", nil).ExpectError(t, 401, "unauthorized")

		// A register that cannot be read is an error, not an empty CSV.
		storetest.MustExec(t, c.Backend.Store.Writer(), `DROP TABLE assessments`)
		res = c.Do("GET", path, c.Tokens[auth.Viewer], nil)
		res.ExpectError(t, 500, "internal")
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("error with Content-Type %q", ct)
		}
	})
}
