package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/httpapi/apitest"
	"github.com/riskd/riskd/internal/store/storetest"
)

// specExample is the document the spec's create example POSTs, verbatim.
const specExample = `{
  "name": {
    "en-US": "Default Risk Model"
  },
  "description": {
    "en-US": "Default Risk Model Description"
  },
  "active": true,
  "numberOfDimensions": 1,
  "numberOfScales": 2,
  "dimensions": [{
    "id": 1,
    "name": { "en-US": "Seriousness" },
    "description": { "en-US": "Seriousness description" },
    "scales": [{
      "value": 1,
      "name": { "en-US": "Not serious" },
      "description": { "en-US": "Not serious description" }
    }, {
      "value": 2,
      "name": { "en-US": "Very serious" },
      "description": { "en-US": "Very serious description" }
    }]
  }]
}`

type wireModel struct {
	ID                 string            `json:"id"`
	RiskModelID        string            `json:"riskModelId"`
	Version            int               `json:"version"`
	Name               map[string]string `json:"name"`
	CreatedOn          string            `json:"createdOn"`
	CreatedBy          string            `json:"createdBy"`
	UpdatedOn          string            `json:"updatedOn"`
	UpdatedBy          string            `json:"updatedBy"`
	Active             bool              `json:"active"`
	NumberOfDimensions int               `json:"numberOfDimensions"`
	NumberOfScales     int               `json:"numberOfScales"`
	Dimensions         []struct {
		ID     int `json:"id"`
		Scales []struct {
			Value int `json:"value"`
		} `json:"scales"`
	} `json:"dimensions"`
}

func TestRiskModelLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		tok := e.Tokens[auth.Assessor]
		who := e.Do("GET", "/api/v1/whoami", tok, nil).Map(t)["principal"].(map[string]any)["id"].(string)

		for _, prefix := range []string{"/api/riskmodel", "/riskmodel"} {
			t.Run(prefix, func(t *testing.T) {
				var m wireModel
				e.Do("POST", prefix, tok, specExample, "auth-token", tok).Expect(t, 201).JSON(t, &m)
				if m.ID == "" || m.Version != 1 || !m.Active || m.CreatedBy != who || m.UpdatedBy != who || m.CreatedOn == "" ||
					m.NumberOfDimensions != 1 || m.NumberOfScales != 2 || len(m.Dimensions) != 1 || len(m.Dimensions[0].Scales) != 2 {
					t.Fatalf("created = %+v", m)
				}
				var got wireModel
				e.Do("GET", prefix+"/"+m.ID, e.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &got)
				if got.ID != m.ID || got.Version != 1 {
					t.Fatalf("get = %+v", got)
				}

				// A new version; version 1 stays as it was.
				v2body := strings.Replace(specExample, "Default Risk Model\"", "Renamed\"", 1)
				var v2 wireModel
				e.Do("POST", prefix+"/"+m.ID, tok, v2body).Expect(t, 200).JSON(t, &v2)
				if v2.ID != m.ID || v2.Version != 2 || v2.Name["en-US"] != "Renamed" || v2.CreatedOn != m.CreatedOn {
					t.Fatalf("version 2 = %+v", v2)
				}
				var versions []wireModel
				e.Do("GET", prefix+"/"+m.ID+"/version", tok, nil).Expect(t, 200).JSON(t, &versions)
				if len(versions) != 2 || versions[0].Version != 2 || versions[1].Version != 1 ||
					versions[1].Name["en-US"] != "Default Risk Model" || versions[0].RiskModelID != m.ID || versions[0].ID == m.ID {
					t.Fatalf("versions = %+v", versions)
				}
				var v1 wireModel
				e.Do("GET", prefix+"/"+m.ID+"/version/1", tok, nil).Expect(t, 200).JSON(t, &v1)
				if v1.Version != 1 || v1.Name["en-US"] != "Default Risk Model" || v1.RiskModelID != m.ID {
					t.Fatalf("version/1 = %+v", v1)
				}
				e.Do("GET", prefix+"/"+m.ID+"/version/3", tok, nil).ExpectError(t, 404, "not_found")
				e.Do("GET", prefix+"/"+m.ID+"/version/0", tok, nil).ExpectError(t, 422, "validation_failed")

				// Calculate on the 1 × 2 model.
				calc := e.Do("POST", prefix+"/"+m.ID+"/calculate", e.Tokens[auth.Viewer], `{"values":[2]}`).Expect(t, 200).Map(t)
				if calc["score"] != 2.0 || calc["maxScore"] != 2.0 || calc["version"] != 2.0 || calc["formula"] != "2 = 2" {
					t.Fatalf("calculate = %v", calc)
				}
				env := e.Do("POST", prefix+"/"+m.ID+"/calculate", tok, `{"values":[3]}`).ExpectError(t, 422, "validation_failed")
				if !env.HasField("values[0]") {
					t.Fatalf("out of range: %+v", env)
				}
				env = e.Do("POST", prefix+"/"+m.ID+"/calculate", tok, `{"values":[1,1]}`).ExpectError(t, 422, "validation_failed")
				if !env.HasField("values") {
					t.Fatalf("arity: %+v", env)
				}

				// Deactivate twice (idempotent), calculate refuses, activate again.
				for i := 0; i < 2; i++ {
					e.Do("PUT", prefix+"/"+m.ID+"/deactivate", tok, nil).Expect(t, 200).JSON(t, &got)
					if got.Active || got.Version != 2 {
						t.Fatalf("deactivate = %+v", got)
					}
				}
				e.Do("POST", prefix+"/"+m.ID+"/calculate", tok, `{"values":[1]}`).ExpectError(t, 409, "conflict")
				e.Do("PUT", prefix+"/"+m.ID+"/activate", tok, nil).Expect(t, 200).JSON(t, &got)
				if !got.Active {
					t.Fatal("activate did not activate")
				}

				// Isolation and roles.
				e.Do("GET", prefix+"/"+m.ID, e.OtherTokens[auth.Admin], nil).ExpectError(t, 404, "not_found")
				e.Do("POST", prefix+"/"+m.ID, e.OtherTokens[auth.Admin], specExample).ExpectError(t, 404, "not_found")
				e.Do("PUT", prefix+"/"+m.ID+"/deactivate", e.OtherTokens[auth.Admin], nil).ExpectError(t, 404, "not_found")
				e.Do("POST", prefix, e.Tokens[auth.Viewer], specExample).ExpectError(t, 403, "forbidden")
				e.Do("PUT", prefix+"/"+m.ID+"/deactivate", e.Tokens[auth.Viewer], nil).ExpectError(t, 403, "forbidden")
				e.Do("GET", prefix+"/nope", tok, nil).ExpectError(t, 404, "not_found")
			})
		}

		// Activation changes are audited; a repeated PUT is not.
		var audit struct{ Results []struct{ Action string } }
		e.Do("GET", "/api/v1/audit-events?resourceType=riskmodel&limit=100", e.Tokens[auth.Admin], nil).Expect(t, 200).JSON(t, &audit)
		counts := map[string]int{}
		for _, ev := range audit.Results {
			counts[ev.Action]++
		}
		if counts["riskmodel.deactivate"] != 2 || counts["riskmodel.activate"] != 2 || counts["riskmodel.version"] != 2 || counts["riskmodel.create"] != 3 {
			t.Fatalf("audit actions = %v", counts)
		}
	})
}

func TestRiskModelValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		testRiskModelValidation(t, apitest.New(t, b, apitest.Options{}))
	})
}

func testRiskModelValidation(t *testing.T, e *apitest.Env) {
	tok := e.Tokens[auth.Assessor]
	tests := []struct {
		name, body string
		status     int
		fields     []string
	}{
		{"not json", `{"name":`, 400, nil},
		{"empty body", ``, 400, nil},
		{"wrong type", `{"numberOfScales":"two"}`, 422, []string{"numberOfScales"}},
		{"no name", strings.Replace(specExample, `"en-US": "Default Risk Model"`, `"en-US": ""`, 1), 422, []string{"name"}},
		{"bad locale", strings.Replace(specExample, `"en-US": "Default Risk Model"`, `"en_US": "x"`, 1), 422, []string{"name.en_US"}},
		{"dimension count", strings.Replace(specExample, `"numberOfDimensions": 1`, `"numberOfDimensions": 2`, 1), 422, []string{"numberOfDimensions"}},
		{"scale count", strings.Replace(specExample, `"numberOfScales": 2`, `"numberOfScales": 3`, 1), 422, []string{"dimensions[0].scales"}},
		{"duplicate scale value", strings.Replace(specExample, `"value": 2`, `"value": 1`, 1), 422, []string{"dimensions[0].scales[1].value"}},
		{"one scale", strings.Replace(specExample, `"numberOfScales": 2`, `"numberOfScales": 1`, 1), 422, []string{"numberOfScales"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := "validation_failed"
			if tt.status == 400 {
				code = "invalid_json"
			}
			env := e.Do("POST", "/api/riskmodel", tok, tt.body).ExpectError(t, tt.status, code)
			for _, f := range tt.fields {
				if !env.HasField(f) {
					t.Errorf("details %+v do not name %s", env.Error.Details, f)
				}
			}
		})
	}
	// Nothing was written by the failures: only the built-in model exists.
	res := e.Do("GET", "/api/riskmodel", tok, nil).Expect(t, 200)
	if res.Header.Get("X-Total-Count") != "1" {
		t.Fatalf("X-Total-Count = %s after failed creates", res.Header.Get("X-Total-Count"))
	}
}

func TestRiskModelList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		tok := e.Tokens[auth.Assessor]
		var ids []string
		for i := 0; i < 3; i++ {
			var m wireModel
			e.Do("POST", "/api/riskmodel", tok, specExample).Expect(t, 201).JSON(t, &m)
			ids = append(ids, m.ID)
		}
		e.Do("PUT", "/api/riskmodel/"+ids[1]+"/deactivate", tok, nil).Expect(t, 200)

		var list []map[string]json.RawMessage
		res := e.Do("GET", "/api/riskmodel", tok, nil).Expect(t, 200)
		res.JSON(t, &list)
		// The built-in model comes first: it was created at start-up.
		if len(list) != 4 || res.Header.Get("X-Total-Count") != "4" || !strings.Contains(string(list[0]["name"]), "AI system risk") {
			t.Fatalf("list = %d models, total %s", len(list), res.Header.Get("X-Total-Count"))
		}
		for _, tt := range []struct {
			query string
			n     int
			total string
		}{
			{"?active=false", 1, "1"},
			{"?active=true", 3, "3"},
			{"?skip=1&limit=2", 2, "4"},
			{"?skip=10", 0, "4"},
		} {
			res := e.Do("GET", "/api/riskmodel"+tt.query, tok, nil).Expect(t, 200)
			list = nil
			res.JSON(t, &list)
			if len(list) != tt.n || res.Header.Get("X-Total-Count") != tt.total {
				t.Errorf("%s: %d models, total %s", tt.query, len(list), res.Header.Get("X-Total-Count"))
			}
		}
		list = nil
		e.Do("GET", "/api/riskmodel?includeFields=name,version", tok, nil).Expect(t, 200).JSON(t, &list)
		if len(list[1]) != 3 || list[1]["id"] == nil || list[1]["version"] == nil || list[1]["dimensions"] != nil {
			t.Fatalf("includeFields: %v", list[1])
		}
		list = nil
		e.Do("GET", "/api/riskmodel?excludeFields=dimensions,id", tok, nil).Expect(t, 200).JSON(t, &list)
		if list[1]["dimensions"] != nil || list[1]["id"] == nil || list[1]["name"] == nil {
			t.Fatalf("excludeFields: %v", list[1])
		}
		env := e.Do("GET", "/api/riskmodel?includeFields=colour", tok, nil).ExpectError(t, 422, "validation_failed")
		if !env.HasField("includeFields") {
			t.Fatalf("unknown field: %+v", env)
		}
		e.Do("GET", "/api/riskmodel?limit=501", tok, nil).ExpectError(t, 422, "validation_failed")
		e.Do("GET", "/api/riskmodel?active=maybe", tok, nil).ExpectError(t, 422, "validation_failed")
		// Another space sees only its own built-in model.
		res = e.Do("GET", "/riskmodel", e.OtherTokens[auth.Viewer], nil).Expect(t, 200)
		if res.Header.Get("X-Total-Count") != "1" {
			t.Fatalf("other space sees %s models", res.Header.Get("X-Total-Count"))
		}
	})
}

func TestBuiltinModelScoresLikeAssessments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		testBuiltinModelScoresLikeAssessments(t, apitest.New(t, b, apitest.Options{}))
	})
}

func testBuiltinModelScoresLikeAssessments(t *testing.T, e *apitest.Env) {
	tok := e.Tokens[auth.Viewer]
	var list []struct {
		ID   string
		Name map[string]string
	}
	e.Do("GET", "/api/riskmodel?includeFields=name", tok, nil).Expect(t, 200).JSON(t, &list)
	if len(list) != 1 || list[0].Name["en-US"] != "AI system risk" {
		t.Fatalf("built-in = %+v", list)
	}
	calc := e.Do("POST", "/api/riskmodel/"+list[0].ID+"/calculate", tok, `{"values":[2,3,4]}`).Expect(t, 200).Map(t)
	if calc["score"] != 24.0 || calc["maxScore"] != 125.0 || calc["formula"] != "2 × 3 × 4 = 24" || calc["band"] == nil {
		t.Fatalf("calculate = %v", calc)
	}
	// 24 normalises to 19: the built-in bands follow the assessment tiers.
	band := calc["band"].(map[string]any)
	if band["name"].(map[string]any)["en-US"] != "Minimal" || band["min"] != 1.0 {
		t.Fatalf("band of 24 = %v", band)
	}
	for values, want := range map[string]string{"[1,1,1]": "Minimal", "[1,5,6]": "", "[2,4,4]": "Limited", "[4,4,4]": "High", "[5,5,4]": "Unacceptable", "[5,5,5]": "Unacceptable"} {
		if want == "" {
			e.Do("POST", "/api/riskmodel/"+list[0].ID+"/calculate", tok, `{"values":`+values+`}`).ExpectError(t, 422, "validation_failed")
			continue
		}
		calc := e.Do("POST", "/api/riskmodel/"+list[0].ID+"/calculate", tok, `{"values":`+values+`}`).Expect(t, 200).Map(t)
		if got := calc["band"].(map[string]any)["name"].(map[string]any)["en-US"]; got != want {
			t.Errorf("band of %s = %v, want %s", values, got, want)
		}
	}
}

// bandedModel is the built-in model's document under another name with the
// given bands (a JSON array).
func bandedModel(t *testing.T, e *apitest.Env, bands string) string {
	t.Helper()
	var list []struct{ ID string }
	e.Do("GET", "/api/riskmodel?limit=1", e.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &list)
	var doc map[string]any
	e.Do("GET", "/api/riskmodel/"+list[0].ID, e.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &doc)
	doc["name"] = map[string]string{"en-US": "Banded"}
	var b any
	if err := json.Unmarshal([]byte(bands), &b); err != nil {
		t.Fatal(err)
	}
	doc["bands"] = b
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestRiskModelBands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		tok := e.Tokens[auth.Assessor]

		// The documented example: Low from 1, High from 40.
		body := bandedModel(t, e, `[{"name":{"en-US":"Low"},"min":1,"color":"#2e7d32"},{"name":{"en-US":"High"},"min":40,"color":"#c62828"}]`)
		var m struct {
			ID    string
			Bands []struct {
				Name  map[string]string
				Min   int
				Color string
			}
		}
		e.Do("POST", "/api/riskmodel", tok, body).Expect(t, 201).JSON(t, &m)
		if len(m.Bands) != 2 || m.Bands[0].Name["en-US"] != "Low" || m.Bands[1].Min != 40 || m.Bands[1].Color != "#c62828" {
			t.Fatalf("created bands = %+v", m.Bands)
		}
		var got struct{ Bands []struct{ Min int } }
		e.Do("GET", "/riskmodel/"+m.ID, e.Tokens[auth.Viewer], nil).Expect(t, 200).JSON(t, &got)
		if len(got.Bands) != 2 || got.Bands[1].Min != 40 {
			t.Fatalf("stored bands = %+v", got.Bands)
		}
		for _, tt := range []struct {
			values string
			score  float64
			band   string
		}{{"[2,3,4]", 24, "Low"}, {"[1,1,1]", 1, "Low"}, {"[3,3,4]", 36, "Low"}, {"[2,4,5]", 40, "High"}, {"[5,5,5]", 125, "High"}} {
			calc := e.Do("POST", "/api/riskmodel/"+m.ID+"/calculate", e.Tokens[auth.Viewer], `{"values":`+tt.values+`}`).Expect(t, 200).Map(t)
			band, _ := calc["band"].(map[string]any)
			if calc["score"] != tt.score || band == nil || band["name"].(map[string]any)["en-US"] != tt.band {
				t.Errorf("%s: %v, want %v in %s", tt.values, calc, tt.score, tt.band)
			}
		}

		// A score below the first band has none.
		var low struct{ ID string }
		e.Do("POST", "/api/riskmodel", tok, bandedModel(t, e, `[{"name":{"en-US":"Watch"},"min":10,"color":"#F9A825"}]`)).Expect(t, 201).JSON(t, &low)
		calc := e.Do("POST", "/api/riskmodel/"+low.ID+"/calculate", tok, `{"values":[1,3,3]}`).Expect(t, 200).Map(t)
		if v, ok := calc["band"]; !ok || v != nil {
			t.Fatalf("score 9 below the first band: %v", calc)
		}

		// A new version may change the bands; calculate uses them at once.
		e.Do("POST", "/api/riskmodel/"+low.ID, tok, bandedModel(t, e, `[{"name":{"en-US":"All"},"min":1,"color":"#000"}]`)).Expect(t, 200)
		calc = e.Do("POST", "/api/riskmodel/"+low.ID+"/calculate", tok, `{"values":[1,3,3]}`).Expect(t, 200).Map(t)
		if calc["version"] != 2.0 || calc["band"].(map[string]any)["name"].(map[string]any)["en-US"] != "All" {
			t.Fatalf("after new version: %v", calc)
		}

		// Every bad band is named at once, on create and on a new version.
		for _, tt := range []struct {
			name, bands string
			fields      []string
		}{
			{"descending", `[{"name":{"en-US":"A"},"min":40,"color":"#2e7d32"},{"name":{"en-US":"B"},"min":10,"color":"#c62828"}]`, []string{"bands[1].min"}},
			{"same min", `[{"name":{"en-US":"A"},"min":5,"color":"#2e7d32"},{"name":{"en-US":"B"},"min":5,"color":"#c62828"}]`, []string{"bands[1].min"}},
			{"below 1", `[{"name":{"en-US":"A"},"min":0,"color":"#2e7d32"}]`, []string{"bands[0].min"}},
			{"above max", `[{"name":{"en-US":"A"},"min":126,"color":"#2e7d32"}]`, []string{"bands[0].min"}},
			{"color", `[{"name":{"en-US":"A"},"min":1,"color":"red"},{"name":{"en-US":"B"},"min":2,"color":"#12345"}]`, []string{"bands[0].color", "bands[1].color"}},
			{"name", `[{"name":{},"min":1,"color":"#fff"},{"name":{"en_US":"B"},"min":2,"color":"#fff"}]`, []string{"bands[0].name", "bands[1].name.en_US"}},
			{"all at once", `[{"name":{"en-US":""},"min":50,"color":"blue"},{"name":{"en-US":"B"},"min":3,"color":"#fff"}]`, []string{"bands[0].name", "bands[0].color", "bands[1].min"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				body := bandedModel(t, e, tt.bands)
				for _, path := range []string{"/api/riskmodel", "/api/riskmodel/" + m.ID} {
					env := e.Do("POST", path, tok, body).ExpectError(t, 422, "validation_failed")
					if len(env.Error.Details) != len(tt.fields) {
						t.Errorf("POST %s: details %+v, want %v", path, env.Error.Details, tt.fields)
					}
					for _, f := range tt.fields {
						if !env.HasField(f) {
							t.Errorf("POST %s: details %+v do not name %s", path, env.Error.Details, f)
						}
					}
				}
			})
		}
		// The refused versions changed nothing.
		e.Do("GET", "/api/riskmodel/"+m.ID, tok, nil).Expect(t, 200).JSON(t, &got)
		if v := e.Do("GET", "/api/riskmodel/"+m.ID+"/version", tok, nil).Expect(t, 200).Body; strings.Count(string(v), `"version":`) != 1 {
			t.Fatalf("refused versions were stored: %s", v)
		}
	})
}

// TestRiskModelListDefaults pages with the spec's default limit of 50 and
// reports the total in X-Total-Count whatever the page.
func TestRiskModelListDefaults(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		tok := e.Tokens[auth.Assessor]
		const created = 54 // with the built-in model, 55
		var ids []string
		for i := 0; i < created; i++ {
			var m wireModel
			e.Do("POST", "/api/riskmodel", tok, strings.Replace(specExample, "Default Risk Model\"", fmt.Sprintf("Model %02d\"", i), 1)).Expect(t, 201).JSON(t, &m)
			ids = append(ids, m.ID)
		}
		e.Do("PUT", "/api/riskmodel/"+ids[0]+"/deactivate", tok, nil).Expect(t, 200)
		for _, tt := range []struct {
			query       string
			n           int
			total       string
			first, last string // names, "" not checked
		}{
			{"", 50, "55", "AI system risk", "Model 48"},
			{"?skip=50", 5, "55", "Model 49", "Model 53"},
			{"?limit=500", 55, "55", "AI system risk", "Model 53"},
			{"?active=true", 50, "54", "AI system risk", "Model 49"},
			{"?active=true&skip=50", 4, "54", "Model 50", "Model 53"},
			{"?active=false", 1, "1", "Model 00", "Model 00"},
			{"?skip=55", 0, "55", "", ""},
		} {
			for _, prefix := range []string{"/api/riskmodel", "/riskmodel"} {
				var list []wireModel
				res := e.Do("GET", prefix+tt.query, e.Tokens[auth.Viewer], nil).Expect(t, 200)
				res.JSON(t, &list)
				if len(list) != tt.n || res.Header.Get("X-Total-Count") != tt.total {
					t.Errorf("%s%s: %d models, X-Total-Count %q; want %d, %s", prefix, tt.query, len(list), res.Header.Get("X-Total-Count"), tt.n, tt.total)
					continue
				}
				if tt.n > 0 && (list[0].Name["en-US"] != tt.first || list[len(list)-1].Name["en-US"] != tt.last) {
					t.Errorf("%s%s: %s … %s, want %s … %s", prefix, tt.query, list[0].Name["en-US"], list[len(list)-1].Name["en-US"], tt.first, tt.last)
				}
			}
		}
		for _, q := range []string{"?limit=0", "?limit=501", "?skip=-1"} {
			env := e.Do("GET", "/api/riskmodel"+q, tok, nil).ExpectError(t, 422, "validation_failed")
			if len(env.Error.Details) == 0 {
				t.Errorf("%s: no details", q)
			}
		}
	})
}
