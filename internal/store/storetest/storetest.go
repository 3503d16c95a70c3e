// Package storetest opens real databases for tests: a fresh SQLite file
// always, and a fresh PostgreSQL schema when RISKD_TEST_POSTGRES_URL is set.
// Every store test runs through Each, so both backends pass the same suite.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/riskd/riskd/internal/store"
)

// EnvPostgres names the variable holding the PostgreSQL URL for tests.
const EnvPostgres = "RISKD_TEST_POSTGRES_URL"

// Backend is a migrated, empty database and the URL that reaches it.
type Backend struct {
	Name  string
	URL   string
	Store *store.Store
}

// Each runs fn once per backend as a subtest named after it.
func Each(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns a migrated store on a new file in a temporary directory.
func SQLite(t testing.TB) Backend {
	t.Helper()
	u := "sqlite://" + filepath.Join(t.TempDir(), "riskd.db")
	return open(t, "sqlite", u)
}

// Postgres returns a migrated store in a new schema of the test database, or
// skips the test, saying why, when no database is configured.
func Postgres(t testing.TB) Backend {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skip("PostgreSQL parity test skipped: set " + EnvPostgres + " (see README) to run it")
	}
	u := NewSchemaURL(t, base)
	return open(t, "postgres", u)
}

// NewSchemaURL creates an empty schema in the database at base, drops it when
// the test ends, and returns a URL whose connections use it.
func NewSchemaURL(t testing.TB, base string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", EnvPostgres, err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema (is PostgreSQL running at %s?): %v", EnvPostgres, err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t testing.TB, name, u string) Backend {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, u, store.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", name, err)
	}
	return Backend{Name: name, URL: u, Store: s}
}

// MustExec runs a statement for test set-up or tampering.
func MustExec(t testing.TB, q store.Q, query string, args ...any) {
	t.Helper()
	if _, err := q.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// Count runs a query that answers one integer, a count, failing the test
// when it cannot.
func Count(t testing.TB, q store.Q, query string, args ...any) int {
	t.Helper()
	var n int
	if err := q.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// Describe names a backend in messages.
func (b Backend) String() string { return fmt.Sprintf("%s (%s)", b.Name, b.Store.Target()) }
