package httpapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/httpapi/apitest"
	"github.com/riskd/riskd/internal/store/storetest"
	"github.com/riskd/riskd/internal/textrisk"
)

const specText = "we can't provide a provisional dispute credit until the investigation is completed"

func analysisBody(text, scenario string) string {
	b, _ := json.Marshal(map[string]any{"content": map[string]string{"type": "text", "text": text}, "scenario": scenario})
	return string(b)
}

type jobEnvelope struct {
	ID, Type, Status     string
	Result               json.RawMessage
	Error                *struct{ Code, Message string }
	CreatedAt, UpdatedAt time.Time
}

func TestInlineRiskAssessment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		tok := e.Tokens[auth.Assessor]
		var job jobEnvelope
		res := e.Do("POST", "/api/v1/analysis/risk", tok, analysisBody(specText, "dispute")).Expect(t, 200)
		res.JSON(t, &job)
		var result struct {
			Type        string
			RiskScore   int
			PackVersion string
		}
		if err := json.Unmarshal(job.Result, &result); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(job.ID, "job_") || job.Type != "risk_assessment" || job.Status != "succeeded" || job.Error != nil ||
			result.Type != "analysis.risk.result" || result.RiskScore < 61 || result.RiskScore > 80 || result.PackVersion == "" {
			t.Fatalf("job = %+v, result %+v", job, result)
		}
		// The same envelope is durable and readable afterwards.
		again := e.Do("GET", "/api/v1/jobs/"+job.ID, e.Tokens[auth.Viewer], nil).Expect(t, 200)
		if string(again.Body) != string(res.Body) {
			t.Fatalf("GET differs from the submit response:\n%s\n%s", res.Body, again.Body)
		}
		e.Do("GET", "/api/v1/jobs/"+job.ID, e.OtherTokens[auth.Admin], nil).ExpectError(t, 404, "not_found")
		// The audit event records the hash of the result as served.
		var events struct {
			Results []struct{ Action, ActorID, StateHash string }
		}
		e.Do("GET", "/api/v1/audit-events?resourceType=job&resourceId="+job.ID, e.Tokens[auth.Admin], nil).Expect(t, 200).JSON(t, &events)
		if sum := sha256.Sum256(job.Result); len(events.Results) != 1 || events.Results[0].Action != "analysis.risk" ||
			events.Results[0].StateHash != hex.EncodeToString(sum[:]) {
			t.Fatalf("audit events of %s = %+v, want the hash of %s", job.ID, events.Results, job.Result)
		}

		clean := "Thank you for contacting us. We received your dispute and will credit your account provisionally within 10 business days while we investigate."
		e.Do("POST", "/api/v1/analysis/risk", tok, analysisBody(clean, "dispute")).Expect(t, 200).JSON(t, &job)
		if err := json.Unmarshal(job.Result, &result); err != nil || result.RiskScore > 20 {
			t.Fatalf("clean text scored %d", result.RiskScore)
		}
	})
}

func TestAnalysisValidation(t *testing.T) {
	storetest.Each(t, testAnalysisValidation)
}

func testAnalysisValidation(t *testing.T, b storetest.Backend) {
	e := apitest.New(t, b, apitest.Options{})
	tok := e.Tokens[auth.Assessor]
	big := strings.Repeat("a", 256<<10+1)
	tests := []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"unknown scenario", analysisBody("hello", "mortgage"), 422, "validation_failed", "scenario"},
		{"missing scenario", `{"content":{"type":"text","text":"hi"}}`, 422, "validation_failed", "scenario"},
		{"wrong content type", `{"content":{"type":"html","text":"hi"},"scenario":"generic"}`, 422, "validation_failed", "content.type"},
		{"empty text", analysisBody("", "generic"), 422, "validation_failed", "content.text"},
		{"text not a string", `{"content":{"type":"text","text":5},"scenario":"generic"}`, 422, "validation_failed", "content.text"},
		{"not json", `{"content":`, 400, "invalid_json", ""},
		{"text over 256 KiB", analysisBody(big, "generic"), 413, "payload_too_large", ""},
		// The size is checked before anything else in the body.
		{"text over 256 KiB, bad scenario", analysisBody(big, "mortgage"), 413, "payload_too_large", ""},
		{"text over 256 KiB, no scenario", `{"content":{"type":"text","text":"` + big + `"}}`, 413, "payload_too_large", ""},
		{"text over 256 KiB, wrong content type", `{"content":{"type":"html","text":"` + big + `"},"scenario":"generic"}`, 413, "payload_too_large", ""},
		{"text of exactly 256 KiB, bad scenario", analysisBody(big[1:], "mortgage"), 422, "validation_failed", "scenario"},
	}
	for _, path := range []string{"/api/v1/analysis/risk", "/api/v1/analysis/screen"} {
		for _, tt := range tests {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				env := e.Do("POST", path, tok, tt.body).ExpectError(t, tt.status, tt.code)
				if tt.field != "" && !env.HasField(tt.field) {
					t.Fatalf("details %+v do not name %s", env.Error.Details, tt.field)
				}
			})
		}
	}
	e.Do("POST", "/api/v1/analysis/risk", e.Tokens[auth.Viewer], analysisBody("hi", "generic")).ExpectError(t, 403, "forbidden")
	// Nothing was stored by the failures.
	var list struct{ Results []any }
	e.Do("GET", "/api/v1/jobs", tok, nil).Expect(t, 200).JSON(t, &list)
	if len(list.Results) != 0 {
		t.Fatalf("%d jobs stored by rejected requests", len(list.Results))
	}
}

func TestScreenAnalysis(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{Jobs: true})
		tok := e.Tokens[auth.Assessor]
		text := "Dear customer, “we can’t provide a provisional dispute credit until the investigation is completed” and a police report is required."
		var job jobEnvelope
		e.Do("POST", "/api/v1/analysis/screen", tok, analysisBody(text, "dispute")).Expect(t, 202).JSON(t, &job)
		if job.Status != "running" || job.Type != "screen_analysis" || string(job.Result) != "null" {
			t.Fatalf("submitted = %+v", job)
		}
		deadline := time.Now().Add(10 * time.Second)
		for job.Status == "running" && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			e.Do("GET", "/api/v1/jobs/"+job.ID, tok, nil).Expect(t, 200).JSON(t, &job)
		}
		var result struct {
			Type      string
			RiskScore int
			Findings  []struct {
				Priority, Title, Details string
				Citations                []struct {
					Regulation struct {
						ID, Title, SourceURL string
						Authorities          []string
					}
					Chunks []struct {
						Text                   string
						StartOffset, EndOffset int
					}
				}
			}
		}
		if err := json.Unmarshal(job.Result, &result); err != nil || job.Status != "succeeded" {
			t.Fatalf("job = %+v (%v)", job, err)
		}
		if result.Type != "analysis.screen.result" || len(result.Findings) < 2 || result.RiskScore <= 61 {
			t.Fatalf("result = %+v", result)
		}
		prev := "p1"
		for _, f := range result.Findings {
			if f.Priority < prev || len(f.Citations) == 0 || f.Citations[0].Regulation.SourceURL == "" {
				t.Fatalf("finding out of order or without citation: %+v", f)
			}
			prev = f.Priority
			for _, c := range f.Citations {
				for _, ch := range c.Chunks {
					if text[ch.StartOffset:ch.EndOffset] != ch.Text {
						t.Fatalf("chunk %q is not bytes %d-%d of the text (%q)", ch.Text, ch.StartOffset, ch.EndOffset, text[ch.StartOffset:ch.EndOffset])
					}
				}
			}
		}
	})
}

func TestAnalysisIdempotency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{})
		tok := e.Tokens[auth.Assessor]
		for _, c := range []struct {
			path, key string
			status    int
		}{
			{"/api/v1/analysis/risk", "a1", 200},
			{"/api/v1/analysis/screen", "s1", 202},
		} {
			first := e.Do("POST", c.path, tok, analysisBody(specText, "dispute"), "Idempotency-Key", c.key).Expect(t, c.status)
			again := e.Do("POST", c.path, tok, analysisBody(specText, "dispute"), "Idempotency-Key", c.key).Expect(t, c.status)
			if string(first.Body) != string(again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("%s: replay returned a different job:\n%s\n%s", c.path, first.Body, again.Body)
			}
			// The same key with another scenario, or another text, is a conflict.
			e.Do("POST", c.path, tok, analysisBody(specText, "generic"), "Idempotency-Key", c.key).ExpectError(t, 409, "conflict")
			e.Do("POST", c.path, tok, analysisBody(specText+".", "dispute"), "Idempotency-Key", c.key).ExpectError(t, 409, "conflict")
		}
		var list struct{ Results []any }
		e.Do("GET", "/api/v1/jobs", tok, nil).Expect(t, 200).JSON(t, &list)
		if len(list.Results) != 2 {
			t.Fatalf("%d jobs after replays and conflicts, want 2", len(list.Results))
		}
	})
}

// failingEngine stands in for the rule engine and panics, as a bug in a rule
// or in the engine would.
type failingEngine struct{}

func (failingEngine) Analyze(string, textrisk.Scenario) textrisk.Result {
	panic("rule blew up")
}

func (failingEngine) Score(string, textrisk.Scenario) textrisk.Result {
	panic("rule blew up")
}

// An engine failure is a failed job (error analysis_failed), not a failed
// request: inline it is the 200 answer and stored as such, screened the
// worker finishes the job as failed.
func TestAnalysisEngineFailure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := apitest.New(t, b, apitest.Options{Jobs: true})
		e.App.Analyzer = failingEngine{}
		tok := e.Tokens[auth.Assessor]

		res := e.Do("POST", "/api/v1/analysis/risk", tok, analysisBody(specText, "dispute")).Expect(t, 200)
		var job jobEnvelope
		res.JSON(t, &job)
		if job.Type != "risk_assessment" || job.Status != "failed" || string(job.Result) != "null" ||
			job.Error == nil || job.Error.Code != "analysis_failed" || job.Error.Message == "" {
			t.Fatalf("inline job after an engine failure: %s", res.Body)
		}
		again := e.Do("GET", "/api/v1/jobs/"+job.ID, tok, nil).Expect(t, 200)
		if string(again.Body) != string(res.Body) {
			t.Fatalf("GET differs from the submit response:\n%s\n%s", res.Body, again.Body)
		}

		e.Do("POST", "/api/v1/analysis/screen", tok, analysisBody(specText, "dispute")).Expect(t, 202).JSON(t, &job)
		deadline := time.Now().Add(10 * time.Second)
		for job.Status == "running" && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			e.Do("GET", "/api/v1/jobs/"+job.ID, tok, nil).Expect(t, 200).JSON(t, &job)
		}
		if job.Type != "screen_analysis" || job.Status != "failed" || string(job.Result) != "null" ||
			job.Error == nil || job.Error.Code != "analysis_failed" {
			t.Fatalf("screen job after an engine failure: %+v (result %s)", job, job.Result)
		}
		if n := strings.Count(e.Logs.String(), "text engine panicked"); n != 2 {
			t.Fatalf("%d engine panics logged, want 2 (one per job; a failure is not retried):\n%s", n, e.Logs.String())
		}
	})
}
