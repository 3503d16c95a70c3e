package store

import (
	"context"
	"fmt"

	"github.com/riskd/riskd/internal/audit"
)

// laterRows are the rows a group run defers on PostgreSQL. There each
// statement is a round trip to the server, made by the one goroutine that
// runs every group in turn: an inline text-risk submit's job row and audit
// event were two round trips each, and on a busy machine a round trip waits
// for the server process to be scheduled. Inserted at the end of the run, a
// whole group's jobs and events take one statement each.
//
// Only rows nothing reads back inside the transaction are deferred: audit
// events (the chain is carried in writeTx.heads, and the log is only read
// outside write transactions) and jobs without a unique key (a job with one
// must report at once whether it was inserted). A deferred row that is
// refused (a constraint, a bad value) fails the run, which then runs again
// with a savepoint around each member and nothing deferred, so the failure
// reaches the member that caused it (see runGroup).
type laterRows struct {
	jobs   []Job
	events []audit.Event
}

// deferJob takes j for a later insert when q is a run that defers rows.
func deferJob(q Q, j Job) bool {
	tx := txOf(q)
	if tx == nil || tx.later == nil || j.UniqueKey != "" {
		return false
	}
	tx.later.jobs = append(tx.later.jobs, j)
	return true
}

// deferEvent takes e for a later insert when tx defers rows.
func deferEvent(tx *writeTx, e audit.Event) bool {
	if tx == nil || tx.later == nil {
		return false
	}
	tx.later.events = append(tx.later.events, e)
	return true
}

// insert inserts the deferred rows, jobs first. Each column travels as one
// array, so the statements are the same whatever the number of rows, and
// prepared once.
func (l *laterRows) insert(ctx context.Context, q Q) error {
	if n := len(l.jobs); n > 0 {
		var (
			ids, types, statuses, args, results, codes, messages, runAt, created, updated = make([]string, n),
				make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n),
				make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			spaces                = make([]int64, n)
			attempts, maxAttempts = make([]int32, n), make([]int32, n)
		)
		for i, j := range l.jobs {
			ids[i], spaces[i], types[i], statuses[i], args[i] = j.ID, j.SpaceID, j.Type, j.Status, string(j.Args)
			results[i], codes[i], messages[i] = string(j.Result), j.ErrorCode, j.ErrorMessage
			attempts[i], maxAttempts[i] = int32(j.Attempts), int32(j.MaxAttempts)
			runAt[i], created[i], updated[i] = T(j.RunAt), T(j.CreatedAt), T(j.UpdatedAt)
		}
		// An empty result or error is NULL, as InsertJob writes it: a
		// result is JSON, never empty.
		if _, err := q.ExecContext(ctx, `INSERT INTO jobs (`+jobColumns+`)
			SELECT id, space_id, type, status, args, NULLIF(result, ''), NULLIF(error_code, ''), NULLIF(error_message, ''),
				attempts, max_attempts, run_at, NULL, NULL, created_at, updated_at
			FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
				$9::integer[], $10::integer[], $11::text[], $12::text[], $13::text[])
				AS u (id, space_id, type, status, args, result, error_code, error_message, attempts, max_attempts, run_at, created_at, updated_at)`,
			ids, spaces, types, statuses, args, results, codes, messages, attempts, maxAttempts, runAt, created, updated); err != nil {
			return fmt.Errorf("insert %d jobs: %w", n, err)
		}
	}
	if n := len(l.events); n > 0 {
		var (
			spaces, seqs                                                       = make([]int64, n), make([]int64, n)
			actors, actions, rtypes, rids, at, stateHashes, prevHashes, hashes = make([]string, n), make([]string, n),
				make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		)
		for i, e := range l.events {
			spaces[i], seqs[i], actors[i], actions[i], rtypes[i], rids[i] = e.SpaceID, e.Seq, e.ActorID, e.Action, e.ResourceType, e.ResourceID
			at[i], stateHashes[i], prevHashes[i], hashes[i] = T(e.At), e.StateHash, e.PrevHash, e.Hash
		}
		// In chain order: unnest yields its rows in array order.
		if _, err := q.ExecContext(ctx, `INSERT INTO audit_events (`+auditInsertColumns+`)
			SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
				$8::text[], $9::text[], $10::text[])`,
			spaces, seqs, actors, actions, rtypes, rids, at, stateHashes, prevHashes, hashes); err != nil {
			return fmt.Errorf("insert %d audit events: %w", n, err)
		}
	}
	return nil
}
