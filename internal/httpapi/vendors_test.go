package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/httpapi/apitest"
	"github.com/riskd/riskd/internal/jobs"
	"github.com/riskd/riskd/internal/metrics"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
	"github.com/riskd/riskd/internal/usecase"
	"github.com/riskd/riskd/internal/vendorrisk"
	"github.com/riskd/riskd/internal/vendorrisk/source"
)

type wireVendor struct {
	URN            string `json:"urn"`
	Name           string `json:"name"`
	Description    string `json:"description"`
	LifecycleStage string `json:"lifecycle_stage"`
	Website        string `json:"website"`
	CreatedAt      string `json:"created_at"`
	UpdatedAt      string `json:"updated_at"`
	Metadata       []struct {
		Name  string `json:"name"`
		Type  string `json:"type"`
		Value any    `json:"value"`
	} `json:"metadata"`
}

type wireEvent struct {
	AIRecommendation *struct {
		Explanation          string `json:"explanation"`
		RecommendedRiskLevel string `json:"recommended_risk_level"`
	} `json:"ai_risk_level_recommendation"`
	CategoryTags []string `json:"category_tags"`
	CreatedAt    string   `json:"created_at"`
	Description  string   `json:"description"`
	Name         string   `json:"name"`
	ReviewStatus string   `json:"review_status"`
	RiskLevel    string   `json:"risk_level"`
	SourceType   string   `json:"source_type"`
	URL          string   `json:"url"`
	URN          string   `json:"urn"`
	Vendor       struct {
		CreatedAt   string `json:"created_at"`
		Description string `json:"description"`
		Name        string `json:"name"`
		URN         string `json:"urn"`
	} `json:"vendor"`
}

type wireSource struct {
	ID           int64    `json:"id"`
	VendorURN    string   `json:"vendor_urn"`
	Type         string   `json:"type"`
	URL          string   `json:"url"`
	Keywords     []string `json:"keywords"`
	CreatedAt    string   `json:"created_at"`
	LastPolledAt *string  `json:"last_polled_at"`
	LastError    *string  `json:"last_error"`
	RetryAt      *string  `json:"retry_at"`
}

func createVendor(t *testing.T, e *apitest.Env, body string) wireVendor {
	t.Helper()
	var v wireVendor
	e.Do("POST", "/v1/vendors", e.Tokens[auth.Assessor], body).Expect(t, 201).JSON(t, &v)
	return v
}

func createEvent(t *testing.T, e *apitest.Env, vendorURN, name string) wireEvent {
	t.Helper()
	var ev wireEvent
	e.Do("POST", "/v1/risk-events", e.Tokens[auth.Assessor],
		map[string]any{"vendor_urn": vendorURN, "name": name, "source_type": "MONITOR"}).Expect(t, 201).JSON(t, &ev)
	return ev
}

type wireHistoryEntry struct {
	At         string `json:"at"`
	ActorID    string `json:"actor_id"`
	FromStatus string `json:"from_status"`
	ToStatus   string `json:"to_status"`
	FromLevel  string `json:"from_level"`
	ToLevel    string `json:"to_level"`
	Note       string `json:"note"`
}

// history returns an event's history, oldest first.
func history(t *testing.T, e *apitest.Env, urn string) []wireHistoryEntry {
	t.Helper()
	var out []wireHistoryEntry
	e.Do("GET", "/v1/risk-events/"+urn+"/history", e.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &out)
	return out
}

// auditActions lists the audit log's actions about one resource, oldest first.
func auditActions(t *testing.T, e *apitest.Env, resourceType, id string) []string {
	t.Helper()
	var page struct {
		Results []struct {
			Action  string `json:"action"`
			ActorID string `json:"actorId"`
		} `json:"results"`
	}
	e.Do("GET", "/api/v1/audit-events?resourceType="+resourceType+"&resourceId="+url.QueryEscape(id), e.Tokens[auth.Admin], nil).
		Expect(t, 200).JSON(t, &page)
	var out []string
	for i := len(page.Results) - 1; i >= 0; i-- {
		out = append(out, page.Results[i].Action)
	}
	return out
}

// eventually polls cond until it holds or ten seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestVendorsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		tok := e.Tokens[auth.Assessor]

		v := createVendor(t, e, `{"name":"  Acme Cloud ","description":"Hosting","website":"https://acme.example",
			"metadata":[{"name":"Tier","type":"SELECT","value":"critical"},{"name":"Regions","type":"MULTI_SELECT","value":["eu","us"]},{"name":"Owner","type":"TEXT","value":"Sam"}]}`)
		if !strings.HasPrefix(v.URN, "urn:riskd:vendor:") || v.Name != "Acme Cloud" || v.LifecycleStage != "INITIAL_ASSESSMENT" ||
			v.CreatedAt == "" || v.CreatedAt != v.UpdatedAt || v.Website != "https://acme.example" || len(v.Metadata) != 3 ||
			fmt.Sprint(v.Metadata[1].Value) != "[eu us]" {
			t.Fatalf("created %+v", v)
		}
		var got wireVendor
		e.Do("GET", "/v1/vendors/"+v.URN, e.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &got)
		if fmt.Sprint(got) != fmt.Sprint(v) {
			t.Fatalf("read back %+v\ncreated   %+v", got, v)
		}
		// The ULID part of a URN is case-insensitive.
		lower := "urn:riskd:vendor:" + strings.ToLower(strings.TrimPrefix(v.URN, "urn:riskd:vendor:"))
		e.Do("GET", "/v1/vendors/"+lower, tok, nil).Expect(t, 200)

		t.Run("validation", func(t *testing.T) {
			tests := []struct {
				name, body string
				status     int
				fields     []string
			}{
				{"missing name", `{"description":"x"}`, 422, []string{"name"}},
				{"name of the wrong type", `{"name":5}`, 422, []string{"name"}},
				{"bad stage", `{"name":"x","lifecycle_stage":"RETIRED"}`, 422, []string{"lifecycle_stage"}},
				{"bad website", `{"name":"x","website":"ftp://acme.example"}`, 422, []string{"website"}},
				{"every bad field at once", `{"name":"","lifecycle_stage":"X","metadata":[{"name":"a","type":"TEXT","value":1},{"name":"A","type":"MULTI_SELECT","value":["x",""]},{"name":"c","type":"COLOR","value":"red"}]}`,
					422, []string{"name", "lifecycle_stage", "metadata[0].value", "metadata[1].name", "metadata[1].value[1]", "metadata[2].type"}},
				{"malformed JSON", `{"name":`, 400, nil},
				{"no body", ``, 400, nil},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					code := "validation_failed"
					if tt.status == 400 {
						code = "invalid_json"
					}
					env := e.Do("POST", "/v1/vendors", tok, tt.body).ExpectError(t, tt.status, code)
					for _, f := range tt.fields {
						if !env.HasField(f) {
							t.Fatalf("details %+v do not name %s", env.Error.Details, f)
						}
					}
				})
			}
		})

		// Lists sort by name ignoring case, and filter by stage.
		for _, n := range []string{"beta", "ACME Logistics", "alpha"} {
			createVendor(t, e, `{"name":"`+n+`","lifecycle_stage":"ONBOARDED"}`)
		}
		names := func(t *testing.T, query string) []string {
			t.Helper()
			var list []wireVendor
			e.Do("GET", "/v1/vendors"+query, e.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &list)
			out := []string{}
			for _, v := range list {
				out = append(out, v.Name)
			}
			return out
		}
		if got, want := names(t, ""), []string{"Acme Cloud", "ACME Logistics", "alpha", "beta"}; !slices.Equal(got, want) {
			t.Fatalf("list = %v, want %v", got, want)
		}
		if got, want := names(t, "?lifecycle_stage=ONBOARDED"), []string{"ACME Logistics", "alpha", "beta"}; !slices.Equal(got, want) {
			t.Fatalf("onboarded = %v, want %v", got, want)
		}
		if env := e.Do("GET", "/v1/vendors?lifecycle_stage=GONE", tok, nil).ExpectError(t, 422, "validation_failed"); !env.HasField("lifecycle_stage") {
			t.Fatalf("bad filter: %+v", env)
		}

		// PATCH is partial; repeating it changes nothing.
		time.Sleep(2 * time.Millisecond)
		var patched wireVendor
		e.Do("PATCH", "/v1/vendors/"+v.URN, tok, `{"lifecycle_stage":"ONBOARDED","website":""}`).Expect(t, 200).JSON(t, &patched)
		if patched.LifecycleStage != "ONBOARDED" || patched.Website != "" || patched.Name != "Acme Cloud" || len(patched.Metadata) != 3 ||
			patched.UpdatedAt == v.UpdatedAt || patched.CreatedAt != v.CreatedAt {
			t.Fatalf("patched %+v", patched)
		}
		var again wireVendor
		e.Do("PATCH", "/v1/vendors/"+v.URN, tok, `{"lifecycle_stage":"ONBOARDED","name":null}`).Expect(t, 200).JSON(t, &again)
		if again.UpdatedAt != patched.UpdatedAt {
			t.Fatalf("a no-op PATCH moved updated_at: %s → %s", patched.UpdatedAt, again.UpdatedAt)
		}
		if env := e.Do("PATCH", "/v1/vendors/"+v.URN, tok, `{"name":" ","metadata":[{"name":"x","type":"SELECT","value":["a"]}]}`).
			ExpectError(t, 422, "validation_failed"); !env.HasField("name") || !env.HasField("metadata[0].value") {
			t.Fatalf("bad patch: %+v", env)
		}
		if got := auditActions(t, e, "vendor", v.URN); !slices.Equal(got, []string{"vendor.create", "vendor.update"}) {
			t.Fatalf("audit = %v", got)
		}

		t.Run("roles and spaces", func(t *testing.T) {
			e.Do("POST", "/v1/vendors", e.Tokens[auth.Viewer], `{"name":"x"}`).ExpectError(t, 403, "forbidden")
			e.Do("PATCH", "/v1/vendors/"+v.URN, e.Tokens[auth.Viewer], `{"name":"x"}`).ExpectError(t, 403, "forbidden")
			ghost := "urn:riskd:vendor:01ARZ3NDEKTSV4RRFFQ69G5FAV"
			for _, tt := range []struct{ method, path, token string }{
				{"GET", "/v1/vendors/" + v.URN, e.OtherTokens[auth.Admin]},
				{"PATCH", "/v1/vendors/" + v.URN, e.OtherTokens[auth.Admin]},
				{"GET", "/v1/vendors/" + ghost, tok},
				{"GET", "/v1/vendors/not-a-urn", tok},
				{"GET", "/v1/vendors/" + v.URN + "/sources", e.OtherTokens[auth.Admin]},
				{"POST", "/v1/vendors/" + v.URN + "/sources", e.OtherTokens[auth.Admin]},
				{"POST", "/v1/vendors/" + v.URN + "/sources/1/poll", e.OtherTokens[auth.Admin]},
			} {
				e.Do(tt.method, tt.path, tt.token, `{"name":"x","type":"NEWS","url":"https://x.example"}`).ExpectError(t, 404, "not_found")
			}
			if got := names(t, ""); len(got) != 4 {
				t.Fatalf("default space sees %v", got)
			}
			var list []wireVendor
			e.Do("GET", "/v1/vendors", e.OtherTokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &list)
			if len(list) != 0 {
				t.Fatalf("another space lists %+v", list)
			}
		})
	})
}

func TestRiskEventsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		// No job runner: events stay UNASSIGNED, so triage rules show.
		e := apitest.New(t, b, apitest.Options{})
		tok := e.Tokens[auth.Assessor]
		who := e.Do("GET", "/api/v1/whoami", tok, nil).Map(t)["principal"].(map[string]any)["id"].(string)
		acme := createVendor(t, e, `{"name":"Acme","description":"Hosting"}`)
		globex := createVendor(t, e, `{"name":"Globex"}`)

		var ev wireEvent
		e.Do("POST", "/v1/risk-events", tok, `{"vendor_urn":"`+acme.URN+`","name":"Support portal data leak","description":"Tickets exposed",
			"source_type":"MONITOR","url":"https://acme.example/notice","category_tags":["security","Security"]}`).Expect(t, 201).JSON(t, &ev)
		if !strings.HasPrefix(ev.URN, "urn:riskd:risk-event:") || ev.ReviewStatus != "PENDING" || ev.RiskLevel != "UNASSIGNED" ||
			ev.AIRecommendation != nil || ev.Vendor.URN != acme.URN || ev.Vendor.Name != "Acme" || ev.Vendor.Description != "Hosting" ||
			ev.Vendor.CreatedAt != acme.CreatedAt || !slices.Equal(ev.CategoryTags, []string{"security"}) || ev.SourceType != "MONITOR" {
			t.Fatalf("created %+v", ev)
		}
		// The spec's shape: every documented field is present, the
		// recommendation null until one is made.
		doc := e.Do("GET", "/v1/risk-events/"+ev.URN, e.Tokens[auth.Viewer], nil).Expect(t, 200).Map(t)
		for _, k := range []string{"ai_risk_level_recommendation", "created_at", "description", "name", "review_status", "risk_level", "source_type", "url", "urn", "vendor"} {
			if _, ok := doc[k]; !ok {
				t.Fatalf("GET lacks %q: %v", k, doc)
			}
		}
		if doc["ai_risk_level_recommendation"] != nil || len(doc["vendor"].(map[string]any)) != 4 {
			t.Fatalf("GET = %v", doc)
		}
		var got wireEvent
		e.Do("GET", "/v1/risk-events/"+ev.URN, tok, nil).Expect(t, 200).JSON(t, &got)
		if fmt.Sprint(got) != fmt.Sprint(ev) {
			t.Fatalf("read back %+v\ncreated   %+v", got, ev)
		}

		t.Run("create validation", func(t *testing.T) {
			tests := []struct {
				name, body string
				status     int
				fields     []string
			}{
				{"unknown vendor", `{"vendor_urn":"urn:riskd:vendor:01ARZ3NDEKTSV4RRFFQ69G5FAV","name":"x","source_type":"MONITOR"}`, 404, nil},
				{"another space's vendor is unknown", `{"vendor_urn":"` + acme.URN + `","name":"x","source_type":"MONITOR"}`, -404, nil},
				{"not a vendor URN", `{"vendor_urn":"acme","name":"x","source_type":"MONITOR"}`, 422, []string{"vendor_urn"}},
				{"bad source type", `{"vendor_urn":"` + acme.URN + `","name":"x","source_type":"TWEET"}`, 422, []string{"source_type"}},
				{"every bad field", `{"vendor_urn":"` + acme.URN + `","name":"","source_type":"","url":"javascript:alert(1)","category_tags":[""]}`,
					422, []string{"name", "source_type", "url", "category_tags[0]"}},
				{"tags of the wrong type", `{"vendor_urn":"` + acme.URN + `","name":"x","source_type":"MONITOR","category_tags":"security"}`, 422, []string{"category_tags"}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					token := tok
					if tt.status < 0 {
						token, tt.status = e.OtherTokens[auth.Admin], -tt.status
					}
					code := map[int]string{404: "not_found", 422: "validation_failed"}[tt.status]
					env := e.Do("POST", "/v1/risk-events", token, tt.body).ExpectError(t, tt.status, code)
					for _, f := range tt.fields {
						if !env.HasField(f) {
							t.Fatalf("details %+v do not name %s", env.Error.Details, f)
						}
					}
				})
			}
			e.Do("POST", "/v1/risk-events", e.Tokens[auth.Viewer], `{"vendor_urn":"`+acme.URN+`","name":"x","source_type":"MONITOR"}`).ExpectError(t, 403, "forbidden")
		})

		t.Run("triage and history", func(t *testing.T) {
			path := "/v1/risk-events/" + ev.URN
			var tri wireEvent
			e.Do("PATCH", path, tok, `{"review_status":"VERIFYING","note":"asking the vendor"}`).Expect(t, 200).JSON(t, &tri)
			if tri.ReviewStatus != "VERIFYING" || tri.RiskLevel != "UNASSIGNED" || tri.Vendor.URN != acme.URN {
				t.Fatalf("triaged %+v", tri)
			}
			tests := []struct {
				name, body string
				field      string
			}{
				{"APPLICABLE needs a level", `{"review_status":"APPLICABLE"}`, "risk_level"},
				{"unknown status", `{"review_status":"DONE"}`, "review_status"},
				{"unknown level", `{"risk_level":"SEVERE"}`, "risk_level"},
				{"no way back to UNASSIGNED", `{"risk_level":"UNASSIGNED"}`, "risk_level"},
				{"overlong note", `{"note":"` + strings.Repeat("n", 2001) + `"}`, "note"},
				{"status of the wrong type", `{"review_status":1}`, "review_status"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					if env := e.Do("PATCH", path, tok, tt.body).ExpectError(t, 422, "validation_failed"); !env.HasField(tt.field) {
						t.Fatalf("details %+v do not name %s", env.Error.Details, tt.field)
					}
				})
			}
			e.Do("PATCH", path, e.Tokens[auth.Viewer], `{"note":"x"}`).ExpectError(t, 403, "forbidden")
			e.Do("PATCH", path, e.OtherTokens[auth.Admin], `{"note":"x"}`).ExpectError(t, 404, "not_found")
			e.Do("GET", path+"/history", e.OtherTokens[auth.Admin], nil).ExpectError(t, 404, "not_found")
			e.Do("GET", path, e.OtherTokens[auth.Admin], nil).ExpectError(t, 404, "not_found")

			e.Do("PATCH", path, e.Tokens[auth.Reviewer], `{"review_status":"APPLICABLE","risk_level":"HIGH","note":"confirmed"}`).Expect(t, 200).JSON(t, &tri)
			if tri.ReviewStatus != "APPLICABLE" || tri.RiskLevel != "HIGH" {
				t.Fatalf("triaged %+v", tri)
			}
			// The same change again changes nothing and records nothing.
			e.Do("PATCH", path, tok, `{"review_status":"APPLICABLE","risk_level":"HIGH"}`).Expect(t, 200)
			var hist []struct {
				At         string `json:"at"`
				ActorID    string `json:"actor_id"`
				FromStatus string `json:"from_status"`
				ToStatus   string `json:"to_status"`
				FromLevel  string `json:"from_level"`
				ToLevel    string `json:"to_level"`
				Note       string `json:"note"`
			}
			e.Do("GET", path+"/history", e.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &hist)
			if len(hist) != 2 || hist[0].ActorID != who || hist[0].FromStatus != "PENDING" || hist[0].ToStatus != "VERIFYING" ||
				hist[0].Note != "asking the vendor" || hist[0].FromLevel != "UNASSIGNED" || hist[0].ToLevel != "UNASSIGNED" ||
				hist[1].FromStatus != "VERIFYING" || hist[1].ToStatus != "APPLICABLE" || hist[1].ToLevel != "HIGH" || hist[1].ActorID == who || hist[1].At == "" {
				t.Fatalf("history = %+v", hist)
			}
			if got := auditActions(t, e, "risk_event", ev.URN); !slices.Equal(got, []string{"risk_event.create", "risk_event.triage", "risk_event.triage"}) {
				t.Fatalf("audit = %v", got)
			}
			e.Do("GET", "/v1/risk-events/urn:riskd:risk-event:01ARZ3NDEKTSV4RRFFQ69G5FAV/history", tok, nil).ExpectError(t, 404, "not_found")
		})

		t.Run("list", func(t *testing.T) {
			// Five more events: two of Globex; one of them triaged.
			urns := []string{ev.URN}
			for i, v := range []string{acme.URN, globex.URN, acme.URN, globex.URN, acme.URN} {
				time.Sleep(2 * time.Millisecond) // one URN time each: oldest first is creation order
				urns = append(urns, createEvent(t, e, v, "event "+strconv.Itoa(i)).URN)
			}
			e.Do("PATCH", "/v1/risk-events/"+urns[2], tok, `{"risk_level":"LOW","review_status":"NOT_APPLICABLE"}`).Expect(t, 200)
			list := func(query string) ([]string, string) {
				t.Helper()
				res := e.Do("GET", "/v1/risk-events"+query, e.Tokens[auth.Viewer], nil).Expect(t, 200)
				var page []wireEvent
				res.JSON(t, &page)
				out := []string{}
				for _, ev := range page {
					if ev.Vendor.URN == "" {
						t.Fatalf("no vendor embedded in %+v", ev)
					}
					out = append(out, ev.URN)
				}
				return out, res.Header.Get("Link")
			}
			tests := []struct {
				name, query string
				want        []string
			}{
				{"all, oldest first", "", urns},
				{"vendor", "?vendor_urn=" + globex.URN, []string{urns[2], urns[4]}},
				{"threshold LOW", "?risk_threshold=LOW", []string{urns[0], urns[2]}},
				{"threshold HIGH", "?risk_threshold=HIGH", []string{urns[0]}},
				{"threshold UNASSIGNED is everything", "?risk_threshold=UNASSIGNED", urns},
				{"review status", "?review_status=PENDING", []string{urns[1], urns[3], urns[4], urns[5]}},
				{"source type", "?source_type=MONITOR&vendor_urn=" + acme.URN, []string{urns[0], urns[1], urns[3], urns[5]}},
				{"nothing matches", "?source_type=NEWS", []string{}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					got, link := list(tt.query)
					if !slices.Equal(got, tt.want) || link != "" {
						t.Fatalf("got %v (Link %q), want %v", got, link, tt.want)
					}
				})
			}

			// Pages of two, following the Link header, keep the filters.
			var all []string
			next := "/v1/risk-events?limit=2&risk_threshold=UNASSIGNED"
			for pages := 0; next != ""; pages++ {
				if pages > 3 {
					t.Fatal("pagination does not end")
				}
				page, link := list(strings.TrimPrefix(next, "/v1/risk-events"))
				all = append(all, page...)
				next = ""
				if link != "" {
					if !strings.HasSuffix(link, `>; rel="next"`) || !strings.HasPrefix(link, "</v1/risk-events?") || !strings.Contains(link, "risk_threshold=UNASSIGNED") {
						t.Fatalf("Link = %q", link)
					}
					next = strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`)
				}
			}
			if !slices.Equal(all, urns) {
				t.Fatalf("pages = %v, want %v", all, urns)
			}

			for _, tt := range []struct{ query, field string }{
				{"?risk_threshold=SEVERE", "risk_threshold"},
				{"?review_status=DONE", "review_status"},
				{"?source_type=TWEET", "source_type"},
				{"?vendor_urn=acme", "vendor_urn"},
				{"?cursor=abc", "cursor"},
				{"?limit=0", "limit"},
				{"?limit=1001", "limit"},
			} {
				if env := e.Do("GET", "/v1/risk-events"+tt.query, tok, nil).ExpectError(t, 422, "validation_failed"); !env.HasField(tt.field) {
					t.Fatalf("%s: details %+v do not name %s", tt.query, env.Error.Details, tt.field)
				}
			}
			if got, _ := list("?vendor_urn=urn:riskd:vendor:01ARZ3NDEKTSV4RRFFQ69G5FAV"); len(got) != 0 {
				t.Fatalf("unknown vendor lists %v", got)
			}
			var other []wireEvent
			e.Do("GET", "/v1/risk-events", e.OtherTokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &other)
			if len(other) != 0 {
				t.Fatalf("another space lists %d events", len(other))
			}
		})

		t.Run("list without limit is capped", func(t *testing.T) {
			// Stored directly: a thousand API calls would only be slow.
			ctx := context.Background()
			st := e.Backend.Store
			err := st.Tx(ctx, func(tx store.Q) error {
				for i := range 1000 {
					ev, err := vendorrisk.NewRiskEvent(vendorrisk.RiskEventCreate{VendorURN: globex.URN, Name: "bulk", SourceType: vendorrisk.SourceNews},
						time.Now().Add(time.Duration(i)*time.Millisecond))
					if err != nil {
						return err
					}
					if err := st.InsertRiskEvent(ctx, tx, 1, ev); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			res := e.Do("GET", "/v1/risk-events", tok, nil).Expect(t, 200)
			var page []wireEvent
			res.JSON(t, &page)
			link := res.Header.Get("Link")
			if len(page) != 1000 || !strings.Contains(link, "cursor="+url.QueryEscape(page[999].URN)) || strings.Contains(link, "limit=") {
				t.Fatalf("%d events, Link %q", len(page), link)
			}
			rest := e.Do("GET", strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`), tok, nil).Expect(t, 200)
			rest.JSON(t, &page)
			if len(page) != 6 || rest.Header.Get("Link") != "" {
				t.Fatalf("the rest: %d events, Link %q", len(page), rest.Header.Get("Link"))
			}
		})
	})
}

func TestRiskEventRecommendation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{Jobs: true})
		v := createVendor(t, e, `{"name":"Acme"}`)
		tests := []struct {
			name, level, explanation string
		}{
			{"Ransomware attack on payroll processor", "HIGH", "HIGH: keywords: ransomware (vendor-security-ransomware)"},
			{"Acme announces layoffs", "LOW", "LOW: keywords: layoffs (vendor-workforce-layoffs)"},
			{"Quarterly update", "LOW", "LOW: no severity signal, so LOW by default"},
			// The vendor-event rules understand a denial.
			{"Acme finds no evidence of a breach", "LOW", "LOW: no severity signal, so LOW by default"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ev := createEvent(t, e, v.URN, tt.name)
				var got wireEvent
				eventually(t, "the recommendation", func() bool {
					e.Do("GET", "/v1/risk-events/"+ev.URN, e.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &got)
					return got.AIRecommendation != nil
				})
				if got.AIRecommendation.RecommendedRiskLevel != tt.level || got.AIRecommendation.Explanation != tt.explanation || got.RiskLevel != tt.level {
					t.Fatalf("recommended %+v, level %s", *got.AIRecommendation, got.RiskLevel)
				}
				if a := auditActions(t, e, "risk_event", ev.URN); !slices.Equal(a, []string{"risk_event.create", "risk_event.recommend"}) {
					t.Fatalf("audit = %v", a)
				}
				// Setting the level is in the event's history too, by the
				// recommender, naming the recommendation.
				h := history(t, e, ev.URN)
				if len(h) != 1 || h[0].ActorID != "system:recommender" || h[0].FromStatus != "PENDING" || h[0].ToStatus != "PENDING" ||
					h[0].FromLevel != "UNASSIGNED" || h[0].ToLevel != tt.level || h[0].Note != "recommendation: "+tt.explanation || h[0].At == "" {
					t.Fatalf("history = %+v", h)
				}
			})
		}
		var list struct {
			Results []struct {
				Type   string          `json:"type"`
				Status string          `json:"status"`
				Result json.RawMessage `json:"result"`
			} `json:"results"`
		}
		e.Do("GET", "/api/v1/jobs?jobType="+usecase.JobVendorRiskRecommendation, e.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &list)
		if len(list.Results) != len(tests) || list.Results[0].Status != "succeeded" || !strings.Contains(string(list.Results[0].Result), `"recommended_risk_level":"LOW"`) {
			t.Fatalf("jobs = %+v", list.Results)
		}
	})
}

// upstream is a fixture server: it answers paths with stored bodies, or
// with an error status for every path when failing.
type upstream struct {
	*httptest.Server
	mu         sync.Mutex
	bodies     map[string][]byte
	status     int
	retryAfter string
	hits       int
	agents     []string
}

func newUpstream(t *testing.T, bodies map[string][]byte) *upstream {
	u := &upstream{bodies: bodies}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		defer u.mu.Unlock()
		u.hits++
		u.agents = append(u.agents, r.Header.Get("User-Agent"))
		if u.status != 0 {
			if u.retryAfter != "" {
				w.Header().Set("Retry-After", u.retryAfter)
			}
			http.Error(w, "unavailable", u.status)
			return
		}
		body, ok := u.bodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) set(path string, body []byte) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.bodies[path] = body
}

func (u *upstream) fail(status int, retryAfter string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.status, u.retryAfter = status, retryAfter
}

func (u *upstream) userAgents() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.agents)
}

func (u *upstream) requests() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.hits
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../vendorrisk/source/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withIncident rewrites one incident of a Statuspage incidents document.
func withIncident(t *testing.T, doc []byte, id string, change map[string]any) []byte {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, in := range d["incidents"].([]any) {
		if m := in.(map[string]any); m["id"] == id {
			for k, v := range change {
				m[k] = v
			}
			found = true
		}
	}
	if !found {
		t.Fatalf("no incident %s", id)
	}
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVendorSources(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		// The connector jobs run as riskd serve registers them; the
		// periodic poll is started by hand below rather than by the clock.
		r := jobs.NewRunner(b.Store, e.App.Now, slog.New(slog.NewTextHandler(io.Discard, nil)), metrics.New(), jobs.Options{PollInterval: 20 * time.Millisecond, Drain: 5 * time.Second})
		e.App.RegisterJobs(r)
		e.App.RegisterVendorPolling(r, source.NewFetcher(nil, "test"), time.Hour)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
		// The runner enqueues the periodic poll as it starts; let that one
		// finish (with no sources yet) so it cannot race the polls below.
		eventually(t, "the first periodic poll", func() bool {
			list, _, err := b.Store.ListJobs(context.Background(), b.Store.Reader(), 0, store.JobFilter{Type: usecase.JobVendorSourcesPoll, Limit: 10})
			return err == nil && len(list) == 1 && list[0].Status == store.JobSucceeded && string(list[0].Result) == `{"enqueued":0}`
		})

		tok := e.Tokens[auth.Assessor]
		vendor := createVendor(t, e, `{"name":"Acme Cloud"}`)
		sourcesPath := "/v1/vendors/" + vendor.URN + "/sources"

		incidents := fixture(t, "statuspage_incidents.json")
		page := newUpstream(t, map[string][]byte{
			"/api/v2/incidents.json":              incidents,
			"/api/v2/scheduled-maintenances.json": fixture(t, "statuspage_maintenances.json"),
		})
		news := newUpstream(t, map[string][]byte{"/feed.xml": fixture(t, "feed_rss.xml")})
		newsroom := newUpstream(t, map[string][]byte{"/atom": fixture(t, "feed_atom.xml")})
		edgar := newUpstream(t, map[string][]byte{"/submissions/CIK0001234567.json": fixture(t, "edgar_submissions.json")})

		// What the connectors themselves make of the fixtures.
		count := func(items []source.Item, err error) int {
			t.Helper()
			if err != nil || len(items) == 0 {
				t.Fatalf("fixture parses to %d items, %v", len(items), err)
			}
			return len(items)
		}
		wantNews := count(source.ParseFeed(fixture(t, "feed_rss.xml"), source.FeedFilter{VendorName: "Acme Cloud", Keywords: vendorrisk.FeedKeywords(e.App.Text)}))
		wantNewsroom := count(source.ParseFeed(fixture(t, "feed_atom.xml"), source.FeedFilter{}))
		wantFilings := count(source.ParseEDGARSubmissions(fixture(t, "edgar_submissions.json")))
		allNews := count(source.ParseFeed(fixture(t, "feed_rss.xml"), source.FeedFilter{}))
		if wantNews >= allNews {
			t.Fatalf("the RSS fixture no longer shows the filter: %d of %d items kept", wantNews, allNews)
		}

		add := func(body string) wireSource {
			t.Helper()
			var src wireSource
			e.Do("POST", sourcesPath, tok, body).Expect(t, 201).JSON(t, &src)
			return src
		}
		spSrc := add(`{"type":"STATUS_PAGE","url":"` + page.URL + `"}`)
		newsSrc := add(`{"type":"NEWS","url":"` + news.URL + `/feed.xml"}`)
		roomSrc := add(`{"type":"NEWS","url":"` + newsroom.URL + `/atom","keywords":[]}`)
		secSrc := add(`{"type":"SEC_FILING","url":"` + edgar.URL + `/submissions/CIK0001234567.json"}`)
		if spSrc.ID == 0 || spSrc.VendorURN != vendor.URN || spSrc.Type != "STATUS_PAGE" || spSrc.LastPolledAt != nil || spSrc.LastError != nil ||
			spSrc.RetryAt != nil || spSrc.Keywords != nil || roomSrc.Keywords == nil || len(roomSrc.Keywords) != 0 {
			t.Fatalf("created %+v, %+v", spSrc, roomSrc)
		}
		// Nothing listens on port 1: polling this one fails at once.
		withSecret := add(`{"type":"NEWS","url":"http://reader:s3cret@127.0.0.1:1/acme","keywords":[" acme cloud ","breach"]}`)
		if strings.Contains(withSecret.URL, "s3cret") || !slices.Equal(withSecret.Keywords, []string{"acme cloud", "breach"}) {
			t.Fatalf("created %+v", withSecret)
		}

		t.Run("create validation", func(t *testing.T) {
			tests := []struct {
				name, body string
				status     int
				fields     []string
			}{
				{"MONITOR cannot be polled", `{"type":"MONITOR","url":"https://x.example"}`, 422, []string{"type"}},
				{"bad URL", `{"type":"NEWS","url":"file:///etc/passwd"}`, 422, []string{"url"}},
				{"keywords need a feed", `{"type":"STATUS_PAGE","url":"https://x.example","keywords":["a"]}`, 422, []string{"keywords"}},
				{"keyword without a word", `{"type":"NEWS","url":"https://x.example","keywords":["ok","!!"]}`, 422, []string{"keywords[1]"}},
				{"every bad field", `{"type":"","url":""}`, 422, []string{"type", "url"}},
				{"duplicate", `{"type":"STATUS_PAGE","url":"` + page.URL + `"}`, 409, nil},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					code := map[int]string{409: "conflict", 422: "validation_failed"}[tt.status]
					env := e.Do("POST", sourcesPath, tok, tt.body).ExpectError(t, tt.status, code)
					for _, f := range tt.fields {
						if !env.HasField(f) {
							t.Fatalf("details %+v do not name %s", env.Error.Details, f)
						}
					}
				})
			}
			e.Do("POST", sourcesPath, e.Tokens[auth.Viewer], `{"type":"NEWS","url":"https://x.example"}`).ExpectError(t, 403, "forbidden")
			e.Do("POST", "/v1/vendors/urn:riskd:vendor:01ARZ3NDEKTSV4RRFFQ69G5FAV/sources", tok, `{"type":"NEWS","url":"https://x.example"}`).ExpectError(t, 404, "not_found")
		})

		poll := func(src wireSource, token string) apitest.Response {
			return e.Do("POST", sourcesPath+"/"+strconv.FormatInt(src.ID, 10)+"/poll", token, nil)
		}
		pollOK := func(t *testing.T, src wireSource, created, updated int) {
			t.Helper()
			var res usecase.PollResult
			poll(src, tok).Expect(t, 200).JSON(t, &res)
			if res.Created != created || res.Updated != updated {
				t.Fatalf("poll of %s = %+v, want created %d, updated %d", src.Type, res, created, updated)
			}
		}
		events := func(t *testing.T, query string) []wireEvent {
			t.Helper()
			var list []wireEvent
			e.Do("GET", "/v1/risk-events?vendor_urn="+vendor.URN+query, e.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &list)
			return list
		}
		byName := func(t *testing.T, list []wireEvent, name string) wireEvent {
			t.Helper()
			for _, ev := range list {
				if ev.Name == name {
					return ev
				}
			}
			t.Fatalf("no event %q", name)
			return wireEvent{}
		}

		t.Run("poll now and re-poll", func(t *testing.T) {
			poll(spSrc, e.Tokens[auth.Viewer]).ExpectError(t, 403, "forbidden")
			// Seven: five incidents and three maintenances, one listed by both.
			pollOK(t, spSrc, 7, 0)
			pollOK(t, newsSrc, wantNews, 0)
			pollOK(t, roomSrc, wantNewsroom, 0)
			pollOK(t, secSrc, wantFilings, 0)
			for _, u := range []*upstream{page, news, newsroom, edgar} {
				for _, ua := range u.userAgents() {
					if !strings.HasPrefix(ua, "riskd/") || !strings.Contains(ua, "vendor risk monitor") {
						t.Fatalf("User-Agent %q", ua)
					}
				}
			}
			// Unchanged upstream data: nothing new, nothing updated.
			for _, src := range []wireSource{spSrc, newsSrc, roomSrc, secSrc} {
				pollOK(t, src, 0, 0)
			}
			if n := len(events(t, "")); n != 7+wantNews+wantNewsroom+wantFilings {
				t.Fatalf("%d events", n)
			}
			var sources []wireSource
			e.Do("GET", sourcesPath, e.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &sources)
			if len(sources) != 5 || sources[0].ID != spSrc.ID || sources[0].LastPolledAt == nil || sources[0].LastError != nil || sources[4].LastPolledAt != nil {
				t.Fatalf("sources = %+v", sources)
			}

			// Every polled event gets its recommendation.
			eventually(t, "recommendations of the polled events", func() bool {
				for _, ev := range events(t, "") {
					if ev.AIRecommendation == nil {
						return false
					}
				}
				return true
			})
			list := events(t, "&source_type=STATUS_PAGE")
			outage := byName(t, list, "Elevated API error rates in us-east-1")
			if outage.RiskLevel != "HIGH" || outage.AIRecommendation.Explanation != "HIGH: Statuspage impact major (status identified)" ||
				outage.URL != "https://stspg.io/kx3qz7v1m0pd" || outage.ReviewStatus != "PENDING" {
				t.Fatalf("outage = %+v", outage)
			}
			filing := byName(t, events(t, "&source_type=SEC_FILING"), "8-K/A Item 1.05: Material Cybersecurity Incident")
			if filing.AIRecommendation.RecommendedRiskLevel != "HIGH" && filing.AIRecommendation.RecommendedRiskLevel != "CRITICAL" {
				t.Fatalf("filing = %+v", filing)
			}

			// A reviewer takes over one incident's level.
			slow := byName(t, list, "Investigating reports of slow search indexing")
			e.Do("PATCH", "/v1/risk-events/"+slow.URN, tok, `{"risk_level":"MEDIUM","review_status":"VERIFYING"}`).Expect(t, 200)

			// Both incidents escalate upstream: the same events are updated
			// and recommended again; the reviewer's level stays.
			escalated := withIncident(t, incidents, "kx3qz7v1m0pd", map[string]any{"impact": "critical"})
			escalated = withIncident(t, escalated, "g0sa9h4j6kpx", map[string]any{"impact": "critical", "status": "identified"})
			page.set("/api/v2/incidents.json", escalated)
			pollOK(t, spSrc, 0, 2)
			pollOK(t, spSrc, 0, 0)
			var outageNow, slowNow wireEvent
			eventually(t, "the escalated recommendations", func() bool {
				e.Do("GET", "/v1/risk-events/"+outage.URN, tok, nil).Expect(t, 200).JSON(t, &outageNow)
				e.Do("GET", "/v1/risk-events/"+slow.URN, tok, nil).Expect(t, 200).JSON(t, &slowNow)
				return outageNow.AIRecommendation.RecommendedRiskLevel == "CRITICAL" && slowNow.AIRecommendation.RecommendedRiskLevel == "CRITICAL"
			})
			if outageNow.RiskLevel != "CRITICAL" || slowNow.RiskLevel != "MEDIUM" || slowNow.ReviewStatus != "VERIFYING" {
				t.Fatalf("after escalation: outage %s, reviewed %s/%s", outageNow.RiskLevel, slowNow.RiskLevel, slowNow.ReviewStatus)
			}
			if n := len(events(t, "&source_type=STATUS_PAGE")); n != 7 {
				t.Fatalf("%d status page events after the update", n)
			}
			if a := auditActions(t, e, "risk_event", outage.URN); !slices.Equal(a, []string{"risk_event.observe", "risk_event.recommend", "risk_event.refresh", "risk_event.recommend"}) {
				t.Fatalf("audit = %v", a)
			}
			// Each level the recommender set is in the history; once a
			// reviewer set theirs, recommendations no longer add entries.
			levels := func(h []wireHistoryEntry) string {
				var out []string
				for _, x := range h {
					out = append(out, x.ActorID+":"+x.FromLevel+">"+x.ToLevel)
				}
				return strings.Join(out, " ")
			}
			if h := history(t, e, outage.URN); levels(h) != "system:recommender:UNASSIGNED>HIGH system:recommender:HIGH>CRITICAL" ||
				!strings.HasPrefix(h[1].Note, "recommendation: CRITICAL: Statuspage impact critical") {
				t.Fatalf("outage history = %+v", h)
			}
			if h := history(t, e, slow.URN); len(h) != 2 || h[0].ActorID != "system:recommender" || h[0].FromLevel != "UNASSIGNED" ||
				h[0].ToLevel != slow.RiskLevel || h[1].ActorID == "system:recommender" || h[1].ToLevel != "MEDIUM" {
				t.Fatalf("reviewed incident history = %+v", h)
			}
		})

		t.Run("failing source", func(t *testing.T) {
			news.fail(http.StatusInternalServerError, "")
			env := poll(newsSrc, tok).ExpectError(t, 502, "upstream_failed")
			if !strings.Contains(env.Error.Message, "HTTP 500") {
				t.Fatalf("message %q", env.Error.Message)
			}
			var sources []wireSource
			e.Do("GET", sourcesPath, e.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &sources)
			if sources[1].LastError == nil || !strings.Contains(*sources[1].LastError, "HTTP 500") || sources[1].RetryAt != nil ||
				sources[0].LastError != nil || sources[2].LastError != nil {
				t.Fatalf("sources = %+v", sources)
			}
			pollOK(t, spSrc, 0, 0) // the others are untouched

			// A body over the size limit is refused, not cut.
			news.fail(0, "")
			news.set("/feed.xml", []byte(strings.Repeat(" ", source.DefaultMaxBytes+1)))
			if env := poll(newsSrc, tok).ExpectError(t, 502, "upstream_failed"); !strings.Contains(env.Error.Message, "size limit") {
				t.Fatalf("message %q", env.Error.Message)
			}
			news.set("/feed.xml", fixture(t, "feed_rss.xml"))
		})

		t.Run("429 with Retry-After", func(t *testing.T) {
			edgar.fail(http.StatusTooManyRequests, "120")
			before := edgar.requests()
			res := poll(secSrc, tok)
			res.ExpectError(t, 429, "rate_limit_exceeded")
			if ra, _ := strconv.Atoi(res.Header.Get("Retry-After")); ra < 118 || ra > 120 {
				t.Fatalf("Retry-After %q", res.Header.Get("Retry-After"))
			}
			var sources []wireSource
			e.Do("GET", sourcesPath, e.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &sources)
			sec := sources[3]
			if sec.LastError == nil || !strings.Contains(*sec.LastError, "429") || sec.RetryAt == nil {
				t.Fatalf("source = %+v", sec)
			}
			if at, err := time.Parse(time.RFC3339, *sec.RetryAt); err != nil || time.Until(at) < 100*time.Second || time.Until(at) > 121*time.Second {
				t.Fatalf("retry_at %s, %v", *sec.RetryAt, err)
			}
			// Until then riskd does not ask again, not even when told to.
			res = poll(secSrc, tok)
			res.ExpectError(t, 429, "rate_limit_exceeded")
			if res.Header.Get("Retry-After") == "" || edgar.requests() != before+1 {
				t.Fatalf("polled a waiting source: %d requests, Retry-After %q", edgar.requests()-before, res.Header.Get("Retry-After"))
			}
		})

		t.Run("periodic poll", func(t *testing.T) {
			newsroom.fail(http.StatusServiceUnavailable, "")
			edgarBefore, pageBefore := edgar.requests(), page.requests()
			page.set("/api/v2/incidents.json", withIncident(t, incidents, "kx3qz7v1m0pd", map[string]any{"status": "resolved"}))
			// What the clock does every interval: one system job.
			j, err := jobs.New(time.Now(), 0, usecase.JobVendorSourcesPoll, struct{}{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.Store.InsertJob(context.Background(), b.Store.Writer(), j); err != nil {
				t.Fatal(err)
			}
			type job struct {
				ID     string          `json:"id"`
				Status string          `json:"status"`
				Result json.RawMessage `json:"result"`
				Error  *struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			var polls []job
			// Four sources are due: the one waiting for Retry-After is not;
			// the one with credentials points nowhere and fails like any.
			eventually(t, "the fanned-out poll jobs", func() bool {
				var list struct{ Results []job }
				e.Do("GET", "/api/v1/jobs?jobType="+usecase.JobVendorSourcePoll, e.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &list)
				polls = list.Results
				if len(polls) != 4 {
					return false
				}
				for _, p := range polls {
					if p.Status == "running" {
						return false
					}
				}
				return true
			})
			var failed []string
			for _, p := range polls {
				if p.Error != nil {
					failed = append(failed, p.Error.Code)
				}
			}
			slices.Sort(failed)
			if !slices.Equal(failed, []string{"source_failed", "source_throttled"}) {
				t.Fatalf("poll jobs = %+v", polls)
			}
			if edgar.requests() != edgarBefore || page.requests() != pageBefore+2 {
				t.Fatalf("requests: EDGAR %d (want none), status page %d (want 2)", edgar.requests()-edgarBefore, page.requests()-pageBefore)
			}
			var sources []wireSource
			e.Do("GET", sourcesPath, e.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &sources)
			if sources[1].LastError != nil || sources[2].LastError == nil || !strings.Contains(*sources[2].LastError, "503") ||
				sources[4].LastError == nil || strings.Contains(*sources[4].LastError, "s3cret") {
				t.Fatalf("sources = %+v", sources)
			}
			// The resolved incident was updated by the job and re-judged.
			eventually(t, "the resolved incident's recommendation", func() bool {
				ev := byName(t, events(t, "&source_type=STATUS_PAGE"), "Elevated API error rates in us-east-1")
				return ev.AIRecommendation.RecommendedRiskLevel == "MEDIUM"
			})
			// The jobs ran in the sources' space, not in any other.
			var other struct{ Results []job }
			e.Do("GET", "/api/v1/jobs", e.OtherTokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &other)
			if len(other.Results) != 0 {
				t.Fatalf("another space sees %+v", other.Results)
			}
		})
	})
}

// TestPollNowRefusesPrivateAddresses shows that a poll asked for through
// the API uses the server's guarded fetcher: an assessor cannot make riskd
// fetch loopback or internal addresses (unless serve allows them).
func TestPollNowRefusesPrivateAddresses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{GuardSources: true})
		page := newUpstream(t, map[string][]byte{
			"/api/v2/incidents.json":              fixture(t, "statuspage_incidents.json"),
			"/api/v2/scheduled-maintenances.json": fixture(t, "statuspage_maintenances.json"),
		})
		v := createVendor(t, e, `{"name":"Internal Vendor"}`)
		var src wireSource
		e.Do("POST", "/v1/vendors/"+v.URN+"/sources", e.Tokens[auth.Assessor], `{"type":"STATUS_PAGE","url":"`+page.URL+`"}`).
			Expect(t, 201).JSON(t, &src)
		env := e.Do("POST", "/v1/vendors/"+v.URN+"/sources/"+strconv.FormatInt(src.ID, 10)+"/poll", e.Tokens[auth.Assessor], nil).
			ExpectError(t, http.StatusBadGateway, "upstream_failed")
		page.mu.Lock()
		hits := page.hits
		page.mu.Unlock()
		if hits != 0 {
			t.Fatalf("the loopback source was fetched %d times (%s)", hits, env.Error.Message)
		}
		var list []wireSource
		e.Do("GET", "/v1/vendors/"+v.URN+"/sources", e.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &list)
		if len(list) != 1 || list[0].LastError == nil || !strings.Contains(*list[0].LastError, "not public") {
			t.Fatalf("last_error not recorded: %+v", list)
		}
	})
}
