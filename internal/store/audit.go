package store

import (
	"context"
	"fmt"

	"github.com/riskd/riskd/internal/audit"
)

// AppendAudit adds e to its space's hash chain. Call it in the transaction
// that made the change: the chain head is locked until commit, so events of
// one space are chained in commit order even across nodes. A transaction
// reads the head once and writes it back once, before its commit (writeTx).
// In a PostgreSQL group run without savepoints the event is inserted at the
// end of the run (laterRows), and the returned event's ID is 0: callers
// must not rely on it inside GroupTx. Such a run chains from the head the
// node remembers, when it does, instead of reading it: the run's last
// statement writes the head only if the row still holds that one, locking
// it then (see headCache).
func (s *Store) AppendAudit(ctx context.Context, q Q, e audit.Event) (audit.Event, error) {
	tx := txOf(q)
	head, known := audit.Head{}, false
	if tx != nil {
		head, known = tx.heads[e.SpaceID]
	}
	if !known {
		var cached bool
		if head, cached = tx.cachedHead(e.SpaceID); !cached {
			head = audit.Head{SpaceID: e.SpaceID}
			if err := q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads WHERE space_id = $1`+s.ForUpdate(), e.SpaceID).
				Scan(&head.Seq, &head.Hash); err != nil {
				return e, fmt.Errorf("audit head of space %d: %w", e.SpaceID, err)
			}
		}
		tx.noteBase(head)
	}
	e = audit.Next(head, e)
	next := audit.Head{SpaceID: e.SpaceID, Seq: e.Seq, Hash: e.Hash}
	if deferEvent(tx, e) {
		// Inserted at the end of the group run; its id is not known yet.
		tx.setHead(next)
		return e, nil
	}
	const insert = `INSERT INTO audit_events (` + auditInsertColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	args := []any{e.SpaceID, e.Seq, e.ActorID, e.Action, e.ResourceType, e.ResourceID, T(e.At), e.StateHash, e.PrevHash, e.Hash}
	if s.dialect == SQLite {
		// The rowid without RETURNING, which costs SQLite a result row.
		res, err := q.ExecContext(ctx, insert, args...)
		if err == nil {
			e.ID, err = res.LastInsertId()
		}
		if err != nil {
			return e, fmt.Errorf("insert audit event: %w", err)
		}
	} else if err := q.QueryRowContext(ctx, insert+` RETURNING id`, args...).Scan(&e.ID); err != nil {
		return e, fmt.Errorf("insert audit event: %w", err)
	}
	if tx != nil {
		tx.setHead(next)
		return e, nil
	}
	if err := writeHead(ctx, q, next); err != nil {
		return e, fmt.Errorf("advance audit head: %w", err)
	}
	return e, nil
}

// writeHead stores h as its space's audit chain head.
func writeHead(ctx context.Context, q Q, h audit.Head) error {
	_, err := q.ExecContext(ctx, `UPDATE audit_heads SET seq = $2, hash = $3 WHERE space_id = $1`, h.SpaceID, h.Seq, h.Hash)
	return err
}

// AuditFilter selects audit events of one space, newest first.
type AuditFilter struct {
	ResourceType string
	ResourceID   string
	BeforeSeq    int64 // cursor: only events with a smaller seq; 0 for the newest
	Limit        int
}

// auditInsertColumns are the columns an event is inserted with (the id is
// the database's).
const auditInsertColumns = `space_id, seq, actor_id, action, resource_type, resource_id, at, state_hash, prev_hash, hash`

const auditColumns = `id, space_id, seq, actor_id, action, resource_type, resource_id, at, state_hash, prev_hash, hash`

// AuditEvents lists a space's events, newest first.
func (s *Store) AuditEvents(ctx context.Context, q Q, spaceID int64, f AuditFilter) ([]audit.Event, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_events
		WHERE space_id = $1 AND ($2 = '' OR resource_type = $2) AND ($3 = '' OR resource_id = $3) AND ($4 = 0 OR seq < $4)
		ORDER BY seq DESC LIMIT $5`, spaceID, f.ResourceType, f.ResourceID, f.BeforeSeq, f.Limit)
	if err != nil {
		return nil, err
	}
	return scanAudit(rows)
}

func scanAudit(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}) ([]audit.Event, error) {
	defer rows.Close()
	var out []audit.Event
	for rows.Next() {
		var (
			e  audit.Event
			at string
		)
		if err := rows.Scan(&e.ID, &e.SpaceID, &e.Seq, &e.ActorID, &e.Action, &e.ResourceType, &e.ResourceID, &at, &e.StateHash, &e.PrevHash, &e.Hash); err != nil {
			return nil, err
		}
		t, err := ParseT(at)
		if err != nil {
			return nil, err
		}
		e.At = t
		out = append(out, e)
	}
	return out, rows.Err()
}

// VerifyAudit walks every space's chain from the first event and returns the
// first broken link, or nil. It reads in pages so a long log needs little memory.
func (s *Store) VerifyAudit(ctx context.Context, q Q) (checked int64, err error) {
	rows, err := q.QueryContext(ctx, `SELECT space_id, seq, hash FROM audit_heads ORDER BY space_id`)
	if err != nil {
		return 0, err
	}
	var heads []audit.Head
	for rows.Next() {
		var h audit.Head
		if err := rows.Scan(&h.SpaceID, &h.Seq, &h.Hash); err != nil {
			rows.Close()
			return 0, err
		}
		heads = append(heads, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	const page = 5000
	for _, head := range heads {
		v := audit.NewVerifier(head.SpaceID)
		after := int64(-1) // read from the lowest seq present, so a removed first event shows as a gap
		for {
			r, err := q.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_events WHERE space_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, head.SpaceID, after, page)
			if err != nil {
				return checked, err
			}
			events, err := scanAudit(r)
			if err != nil {
				return checked, err
			}
			for _, e := range events {
				if err := v.Add(e); err != nil {
					return checked, err
				}
				checked++
				after = e.Seq
			}
			if len(events) < page {
				break
			}
		}
		if err := v.Finish(head); err != nil {
			return checked, err
		}
	}
	return checked, nil
}
