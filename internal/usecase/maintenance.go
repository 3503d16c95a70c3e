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
// its own short transaction (about 5 ms on SQLite, BenchmarkPruneJobs), so
// requests' writes go in between.
const pruneBatch = 500

// pruneBudget bounds one run's pruning, inside the job timeout (10 min): a
// run that reaches it leaves the rest to the next run.
const pruneBudget = 5 * time.Minute

// maintenanceResult is the maintenance job's result.
type maintenanceResult struct {
	IdempotencyKeysPruned int64 `json:"idempotencyKeysPruned"`
	JobsPruned            int64 `json:"jobsPruned"`
	// JobsPruneIncomplete: the run stopped at its time budget with
	// finished jobs past the retention left for the next run.
	JobsPruneIncomplete bool `json:"jobsPruneIncomplete,omitempty"`
}

func (a *App) maintenance(ctx context.Context, _ store.Job, _ func(any) error) (any, error) {
	var res maintenanceResult
	var err error
	if res.IdempotencyKeysPruned, err = a.Store.PruneIdemKeys(ctx, a.Store.Writer(), a.Now().Add(-IdempotencyKeyTTL)); err != nil {
		return nil, err
	}
	if a.JobRetention > 0 {
		cutoff := a.Now().Add(-a.JobRetention)
		if res.JobsPruned, res.JobsPruneIncomplete, err = a.pruneJobs(ctx, cutoff, pruneBudget); err != nil {
			return nil, err
		}
		if res.JobsPruned > 0 {
			a.Log.Info("finished jobs pruned", "count", res.JobsPruned, "updated_before", store.T(cutoff), "incomplete", res.JobsPruneIncomplete)
		}
	}
	return res, nil
}

// pruneJobs deletes finished jobs last updated before cutoff, a batch at a
// time, until none is left or budget has passed (incomplete is then true).
func (a *App) pruneJobs(ctx context.Context, cutoff time.Time, budget time.Duration) (int64, bool, error) {
	start := time.Now()
	var pruned int64
	for {
		n, err := a.Store.PruneJobs(ctx, a.Store.Writer(), cutoff, pruneBatch)
		pruned += n
		switch {
		case err != nil:
			return pruned, false, err
		case n < pruneBatch:
			return pruned, false, nil
		case time.Since(start) >= budget:
			return pruned, true, nil
		}
	}
}
