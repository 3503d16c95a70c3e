// Package usecase holds riskd's use cases: each loads what it needs, asks a
// pure domain package to decide, and writes the outcome (rows, audit event,
// jobs) in one transaction. Handlers and the CLI call these; nothing here
// knows about HTTP.
package usecase

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riskd/riskd/internal/audit"
	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/jobs"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/textrisk"
)

// App is the set of dependencies every use case shares.
type App struct {
	Store *store.Store
	Now   func() time.Time
	Log   *slog.Logger
	// Text is the compliance text engine (built-in packs plus the operator's).
	Text *textrisk.Engine
	// Analyzer, when set, analyses texts in place of Text: tests substitute
	// one that fails, to drive the analysis_failed path. Text stays the
	// engine itself, for what needs its rules (the vendor recommender).
	Analyzer TextAnalyzer
	// JobsEnqueued is called after a transaction that enqueued jobs commits,
	// so the local runner starts them without waiting for its next poll.
	JobsEnqueued func()
	// JobRetention, when positive, is how long finished jobs are kept:
	// the hourly maintenance job deletes older ones. Zero keeps them.
	JobRetention time.Duration

	scorers    scorerCache    // compiled customer risk methodologies
	principals principalCache // resolved tokens (see Principal)
}

// TextAnalyzer is what the text-risk use cases need of the rule engine;
// *textrisk.Engine implements it. Score is Analyze without the findings.
type TextAnalyzer interface {
	Analyze(text string, scenario textrisk.Scenario) textrisk.Result
	Score(text string, scenario textrisk.Scenario) textrisk.Result
}

var _ TextAnalyzer = (*textrisk.Engine)(nil)

// NewApp returns an App with the real clock and the text engine of the
// built-in rule packs; serve replaces it when the operator adds packs.
func NewApp(st *store.Store, log *slog.Logger) (*App, error) {
	engine, err := textrisk.Default()
	if err != nil {
		return nil, fmt.Errorf("built-in rule packs: %w", err)
	}
	return &App{Store: st, Now: func() time.Time { return time.Now().UTC() }, Log: log, Text: engine, JobsEnqueued: func() {}}, nil
}

// storeNow is the clock at the store's precision (microseconds), so a
// write's response shows exactly the times a later read returns.
func (a *App) storeNow() time.Time { return a.Now().UTC().Truncate(time.Microsecond) }

// SystemActor is the actor id of changes made from the command line.
const SystemActor = "system:cli"

// Audit appends an event for a write to the caller's space chain. Call it in
// the write's own transaction so the change and its record commit together.
func (a *App) Audit(ctx context.Context, q store.Q, spaceID int64, actorID, action, resourceType, resourceID string, state any) error {
	h, err := audit.StateHash(state)
	if err != nil {
		return err
	}
	_, err = a.Store.AppendAudit(ctx, q, audit.Event{
		SpaceID: spaceID, ActorID: actorID, Action: action,
		ResourceType: resourceType, ResourceID: resourceID, At: a.Now(), StateHash: h,
	})
	return err
}

// AuditAs is Audit for a request's principal.
func (a *App) AuditAs(ctx context.Context, q store.Q, p auth.Principal, action, resourceType, resourceID string, state any) error {
	return a.Audit(ctx, q, p.Space.ID, p.ID, action, resourceType, resourceID, state)
}

// Enqueue adds a job in the caller's transaction.
func (a *App) Enqueue(ctx context.Context, q store.Q, j store.Job) error {
	_, err := a.Store.InsertJob(ctx, q, j)
	return err
}

// RegisterJobs registers every family's job handlers and periodic jobs.
func (a *App) RegisterJobs(r *jobs.Runner) {
	r.Handle(JobMaintenance, a.maintenance)
	r.Every(JobMaintenance, time.Hour)
	a.registerTextRiskJobs(r)
	a.registerVendorJobs(r)
	a.registerCustomerJobs(r)
}

// SeedSpace gives a space what every space starts with (the built-in risk
// model and the default customer risk methodology). It is idempotent:
// start-up runs it for every space.
func (a *App) SeedSpace(ctx context.Context, q store.Q, spaceID int64) error {
	if err := a.seedRiskModels(ctx, q, spaceID); err != nil {
		return err
	}
	_, err := a.activeVersion(ctx, q, spaceID)
	return err
}
