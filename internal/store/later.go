package store

import (
	"context"
	"fmt"
	"maps"
	"slices"

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

// insert inserts the deferred rows and writes the audit chain heads t
// advanced, in one statement on q: each statement is a round trip made by
// the group loop, and on a busy machine a round trip waits about a
// millisecond for the server process and the loop to be scheduled
// (docs/benchmarks.md). A head is written only if its row still holds the
// head t's events were chained from (t.base), and the rows only if every
// head was: otherwise the heads that came from the store's cache are marked
// stale and insert returns errStaleHead, on which the caller rolls back.
// With one head nothing was written then; with several, some may have
// been, so q must be a transaction (see runGroup). Each column travels as
// one array, so the statement is the same whatever the number of rows, and
// prepared once.
func (l *laterRows) insert(ctx context.Context, q Q, t *writeTx) error {
	if len(l.jobs) == 0 && len(l.events) == 0 {
		return nil
	}
	n := len(l.jobs)
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
		runAt[i], created[i], updated[i] = j.times()
	}
	m := len(l.events)
	var (
		eSpaces, seqs                                                      = make([]int64, m), make([]int64, m)
		actors, actions, rtypes, rids, at, stateHashes, prevHashes, hashes = make([]string, m), make([]string, m),
			make([]string, m), make([]string, m), make([]string, m), make([]string, m), make([]string, m), make([]string, m)
	)
	for i, e := range l.events {
		eSpaces[i], seqs[i], actors[i], actions[i], rtypes[i], rids[i] = e.SpaceID, e.Seq, e.ActorID, e.Action, e.ResourceType, e.ResourceID
		at[i], stateHashes[i], prevHashes[i], hashes[i] = T(e.At), e.StateHash, e.PrevHash, e.Hash
	}
	// In space order, so that the same group gives the same arrays. (The
	// order in which the UPDATE locks the rows is the planner's: two
	// nodes' multi-space groups may deadlock, which retries the group.)
	hSpaces := slices.Sorted(maps.Keys(t.heads))
	k := len(hSpaces)
	hSeqs, hHashes, hOldSeqs, hOldHashes := make([]int64, k), make([]string, k), make([]int64, k), make([]string, k)
	for i, id := range hSpaces {
		base, ok := t.base[id]
		if !ok {
			return fmt.Errorf("audit head of space %d advanced without a base", id)
		}
		h := t.heads[id]
		hSeqs[i], hHashes[i], hOldSeqs[i], hOldHashes[i] = h.Seq, h.Hash, base.Seq, base.Hash
	}
	// An empty result or error is NULL, as InsertJob writes it: a result
	// is JSON, never empty. Events go in chain order: unnest yields its
	// rows in array order. Both inserts read ok, so the head update runs
	// first.
	var written bool
	err := q.QueryRowContext(ctx, `WITH advanced AS (
			UPDATE audit_heads h SET seq = u.seq, hash = u.hash
			FROM unnest($24::bigint[], $25::bigint[], $26::text[], $27::bigint[], $28::text[]) AS u (space_id, seq, hash, old_seq, old_hash)
			WHERE h.space_id = u.space_id AND h.seq = u.old_seq AND h.hash = u.old_hash
			RETURNING 1
		), ok AS (
			SELECT count(*) = coalesce(cardinality($24::bigint[]), 0) AS ok FROM advanced
		), j AS (
			INSERT INTO jobs (`+jobColumns+`)
			SELECT id, space_id, type, status, args, NULLIF(result, ''), NULLIF(error_code, ''), NULLIF(error_message, ''),
				attempts, max_attempts, run_at, NULL, NULL, created_at, updated_at
			FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
				$9::integer[], $10::integer[], $11::text[], $12::text[], $13::text[])
				AS u (id, space_id, type, status, args, result, error_code, error_message, attempts, max_attempts, run_at, created_at, updated_at)
			WHERE (SELECT ok FROM ok)
		), e AS (
			INSERT INTO audit_events (`+auditInsertColumns+`)
			SELECT * FROM unnest($14::bigint[], $15::bigint[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[],
				$21::text[], $22::text[], $23::text[])
			WHERE (SELECT ok FROM ok)
		)
		SELECT ok FROM ok`,
		ids, spaces, types, statuses, args, results, codes, messages, attempts, maxAttempts, runAt, created, updated,
		eSpaces, seqs, actors, actions, rtypes, rids, at, stateHashes, prevHashes, hashes,
		hSpaces, hSeqs, hHashes, hOldSeqs, hOldHashes).Scan(&written)
	if err != nil {
		return fmt.Errorf("insert %d jobs and %d audit events: %w", n, m, err)
	}
	if !written {
		if t.cache != nil {
			t.cache.stale(t.fromCache)
		}
		return errStaleHead
	}
	t.headsWritten = true
	return nil
}
