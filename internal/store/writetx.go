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
//     a space's head once (locking it on PostgreSQL; a group run that defers
//     rows may take it from headCache instead) and writes it back once,
//     before the commit, instead of a read and a write per event.
//   - On PostgreSQL, in a group run without savepoints, the jobs (without a
//     unique key) and audit events its functions add: they are inserted
//     together at the end of the run (see runGroup).
type writeTx struct {
	// Tx is nil in a lazy run (a PostgreSQL group run without savepoints)
	// until a statement needs it: begin starts it then. A lazy run that
	// needs none writes its deferred rows with one statement of its own
	// on pool (see headCache).
	*sql.Tx
	begin    func() (*sql.Tx, error)
	beginErr error
	pool     Q
	c        *stmtCache // nil on PostgreSQL
	stmts    map[string]*sql.Stmt
	// heads maps each space whose chain this transaction advanced to its
	// head after the transaction's last event: all of them are written
	// back.
	heads map[int64]audit.Head
	saved headsState // saveHeads' buffer
	// later is set while rows are deferred: InsertJob and AppendAudit
	// append them here instead of inserting them.
	later *laterRows
	// In a run that defers rows: cache is the store's remembered heads,
	// base the head each space's events were chained from (the condition
	// of the head write), fromCache the spaces whose base came from cache,
	// and headsWritten is set once the deferred write has written heads.
	cache        *headCache
	base         map[int64]audit.Head
	fromCache    []int64
	headsWritten bool
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

// tx returns the transaction, beginning it in a lazy run.
func (t *writeTx) tx() (*sql.Tx, error) {
	if t.Tx == nil {
		if t.beginErr == nil {
			t.Tx, t.beginErr = t.begin()
		}
		if t.beginErr != nil {
			return nil, t.beginErr
		}
	}
	return t.Tx, nil
}

func (t *writeTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	tx, err := t.tx()
	if err != nil {
		return nil, err
	}
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

func (t *writeTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	tx, err := t.tx()
	if err != nil {
		return nil, err
	}
	return tx.QueryContext(ctx, query, args...)
}

func (t *writeTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	tx, err := t.tx()
	if err != nil {
		// Only database/sql makes a *sql.Row with an error: asked with a
		// cancelled context, the pool fails it without a statement. The
		// run reports beginErr.
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		return t.pool.QueryRowContext(cancelled, query, args...)
	}
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// cachedHead returns the remembered head of space for a run that defers
// rows, noting that its head write must find it unchanged.
func (t *writeTx) cachedHead(space int64) (audit.Head, bool) {
	if t == nil || t.later == nil || t.cache == nil {
		return audit.Head{}, false
	}
	h, ok := t.cache.get(space)
	if ok {
		t.fromCache = append(t.fromCache, space)
	}
	return h, ok
}

// noteBase records the head a space's events in this run are chained from.
func (t *writeTx) noteBase(h audit.Head) {
	if t == nil || t.later == nil {
		return
	}
	if t.base == nil {
		t.base = make(map[int64]audit.Head)
	}
	t.base[h.SpaceID] = h
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
	if t.headsWritten {
		return nil
	}
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
