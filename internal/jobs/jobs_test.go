package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/jobs"
	"github.com/riskd/riskd/internal/metrics"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func now() time.Time { return time.Now().UTC() }

// waitFor polls the job until it reaches a final status.
func waitFor(t *testing.T, st *store.Store, id string) store.Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		j, err := st.GetJob(context.Background(), st.Reader(), 1, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == store.JobSucceeded || j.Status == store.JobFailed {
			return j
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("job %s did not finish", id)
	return store.Job{}
}

func enqueue(t *testing.T, st *store.Store, typ string, maxAttempts int) string {
	t.Helper()
	j, err := jobs.New(now(), 1, typ, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	j.MaxAttempts = maxAttempts
	if _, err := st.InsertJob(context.Background(), st.Writer(), j); err != nil {
		t.Fatal(err)
	}
	return j.ID
}

func start(t *testing.T, r *jobs.Runner) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestRunnerOutcomes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st := b.Store
		r := jobs.NewRunner(st, now, quiet(), metrics.New(), jobs.Options{PollInterval: 10 * time.Millisecond})
		var flaky atomic.Int32
		r.Handle("ok", func(_ context.Context, j store.Job, progress func(any) error) (any, error) {
			if err := progress(map[string]int{"done": 1}); err != nil {
				return nil, err
			}
			return map[string]string{"echo": string(j.Args)}, nil
		})
		r.Handle("flaky", func(context.Context, store.Job, func(any) error) (any, error) {
			if flaky.Add(1) < 2 {
				return nil, errors.New("transient")
			}
			return "second time lucky", nil
		})
		r.Handle("broken", func(context.Context, store.Job, func(any) error) (any, error) {
			return nil, jobs.Fail("analysis_failed", "Risk assessment could not be completed.")
		})
		r.Handle("panics", func(context.Context, store.Job, func(any) error) (any, error) { panic("boom") })
		start(t, r)

		tests := []struct {
			typ, status, code, result string
			attempts                  int
		}{
			{"ok", store.JobSucceeded, "", `{"echo":"{\"k\":\"v\"}"}`, 1},
			{"flaky", store.JobSucceeded, "", `"second time lucky"`, 2},
			{"broken", store.JobFailed, "analysis_failed", "", 1},
			{"panics", store.JobFailed, "internal", "", 1},
			{"unregistered", store.JobFailed, "unknown_job_type", "", 1},
		}
		for _, tt := range tests {
			t.Run(tt.typ, func(t *testing.T) {
				id := enqueue(t, st, tt.typ, 3)
				r.Notify()
				j := waitFor(t, st, id)
				if j.Status != tt.status || j.ErrorCode != tt.code || j.Attempts != tt.attempts || (tt.result != "" && string(j.Result) != tt.result) {
					t.Fatalf("job = status %s code %q attempts %d result %s", j.Status, j.ErrorCode, j.Attempts, j.Result)
				}
			})
		}
	})
}

// A node that dies mid-job leaves a running job with a lease; when the lease
// runs out another runner takes the job and finishes it.
func TestJobsResumeAfterCrash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st := b.Store
		id := enqueue(t, st, "resumable", 5)
		// The "crashed" node claimed it with a short lease and never finished.
		claimed, err := st.ClaimJobs(context.Background(), st.Writer(), now(), now().Add(200*time.Millisecond), 1)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim: %v %v", claimed, err)
		}
		r := jobs.NewRunner(st, now, quiet(), metrics.New(), jobs.Options{PollInterval: 20 * time.Millisecond})
		r.Handle("resumable", func(context.Context, store.Job, func(any) error) (any, error) { return "resumed", nil })
		start(t, r)
		j := waitFor(t, st, id)
		if j.Status != store.JobSucceeded || j.Attempts != 2 {
			t.Fatalf("job = %s after %d attempts", j.Status, j.Attempts)
		}
	})
}

func TestPeriodicJobsRunOncePerSlotAcrossNodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st := b.Store
		var runs atomic.Int32
		for node := 0; node < 2; node++ {
			r := jobs.NewRunner(st, now, quiet(), metrics.New(), jobs.Options{PollInterval: 10 * time.Millisecond})
			r.Handle("poll", func(context.Context, store.Job, func(any) error) (any, error) { runs.Add(1); return nil, nil })
			r.Every("poll", time.Hour)
			start(t, r)
		}
		time.Sleep(300 * time.Millisecond)
		if n := runs.Load(); n != 1 {
			t.Fatalf("periodic job ran %d times in one slot on two nodes", n)
		}
	})
}

func TestShutdownLetsRunningJobsFinish(t *testing.T) {
	st := storetest.SQLite(t).Store
	r := jobs.NewRunner(st, now, quiet(), metrics.New(), jobs.Options{PollInterval: 10 * time.Millisecond, Drain: 5 * time.Second})
	started := make(chan struct{})
	r.Handle("slow", func(ctx context.Context, _ store.Job, _ func(any) error) (any, error) {
		close(started)
		select {
		case <-time.After(200 * time.Millisecond):
			return "finished", nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	id := enqueue(t, st, "slow", 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	<-started
	cancel()
	<-done
	j, err := st.GetJob(context.Background(), st.Reader(), 1, id)
	if err != nil || j.Status != store.JobSucceeded {
		t.Fatalf("job after shutdown = %+v, %v", j.Status, err)
	}
}
