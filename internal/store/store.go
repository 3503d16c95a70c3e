// Package store is the only package that speaks SQL. One Go API runs on two
// dialects: embedded SQLite (the default) and PostgreSQL (several nodes). Every
// method takes the executor (Q) it runs on, so a use case can write rows,
// append the audit event and enqueue a job in one transaction.
//
// The SQL is written once with $N placeholders, which both drivers bind
// positionally; the few statements that differ (row locks, upserts) branch on
// the dialect next to each other, so the two can't drift apart.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the SQL database behind a Store.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Q is what every store method runs on: *sql.DB, *sql.Tx or *sql.Conn.
type Q interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store holds the connection pools. On SQLite there is one writer connection
// (SQLite allows one writer; queuing in Go is cheaper than SQLITE_BUSY retries)
// and a small pool of read-only connections that WAL lets run beside it. On
// PostgreSQL both are the same pool.
type Store struct {
	dialect Dialect
	w, r    *sql.DB
	target  string // the database URL with any password removed, for logs
	// wc and rc keep SQLite's statements prepared (nil on PostgreSQL).
	wc, rc *stmtCache

	migOnce sync.Once
	mig     *goose.Provider
	migErr  error

	groupState
	heads headCache // PostgreSQL only
}

// Options tune Open.
type Options struct {
	// ReadConns caps the SQLite read pool (default 4).
	ReadConns int
	// MaxConns caps the PostgreSQL pool (default 20).
	MaxConns int
}

// Open connects to the database named by rawURL: sqlite:///abs/path.db,
// sqlite://relative.db or postgres://…. It does not migrate.
func Open(ctx context.Context, rawURL string, opt Options) (*Store, error) {
	switch {
	case strings.HasPrefix(rawURL, "sqlite://"):
		return openSQLite(ctx, strings.TrimPrefix(rawURL, "sqlite://"), opt)
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return openPostgres(ctx, rawURL, opt)
	default:
		return nil, fmt.Errorf("database URL %q: want sqlite:///abs/path.db, sqlite://relative.db or postgres://…", redact(rawURL))
	}
}

func openSQLite(ctx context.Context, path string, opt Options) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite path %q: want a file path without ? or #", path)
	}
	// synchronous(FULL) makes every commit durable before it is acknowledged;
	// busy_timeout covers other processes (riskd token, riskd audit) briefly
	// holding the write lock.
	common := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	// The writer's page cache (32 MiB, against SQLite's default 2 MiB) holds
	// a whole re-scoring batch's new pages until its commit. temp_store
	// MEMORY keeps savepoint sub-journals (one savepoint per member of a
	// group commit) off the disk: they are discarded at commit anyway.
	w, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=cache_size(-32768)&_pragma=temp_store(2)&_txlock=immediate&"+common)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	// Open the writer first so the WAL switch happens before readers connect.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)&"+common)
	if err != nil {
		w.Close()
		return nil, err
	}
	n := opt.ReadConns
	if n <= 0 {
		n = 4
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return &Store{dialect: SQLite, w: w, r: r, wc: newStmtCache(w), rc: newStmtCache(r), target: "sqlite://" + path}, nil
}

func openPostgres(ctx context.Context, rawURL string, opt Options) (*Store, error) {
	db, err := sql.Open("pgx", rawURL)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redact(rawURL), err)
	}
	n := opt.MaxConns
	if n <= 0 {
		n = 20
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", redact(rawURL), err)
	}
	return &Store{dialect: Postgres, w: db, r: db, target: redact(rawURL)}, nil
}

// redact removes the password from a database URL.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Dialect reports which database this is.
func (s *Store) Dialect() Dialect { return s.dialect }

// Target is the database URL without secrets, for logs and messages.
func (s *Store) Target() string { return s.target }

// Reader is the executor for reads outside a transaction.
func (s *Store) Reader() Q {
	if s.rc != nil {
		return cachedDB{s.rc}
	}
	return s.r
}

// Writer is the executor for a single write outside a transaction.
func (s *Store) Writer() Q {
	if s.wc != nil {
		return cachedDB{s.wc}
	}
	return s.w
}

// Close closes the pools, after the prepared statements that belong to them.
// No GroupTx may be running or start afterwards.
func (s *Store) Close() error {
	if s.wc != nil {
		s.wc.close()
		s.rc.close()
	}
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// Tx runs fn in a write transaction and commits when fn returns nil. On
// PostgreSQL a serialization failure or deadlock is retried a few times.
func (s *Store) Tx(ctx context.Context, fn func(tx Q) error) error {
	for attempt := 0; ; attempt++ {
		err := s.tx(ctx, fn)
		if err == nil || attempt == maxGroupAttempts-1 || !retryable(err) {
			return err
		}
	}
}

func (s *Store) tx(ctx context.Context, fn func(tx Q) error) error {
	return s.runTx(ctx, false, func(tx *writeTx) error { return fn(tx) })
}

// runTx runs fn in a write transaction. A lazy one (a PostgreSQL group run
// that defers rows) begins only when fn makes a statement in it: otherwise
// fn's deferred write ran alone on the pool and there is nothing to commit.
// On PostgreSQL the heads it advanced are remembered once committed (see
// headCache).
func (s *Store) runTx(ctx context.Context, lazy bool, fn func(tx *writeTx) error) (err error) {
	wt := s.newWriteTx(nil)
	if lazy {
		wt.begin = func() (*sql.Tx, error) { return s.w.BeginTx(ctx, nil) }
		wt.pool, wt.cache = s.w, &s.heads
	} else if wt.Tx, err = s.w.BeginTx(ctx, nil); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			if wt.Tx != nil {
				_ = wt.Tx.Rollback()
			}
			panic(p)
		}
	}()
	err = fn(wt)
	if wt.beginErr != nil {
		// A statement failed to begin, whether or not fn went on.
		err = fmt.Errorf("begin: %w", wt.beginErr)
	}
	if err != nil {
		if wt.Tx != nil {
			_ = wt.Tx.Rollback()
		}
		return err
	}
	if wt.Tx != nil {
		if err := wt.flushHeads(context.WithoutCancel(ctx)); err != nil {
			_ = wt.Tx.Rollback()
			return fmt.Errorf("advance audit heads: %w", err)
		}
		if err := wt.Tx.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
	}
	if s.dialect == Postgres {
		s.heads.put(wt.heads)
	}
	return nil
}

// planEach returns the arguments of a query that PostgreSQL must plan for
// its arguments at every run. pgx prepares each statement once per
// connection, and after five runs PostgreSQL may switch to a generic plan,
// one made without the arguments' values. For a filter like
// "methodology_version <> $3", which the statistics say almost no row
// passes when nearly every customer has one version, the generic plan
// scans and sorts the whole table to find a page; the plan made with the
// value walks the primary key and stops at the page's end.
func (s *Store) planEach(args ...any) []any {
	if s.dialect != Postgres {
		return args
	}
	return append([]any{pgx.QueryExecModeExec}, args...)
}

func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40001" || pg.Code == "40P01")
}

// IsUniqueViolation reports whether err is a unique-constraint failure.
func IsUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// ForUpdate is the row-lock suffix for a SELECT inside a transaction. SQLite
// has no row locks and needs none: its immediate transactions already hold
// the single write lock.
func (s *Store) ForUpdate() string {
	if s.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// timeLayout is how times are stored: fixed width, UTC, so text order is time
// order on both databases.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// T formats t for storage.
func T(t time.Time) string { return t.UTC().Format(timeLayout) }

// NullT formats an optional time.
func NullT(t *time.Time) any {
	if t == nil {
		return nil
	}
	return T(*t)
}

// ParseT parses a stored time.
func ParseT(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// parseNullT parses an optional stored time.
func parseNullT(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := ParseT(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}
