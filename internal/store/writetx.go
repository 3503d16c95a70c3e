package store

import (
	"context"
	"database/sql"

	"github.com/riskd/riskd/internal/audit"
)

// writeTx is the executor a write transaction (Tx, GroupTx) hands to its
// function. Beside the transaction it keeps three things for the transaction's
// lifetime:
//
//   - On SQLite, Exec and QueryRow run prepared. The writer pool has one
//     connection, the one every cached writer statement is prepared on, so
//     Tx.StmtContext reuses the prepared statement; each is wrapped for the
//     transaction once, however often it runs (a group commit runs the same
//     few statements hundreds of times). Query calls stay unprepared (see
//     stmtCache).
//   - The audit chain heads this transaction has advanced. AppendAudit reads
//     a space's head once (locking it on PostgreSQL) and writes it back once,
//     before the commit, instead of a read and a write per event.
//   - On PostgreSQL, in a group run without savepoints, the jobs (without a
//     unique key) and audit events its functions add: they are inserted
//     together at the end of the run (see runGroup).
type writeTx struct {
	*sql.Tx
	c     *stmtCache // nil on PostgreSQL
	stmts map[string]*sql.Stmt
	// heads maps each space whose chain this transaction advanced to its
	// head after the transaction's last event: all of them are written
	// back.
	heads map[int64]audit.Head
	saved headsState // saveHeads' buffer
	// later is set while rows are deferred: InsertJob and AppendAudit
	// append them here instead of inserting them.
	later *laterRows
}

func (s *Store) newWriteTx(tx *sql.Tx) *writeTx {
	return &writeTx{Tx: tx, c: s.wc}
}

func (t *writeTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if t.c == nil {
		return nil
	}
	if st, ok := t.stmts[query]; ok {
		return st
	}
	var st *sql.Stmt
	if p := t.c.lookup(query); p != nil {
		st = t.Tx.StmtContext(ctx, p)
	} else {
		t.c.prepareLater(query)
	}
	if t.stmts == nil {
		t.stmts = make(map[string]*sql.Stmt)
	}
	t.stmts[query] = st
	return st
}

func (t *writeTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

func (t *writeTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}

func (t *writeTx) writeTx() *writeTx { return t }

// headsState is a copy of the transaction's audit heads, taken before a
// group member runs so that rolling the member back to its savepoint also
// rolls back the heads its events advanced. One is taken per member, so it
// reuses the transaction's buffer: runGroup restores only the latest.
type headsState []audit.Head

func (t *writeTx) saveHeads() headsState {
	t.saved = t.saved[:0]
	for _, h := range t.heads {
		t.saved = append(t.saved, h)
	}
	return t.saved
}

func (t *writeTx) restoreHeads(saved headsState) {
	clear(t.heads)
	for _, h := range saved {
		t.heads[h.SpaceID] = h
	}
}

// setHead notes h as its space's head, written back once before the commit
// (flushHeads).
func (t *writeTx) setHead(h audit.Head) {
	if t.heads == nil {
		t.heads = make(map[int64]audit.Head)
	}
	t.heads[h.SpaceID] = h
}

// flushHeads writes the advanced audit heads; the transaction commits after.
func (t *writeTx) flushHeads(ctx context.Context) error {
	for _, h := range t.heads {
		if err := writeHead(ctx, t, h); err != nil {
			return err
		}
	}
	return nil
}

// txOf returns the write transaction q runs in, or nil when q is a pool.
func txOf(q Q) *writeTx {
	if t, ok := q.(interface{ writeTx() *writeTx }); ok {
		return t.writeTx()
	}
	return nil
}
