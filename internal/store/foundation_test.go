package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/audit"
	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func TestMigrateIsIdempotentAndReady(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		applied, err := b.Store.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second migrate applied %v, %v", applied, err)
		}
		if err := b.Store.Ready(ctx); err != nil {
			t.Fatalf("not ready: %v", err)
		}
		sp, err := b.Store.SpaceBySlug(ctx, b.Store.Reader(), "default")
		if err != nil || sp.ID != 1 {
			t.Fatalf("default space = %+v, %v; want id 1", sp, err)
		}
	})
}

func TestSpacesAndTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		acme, err := s.CreateSpace(ctx, s.Writer(), "acme", t0)
		if err != nil || acme.ID <= 1 {
			t.Fatalf("create space: %+v %v", acme, err)
		}
		if _, err := s.CreateSpace(ctx, s.Writer(), "acme", t0); !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate space: %v", err)
		}
		tok, hash, _ := auth.NewToken()
		id := ids.UUID(t0)
		if err := s.InsertToken(ctx, s.Writer(), store.Token{ID: id, Space: acme, Name: "ci", Role: auth.Reviewer, Hash: hash, RateLimit: 7, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		gen0, err := s.TokenGeneration(ctx, s.Reader())
		if err != nil {
			t.Fatal(err)
		}
		p, gen, err := s.PrincipalByTokenHash(ctx, s.Reader(), auth.HashToken(tok))
		if err != nil {
			t.Fatal(err)
		}
		if gen != gen0 {
			t.Fatalf("generation with the principal = %d, current %d", gen, gen0)
		}
		if p.ID != id || p.Role != auth.Reviewer || p.Space != acme || p.RateLimit != 7 || p.Name != "ci" {
			t.Fatalf("principal = %+v", p)
		}
		if _, _, err := s.PrincipalByTokenHash(ctx, s.Reader(), auth.HashToken(tok+"x")); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("wrong token: %v", err)
		}
		list, err := s.Tokens(ctx, s.Reader(), acme.ID)
		if err != nil || len(list) != 1 || list[0].Hash != "" && list[0].Hash == tok {
			t.Fatalf("tokens = %+v, %v", list, err)
		}
		if n, _ := s.CountTokens(ctx, s.Reader()); n != 1 {
			t.Fatalf("count = %d", n)
		}
		if _, _, err := s.RevokeToken(ctx, s.Writer(), 1, id, t0); !errs.Is(err, errs.NotFound) {
			t.Fatalf("revoked from another space: %v", err)
		}
		// A new token and a failed revocation leave what is cached valid.
		if g, err := s.TokenGeneration(ctx, s.Reader()); err != nil || g != gen0 {
			t.Fatalf("generation after an insert and a failed revocation = %d, %v; want %d", g, err, gen0)
		}
		if got, space, err := s.RevokeToken(ctx, s.Writer(), 0, id, t0); err != nil || got != id || space != acme.ID {
			t.Fatalf("revoke: %s %d %v", got, space, err)
		}
		if g, err := s.TokenGeneration(ctx, s.Reader()); err != nil || g <= gen0 {
			t.Fatalf("generation after a revocation = %d, %v; want above %d", g, err, gen0)
		}
		if _, _, err := s.RevokeToken(ctx, s.Writer(), acme.ID, hash, t0); err != nil {
			t.Fatalf("revoking twice by hash: %v", err)
		}
		if _, _, err := s.PrincipalByTokenHash(ctx, s.Reader(), hash); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("revoked token still works: %v", err)
		}
		// Changes made outside riskd count too: the triggers keep the count.
		g1, _ := s.TokenGeneration(ctx, s.Reader())
		if _, err := s.Writer().ExecContext(ctx, `UPDATE tokens SET name = 'renamed' WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		if g, err := s.TokenGeneration(ctx, s.Reader()); err != nil || g <= g1 {
			t.Fatalf("generation after a plain SQL update = %d, %v; want above %d", g, err, g1)
		}
		if _, err := s.Writer().ExecContext(ctx, `DELETE FROM tokens WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		if g, err := s.TokenGeneration(ctx, s.Reader()); err != nil || g <= g1+1 {
			t.Fatalf("generation after a plain SQL delete = %d, %v; want above %d", g, err, g1+1)
		}
		if _, _, err := s.RevokeToken(ctx, s.Writer(), 0, "nope", t0); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown token: %v", err)
		}
	})
}

func TestAuditChainDetectsTampering(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		other, _ := s.CreateSpace(ctx, s.Writer(), "other", t0)
		// Concurrent appends across two spaces must still form two clean chains.
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				space := int64(1)
				if i%2 == 0 {
					space = other.ID
				}
				err := s.Tx(ctx, func(tx store.Q) error {
					_, err := s.AppendAudit(ctx, tx, audit.Event{SpaceID: space, ActorID: "a", Action: "thing.create", ResourceType: "thing", ResourceID: "r1", At: t0, StateHash: "h"})
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}(i)
		}
		wg.Wait()
		n, err := s.VerifyAudit(ctx, s.Reader())
		if err != nil || n != 20 {
			t.Fatalf("verify = %d, %v", n, err)
		}
		page, err := s.AuditEvents(ctx, s.Reader(), 1, store.AuditFilter{ResourceType: "thing", Limit: 3})
		if err != nil || len(page) != 3 || page[0].Seq != 10 || page[2].Seq != 8 {
			t.Fatalf("page = %+v, %v", page, err)
		}
		next, _ := s.AuditEvents(ctx, s.Reader(), 1, store.AuditFilter{BeforeSeq: page[2].Seq, Limit: 100})
		if len(next) != 7 || next[0].Seq != 7 {
			t.Fatalf("next page has %d events", len(next))
		}

		storetest.MustExec(t, s.Writer(), `UPDATE audit_events SET actor_id = 'mallory' WHERE space_id = 1 AND seq = 4`)
		if _, err := s.VerifyAudit(ctx, s.Reader()); err == nil || !strings.Contains(err.Error(), "seq 4") {
			t.Fatalf("changed row not detected: %v", err)
		}
		storetest.MustExec(t, s.Writer(), `UPDATE audit_events SET actor_id = 'a' WHERE space_id = 1 AND seq = 4`)
		storetest.MustExec(t, s.Writer(), `DELETE FROM audit_events WHERE space_id = $1 AND seq = 10`, other.ID)
		if _, err := s.VerifyAudit(ctx, s.Reader()); err == nil || !strings.Contains(err.Error(), "removed") {
			t.Fatalf("removed newest row not detected: %v", err)
		}
	})
}

// TestAuditEventNeedsItsSpace: no audit event is stored for a space that
// does not exist, whichever way it is appended: the chain head is read
// first, and only spaces have one.
func TestAuditEventNeedsItsSpace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		const ghost = 987654
		ev := audit.Event{SpaceID: ghost, ActorID: "a", Action: "thing.create", ResourceType: "thing", ResourceID: "r1", At: t0, StateHash: "h"}
		appendIn := func(tx store.Q) error {
			_, err := s.AppendAudit(ctx, tx, ev)
			return err
		}
		for name, run := range map[string]func() error{
			"transaction": func() error { return s.Tx(ctx, appendIn) },
			// In a group run the event is deferred to the run's end.
			"group":          func() error { return s.GroupTx(ctx, appendIn) },
			"no transaction": func() error { return appendIn(s.Writer()) },
		} {
			if err := run(); err == nil {
				t.Errorf("%s: an audit event of a missing space was accepted", name)
			}
		}
		if n := storetest.Count(t, s.Reader(), `SELECT count(*) FROM audit_events WHERE space_id = $1`, ghost); n != 0 {
			t.Fatalf("%d audit events of a missing space stored", n)
		}
	})
}

// TestReadyJobsIndex: jobs_ready holds only queued and running jobs
// (migration 00011), and the claim and backlog queries still read it
// rather than the whole table, where finished inline jobs pile up.
func TestReadyJobsIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		def := `SELECT sql FROM sqlite_master WHERE name = 'jobs_ready'`
		if s.Dialect() == store.Postgres {
			def = `SELECT indexdef FROM pg_indexes WHERE indexname = 'jobs_ready' AND schemaname = current_schema()`
		}
		var ddl string
		if err := s.Reader().QueryRowContext(ctx, def).Scan(&ddl); err != nil || !strings.Contains(ddl, "WHERE") {
			t.Fatalf("jobs_ready is not partial: %q %v", ddl, err)
		}
		err := s.Tx(ctx, func(tx store.Q) error {
			explain := "EXPLAIN QUERY PLAN "
			if s.Dialect() == store.Postgres {
				// An empty table is cheapest to scan: forbid that, so
				// that the plan shows whether the partial index is
				// usable at all.
				storetest.MustExec(t, tx, `SET LOCAL enable_seqscan = off`)
				explain = "EXPLAIN "
			}
			claim, backlog := s.ReadyJobQueries()
			// The claim's inner query has no $2: its limit becomes $2.
			claim = strings.ReplaceAll(claim, "$3", "$2")
			for _, q := range []struct {
				sql  string
				args []any
			}{{claim, []any{store.T(t0), 10}}, {backlog, nil}} {
				plan, err := queryPlan(ctx, tx, explain+q.sql, q.args...)
				if err != nil {
					return err
				}
				if !strings.Contains(plan, "jobs_ready") {
					t.Errorf("%s\ndoes not use jobs_ready:\n%s", q.sql, plan)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// queryPlan runs an EXPLAIN statement and returns its rows as text.
func queryPlan(ctx context.Context, q store.Q, explain string, args ...any) (string, error) {
	rows, err := q.QueryContext(ctx, explain, args...)
	if err != nil {
		return "", fmt.Errorf("%s: %w", explain, err)
	}
	defer rows.Close()
	var plan strings.Builder
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		fmt.Fprintln(&plan, vals...)
	}
	return plan.String(), rows.Err()
}

// TestPruneJobs: finished jobs last updated before the cut-off go, oldest
// first and in batches, from every space; queued and running jobs stay
// however old, and so does an old job that finished after the cut-off.
func TestPruneJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		mk := func(space int64, status string, created, updated time.Time) store.Job {
			return store.Job{ID: ids.JobID(created), SpaceID: space, Type: "risk_assessment", Status: status, Args: json.RawMessage(`{}`),
				MaxAttempts: 1, RunAt: created, CreatedAt: created, UpdatedAt: updated}
		}
		cut := t0
		gone := []store.Job{
			mk(1, store.JobSucceeded, cut.Add(-3*time.Hour), cut.Add(-3*time.Hour)),
			mk(1, store.JobFailed, cut.Add(-2*time.Hour), cut.Add(-90*time.Minute)),
			mk(0, store.JobSucceeded, cut.Add(-time.Hour), cut.Add(-time.Hour)), // a system job
			mk(1, store.JobSucceeded, cut.Add(-time.Millisecond), cut.Add(-time.Microsecond)),
		}
		kept := []store.Job{
			mk(1, store.JobQueued, cut.Add(-5*time.Hour), cut.Add(-5*time.Hour)),
			mk(1, store.JobRunning, cut.Add(-4*time.Hour), cut.Add(-4*time.Hour)),
			mk(1, store.JobSucceeded, cut.Add(-2*time.Hour), cut.Add(time.Minute)), // finished after the cut-off
			mk(1, store.JobSucceeded, cut, cut),
			mk(1, store.JobFailed, cut.Add(time.Second), cut.Add(time.Second)),
		}
		for _, j := range append(append([]store.Job(nil), gone...), kept...) {
			if ok, err := s.InsertJob(ctx, s.Writer(), j); err != nil || !ok {
				t.Fatalf("insert %+v: %v %v", j, ok, err)
			}
		}
		prune := func(after string, limit int) (int, string, error) { return s.PruneJobs(ctx, cut, after, limit) }
		n, last, err := prune("", 1)
		if err != nil || n != 1 || last != gone[0].ID {
			t.Fatalf("first batch deleted %d up to %q, %v; want 1, %s", n, last, err, gone[0].ID)
		}
		if _, err := s.GetJob(ctx, s.Reader(), 1, gone[0].ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("the oldest finished job is still there after a batch of one: %v", err)
		}
		if _, err := s.GetJob(ctx, s.Reader(), 1, gone[1].ID); err != nil {
			t.Fatalf("a batch of one deleted more: %v", err)
		}
		// A batch starts after the id it is given.
		if n, _, err = prune(gone[len(gone)-1].ID, 100); err != nil || n != 0 {
			t.Fatalf("a batch after the newest deletable id deleted %d, %v", n, err)
		}
		if n, last, err = prune(last, 100); err != nil || n != len(gone)-1 || last != gone[len(gone)-1].ID {
			t.Fatalf("second batch deleted %d up to %q, %v; want %d up to %s", n, last, err, len(gone)-1, gone[len(gone)-1].ID)
		}
		if n, last, err = prune("", 100); err != nil || n != 0 || last != "" {
			t.Fatalf("third batch deleted %d up to %q, %v; want 0", n, last, err)
		}
		for _, j := range gone {
			if _, err := s.GetJob(ctx, s.Reader(), j.SpaceID, j.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s job updated at %v survived the cut-off %v: %v", j.Status, j.UpdatedAt, cut, err)
			}
		}
		for _, j := range kept {
			if got, err := s.GetJob(ctx, s.Reader(), j.SpaceID, j.ID); err != nil || got.Status != j.Status {
				t.Errorf("%s job created %v, updated %v was pruned: %+v %v", j.Status, j.CreatedAt, j.UpdatedAt, got, err)
			}
		}
	})
}

// TestPruneJobsPlan: the pruning statement ranges over the primary key
// between its two ids, so that a table of many millions of jobs is not
// scanned for each batch, nor (on PostgreSQL, whose index keeps deleted
// rows' entries until VACUUM) walked from its start.
func TestPruneJobsPlan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		explain, want := "EXPLAIN QUERY PLAN ", []string{"USING INDEX sqlite_autoindex_jobs_1 (id>? AND id<?)"}
		err := s.Tx(ctx, func(tx store.Q) error {
			if s.Dialect() == store.Postgres {
				// An empty table is cheapest read some other way: forbid
				// those, to see whether an ordered range scan is possible.
				storetest.MustExec(t, tx, `SET LOCAL enable_seqscan = off`)
				storetest.MustExec(t, tx, `SET LOCAL enable_bitmapscan = off`)
				explain, want = "EXPLAIN ", []string{"Index Scan using jobs_pkey", "Index Cond: ((id > ", "AND (id < "}
			}
			plan, err := queryPlan(ctx, tx, explain+s.PruneJobsStatement(), ids.JobIDFloor(t0), store.T(t0), 500, ids.JobIDFloor(t0.Add(-time.Hour)))
			if err != nil {
				return err
			}
			for _, w := range want {
				if !strings.Contains(plan, w) {
					t.Errorf("pruning does not range over the primary key (%q):\n%s", w, plan)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestPreviousReleaseJobInsert: during a rolling upgrade, nodes of the
// previous release insert keyed jobs into the migrated schema with a
// conflict target that names no predicate, which only a whole unique
// constraint on unique_key matches.
func TestPreviousReleaseJobInsert(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		const old = `INSERT INTO jobs (id, space_id, type, status, args, max_attempts, run_at, unique_key, created_at, updated_at)
			VALUES ($1, 1, 'vendor_poll', 'queued', '{}', 3, $2, 'poll:7', $2, $2) ON CONFLICT (unique_key) DO NOTHING`
		at := store.T(t0)
		storetest.MustExec(t, b.Store.Writer(), old, ids.JobID(t0), at)
		storetest.MustExec(t, b.Store.Writer(), old, ids.JobID(t0.Add(time.Second)), at)
		var n int
		if err := b.Store.Reader().QueryRowContext(context.Background(), `SELECT count(*) FROM jobs WHERE unique_key = 'poll:7'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d jobs with the key, %v", n, err)
		}
	})
}

func TestJobQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		mk := func(typ string, at time.Time, unique string) store.Job {
			return store.Job{ID: ids.JobID(at), SpaceID: 1, Type: typ, Status: store.JobQueued, Args: json.RawMessage(`{"n":1}`),
				MaxAttempts: 3, RunAt: at, UniqueKey: unique, CreatedAt: at, UpdatedAt: at}
		}
		a := mk("a", t0, "")
		later := mk("b", t0.Add(time.Hour), "poll:1")
		for _, j := range []store.Job{a, later} {
			if ok, err := s.InsertJob(ctx, s.Writer(), j); err != nil || !ok {
				t.Fatalf("insert: %v %v", ok, err)
			}
		}
		if ok, err := s.InsertJob(ctx, s.Writer(), mk("b", t0, "poll:1")); err != nil || ok {
			t.Fatalf("duplicate unique key inserted: %v %v", ok, err)
		}
		claimed, err := s.ClaimJobs(ctx, s.Writer(), t0.Add(time.Second), t0.Add(time.Minute), 10)
		if err != nil || len(claimed) != 1 || claimed[0].ID != a.ID || claimed[0].Attempts != 1 || claimed[0].Status != store.JobRunning {
			t.Fatalf("claim = %+v, %v", claimed, err)
		}
		// A dead worker's lease expires and another claims the job again.
		again, err := s.ClaimJobs(ctx, s.Writer(), t0.Add(2*time.Minute), t0.Add(3*time.Minute), 10)
		if err != nil || len(again) != 1 || again[0].ID != a.ID || again[0].Attempts != 2 {
			t.Fatalf("reclaim = %+v, %v", again, err)
		}
		// The first worker's late finish is refused.
		stale := claimed[0]
		stale.Status, stale.UpdatedAt, stale.RunAt = store.JobSucceeded, t0, t0
		if err := s.FinishJob(ctx, s.Writer(), stale); err == nil {
			t.Fatal("stale worker finished a reclaimed job")
		}
		done := again[0]
		done.Status, done.Result, done.UpdatedAt = store.JobSucceeded, json.RawMessage(`{"ok":true}`), t0.Add(2*time.Minute)
		if err := s.FinishJob(ctx, s.Writer(), done); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetJob(ctx, s.Reader(), 1, a.ID)
		if err != nil || got.Status != store.JobSucceeded || string(got.Result) != `{"ok":true}` || got.LeaseUntil != nil {
			t.Fatalf("get = %+v, %v", got, err)
		}
		if _, err := s.GetJob(ctx, s.Reader(), 2, a.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("job visible from another space: %v", err)
		}
		list, total, err := s.ListJobs(ctx, s.Reader(), 1, store.JobFilter{Limit: 1})
		if err != nil || total != 2 || len(list) != 1 || list[0].ID != later.ID {
			t.Fatalf("list = %d %d %v", len(list), total, err)
		}
		list, _, _ = s.ListJobs(ctx, s.Reader(), 1, store.JobFilter{Limit: 5, BeforeID: list[0].ID})
		if len(list) != 1 || list[0].ID != a.ID {
			t.Fatalf("second page = %+v", list)
		}
		end := t0.Add(time.Minute)
		list, total, _ = s.ListJobs(ctx, s.Reader(), 1, store.JobFilter{Type: "a", End: &end, Limit: 5})
		if total != 1 || len(list) != 1 {
			t.Fatalf("filtered list = %d/%d", len(list), total)
		}
	})
}

// A transaction reads a space's chain head once and writes it back before
// its commit: several events in one transaction, in two spaces, chain
// correctly; a transaction that fails after appending leaves the head where
// it was; and a GroupTx member rolled back to its savepoint takes its events
// and its advance of the head with it, so the next member chains onto the
// last event that stays.
func TestAuditHeadsPerTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		other, _ := s.CreateSpace(ctx, s.Writer(), "other", t0)
		appendTo := func(tx store.Q, space int64, id string) error {
			_, err := s.AppendAudit(ctx, tx, audit.Event{SpaceID: space, ActorID: "a", Action: "thing.create", ResourceType: "thing", ResourceID: id, At: t0, StateHash: "h"})
			return err
		}
		if err := s.Tx(ctx, func(tx store.Q) error {
			for i := 0; i < 3; i++ {
				if err := appendTo(tx, 1, "one"); err != nil {
					return err
				}
				if err := appendTo(tx, other.ID, "other"); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		failed := errors.New("fails after appending")
		if err := s.Tx(ctx, func(tx store.Q) error {
			if err := appendTo(tx, 1, "lost"); err != nil {
				return err
			}
			return failed
		}); !errors.Is(err, failed) {
			t.Fatalf("failing tx = %v", err)
		}
		var wg sync.WaitGroup
		results := make([]error, 30)
		for i := range results {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				results[i] = s.GroupTx(ctx, func(tx store.Q) error {
					if err := appendTo(tx, 1, fmt.Sprint("g", i)); err != nil {
						return err
					}
					if i%4 == 1 {
						return failed
					}
					return appendTo(tx, other.ID, fmt.Sprint("g", i))
				})
			}(i)
		}
		wg.Wait()
		kept := 0
		for i, err := range results {
			if (i%4 == 1) != errors.Is(err, failed) || (i%4 != 1 && err != nil) {
				t.Fatalf("member %d: %v", i, err)
			}
			if err == nil {
				kept++
			}
		}
		n, err := s.VerifyAudit(ctx, s.Reader())
		if err != nil || n != int64(6+2*kept) {
			t.Fatalf("verify = %d, %v; want %d events", n, err, 6+2*kept)
		}
		var seq int64
		if err := s.Reader().QueryRowContext(ctx, `SELECT seq FROM audit_heads WHERE space_id = 1`).Scan(&seq); err != nil || seq != int64(3+kept) {
			t.Fatalf("head of space 1 = %d, %v; want %d", seq, err, 3+kept)
		}
		if lost := storetest.Count(t, s.Reader(), `SELECT count(*) FROM audit_events WHERE resource_id = 'lost'`); lost != 0 {
			t.Fatalf("%d events of the failed transaction were kept", lost)
		}
	})
}

// BenchmarkPruneJobs times a pruning run as the maintenance job makes it
// (without its pauses): 100,000 finished inline jobs (with their args and
// result) deleted in batches of 500 (usecase.pruneBatch), each a
// transaction that starts after the last id of the one before, from a
// table that also holds 20,000 recent jobs. Seeding is not timed. On
// PostgreSQL the table is vacuumed before the run, its best case: a run
// that finds the dead index entries of earlier runs not yet vacuumed pays
// for walking them in its first batch.
func BenchmarkPruneJobs(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			be := benchBackend(b, name)
			ctx := context.Background()
			s := be.Store
			const old, batch = 100_000, 500
			cutoff := t0.Add(time.Hour)
			seedFinishedJobs(b, s, cutoff.Add(time.Hour), 20_000)
			batches := 0
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				seedFinishedJobs(b, s, t0.Add(time.Duration(i)*time.Second), old)
				if s.Dialect() == store.Postgres {
					storetest.MustExec(b, s.Writer(), `VACUUM (ANALYZE) jobs`)
				}
				b.StartTimer()
				total, after := 0, ""
				for {
					n, last, err := s.PruneJobs(ctx, cutoff, after, batch)
					if err != nil {
						b.Fatal(err)
					}
					total += n
					batches++
					if n < batch {
						break
					}
					after = last
				}
				if total != old {
					b.Fatalf("pruned %d; want %d", total, old)
				}
			}
			b.ReportMetric(float64(old*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(batches), "ms/batch")
		})
	}
}

// seedFinishedJobs stores n finished inline risk jobs (with their args and
// result) created a microsecond apart from at, in one transaction.
func seedFinishedJobs(b *testing.B, s *store.Store, at time.Time, n int) {
	ctx := context.Background()
	err := s.Tx(ctx, func(tx store.Q) error {
		for i := range n {
			jt := at.Add(time.Duration(i) * time.Microsecond)
			if _, err := s.InsertJob(ctx, tx, finishedJob(jt)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// finishedJob is an inline risk job as POST /api/v1/analysis/risk stores
// it: finished when stored, without a unique key.
func finishedJob(at time.Time) store.Job {
	return store.Job{ID: ids.JobID(at), SpaceID: 1, Type: "risk_assessment", Status: store.JobSucceeded,
		Args:        json.RawMessage(`{"scenario":"dispute","textBytes":1024,"textSha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","submittedBy":"tok_1"}`),
		Result:      json.RawMessage(`{"type":"analysis.risk.result","riskScore":72,"band":"High","packVersion":"riskd-core@2026.11.2"}`),
		MaxAttempts: 1, RunAt: at, CreatedAt: at, UpdatedAt: at}
}
