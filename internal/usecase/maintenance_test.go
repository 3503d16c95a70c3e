package usecase

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
)

// TestMaintenance: the hourly job forgets day-old idempotency keys and,
// with a retention set, deletes the finished jobs older than it; without
// one it keeps every job.
func TestMaintenance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
		job := func(status string, at time.Time) store.Job {
			j := store.Job{ID: ids.JobID(at), SpaceID: 1, Type: JobRiskAssessment, Status: status, Args: json.RawMessage(`{}`),
				MaxAttempts: 1, RunAt: at, CreatedAt: at, UpdatedAt: at}
			if _, err := s.InsertJob(ctx, s.Writer(), j); err != nil {
				t.Fatal(err)
			}
			return j
		}
		old := job(store.JobSucceeded, now.Add(-31*24*time.Hour))
		oldFailed := job(store.JobFailed, now.Add(-40*24*time.Hour))
		oldQueued := job(store.JobQueued, now.Add(-40*24*time.Hour))
		recent := job(store.JobSucceeded, now.Add(-29*24*time.Hour))
		for _, k := range []struct {
			key string
			at  time.Time
		}{{"old", now.Add(-25 * time.Hour)}, {"recent", now.Add(-23 * time.Hour)}} {
			if _, err := s.ReserveIdemKey(ctx, s.Writer(), 1, k.key, "h", k.at); err != nil {
				t.Fatal(err)
			}
		}
		a := &App{Store: s, Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler)}

		got, err := a.maintenance(ctx, store.Job{}, nil)
		if want := (maintenanceResult{IdempotencyKeysPruned: 1}); err != nil || got != want {
			t.Fatalf("without a retention: %+v, %v; want %+v", got, err, want)
		}
		if _, err := s.GetJob(ctx, s.Reader(), 1, old.ID); err != nil {
			t.Fatalf("a finished job was deleted without a retention: %v", err)
		}

		a.JobRetention = 30 * 24 * time.Hour
		got, err = a.maintenance(ctx, store.Job{}, nil)
		if want := (maintenanceResult{JobsPruned: 2}); err != nil || got != want {
			t.Fatalf("with a retention of 30 days: %+v, %v; want %+v", got, err, want)
		}
		for _, j := range []store.Job{old, oldFailed} {
			if _, err := s.GetJob(ctx, s.Reader(), 1, j.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s job of %v kept past the retention: %v", j.Status, j.UpdatedAt, err)
			}
		}
		for _, j := range []store.Job{oldQueued, recent} {
			if _, err := s.GetJob(ctx, s.Reader(), 1, j.ID); err != nil {
				t.Errorf("%s job of %v deleted: %v", j.Status, j.UpdatedAt, err)
			}
		}
	})
}

// TestPruneJobsBatchesAndBudget: pruning goes a batch at a time until none
// is left, and stops after the batch that reaches its time budget.
func TestPruneJobsBatchesAndBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
		const n = 3*pruneBatch + 7
		err := s.Tx(ctx, func(tx store.Q) error {
			for i := range n {
				jt := at.Add(time.Duration(i) * time.Millisecond)
				j := store.Job{ID: ids.JobID(jt), SpaceID: 1, Type: JobRiskAssessment, Status: store.JobSucceeded, Args: json.RawMessage(`{}`),
					MaxAttempts: 1, RunAt: jt, CreatedAt: jt, UpdatedAt: jt}
				if _, err := s.InsertJob(ctx, tx, j); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		a := &App{Store: s, Now: time.Now, Log: slog.New(slog.DiscardHandler)}
		cutoff := at.Add(time.Hour)
		if pruned, incomplete, err := a.pruneJobs(ctx, cutoff, 0); err != nil || pruned != pruneBatch || !incomplete {
			t.Fatalf("with no budget: pruned %d, incomplete %v, %v; want one batch of %d, incomplete", pruned, incomplete, err, pruneBatch)
		}
		// A run that ends with its context (at shutdown), here during the
		// pause after its first batch, says what it did, as a result and
		// not an error, and is incomplete.
		cancelled, cancel := context.WithCancel(ctx)
		defer func(wait func(time.Duration) <-chan time.Time) { pruneWait = wait }(pruneWait)
		pruneWait = func(time.Duration) <-chan time.Time {
			cancel()
			return nil // never fires
		}
		if pruned, incomplete, err := a.pruneJobs(cancelled, cutoff, time.Hour); err != nil || pruned != pruneBatch || !incomplete {
			t.Fatalf("cancelled after a batch: pruned %d, incomplete %v, %v; want %d, incomplete", pruned, incomplete, err, pruneBatch)
		}
		// And before its first, nothing.
		if pruned, incomplete, err := a.pruneJobs(cancelled, cutoff, time.Hour); err != nil || pruned != 0 || !incomplete {
			t.Fatalf("cancelled: pruned %d, incomplete %v, %v; want nothing, incomplete", pruned, incomplete, err)
		}
		pruneWait = time.After
		if pruned, incomplete, err := a.pruneJobs(ctx, cutoff, time.Hour); err != nil || pruned != n-2*pruneBatch || incomplete {
			t.Fatalf("pruned %d, incomplete %v, %v; want the other %d, complete", pruned, incomplete, err, n-2*pruneBatch)
		}
	})
}
