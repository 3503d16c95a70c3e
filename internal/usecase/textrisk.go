package usecase

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/riskd/riskd/internal/audit"
	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/jobs"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/textrisk"
)

// Job types of the text compliance family, as the API shows them.
const (
	JobRiskAssessment = "risk_assessment"
	JobScreenAnalysis = "screen_analysis"
)

// RiskResult is the result of an inline risk assessment job. PackVersion is
// riskd's addition: it names the rule packs that produced the score.
type RiskResult struct {
	Type        string `json:"type"`
	RiskScore   int    `json:"riskScore"`
	Band        string `json:"band"`
	PackVersion string `json:"packVersion"`
}

// ScreenResult is the result of a screen analysis job.
type ScreenResult struct {
	Type        string             `json:"type"`
	RiskScore   int                `json:"riskScore"`
	Band        string             `json:"band"`
	PackVersion string             `json:"packVersion"`
	Findings    []textrisk.Finding `json:"findings"`
}

// NewScreenResult shapes an engine result as the API's screen result.
func NewScreenResult(r textrisk.Result) ScreenResult {
	findings := r.Findings
	if findings == nil {
		findings = []textrisk.Finding{}
	}
	return ScreenResult{Type: "analysis.screen.result", RiskScore: r.RiskScore, Band: r.Band, PackVersion: r.PackVersion, Findings: findings}
}

// riskJobArgs records what was scored without keeping the text: the score
// is reproducible from the text and the pack version, and the text may
// carry personal data the inline path has no need to store.
type riskJobArgs struct {
	Scenario    string `json:"scenario"`
	TextSHA256  string `json:"textSha256"`
	TextBytes   int    `json:"textBytes"`
	SubmittedBy string `json:"submittedBy"`
}

type screenJobArgs struct {
	Scenario    string `json:"scenario"`
	Text        string `json:"text"`
	SubmittedBy string `json:"submittedBy"`
}

// analyze runs the engine, with findings or (scoreOnly) without, turning a
// panic (a bug in a rule or the engine) into an error so the job fails
// cleanly instead of the request.
func (a *App) analyze(text string, scenario textrisk.Scenario, scoreOnly bool) (res textrisk.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			a.Log.Error("text engine panicked", "panic", p)
			err = fmt.Errorf("text engine failed: %v", p)
		}
	}()
	var an TextAnalyzer = a.Text
	if a.Analyzer != nil {
		an = a.Analyzer
	}
	if scoreOnly {
		return an.Score(text, scenario), nil
	}
	return an.Analyze(text, scenario), nil
}

// AssessTextRisk scores text inline and stores the finished job before it
// returns, so the same envelope can be read back later, also after a crash.
// Concurrent submits share one durable commit (store.GroupTx).
func (a *App) AssessTextRisk(ctx context.Context, p auth.Principal, text string, scenario textrisk.Scenario) (store.Job, error) {
	sum := sha256.Sum256([]byte(text))
	j, err := jobs.New(a.Now(), p.Space.ID, JobRiskAssessment, riskJobArgs{
		Scenario: scenario.String(), TextSHA256: hex.EncodeToString(sum[:]), TextBytes: len(text), SubmittedBy: p.ID,
	})
	if err != nil {
		return j, err
	}
	j.Attempts, j.MaxAttempts = 1, 1
	// The job's result is the score: the findings are not built.
	res, aerr := a.analyze(text, scenario, true)
	if aerr != nil {
		j.Status, j.ErrorCode, j.ErrorMessage = store.JobFailed, "analysis_failed", "Risk assessment could not be completed."
	} else {
		j.Status = store.JobSucceeded
		if j.Result, err = json.Marshal(RiskResult{Type: "analysis.risk.result", RiskScore: res.RiskScore, Band: res.Band, PackVersion: res.PackVersion}); err != nil {
			return j, err
		}
	}
	err = a.Store.GroupTx(ctx, func(tx store.Q) error {
		if _, err := a.Store.InsertJob(ctx, tx, j); err != nil {
			return err
		}
		// j.Result is json.Marshal's: hashed as it is, not encoded again.
		return a.AuditAs(ctx, tx, p, "analysis.risk", "job", j.ID, audit.Encoded(j.Result))
	})
	return j, err
}

// SubmitScreen enqueues a screen analysis job; a worker produces findings.
func (a *App) SubmitScreen(ctx context.Context, p auth.Principal, text string, scenario textrisk.Scenario) (store.Job, error) {
	j, err := jobs.New(a.Now(), p.Space.ID, JobScreenAnalysis, screenJobArgs{Scenario: scenario.String(), Text: text, SubmittedBy: p.ID})
	if err != nil {
		return j, err
	}
	j.MaxAttempts = 3
	err = a.Store.Tx(ctx, func(tx store.Q) error {
		if err := a.Enqueue(ctx, tx, j); err != nil {
			return err
		}
		return a.AuditAs(ctx, tx, p, "analysis.screen", "job", j.ID, map[string]any{"scenario": scenario.String(), "textBytes": len(text)})
	})
	if err == nil {
		a.JobsEnqueued()
	}
	return j, err
}

func (a *App) screenJob(_ context.Context, j store.Job, _ func(any) error) (any, error) {
	var args screenJobArgs
	if err := json.Unmarshal(j.Args, &args); err != nil {
		return nil, jobs.Fail("analysis_failed", "Screen analysis could not be completed.")
	}
	scenario, err := textrisk.ParseScenario(args.Scenario)
	if err != nil {
		return nil, jobs.Fail("analysis_failed", "Screen analysis could not be completed.")
	}
	res, err := a.analyze(args.Text, scenario, false)
	if err != nil {
		return nil, jobs.Fail("analysis_failed", "Screen analysis could not be completed.")
	}
	return NewScreenResult(res), nil
}

// registerTextRiskJobs registers the screen analysis worker.
func (a *App) registerTextRiskJobs(r *jobs.Runner) {
	r.Handle(JobScreenAnalysis, a.screenJob)
}
