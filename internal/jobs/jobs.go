// Package jobs runs riskd's asynchronous work. The queue is the jobs table of
// the store, so a job is enqueued in the same transaction as the rows that
// cause it, is visible through GET /api/v1/jobs/{id}, and is shared by every
// node on PostgreSQL (claims use SKIP LOCKED). A claimed job holds a lease
// that its worker renews; when a node dies the lease runs out and another
// node (or the restarted one) runs the job again, so handlers are idempotent.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/metrics"
	"github.com/riskd/riskd/internal/store"
)

// Handler does one job. It returns the job's result (marshalled to JSON) or
// an error; a *Failure error ends the job at once, any other error is retried
// with backoff until MaxAttempts. Progress saves an intermediate result.
type Handler func(ctx context.Context, job store.Job, progress func(result any) error) (result any, err error)

// Failure is a final, client-visible job error: {code, message}.
type Failure struct {
	Code    string
	Message string
}

func (f *Failure) Error() string { return f.Code + ": " + f.Message }

// Fail returns a Failure that is not retried.
func Fail(code, format string, args ...any) error {
	return &Failure{Code: code, Message: fmt.Sprintf(format, args...)}
}

// New builds a queued job for spaceID, due now.
func New(now time.Time, spaceID int64, jobType string, args any) (store.Job, error) {
	b, err := json.Marshal(args)
	if err != nil {
		return store.Job{}, fmt.Errorf("job %s: encode args: %w", jobType, err)
	}
	// The store keeps microseconds: a job reads back exactly as created.
	now = now.UTC().Truncate(time.Microsecond)
	return store.Job{
		ID: ids.JobID(now), SpaceID: spaceID, Type: jobType, Status: store.JobQueued, Args: b,
		MaxAttempts: 5, RunAt: now, CreatedAt: now, UpdatedAt: now,
	}, nil
}

// Options tune a Runner.
type Options struct {
	Concurrency  int           // jobs run at once on this node (default 4)
	PollInterval time.Duration // how often to look for due jobs (default 500 ms)
	Lease        time.Duration // how long a claim lasts without renewal (default 30 s)
	Timeout      time.Duration // longest single run of a job (default 10 min)
	Drain        time.Duration // how long shutdown waits for running jobs (default 20 s)
}

func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 500 * time.Millisecond
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.Drain <= 0 {
		o.Drain = 20 * time.Second
	}
}

// Runner claims and runs jobs on this node.
type Runner struct {
	st       *store.Store
	now      func() time.Time
	log      *slog.Logger
	metrics  *metrics.Metrics
	opt      Options
	handlers map[string]Handler
	periodic []periodic
	wake     chan struct{}
}

type periodic struct {
	jobType  string
	interval time.Duration
}

// NewRunner returns a runner; register handlers before calling Run.
func NewRunner(st *store.Store, now func() time.Time, log *slog.Logger, m *metrics.Metrics, opt Options) *Runner {
	opt.defaults()
	return &Runner{st: st, now: now, log: log, metrics: m, opt: opt, handlers: map[string]Handler{}, wake: make(chan struct{}, 1)}
}

// Handle registers the handler of a job type.
func (r *Runner) Handle(jobType string, h Handler) { r.handlers[jobType] = h }

// Every enqueues a system job of jobType once per interval across all nodes:
// each node tries, and the job's unique key (type and time slot) lets exactly
// one insert win.
func (r *Runner) Every(jobType string, interval time.Duration) {
	r.periodic = append(r.periodic, periodic{jobType: jobType, interval: interval})
}

// Notify wakes the runner after a job was enqueued on this node, so it does
// not wait for the next poll.
func (r *Runner) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx is cancelled, then waits up to Options.Drain for the
// running jobs; jobs still running after that are cancelled and, their lease
// expiring, resumed by the next node to start.
func (r *Runner) Run(ctx context.Context) {
	var (
		wg    sync.WaitGroup
		slots = make(chan struct{}, r.opt.Concurrency)
	)
	// Jobs run on their own context so that shutdown can let them finish.
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()
	ticker := time.NewTicker(r.opt.PollInterval)
	defer ticker.Stop()
	next := map[string]time.Time{}
	for {
		r.schedule(ctx, next)
		free := r.opt.Concurrency - len(slots)
		if free > 0 {
			claimed, err := r.st.ClaimJobs(ctx, r.st.Writer(), r.now(), r.now().Add(r.opt.Lease), free)
			if err != nil && ctx.Err() == nil {
				r.log.Error("claim jobs", "err", err)
			}
			for _, j := range claimed {
				slots <- struct{}{}
				wg.Add(1)
				go func(j store.Job) {
					defer func() { <-slots; wg.Done(); r.Notify() }()
					r.run(jobCtx, j)
				}(j)
			}
		}
		select {
		case <-ctx.Done():
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(r.opt.Drain):
				r.log.Warn("shutdown: jobs still running were interrupted; they resume when their lease expires")
				cancelJobs()
				<-done
			}
			return
		case <-ticker.C:
		case <-r.wake:
		}
	}
}

func (r *Runner) schedule(ctx context.Context, next map[string]time.Time) {
	now := r.now()
	for _, p := range r.periodic {
		if now.Before(next[p.jobType]) {
			continue
		}
		slot := now.Truncate(p.interval)
		next[p.jobType] = slot.Add(p.interval)
		j, err := New(now, 0, p.jobType, struct{}{})
		if err != nil {
			r.log.Error("periodic job", "type", p.jobType, "err", err)
			continue
		}
		j.UniqueKey = fmt.Sprintf("%s@%s", p.jobType, store.T(slot))
		if _, err := r.st.InsertJob(ctx, r.st.Writer(), j); err != nil && ctx.Err() == nil {
			r.log.Error("enqueue periodic job", "type", p.jobType, "err", err)
		}
	}
}

func (r *Runner) run(ctx context.Context, j store.Job) {
	start := time.Now()
	log := r.log.With("job", j.ID, "type", j.Type, "attempt", j.Attempts)
	h, ok := r.handlers[j.Type]
	var (
		result any
		err    error
	)
	switch {
	case !ok:
		err = Fail("unknown_job_type", "no handler for job type %q on this node", j.Type)
	case j.Attempts > j.MaxAttempts:
		err = Fail("abandoned", "job was interrupted %d times", j.MaxAttempts)
	default:
		result, err = r.call(ctx, j, h)
	}
	now := r.now()
	done := j
	done.UpdatedAt, done.RunAt = now, j.RunAt
	var failure *Failure
	switch {
	case err == nil:
		done.Status = store.JobSucceeded
		if done.Result, err = json.Marshal(result); err != nil {
			done.Status, done.Result = store.JobFailed, nil
			done.ErrorCode, done.ErrorMessage = "internal", "job result could not be encoded"
			log.Error("encode job result", "err", err)
		}
	case errors.As(err, &failure):
		done.Status, done.ErrorCode, done.ErrorMessage = store.JobFailed, failure.Code, failure.Message
	case j.Attempts >= j.MaxAttempts:
		done.Status, done.ErrorCode, done.ErrorMessage = store.JobFailed, "internal", "job failed after retries"
		log.Error("job failed", "err", err)
	default:
		done.Status = store.JobQueued
		done.RunAt = now.Add(time.Duration(j.Attempts*j.Attempts) * time.Second)
		log.Warn("job will be retried", "err", err, "at", done.RunAt)
	}
	state := done.Status
	if state == store.JobQueued {
		state = "retried"
	}
	r.metrics.JobsFinished.WithLabelValues(j.Type, state).Inc()
	r.metrics.JobDuration.WithLabelValues(j.Type).Observe(time.Since(start).Seconds())
	// The outcome is written even when shutdown cancelled ctx.
	if err := r.st.FinishJob(context.WithoutCancel(ctx), r.st.Writer(), done); err != nil {
		log.Error("record job outcome", "err", err)
	}
}

// call runs h with a timeout while renewing the job's lease.
func (r *Runner) call(ctx context.Context, j store.Job, h Handler) (result any, err error) {
	ctx, cancel := context.WithTimeout(ctx, r.opt.Timeout)
	defer cancel()
	go func() {
		t := time.NewTicker(r.opt.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := r.st.ExtendLease(ctx, r.st.Writer(), j.ID, j.Attempts, r.now().Add(r.opt.Lease)); err != nil && ctx.Err() == nil {
					r.log.Warn("extend job lease", "job", j.ID, "err", err)
				}
			}
		}
	}()
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("job panicked", "job", j.ID, "type", j.Type, "panic", p)
			err = Fail("internal", "job failed unexpectedly")
		}
	}()
	progress := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		return r.st.SaveJobProgress(ctx, r.st.Writer(), j.ID, b, r.now())
	}
	return h(ctx, j, progress)
}
