package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/riskd/riskd/internal/audit"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
)

// groupAll makes n GroupTx calls at once, call i running fn(i, tx), and
// returns their errors.
func groupAll(s *store.Store, n int, fn func(i int, tx store.Q) error) []error {
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.GroupTx(context.Background(), func(tx store.Q) error { return fn(i, tx) })
		})
	}
	wg.Wait()
	return errs
}

// Many concurrent GroupTx calls: the successful ones are all durable, the
// failing ones leave nothing behind, whatever batch they shared.
func TestGroupTxIsolatesFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		storetest.MustExec(t, s.Writer(), `CREATE TABLE gt (n INTEGER PRIMARY KEY)`)
		errs := groupAll(s, 200, func(i int, tx store.Q) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO gt (n) VALUES ($1)`, i); err != nil {
				return err
			}
			if i%3 == 0 {
				return fmt.Errorf("op %d fails after writing", i)
			}
			return nil
		})
		var want int
		for i, err := range errs {
			if (i%3 == 0) != (err != nil) {
				t.Fatalf("op %d: err = %v", i, err)
			}
			if err == nil {
				want++
			}
		}
		got := storetest.Count(t, s.Reader(), `SELECT count(*) FROM gt`)
		failed := storetest.Count(t, s.Reader(), `SELECT count(*) FROM gt WHERE n % 3 = 0`)
		if got != want || failed != 0 {
			t.Fatalf("%d rows, want %d (%d from failed ops)", got, want, failed)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.GroupTx(cancelled, func(store.Q) error { return nil }); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled GroupTx = %v", err)
		}
	})
}

// A statement that fails inside a fn (on PostgreSQL it aborts the shared
// transaction until the savepoint is rolled back), a caller that cancels its
// context while its fn runs, and a fn that panics: each affects only its own
// call.
func TestGroupTxFailingStatementsCancelAndPanic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		storetest.MustExec(t, s.Writer(), `CREATE TABLE gt (n INTEGER PRIMARY KEY)`)
		const n = 120
		var wg sync.WaitGroup
		errs := make([]error, n)
		panics := make([]any, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				defer func() { panics[i] = recover() }()
				opCtx, cancel := context.WithCancel(ctx)
				defer cancel()
				errs[i] = s.GroupTx(opCtx, func(tx store.Q) error {
					if _, err := tx.ExecContext(opCtx, `INSERT INTO gt (n) VALUES ($1)`, i); err != nil {
						return err
					}
					switch i % 4 {
					case 1: // a unique violation after a good write
						_, err := tx.ExecContext(opCtx, `INSERT INTO gt (n) VALUES ($1)`, i)
						return err
					case 2: // the caller goes away mid-fn: its statements still run
						cancel()
						_, err := tx.ExecContext(opCtx, `INSERT INTO gt (n) VALUES ($1)`, i+10000)
						return err
					case 3:
						panic(fmt.Sprintf("op %d panics", i))
					}
					return nil
				})
			}(i)
		}
		wg.Wait()
		want := map[int]bool{}
		for i := 0; i < n; i++ {
			switch i % 4 {
			case 0, 2:
				if errs[i] != nil || panics[i] != nil {
					t.Fatalf("op %d: err = %v, panic = %v", i, errs[i], panics[i])
				}
				want[i] = true
				if i%4 == 2 {
					want[i+10000] = true
				}
			case 1:
				if !store.IsUniqueViolation(errs[i]) {
					t.Fatalf("op %d: err = %v, want a unique violation", i, errs[i])
				}
			case 3:
				if panics[i] != fmt.Sprintf("op %d panics", i) {
					t.Fatalf("op %d: panic = %v, err = %v", i, panics[i], errs[i])
				}
			}
		}
		rows, err := s.Reader().QueryContext(ctx, `SELECT n FROM gt`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[int]bool{}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			if !want[v] {
				t.Fatalf("row %d written by a failed op", v)
			}
			got[v] = true
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d rows, want %d", len(got), len(want))
		}
	})
}

// A serialization failure or deadlock in a fn rolls the group back and runs
// it again, like Tx; one that persists fails only its own call.
func TestGroupTxRetriesSerializationFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		storetest.MustExec(t, s.Writer(), `CREATE TABLE gt (n INTEGER PRIMARY KEY)`)
		var mu sync.Mutex
		calls := map[int]int{}
		const n = 60
		errs := groupAll(s, n, func(i int, tx store.Q) error {
			mu.Lock()
			calls[i]++
			c := calls[i]
			mu.Unlock()
			// Every op writes first: a retry must not find its own
			// earlier write (nor another op's) committed.
			if _, err := tx.ExecContext(ctx, `INSERT INTO gt (n) VALUES ($1)`, i); err != nil {
				return err
			}
			switch {
			case i == 7: // always fails
				return fmt.Errorf("op %d: %w", i, &pgconn.PgError{Code: "40001"})
			case i%10 == 3 && c == 1: // fails once
				return &pgconn.PgError{Code: "40P01"}
			case i%10 == 5: // fails for good: not run again
				return fmt.Errorf("op %d fails", i)
			}
			return nil
		})
		for i, err := range errs {
			var pg *pgconn.PgError
			if (i == 7 || i%10 == 5) != (err != nil) || (i == 7 && (!errors.As(err, &pg) || pg.Code != "40001")) {
				t.Fatalf("op %d: err = %v", i, err)
			}
			if i%10 == 5 && calls[i] != 1 {
				t.Fatalf("op %d failed for good but ran %d times", i, calls[i])
			}
		}
		if calls[7] != 4 {
			t.Fatalf("the always failing op ran %d times, want 4", calls[7])
		}
		for i := 3; i < n; i += 10 {
			if calls[i] < 2 {
				t.Fatalf("op %d ran %d times, want a retry", i, calls[i])
			}
		}
		got := storetest.Count(t, s.Reader(), `SELECT count(*) FROM gt`)
		if want := n - 1 - n/10; got != want {
			t.Fatalf("%d rows, want %d", got, want)
		}
	})
}

// Group members that add jobs and audit events (on PostgreSQL inserted
// together at the end of the group run): the events of successful members
// form a clean chain, their jobs are stored whole, and a member whose row
// cannot be inserted (a job id that exists) fails alone, with the store's
// own error, taking its event with it.
func TestGroupTxDeferredRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
		job := func(i int) store.Job {
			j := store.Job{ID: fmt.Sprintf("job_%03d", i), SpaceID: 1, Type: "risk_assessment", Status: store.JobSucceeded,
				Args: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)), Result: json.RawMessage(`{"riskScore":70}`),
				Attempts: 1, MaxAttempts: 1, RunAt: at, CreatedAt: at, UpdatedAt: at.Add(time.Second)}
			if i%5 == 4 {
				j.Status, j.Result, j.ErrorCode, j.ErrorMessage = store.JobFailed, nil, "analysis_failed", "could not"
			}
			if i%2 == 1 { // three different times, as well as two the same
				j.RunAt = at.Add(time.Minute)
			}
			return j
		}
		taken := job(7)
		if _, err := s.InsertJob(ctx, s.Writer(), taken); err != nil {
			t.Fatal(err)
		}
		// On PostgreSQL the row is inserted when the run ends, so fn does
		// not see it; on SQLite at once.
		seen := -1
		if err := s.GroupTx(ctx, func(tx store.Q) error {
			if _, err := s.InsertJob(ctx, tx, job(100)); err != nil {
				return err
			}
			return tx.QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE id = $1`, job(100).ID).Scan(&seen)
		}); err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{"sqlite": 1, "postgres": 0}[b.Name]; seen != want {
			t.Fatalf("%s: the job was seen %d times inside its group run, want %d", b.Name, seen, want)
		}
		if _, err := s.GetJob(ctx, s.Reader(), 1, job(100).ID); err != nil {
			t.Fatalf("the deferred job after the commit: %v", err)
		}
		const n = 60
		errs := groupAll(s, n, func(i int, tx store.Q) error {
			if _, err := s.InsertJob(ctx, tx, job(i)); err != nil {
				return err
			}
			_, err := s.AppendAudit(ctx, tx, audit.Event{SpaceID: 1, ActorID: "a", Action: "analysis.risk",
				ResourceType: "job", ResourceID: job(i).ID, At: at, StateHash: "h"})
			return err
		})
		for i, err := range errs {
			if (i == 7) != (err != nil) {
				t.Fatalf("member %d: %v", i, err)
			}
		}
		if !store.IsUniqueViolation(errs[7]) {
			t.Fatalf("member 7 failed with %v, want the unique violation", errs[7])
		}
		if checked, err := s.VerifyAudit(ctx, s.Reader()); err != nil || checked != n-1 {
			t.Fatalf("audit chain: %d events, %v", checked, err)
		}
		events, err := s.AuditEvents(ctx, s.Reader(), 1, store.AuditFilter{ResourceType: "job", ResourceID: taken.ID, Limit: 10})
		if err != nil || len(events) != 0 {
			t.Fatalf("the failed member's event: %+v, %v", events, err)
		}
		for i := 0; i < n; i++ {
			want := job(i)
			if i == 7 {
				want = taken
			}
			got, err := s.GetJob(ctx, s.Reader(), 1, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != want.Status || string(got.Args) != string(want.Args) || string(got.Result) != string(want.Result) ||
				got.ErrorCode != want.ErrorCode || got.ErrorMessage != want.ErrorMessage || got.Attempts != 1 || got.MaxAttempts != 1 ||
				!got.RunAt.Equal(want.RunAt) || !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) || got.UniqueKey != "" {
				t.Fatalf("job %d stored as %+v, want %+v", i, got, want)
			}
		}
		// As InsertJob writes them: no result and no error are NULL.
		var nulls [3]int
		if err := s.Reader().QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE result IS NULL), count(*) FILTER (WHERE error_code IS NULL),
			count(*) FILTER (WHERE unique_key IS NULL AND lease_until IS NULL) FROM jobs`).Scan(&nulls[0], &nulls[1], &nulls[2]); err != nil {
			t.Fatal(err)
		}
		if nulls != [3]int{n / 5, n + 1 - n/5, n + 1} { // n jobs and job 100
			t.Fatalf("NULL results, error codes, unique keys and leases: %v", nulls)
		}
	})
}

// BenchmarkGroupInlineJobs times the write of an inline risk submit: 64
// goroutines (the load test's clients) each store a finished job and its
// audit event in one GroupTx at a time, into a table that already holds
// 50,000 jobs. ns/op is wall time per job, the group commit's fsync
// shared among the jobs of a group.
func BenchmarkGroupInlineJobs(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			s := benchBackend(b, name).Store
			ctx := context.Background()
			seedFinishedJobs(b, s, t0, 50_000)
			state, err := audit.StateHash(finishedJob(t0).Result)
			if err != nil {
				b.Fatal(err)
			}
			var n atomic.Int64
			start := t0.Add(time.Hour)
			b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					j := finishedJob(start.Add(time.Duration(n.Add(1)) * time.Microsecond))
					err := s.GroupTx(ctx, func(tx store.Q) error {
						if _, err := s.InsertJob(ctx, tx, j); err != nil {
							return err
						}
						_, err := s.AppendAudit(ctx, tx, audit.Event{SpaceID: 1, ActorID: "tok_1", Action: "analysis.risk",
							ResourceType: "job", ResourceID: j.ID, At: j.CreatedAt, StateHash: state})
						return err
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// On PostgreSQL a group run whose members only add deferred rows of one
// space chains its events from the head the node remembers and writes
// everything with one statement, without a transaction; a member that
// makes a statement, or a run that writes several spaces' heads, gets one.
// When another node has advanced a chain meanwhile (committed before, or
// committing while the run waits for the head's lock), the run writes
// nothing, not even the heads that were still current, and GroupTx makes
// it again the locking way: the chains stay whole and nothing is lost or
// written twice.
func TestGroupRunWithoutTransaction(t *testing.T) {
	b := storetest.Postgres(t)
	ctx := context.Background()
	a := b.Store
	other, err := store.Open(ctx, b.URL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	var spaces []int64
	for _, slug := range []string{"two", "three"} {
		sp, err := a.CreateSpace(ctx, a.Writer(), slug, at)
		if err != nil {
			t.Fatal(err)
		}
		spaces = append(spaces, sp.ID)
	}
	n := 0
	submitIn := func(s *store.Store, space int64) func(store.Q) error {
		n++
		j := finishedJob(at.Add(time.Duration(n) * time.Millisecond))
		j.SpaceID = space
		return func(tx store.Q) error {
			if _, err := s.InsertJob(ctx, tx, j); err != nil {
				return err
			}
			_, err := s.AppendAudit(ctx, tx, audit.Event{SpaceID: space, ActorID: "tok_1", Action: "analysis.risk",
				ResourceType: "job", ResourceID: j.ID, At: at, StateHash: "h"})
			return err
		}
	}
	submit := func(s *store.Store) func(store.Q) error { return submitIn(s, 1) }
	run := func(s *store.Store, fns ...func(store.Q) error) bool {
		t.Helper()
		began, err := s.GroupRun(ctx, fns...)
		if err != nil {
			t.Fatal(err)
		}
		return began
	}
	head := func(space int64) (seq int64) {
		t.Helper()
		if err := a.Reader().QueryRowContext(ctx, `SELECT seq FROM audit_heads WHERE space_id = $1`, space).Scan(&seq); err != nil {
			t.Fatal(err)
		}
		return seq
	}
	// Nothing remembered yet: the head is read and locked in a transaction.
	if a.RemembersHead(1) || !run(a, submit(a), submit(a)) {
		t.Fatal("the first run did without reading the head")
	}
	if !a.RemembersHead(1) {
		t.Fatal("the committed head is not remembered")
	}
	if run(a, submit(a), submit(a), submit(a)) {
		t.Fatal("a run of deferred rows only began a transaction")
	}
	var one int
	if !run(a, submit(a), func(tx store.Q) error { return tx.QueryRowContext(ctx, `SELECT 1`).Scan(&one) }) {
		t.Fatal("a member's statement ran outside a transaction")
	}
	// Another node holds the head's lock while this node's run writes
	// from its remembered head, then commits an event: the run, which
	// waited for the lock, finds the head changed and writes nothing.
	locked, release, held := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		held <- other.Tx(ctx, func(tx store.Q) error {
			if err := submit(other)(tx); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	raced := make(chan error, 1)
	go func() {
		_, err := a.GroupRun(ctx, submit(a))
		raced <- err
	}()
	time.Sleep(200 * time.Millisecond) // the run waits for the lock
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if err := <-raced; !errors.Is(err, store.ErrStaleHead) {
		t.Fatalf("a run from a head changed while it waited: %v, want ErrStaleHead", err)
	}
	if a.RemembersHead(1) {
		t.Fatal("a stale head is still used")
	}
	// A run writing two spaces' heads, one of them stale: the other's
	// head stays where it was.
	if !run(a, submitIn(a, spaces[0]), submitIn(a, spaces[1])) {
		t.Fatal("the first run in spaces two and three did without reading their heads")
	}
	if err := other.Tx(ctx, submitIn(other, spaces[1])); err != nil {
		t.Fatal(err)
	}
	before := head(spaces[0])
	if _, err := a.GroupRun(ctx, submitIn(a, spaces[0]), submitIn(a, spaces[1])); !errors.Is(err, store.ErrStaleHead) {
		t.Fatalf("a run with one stale head of two: %v, want ErrStaleHead", err)
	}
	if after := head(spaces[0]); after != before {
		t.Fatalf("space two's head moved from %d to %d in a run that wrote nothing", before, after)
	}
	// GroupTx on both nodes at once; each node's first groups may find
	// their remembered heads stale and run again.
	var fns [2][40]func(store.Q) error
	for i := range 40 {
		fns[0][i], fns[1][i] = submit(a), submit(other)
	}
	var wg sync.WaitGroup
	var errs [2][]error
	for k, s := range []*store.Store{a, other} {
		wg.Go(func() { errs[k] = groupAll(s, 40, func(i int, tx store.Q) error { return fns[k][i](tx) }) })
	}
	wg.Wait()
	for _, err := range append(errs[0], errs[1]...) {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Once its avoidance has passed, this node uses its remembered head
	// again; another node advances the chain, and GroupTx finds the head
	// stale and makes the group again the locking way.
	time.Sleep(1100 * time.Millisecond)
	if err := a.Tx(ctx, submit(a)); err != nil {
		t.Fatal(err)
	}
	if !a.RemembersHead(1) {
		t.Fatal("the head is not remembered after its avoidance")
	}
	if err := other.Tx(ctx, submit(other)); err != nil {
		t.Fatal(err)
	}
	if err := a.GroupTx(ctx, submit(a)); err != nil {
		t.Fatal(err)
	}
	if a.RemembersHead(1) {
		t.Fatal("GroupTx did not find the remembered head stale")
	}
	// Space 1: 2 + 3 + 1 + 1 + 80 + 3; spaces two and three: 2 + 1. The
	// stale runs' events are not among them.
	const want = 90 + 3
	if checked, err := a.VerifyAudit(ctx, a.Reader()); err != nil || checked != want {
		t.Fatalf("audit chains: %d events, %v; want %d", checked, err, want)
	}
	var jobs, events int
	if err := a.Reader().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM jobs), (SELECT count(*) FROM audit_events)`).Scan(&jobs, &events); err != nil {
		t.Fatal(err)
	}
	if jobs != want || events != want {
		t.Fatalf("%d jobs and %d events stored; want %d of each", jobs, events, want)
	}
}
