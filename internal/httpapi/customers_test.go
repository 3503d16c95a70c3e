package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/customer"
	"github.com/riskd/riskd/internal/httpapi/apitest"
	"github.com/riskd/riskd/internal/jobs"
	"github.com/riskd/riskd/internal/store/storetest"
	"github.com/riskd/riskd/internal/usecase"
)

func init() {
	isolationSeeds["/api/customer"] = seedCustomer
	isolationSeeds["/api/risk-methodology"] = seedMethodology
	doc, err := json.Marshal(customer.DefaultMethodology())
	if err != nil {
		panic(err)
	}
	for route, ex := range map[string]writeExample{
		"POST /api/customer":                              {Body: `{"type":"INDIVIDUAL","referenceId":"example","name":"Example Person","country":"SG"}`},
		"POST /api/customer/createWithCrps":               {Body: specBody},
		"PATCH /api/customer/{customerId}":                {Body: `{"name":"Changed Name","screening":{"adverse_media":true}}`},
		"POST /api/customer/{customerId}/risk-assessment": {},
		"POST /api/customer/{customerId}/risk-assessment/approval": {
			Body: `{"approvalStatus":"ACCEPTED","overrideRiskRating":"LOW","message":"Checked."}`,
			// A customer of its own, made by someone other than the
			// admin who decides it (four eyes).
			Setup: func(t *testing.T, e *apitest.Env, _ map[string]string) map[string]string {
				c := createCustomer(t, e, e.Tokens[auth.Assessor], `{"type":"INDIVIDUAL","referenceId":"to-decide","name":"To Decide"}`)
				return map[string]string{"customerId": strconv.FormatInt(c.ID, 10)}
			},
		},
		"PUT /api/risk-methodology":                    {Body: string(doc)},
		"POST /api/risk-methodology/{version}/dry-run": {},
		"POST /api/risk-methodology/{version}/activate": {
			// A draft by another admin than the one who activates it.
			Setup: func(t *testing.T, e *apitest.Env, _ map[string]string) map[string]string {
				v := methodologyDraft(t, e, e.Token("default", auth.Admin), func(map[string]any) {})
				return map[string]string{"version": strconv.Itoa(v)}
			},
		},
	} {
		writeExamples[route] = ex
	}
}

// seedMethodology writes a draft in space default: version 2, a number the
// other space does not have (every space has its own version 1).
func seedMethodology(t *testing.T, e *apitest.Env) map[string]string {
	v := methodologyDraft(t, e, e.Tokens[auth.Admin], func(map[string]any) {})
	return map[string]string{"version": strconv.Itoa(v)}
}

// seedCustomer creates a customer in space default for the isolation walk.
func seedCustomer(t *testing.T, e *apitest.Env) map[string]string {
	c := createCustomer(t, e, e.Tokens[auth.Assessor], `{"type":"INDIVIDUAL","referenceId":"isolated","name":"Isolated Person"}`)
	return map[string]string{"customerId": strconv.FormatInt(c.ID, 10)}
}

// domain is the header every customer route needs, for space default.
var domain = []string{"X-Domain-ID", "1"}

type wireUser struct {
	Email    *string `json:"email"`
	FullName string  `json:"fullName"`
	ID       string  `json:"id"`
}

type wireAssessment struct {
	ID         int64 `json:"id"`
	CustomerID int64 `json:"customerId"`
	Risk       struct {
		Comments       map[string][]string `json:"comments"`
		RiskScore      float64             `json:"risk_score"`
		RiskRating     string              `json:"risk_rating"`
		ComponentScore map[string]float64  `json:"component_score"`
		WeightSettings map[string]float64  `json:"weight_settings"`
		Explanation    []struct {
			Component string  `json:"component"`
			Factor    float64 `json:"factor"`
			Weight    float64 `json:"weight"`
			Score     float64 `json:"score"`
		} `json:"explanation"`
	} `json:"risk"`
	RiskRating         string    `json:"riskRating"`
	OverrideRiskRating *string   `json:"overrideRiskRating"`
	RiskScore          float64   `json:"riskScore"`
	ApprovalStatus     string    `json:"approvalStatus"`
	MethodologyVersion int       `json:"methodologyVersion"`
	NextReviewAt       time.Time `json:"nextReviewAt"`
	CreatedAt          time.Time `json:"createdAt"`
	CreatedBy          wireUser  `json:"createdBy"`
	UpdatedBy          wireUser  `json:"updatedBy"`
	CustomerRevision   int       `json:"customerRevision"`
	Approval           *struct {
		Message   string   `json:"message"`
		DecidedBy wireUser `json:"decidedBy"`
	} `json:"approval"`
}

type wireCustomer struct {
	ID          int64  `json:"id"`
	ReferenceID string `json:"referenceId"`
	Name        string `json:"name"`
	Country     string `json:"country"`
	CRPs        []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
		Role string `json:"role"`
	} `json:"crps"`
	Revision           int            `json:"revision"`
	RiskRating         string         `json:"riskRating"`
	MethodologyVersion int            `json:"methodologyVersion"`
	RiskAssessment     wireAssessment `json:"riskAssessment"`
}

func createCustomer(t *testing.T, e *apitest.Env, tok, body string) wireCustomer {
	t.Helper()
	path := "/api/customer"
	if strings.Contains(body, `"customer"`) {
		path = "/api/customer/createWithCrps"
	}
	var c wireCustomer
	e.Do("POST", path, tok, body, domain...).Expect(t, http.StatusCreated).JSON(t, &c)
	return c
}

// specBody is the reference sample's customer (see TestSpecExampleEndToEnd
// in internal/customer): 57.008335, HIGH, under a methodology with its VG
// factors and two vocabulary entries at 2/3.
const specBody = `{"customer":{"type":"CORPORATE","referenceId":"926","name":"Spec Holdings Ltd","country":"VG",
	"industry":"COMMODITY_TRADING","entity_type":"PRIVATE_TRUST_COMPANY","payment_modes":["BANK_TRANSFER","CASH"],
	"onboarding_mode":"NON_FACE_TO_FACE","ownership_layers":4,"products":["PRIVATE_BANKING"],"fatca_status":"PASSIVE_NFFE"},
	"crps":[{"type":"INDIVIDUAL","name":"A","role":"DIRECTOR","country":"SG","nationality":"SG"},
	{"type":"INDIVIDUAL","name":"B","role":"SHAREHOLDER","ownership_pct":40,"country":"SG"}]}`

// waitJob polls a job until it is no longer running.
func waitJob(t *testing.T, e *apitest.Env, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		job := e.Do("GET", "/api/v1/jobs/"+id, e.Tokens[auth.Viewer], nil).Expect(t, 200).Map(t)
		if job["status"] != "running" {
			return job
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still running: %v", id, job)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// methodologyDraft reads the active methodology, lets edit change it, and
// stores it as a draft with tok, returning the draft's version.
func methodologyDraft(t *testing.T, e *apitest.Env, tok string, edit func(m map[string]any)) int {
	t.Helper()
	m := e.Do("GET", "/api/risk-methodology", e.Tokens[auth.Viewer], nil, domain...).Expect(t, 200).Map(t)
	edit(m)
	var draft struct {
		Version int    `json:"version"`
		Status  string `json:"status"`
	}
	e.Do("PUT", "/api/risk-methodology", tok, m, domain...).Expect(t, http.StatusCreated).JSON(t, &draft)
	if draft.Status != "draft" {
		t.Fatalf("new version is %q, want draft", draft.Status)
	}
	return draft.Version
}

// activate activates a version with tok and waits for its re-scoring job.
func activate(t *testing.T, e *apitest.Env, tok string, version int) map[string]any {
	t.Helper()
	var acc struct {
		JobID string `json:"job_id"`
	}
	e.Do("POST", fmt.Sprintf("/api/risk-methodology/%d/activate", version), tok, nil, domain...).Expect(t, http.StatusAccepted).JSON(t, &acc)
	job := waitJob(t, e, acc.JobID)
	if job["status"] != "succeeded" || job["type"] != "customer_rescore" {
		t.Fatalf("re-scoring job: %v", job)
	}
	return job["result"].(map[string]any)
}

func TestCustomerAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{Jobs: true})
		assessor, reviewer, admin := e.Tokens[auth.Assessor], e.Tokens[auth.Reviewer], e.Tokens[auth.Admin]
		admin2 := e.Token("default", auth.Admin)

		t.Run("X-Domain-ID is required and must be the token's space", func(t *testing.T) {
			env := e.Do("GET", "/api/risk-methodology", assessor, nil).ExpectError(t, http.StatusBadRequest, "validation_failed")
			if !env.HasField("X-Domain-ID") {
				t.Fatalf("error does not name X-Domain-ID: %+v", env)
			}
			e.Do("POST", "/api/customer", assessor, `{}`).ExpectError(t, http.StatusBadRequest, "validation_failed")
			e.Do("GET", "/api/customer", assessor, nil, "X-Domain-ID", "2").ExpectError(t, http.StatusForbidden, "forbidden")
			e.Do("GET", "/api/customer", "", nil, domain...).ExpectError(t, http.StatusUnauthorized, "unauthorized")
		})

		t.Run("spec example through the API", func(t *testing.T) {
			v := methodologyDraft(t, e, admin, func(m map[string]any) {
				m["countries"].(map[string]any)["VG"] = map[string]any{"cpi": 0.68, "fsi": 1.0 / 3, "fatf": 43.0 / 48, "oecd": 1}
				m["industries"].(map[string]any)["COMMODITY_TRADING"] = 2.0 / 3
				m["entity_types"].(map[string]any)["PRIVATE_TRUST_COMPANY"] = 2.0 / 3
			})
			activate(t, e, admin2, v)
			c := createCustomer(t, e, assessor, specBody)
			a := c.RiskAssessment
			if a.RiskScore != 57.008335 || a.Risk.RiskScore != 57.008335 || a.RiskRating != "HIGH" || a.Risk.RiskRating != "HIGH" {
				t.Fatalf("score %v/%v rating %s/%s, want 57.008335 HIGH", a.RiskScore, a.Risk.RiskScore, a.RiskRating, a.Risk.RiskRating)
			}
			want := map[string]float64{"cpi": 6.8, "fsi": 2.5 / 3, "fatf": 10 * 43.0 / 48, "oecd": 10, "fatca": 1.25, "industry": 2.5 * 2 / 3,
				"screening": 0, "entity_type": 10, "payment_modes": 5, "onboarding_mode": 5, "ownership_layer": 2.5, "product_complexity": 5,
				"individual_shareholding": 0}
			for k, w := range want {
				if math.Abs(a.Risk.ComponentScore[k]-w) > 1e-9 {
					t.Errorf("component %s = %v, want %v", k, a.Risk.ComponentScore[k], w)
				}
			}
			if a.Risk.WeightSettings["primary_weight"] != 50 || len(a.Risk.WeightSettings) != 14 {
				t.Errorf("weight_settings %v", a.Risk.WeightSettings)
			}
			if len(a.Risk.Explanation) != 13 {
				t.Fatalf("explanation has %d entries", len(a.Risk.Explanation))
			}
			for _, tr := range a.Risk.Explanation {
				if tr.Score != tr.Weight*tr.Factor {
					t.Errorf("explanation %+v: score is not weight × factor", tr)
				}
			}
			// Comments are keyed by every party's id.
			for _, id := range []int64{c.ID, c.CRPs[0].ID, c.CRPs[1].ID} {
				if _, ok := a.Risk.Comments[strconv.FormatInt(id, 10)]; !ok {
					t.Errorf("no comments for party %d: %v", id, a.Risk.Comments)
				}
			}
			if a.MethodologyVersion != v || a.ApprovalStatus != "PENDING" || a.CustomerID != c.ID || a.CustomerRevision != 1 {
				t.Fatalf("assessment %+v", a)
			}
			// HIGH is reviewed yearly.
			if want := a.CreatedAt.AddDate(1, 0, 0); !a.NextReviewAt.Equal(want) {
				t.Fatalf("next review %s, want %s", a.NextReviewAt, want)
			}
			// The spec's read route answers the same assessment.
			var got wireAssessment
			e.Do("GET", fmt.Sprintf("/api/customer/%d/risk-assessment", c.ID), e.Tokens[auth.Viewer], nil, domain...).Expect(t, 200).JSON(t, &got)
			if got.ID != a.ID || got.RiskScore != 57.008335 || got.OverrideRiskRating != nil || got.CreatedBy.ID == "" || got.CreatedBy.Email != nil {
				t.Fatalf("GET risk-assessment: %+v", got)
			}
			raw := e.Do("GET", fmt.Sprintf("/api/customer/%d/risk-assessment", c.ID), e.Tokens[auth.Viewer], nil, domain...).Map(t)
			for _, k := range []string{"id", "createdAt", "updatedAt", "createdBy", "updatedBy", "risk", "riskRating", "overrideRiskRating",
				"riskScore", "approvalStatus", "customerId", "methodologyVersion", "nextReviewAt"} {
				if _, ok := raw[k]; !ok {
					t.Errorf("risk report lacks %q", k)
				}
			}
		})

		t.Run("validation names every bad field and stores nothing", func(t *testing.T) {
			env := e.Do("POST", "/api/customer/createWithCrps", assessor,
				`{"customer":{"type":"ROBOT","referenceId":"bad-1","name":"X","country":"UK","payment_modes":["CASH",""]},
				 "crps":[{"type":"INDIVIDUAL","name":"P","role":"OWNER","ownership_pct":140}]}`, domain...).
				ExpectError(t, http.StatusUnprocessableEntity, "validation_failed")
			for _, f := range []string{"type", "country", "payment_modes[1]", "crps[0].role", "crps[0].ownership_pct"} {
				if !env.HasField(f) {
					t.Errorf("error does not name %s: %+v", f, env)
				}
			}
			e.Do("POST", "/api/customer/createWithCrps", assessor, `{"crps":[]}`, domain...).ExpectError(t, http.StatusUnprocessableEntity, "validation_failed")
			e.Do("POST", "/api/customer", assessor, `{"type":"INDIVIDUAL","referenceId":7}`, domain...).ExpectError(t, http.StatusUnprocessableEntity, "validation_failed")
			e.Do("POST", "/api/customer", assessor, `{"type":`, domain...).ExpectError(t, http.StatusBadRequest, "invalid_json")
			var list []wireCustomer
			e.Do("GET", "/api/customer?limit=1000", assessor, nil, domain...).Expect(t, 200).JSON(t, &list)
			for _, c := range list {
				if c.ReferenceID == "bad-1" {
					t.Fatalf("a refused customer was stored: %+v", c)
				}
			}
			e.Do("GET", "/api/customer/999999", assessor, nil, domain...).ExpectError(t, http.StatusNotFound, "not_found")
			e.Do("GET", "/api/customer/abc", assessor, nil, domain...).ExpectError(t, http.StatusUnprocessableEntity, "validation_failed")
		})

		t.Run("referenceId is unique", func(t *testing.T) {
			createCustomer(t, e, assessor, `{"type":"INDIVIDUAL","referenceId":"dup","name":"One"}`)
			env := e.Do("POST", "/api/customer", assessor, `{"type":"INDIVIDUAL","referenceId":"dup","name":"Two"}`, domain...).
				ExpectError(t, http.StatusConflict, "conflict")
			if !env.HasField("referenceId") {
				t.Fatalf("conflict does not name referenceId: %+v", env)
			}
		})

		t.Run("changes re-rate and keep history; related parties keep their ids", func(t *testing.T) {
			c := createCustomer(t, e, assessor, `{"customer":{"type":"CORPORATE","referenceId":"chg","name":"Change Ltd","country":"SG",
				"industry":"RETAIL","entity_type":"PRIVATE_LIMITED_COMPANY","payment_modes":["CARD"],"onboarding_mode":"FACE_TO_FACE",
				"ownership_layers":1,"products":["LOAN"],"fatca_status":"ACTIVE_NFFE"},
				"crps":[{"type":"INDIVIDUAL","name":"Keep","role":"UBO","ownership_pct":100,"country":"SG"}]}`)
			if c.RiskRating == "HIGH" || c.RiskAssessment.Risk.RiskRating == "UNKNOWN" {
				t.Fatalf("clean customer rated %s", c.RiskRating)
			}
			kept := c.CRPs[0].ID
			path := fmt.Sprintf("/api/customer/%d", c.ID)
			var up wireCustomer
			e.Do("PATCH", path, assessor, fmt.Sprintf(`{"screening":{"sanctions":true},"crps":[{"id":%d,"type":"INDIVIDUAL","name":"Keep","role":"UBO","ownership_pct":100,"country":"SG"},
				{"type":"INDIVIDUAL","name":"New","role":"DIRECTOR","country":"SG"}]}`, kept), domain...).Expect(t, 200).JSON(t, &up)
			if up.Revision != 2 || len(up.CRPs) != 2 || up.CRPs[0].ID != kept || up.CRPs[1].ID == kept || up.CRPs[1].ID == c.ID {
				t.Fatalf("after patch: %+v", up)
			}
			// A sanctions hit is a knock-out to HIGH, named in the comments.
			a := up.RiskAssessment
			if a.RiskRating != "HIGH" || up.RiskRating != "HIGH" || a.CustomerRevision != 2 || a.ID == c.RiskAssessment.ID {
				t.Fatalf("sanctioned customer: %+v", a)
			}
			comments := strings.Join(a.Risk.Comments[strconv.FormatInt(c.ID, 10)], " | ")
			if !strings.Contains(comments, "Marked as Sanction related person/entity.") || !strings.Contains(comments, "Knock-out: sanctions") {
				t.Fatalf("comments %q", comments)
			}
			var hist []wireAssessment
			e.Do("GET", path+"/risk-assessments", e.Tokens[auth.Viewer], nil, domain...).Expect(t, 200).JSON(t, &hist)
			if len(hist) != 2 || hist[0].ID != a.ID || hist[1].ID != c.RiskAssessment.ID {
				t.Fatalf("history %+v", hist)
			}
			res := e.Do("GET", path+"/risk-assessments?limit=1", e.Tokens[auth.Viewer], nil, domain...).Expect(t, 200)
			if link := res.Header.Get("Link"); !strings.Contains(link, fmt.Sprintf("before=%d", a.ID)) || !strings.Contains(link, `rel="next"`) {
				t.Fatalf("Link %q", link)
			}
			// A patch that changes nothing makes no assessment.
			e.Do("PATCH", path, assessor, `{"name":"Change Ltd"}`, domain...).Expect(t, 200)
			e.Do("GET", path+"/risk-assessments", e.Tokens[auth.Viewer], nil, domain...).Expect(t, 200).JSON(t, &hist)
			if len(hist) != 2 {
				t.Fatalf("a no-op patch made an assessment: %d", len(hist))
			}
			// Bad patches change nothing.
			env := e.Do("PATCH", path, assessor, `{"country":"ZZ","crps":[{"id":1,"type":"INDIVIDUAL","name":"X","role":"UBO"}]}`, domain...).
				ExpectError(t, http.StatusUnprocessableEntity, "validation_failed")
			if !env.HasField("crps[0].id") {
				t.Fatalf("unknown party id not named: %+v", env)
			}
			env = e.Do("PATCH", path, assessor, `{"country":"ZZ"}`, domain...).ExpectError(t, http.StatusUnprocessableEntity, "validation_failed")
			if !env.HasField("country") {
				t.Fatalf("bad country not named: %+v", env)
			}
			var now wireCustomer
			e.Do("GET", path, e.Tokens[auth.Viewer], nil, domain...).Expect(t, 200).JSON(t, &now)
			if now.Revision != 2 || now.Country != "SG" || len(now.CRPs) != 2 {
				t.Fatalf("a refused patch changed the customer: %+v", now)
			}
			// A periodic review rates the same data again.
			var re wireAssessment
			e.Do("POST", path+"/risk-assessment", assessor, nil, domain...).Expect(t, http.StatusCreated).JSON(t, &re)
			if re.ID <= a.ID || re.CustomerRevision != 2 || re.RiskScore != a.RiskScore {
				t.Fatalf("re-assessment %+v", re)
			}
		})

		t.Run("four eyes on decisions", func(t *testing.T) {
			c := createCustomer(t, e, reviewer, `{"type":"INDIVIDUAL","referenceId":"4eyes","name":"Pat Example","country":"SG","nationality":"SG",
				"industry":"RETAIL","payment_modes":["CARD"],"onboarding_mode":"FACE_TO_FACE","products":["LOAN"],"fatca_status":"NON_US_PERSON",
				"screening":{"pep":true}}`)
			if c.RiskRating != "MEDIUM_HIGH" {
				t.Fatalf("PEP knock-out: rating %s, want MEDIUM_HIGH", c.RiskRating)
			}
			path := fmt.Sprintf("/api/customer/%d/risk-assessment/approval", c.ID)
			// The maker may not decide, whatever their role.
			e.Do("POST", path, reviewer, `{"approvalStatus":"ACCEPTED","message":"ok"}`, domain...).ExpectError(t, http.StatusForbidden, "forbidden")
			e.Do("POST", path, assessor, `{"approvalStatus":"ACCEPTED","message":"ok"}`, domain...).ExpectError(t, http.StatusForbidden, "forbidden")
			env := e.Do("POST", path, admin, `{"approvalStatus":"ACCEPTED","overrideRiskRating":"MEDIUM","message":"  "}`, domain...).
				ExpectError(t, http.StatusUnprocessableEntity, "validation_failed")
			if !env.HasField("message") {
				t.Fatalf("override without message: %+v", env)
			}
			env = e.Do("POST", path, admin, `{"approvalStatus":"PENDING","message":"x"}`, domain...).ExpectError(t, http.StatusUnprocessableEntity, "validation_failed")
			if !env.HasField("approvalStatus") {
				t.Fatalf("PENDING decision: %+v", env)
			}
			var a wireAssessment
			e.Do("POST", path, admin, `{"approvalStatus":"ACCEPTED","overrideRiskRating":"MEDIUM","message":"PEP of a foreign state-owned utility; EDD done."}`, domain...).
				Expect(t, 200).JSON(t, &a)
			if a.ApprovalStatus != "ACCEPTED" || a.OverrideRiskRating == nil || *a.OverrideRiskRating != "MEDIUM" || a.RiskRating != "MEDIUM_HIGH" ||
				a.Approval == nil || a.Approval.Message == "" || a.Approval.DecidedBy.ID == c.RiskAssessment.CreatedBy.ID {
				t.Fatalf("decision %+v", a)
			}
			// MEDIUM is reviewed every three years from the assessment.
			if want := a.CreatedAt.AddDate(3, 0, 0); !a.NextReviewAt.Equal(want) {
				t.Fatalf("next review %s, want %s", a.NextReviewAt, want)
			}
			var cur wireCustomer
			e.Do("GET", fmt.Sprintf("/api/customer/%d", c.ID), e.Tokens[auth.Viewer], nil, domain...).Expect(t, 200).JSON(t, &cur)
			if cur.RiskRating != "MEDIUM" {
				t.Fatalf("rating in force %s, want the override MEDIUM", cur.RiskRating)
			}
			e.Do("POST", path, admin2, `{"approvalStatus":"REJECTED","message":"again"}`, domain...).ExpectError(t, http.StatusConflict, "conflict")
		})

		t.Run("due for review", func(t *testing.T) {
			// Too many inputs missing: UNKNOWN, due at once.
			c := createCustomer(t, e, assessor, `{"type":"INDIVIDUAL","referenceId":"due","name":"Missing Inputs"}`)
			if c.RiskRating != "UNKNOWN" {
				t.Fatalf("rating %s, want UNKNOWN", c.RiskRating)
			}
			var due []wireCustomer
			e.Do("GET", "/api/customer?dueForReview=true&limit=1000", e.Tokens[auth.Viewer], nil, domain...).Expect(t, 200).JSON(t, &due)
			found := false
			for _, d := range due {
				found = found || d.ID == c.ID
				if d.RiskRating != "UNKNOWN" {
					t.Errorf("customer %d rated %s is listed as due", d.ID, d.RiskRating)
				}
			}
			if !found {
				t.Fatalf("UNKNOWN customer not due: %+v", due)
			}
			var unknown []wireCustomer
			e.Do("GET", "/api/customer?riskRating=UNKNOWN&limit=1000", e.Tokens[auth.Viewer], nil, domain...).Expect(t, 200).JSON(t, &unknown)
			if len(unknown) != len(due) {
				t.Fatalf("%d UNKNOWN, %d due", len(unknown), len(due))
			}
			res := e.Do("GET", "/api/customer?limit=1", e.Tokens[auth.Viewer], nil, domain...).Expect(t, 200)
			if !strings.Contains(res.Header.Get("Link"), "after=") {
				t.Fatalf("first page has no next link: %q", res.Header.Get("Link"))
			}
		})

		t.Run("methodology: validation, four eyes, dry run, re-scoring", func(t *testing.T) {
			env := e.Do("PUT", "/api/risk-methodology", admin, `{"weights":{"cpi":50},"thresholds":{"medium_low":30,"medium":20,"medium_high":40,"high":50}}`, domain...).
				ExpectError(t, http.StatusUnprocessableEntity, "validation_failed")
			for _, f := range []string{"weights", "thresholds.medium"} {
				if !env.HasField(f) {
					t.Errorf("error does not name %s: %+v", f, env)
				}
			}
			e.Do("PUT", "/api/risk-methodology", reviewer, `{}`, domain...).ExpectError(t, http.StatusForbidden, "forbidden")

			// Stricter: PEP to HIGH and lower thresholds.
			v := methodologyDraft(t, e, admin, func(m map[string]any) {
				m["knock_outs"].(map[string]any)["pep"] = "HIGH"
				m["version"], m["status"] = 99, "active" // read-only: ignored
			})
			e.Do("POST", fmt.Sprintf("/api/risk-methodology/%d/activate", v), admin, nil, domain...).ExpectError(t, http.StatusForbidden, "forbidden")
			e.Do("POST", "/api/risk-methodology/999/activate", admin2, nil, domain...).ExpectError(t, http.StatusNotFound, "not_found")

			var dry struct {
				Version      int                       `json:"version"`
				Total        int                       `json:"total"`
				Changed      int                       `json:"changed"`
				Distribution map[string]int            `json:"distribution"`
				Transitions  map[string]map[string]int `json:"transitions"`
			}
			e.Do("POST", fmt.Sprintf("/api/risk-methodology/%d/dry-run", v), admin, nil, domain...).Expect(t, 200).JSON(t, &dry)
			var all []wireCustomer
			e.Do("GET", "/api/customer?limit=1000", admin, nil, domain...).Expect(t, 200).JSON(t, &all)
			sum := 0
			for _, n := range dry.Distribution {
				sum += n
			}
			// The PEP (override MEDIUM) moves to HIGH; nobody else changes.
			if dry.Version != v || dry.Total != len(all) || sum != len(all) || dry.Changed != 1 || dry.Transitions["MEDIUM"]["HIGH"] != 1 {
				t.Fatalf("dry run %+v over %d customers", dry, len(all))
			}

			before := map[int64]wireAssessment{}
			for _, c := range all {
				var a wireAssessment
				e.Do("GET", fmt.Sprintf("/api/customer/%d/risk-assessment", c.ID), admin, nil, domain...).Expect(t, 200).JSON(t, &a)
				before[c.ID] = a
			}
			res := activate(t, e, admin2, v)
			if int(res["done"].(float64)) != len(all) || int(res["total"].(float64)) != len(all) || int(res["version"].(float64)) != v {
				t.Fatalf("job result %v, want done = total = %d", res, len(all))
			}
			for _, c := range all {
				var a wireAssessment
				e.Do("GET", fmt.Sprintf("/api/customer/%d/risk-assessment", c.ID), admin, nil, domain...).Expect(t, 200).JSON(t, &a)
				prev := before[c.ID]
				if a.MethodologyVersion != v || a.ID <= prev.ID || a.CreatedBy.ID != "system:rescore" {
					t.Fatalf("customer %d not re-scored: %+v", c.ID, a)
				}
				switch {
				case c.ReferenceID == "4eyes":
					// The computed rating changed: the decision must be made again.
					if a.RiskRating != "HIGH" || a.ApprovalStatus != "PENDING" || a.OverrideRiskRating != nil {
						t.Fatalf("PEP after stricter methodology: %+v", a)
					}
					if !a.NextReviewAt.Before(prev.NextReviewAt) && !a.NextReviewAt.Equal(prev.NextReviewAt) {
						t.Fatalf("review moved later: %s after %s", a.NextReviewAt, prev.NextReviewAt)
					}
				default:
					if a.RiskRating != prev.RiskRating || a.ApprovalStatus != prev.ApprovalStatus || !a.NextReviewAt.Equal(prev.NextReviewAt) {
						t.Fatalf("unchanged customer %d: %+v, was %+v", c.ID, a, prev)
					}
				}
			}
			e.Do("POST", fmt.Sprintf("/api/risk-methodology/%d/activate", v), admin2, nil, domain...).ExpectError(t, http.StatusConflict, "conflict")
			var versions []struct {
				Version int    `json:"version"`
				Status  string `json:"status"`
			}
			e.Do("GET", "/api/risk-methodology/versions", e.Tokens[auth.Viewer], nil, domain...).Expect(t, 200).JSON(t, &versions)
			if len(versions) != 3 || versions[0].Version != v || versions[0].Status != "active" || versions[1].Status != "retired" || versions[2].Status != "retired" {
				t.Fatalf("versions %+v", versions)
			}
			var active struct {
				Version   int `json:"version"`
				KnockOuts struct {
					PEP string `json:"pep"`
				} `json:"knock_outs"`
			}
			e.Do("GET", "/api/risk-methodology", e.Tokens[auth.Viewer], nil, domain...).Expect(t, 200).JSON(t, &active)
			if active.Version != v || active.KnockOuts.PEP != "HIGH" {
				t.Fatalf("active %+v", active)
			}
		})

		t.Run("another space sees nothing", func(t *testing.T) {
			var mine []wireCustomer
			e.Do("GET", "/api/customer", e.Tokens[auth.Viewer], nil, domain...).Expect(t, 200).JSON(t, &mine)
			var theirs []wireCustomer
			e.Do("GET", "/api/customer", e.OtherTokens[auth.Viewer], nil).ExpectError(t, http.StatusBadRequest, "validation_failed")
			whoami := e.Do("GET", "/api/v1/whoami", e.OtherTokens[auth.Viewer], nil).Expect(t, 200).Map(t)
			otherID := strconv.Itoa(int(whoami["space"].(map[string]any)["id"].(float64)))
			e.Do("GET", "/api/customer", e.OtherTokens[auth.Viewer], nil, "X-Domain-ID", otherID).Expect(t, 200).JSON(t, &theirs)
			if len(mine) == 0 || len(theirs) != 0 {
				t.Fatalf("default has %d customers, other sees %d", len(mine), len(theirs))
			}
			e.Do("GET", fmt.Sprintf("/api/customer/%d", mine[0].ID), e.OtherTokens[auth.Admin], nil, "X-Domain-ID", otherID).ExpectError(t, http.StatusNotFound, "not_found")
			// The other space has its own default methodology, version 1.
			var m struct{ Version int }
			e.Do("GET", "/api/risk-methodology", e.OtherTokens[auth.Viewer], nil, "X-Domain-ID", otherID).Expect(t, 200).JSON(t, &m)
			if m.Version != 1 {
				t.Fatalf("other space's methodology version %d", m.Version)
			}
		})

		t.Run("idempotent create", func(t *testing.T) {
			body := `{"type":"INDIVIDUAL","referenceId":"idem","name":"Idem Potent"}`
			var a, b wireCustomer
			e.Do("POST", "/api/customer", assessor, body, append([]string{"Idempotency-Key", "cust-1"}, domain...)...).Expect(t, 201).JSON(t, &a)
			e.Do("POST", "/api/customer", assessor, body, append([]string{"Idempotency-Key", "cust-1"}, domain...)...).Expect(t, 201).JSON(t, &b)
			if a.ID != b.ID {
				t.Fatalf("replay created another customer: %d, %d", a.ID, b.ID)
			}
			e.Do("POST", "/api/customer", assessor, `{"type":"INDIVIDUAL","referenceId":"idem2","name":"Other"}`,
				append([]string{"Idempotency-Key", "cust-1"}, domain...)...).ExpectError(t, http.StatusConflict, "conflict")
		})
	})
}

// TestCustomerRescoreResumes shows that a re-scoring job run again (as
// after a crash, when its lease runs out) re-rates only the customers it
// had not reached: here, none.
func TestCustomerRescoreResumes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{Jobs: true})
		var ids []int64
		for i := range 3 {
			c := createCustomer(t, e, e.Tokens[auth.Assessor], fmt.Sprintf(`{"type":"INDIVIDUAL","referenceId":"r%d","name":"R %d","country":"SG"}`, i, i))
			ids = append(ids, c.ID)
		}
		v := methodologyDraft(t, e, e.Tokens[auth.Admin], func(m map[string]any) { m["primary_weight"] = 60 })
		res := activate(t, e, e.Token("default", auth.Admin), v)
		if res["done"].(float64) != 3 || res["total"].(float64) != 3 {
			t.Fatalf("first run %v", res)
		}
		j, err := jobs.New(time.Now(), 1, usecase.JobCustomerRescore, map[string]int{"version": v})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Store.InsertJob(context.Background(), b.Store.Writer(), j); err != nil {
			t.Fatal(err)
		}
		e.Runner.Notify()
		again := waitJob(t, e, j.ID)
		if again["status"] != "succeeded" {
			t.Fatalf("second run %v", again)
		}
		if r := again["result"].(map[string]any); r["done"].(float64) != 3 || r["total"].(float64) != 3 {
			t.Fatalf("second run result %v", r)
		}
		for _, id := range ids {
			var hist []wireAssessment
			e.Do("GET", fmt.Sprintf("/api/customer/%d/risk-assessments", id), e.Tokens[auth.Viewer], nil, domain...).Expect(t, 200).JSON(t, &hist)
			if len(hist) != 2 || hist[0].MethodologyVersion != v || hist[1].MethodologyVersion != 1 {
				t.Fatalf("customer %d history after a repeated job: %+v", id, hist)
			}
		}
	})
}
