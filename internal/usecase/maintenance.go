package usecase

import (
	"context"
	"time"

	"github.com/riskd/riskd/internal/store"
)

// JobMaintenance prunes expired records; it runs hourly on one node.
const JobMaintenance = "maintenance"

// IdempotencyKeyTTL is how long an Idempotency-Key is remembered.
const IdempotencyKeyTTL = 24 * time.Hour

// MinJobRetention is the shortest job retention serve accepts: the
// maintenance job runs hourly, and a replayed Idempotency-Key, remembered
// for a day, should still find its job.
const MinJobRetention = IdempotencyKeyTTL

// pruneBatch is how many finished jobs one statement deletes. Each batch is
// its own short transaction (a few milliseconds: BenchmarkPruneJobs), and
// pruneJobs waits as long again before the next, so that on SQLite's one
// writer requests' writes get at least half of the time.
const pruneBatch = 500

// pruneBudget bounds one run's pruning, inside the job timeout (10 min): a
// run that reaches it leaves the rest to the next run.
const pruneBudget = 8 * time.Minute

// pruneWait is the pause between two batches (a variable so that a test
// can end a run during one).
var pruneWait = time.After

// maintenanceResult is the maintenance job's result.
type maintenanceResult struct {
	IdempotencyKeysPruned int64 `json:"idempotencyKeysPruned"`
	JobsPruned            int   `json:"jobsPruned"`
	// JobsPruneIncomplete: the run stopped (at its time budget, or at
	// shutdown) with finished jobs past the retention left for the next.
	JobsPruneIncomplete bool `json:"jobsPruneIncomplete,omitempty"`
}

func (a *App) maintenance(ctx context.Context, _ store.Job, _ func(any) error) (any, error) {
	now := a.Now()
	var res maintenanceResult
	var err error
	if res.IdempotencyKeysPruned, err = a.Store.PruneIdemKeys(ctx, a.Store.Writer(), now.Add(-IdempotencyKeyTTL)); err != nil {
		return nil, err
	}
	if a.JobRetention > 0 {
		cutoff := now.Add(-a.JobRetention)
		res.JobsPruned, res.JobsPruneIncomplete, err = a.pruneJobs(ctx, cutoff, pruneBudget)
		if err != nil {
			a.Log.Warn("pruning finished jobs failed", "count", res.JobsPruned, "updated_before", store.T(cutoff), "err", err)
			return nil, err
		}
		if res.JobsPruned > 0 {
			a.Log.Info("finished jobs pruned", "count", res.JobsPruned, "updated_before", store.T(cutoff), "incomplete", res.JobsPruneIncomplete)
		}
	}
	return res, nil
}

// pruneJobs deletes finished jobs last updated before cutoff, a batch at a
// time, until none is left (incomplete false) or until budget has passed or
// ctx ends (incomplete true: the next run goes on).
func (a *App) pruneJobs(ctx context.Context, cutoff time.Time, budget time.Duration) (int, bool, error) {
	start := time.Now()
	pruned, after := 0, ""
	for {
		batchStart := time.Now()
		n, last, err := a.Store.PruneJobs(ctx, cutoff, after, pruneBatch)
		pruned += n
		switch {
		case ctx.Err() != nil:
			return pruned, true, nil
		case err != nil:
			return pruned, true, err
		case n < pruneBatch:
			return pruned, false, nil
		case time.Since(start) >= budget:
			return pruned, true, nil
		}
		after = last
		select {
		case <-ctx.Done():
			return pruned, true, nil
		case <-pruneWait(time.Since(batchStart)):
		}
	}
}
