package store

import (
	"context"
	"database/sql"
	"sync"
)

// The SQLite driver parses a statement's SQL again on every call made
// through database/sql, and parsing cost a fifth of the server's CPU on the
// text-risk submit path. A stmtCache keeps each statement prepared on its
// pool, so a statement is parsed once per connection. (pgx caches prepared
// statements itself, so PostgreSQL does not use this.)
//
// Calls on the pools (Reader, Writer) use it, and a transaction's Exec and
// QueryRow calls (writeTx). A transaction's Query calls do not: a
// statement shared by a transaction (Tx.StmtContext) is one driver statement
// per connection, so the same query run again while its rows are still open
// in that transaction would reset them. Exec and QueryRow leave no rows open
// (QueryRow's are closed by its Scan).
type stmtCache struct {
	db      *sql.DB
	mu      sync.RWMutex
	m       map[string]*sql.Stmt
	pending map[string]bool // being prepared by prepareLater
}

// maxCachedStmts bounds the cache: the store's statements are constants,
// but a few are assembled from filters; past the bound they run unprepared.
const maxCachedStmts = 512

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt), pending: make(map[string]bool)}
}

// lookup returns the prepared statement for query, or nil when it has not
// been prepared (yet).
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[query]
}

// prepareLater prepares query in the background. A transaction calls it:
// preparing needs a connection of the pool, and on the writer pool the only
// one is the transaction's own, so the preparation waits for its end.
func (c *stmtCache) prepareLater(query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending[query] || c.m[query] != nil || len(c.m) >= maxCachedStmts {
		return
	}
	c.pending[query] = true
	go func() {
		// A statement that cannot be prepared stays pending: it is not
		// tried again, and runs unprepared.
		if c.get(context.Background(), query) != nil {
			c.mu.Lock()
			delete(c.pending, query)
			c.mu.Unlock()
		}
	}()
}

// get returns the prepared statement for query, preparing it on first use;
// nil when it cannot be cached (the plain call then reports any error).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	c.mu.RLock()
	st, full := c.m[query], len(c.m) >= maxCachedStmts
	c.mu.RUnlock()
	if st != nil || full {
		return st
	}
	// Prepared without holding the lock: preparing waits for a connection
	// (the writer pool has one), and other queries must not wait for it.
	// The preparation outlives this call, so the caller's cancellation
	// must not cut it short.
	st, err := c.db.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.m[query]; prev != nil || len(c.m) >= maxCachedStmts {
		// Prepared twice at the same moment (keep the first), or the
		// cache filled meanwhile (run unprepared): an uncached statement
		// would stay open until the pool closes.
		_ = st.Close()
		return prev
	}
	c.m[query] = st
	return st
}

// close closes the prepared statements; the pool is closed after it.
// Statement close errors are not reported: the pool's close reports any
// trouble with its connections.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		_ = st.Close()
	}
	clear(c.m)
}

// cachedDB is a pool's executor that runs statements prepared.
type cachedDB struct{ c *stmtCache }

func (d cachedDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := d.c.get(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return d.c.db.ExecContext(ctx, query, args...)
}

func (d cachedDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := d.c.get(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return d.c.db.QueryContext(ctx, query, args...)
}

func (d cachedDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := d.c.get(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return d.c.db.QueryRowContext(ctx, query, args...)
}
