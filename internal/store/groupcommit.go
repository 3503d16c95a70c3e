package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
)

// GroupTx runs fn in a transaction like Tx, but it may share the
// transaction, and so the commit's fsync, with other GroupTx calls waiting at
// the same moment. One failing fn loses only its own writes: a group runs
// without savepoints, and when one of its members fails it is rolled back
// and run again with a savepoint around each member. It returns once the
// shared commit is durable. Use it on hot write paths (inline text-risk jobs, assessment
// writes).
//
// On SQLite there is one writer, so sharing the fsync is the whole gain. On
// PostgreSQL every write that is audited also locks its space's audit chain
// head until commit, so writes of one space commit one at a time; sharing
// the transaction lets one lock and one fsync serve a whole group, and a
// group whose members only add deferred rows (see below) needs neither a
// locking read nor a transaction of its own (see headCache).
//
// As with Tx, fn may run more than once: when another member fails, and on
// PostgreSQL when a serialization failure or deadlock, in fn or at commit,
// rolls the whole group back and runs it again (a group holds the locks of
// all its members, so retrying only the failed fn inside it could meet the
// same deadlock).
//
// On PostgreSQL the audit events and the jobs without a unique key that fn
// adds are inserted at the end of the group's run (laterRows): fn must not
// read them back, nor change them.
//
// fn runs with its caller's context detached from cancellation: a client
// that goes away mid-statement must not abort the transaction it shares
// with others (a caller already cancelled before its turn is skipped). A
// panic in fn rolls back its own writes and is raised again in the caller.
func (s *Store) GroupTx(ctx context.Context, fn func(tx Q) error) error {
	s.groupOnce.Do(func() {
		s.group = make(chan *groupOp, 1024)
		go s.groupCommitLoop()
	})
	op := &groupOp{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.group <- op:
	case <-ctx.Done():
		return ctx.Err()
	}
	err := <-op.done
	if p, ok := err.(groupPanic); ok {
		panic(p.value)
	}
	return err
}

type groupOp struct {
	ctx  context.Context
	fn   func(tx Q) error
	done chan error

	// Kept by the group loop across retries of the group.
	runs   int   // how many times fn has run
	failed bool  // fn failed (or ctx ended): its writes are rolled back, err is final
	err    error // fn's result

}

// groupPanic carries a panic in fn back to its caller.
type groupPanic struct{ value any }

func (p groupPanic) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// groupState is embedded in Store.
type groupState struct {
	groupOnce sync.Once
	group     chan *groupOp
}

// maxGroup bounds one shared transaction so a burst does not delay the
// first caller's commit for long.
const maxGroup = 256

func (s *Store) groupCommitLoop() {
	batch := make([]*groupOp, 0, maxGroup)
	for first := range s.group {
		batch = append(batch[:0], first)
		// Let the goroutines already runnable go first: under load many
		// of them are requests about to join, and a larger group shares
		// one commit's WAL writes and fsync among more callers. When the
		// server is idle none are, and no time passes. At 64 clients of
		// the inline submit this made about a fifth more requests per
		// second, with a lower p99 (docs/benchmarks.md).
		runtime.Gosched()
	drain:
		for len(batch) < maxGroup {
			select {
			case op := <-s.group:
				batch = append(batch, op)
			default:
				break drain
			}
		}
		s.commitGroup(batch)
	}
}

// maxGroupAttempts is also Tx's: the first run and three retries, counted
// for each fn and for the group's own statements (savepoints, commit).
const maxGroupAttempts = 4

func (s *Store) commitGroup(batch []*groupOp) {
	var err error
	// Optimistically without savepoints: on a hot path members rarely
	// fail, and a savepoint and its release are two more statements per
	// member (two more round trips on PostgreSQL, where they were half of
	// an inline job's). The first member that fails makes the group start
	// over with them.
	savepoints := false
	for groupFailures, staleRuns := 0, 0; ; {
		var fnFailed bool
		deferRows := s.dialect == Postgres && !savepoints
		err = s.runTx(context.Background(), deferRows, func(tx *writeTx) error {
			var err error
			fnFailed, err = runGroup(tx, batch, savepoints, deferRows)
			return err
		})
		if errors.Is(err, errMemberFailed) {
			savepoints = true
			continue
		}
		if errors.Is(err, errStaleHead) {
			// The stale heads are read the locking way next time, which
			// cannot find them stale: the bound is a safeguard.
			if staleRuns++; staleRuns == maxGroupAttempts {
				err = fmt.Errorf("group commit: %w", err)
				break
			}
			continue
		}
		if err == nil || !retryable(err) {
			break
		}
		// A retry caused by a fn is bounded by that fn's own count.
		if !fnFailed {
			if groupFailures++; groupFailures == maxGroupAttempts {
				break
			}
		}
	}
	for _, op := range batch {
		if err != nil {
			op.done <- err // the whole transaction failed: nothing was written
			continue
		}
		op.done <- op.err
	}
}

// rowFault reports a PostgreSQL error that one of the rows written caused:
// a data exception (class 22) or an integrity constraint (class 23).
func rowFault(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (strings.HasPrefix(pg.Code, "22") || strings.HasPrefix(pg.Code, "23"))
}

// errMemberFailed rolls back a group run without savepoints in which a
// member failed: the failed member's writes cannot be undone alone.
var errMemberFailed = errors.New("a group member failed")

// runGroup runs each op's fn in tx, each in its own savepoint when
// savepoints is set. An op that fails is done: its error is kept, and a
// later run of the group does not run it again (as Tx would not). With
// savepoints its writes are rolled back to its savepoint; without, the whole
// run is (errMemberFailed) and the group runs again with savepoints, the
// other members' fns running once more. A retryable failure is the
// exception while that fn has run fewer than maxGroupAttempts times: it
// fails the whole group (fnFailed), so that the group is retried.
//
// With deferRows (PostgreSQL) a run without savepoints inserts its members'
// jobs and audit events at its end (laterRows). When a row is refused (a
// constraint or a value), the run fails like a member (errMemberFailed):
// the group runs again with savepoints and nothing deferred, and the
// failure reaches its member.
func runGroup(tx *writeTx, batch []*groupOp, savepoints, deferRows bool) (fnFailed bool, err error) {
	// The shared transaction's own statements never take a caller's context.
	bg := context.Background()
	if deferRows {
		tx.later = &laterRows{}
		defer func() { tx.later = nil }()
	}
	for _, op := range batch {
		if op.failed {
			continue
		}
		// A caller gone before its fn first ran is skipped; one gone
		// later has its fn run again when the group is, as its first run
		// went on without it.
		if err := op.ctx.Err(); err != nil && op.runs == 0 {
			op.failed, op.err = true, err
			continue
		}
		if savepoints {
			if _, err := tx.ExecContext(bg, "SAVEPOINT g"); err != nil {
				return false, fmt.Errorf("savepoint: %w", err)
			}
		}
		op.runs++
		var heads headsState
		if savepoints {
			heads = tx.saveHeads()
		}
		if err := callGroupFn(op.fn, detached{tx}); err != nil {
			if op.runs < maxGroupAttempts && retryable(err) {
				return true, err
			}
			op.failed, op.err = true, err
			if !savepoints {
				return false, errMemberFailed
			}
			if _, rerr := tx.ExecContext(bg, "ROLLBACK TO g"); rerr != nil {
				return false, fmt.Errorf("rollback to savepoint: %w", rerr)
			}
			tx.restoreHeads(heads)
		}
		if savepoints {
			if _, err := tx.ExecContext(bg, "RELEASE g"); err != nil {
				return false, fmt.Errorf("release savepoint: %w", err)
			}
		}
	}
	if later := tx.later; later != nil {
		tx.later = nil // the inserts themselves run as usual
		if tx.beginErr != nil {
			// A member's statement failed to begin and the member
			// went on: its writes are not in the transaction.
			return false, fmt.Errorf("begin: %w", tx.beginErr)
		}
		// Without a statement before it, the write runs on its own, but
		// only if it writes at most one head: when it finds one of
		// several stale, the others it wrote must be rolled back.
		var q Q = tx
		if tx.Tx == nil && len(tx.heads) <= 1 {
			q = tx.pool
		}
		if err := later.insert(bg, q, tx); err != nil {
			if rowFault(err) {
				return false, errMemberFailed
			}
			// A serialization failure or deadlock retries the group as
			// any would; other failures (a lost connection) are no
			// member's and fail the group.
			return false, err
		}
	}
	return false, nil
}

// callGroupFn runs fn, turning a panic into a groupPanic error so that the
// group goes on and the panic reaches the caller that caused it.
func callGroupFn(fn func(Q) error, q Q) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = groupPanic{p}
		}
	}()
	return fn(q)
}

// detached runs every statement without its context's cancellation (the
// context's values are kept).
type detached struct{ q *writeTx }

func (d detached) writeTx() *writeTx { return d.q }

func (d detached) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.q.ExecContext(context.WithoutCancel(ctx), query, args...)
}

func (d detached) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.q.QueryContext(context.WithoutCancel(ctx), query, args...)
}

func (d detached) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return d.q.QueryRowContext(context.WithoutCancel(ctx), query, args...)
}
