package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// SQLite's pools keep statements prepared: once per query text, shared by
// concurrent callers, bounded, unaffected by a caller's cancellation, and
// closed before the pools.
func TestStmtCache(t *testing.T) {
	ctx := context.Background()
	s := openCounters(t)
	const insert = `INSERT INTO c (n) VALUES ($1)`
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := s.Writer().ExecContext(ctx, insert, i); err != nil {
				t.Error(err)
			}
			var n int
			if err := s.Reader().QueryRowContext(ctx, `SELECT count(*) FROM c WHERE n <= $1`, i).Scan(&n); err != nil || n < 1 {
				t.Errorf("count = %d, %v", n, err)
			}
		}(i)
	}
	wg.Wait()
	if st := s.wc.m[insert]; st == nil || len(s.wc.m) != 2 || len(s.rc.m) != 1 {
		t.Fatalf("cached: writer %d, reader %d", len(s.wc.m), len(s.rc.m))
	}

	// A caller cancelled while its statement is first prepared gets its
	// error from the call; the statement is cached for the next one.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	const sum = `SELECT coalesce(sum(n), 0) FROM c`
	var total int
	if err := s.Reader().QueryRowContext(cancelled, sum).Scan(&total); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled query: %v", err)
	}
	if s.rc.m[sum] == nil {
		t.Fatal("the cancelled caller's statement was not cached")
	}
	if err := s.Reader().QueryRowContext(ctx, sum).Scan(&total); err != nil || total != 40*39/2 {
		t.Fatalf("sum = %d, %v", total, err)
	}

	// Past the bound, statements run unprepared, and correctly.
	for i := 0; i < maxCachedStmts+50; i++ {
		var got int
		if err := s.Reader().QueryRowContext(ctx, fmt.Sprintf(`SELECT %d + $1`, i), 1).Scan(&got); err != nil || got != i+1 {
			t.Fatalf("query %d: %d, %v", i, got, err)
		}
	}
	if len(s.rc.m) != maxCachedStmts {
		t.Fatalf("%d statements cached, bound %d", len(s.rc.m), maxCachedStmts)
	}
	// A statement that cannot be prepared reports its error from the call.
	if _, err := s.Writer().ExecContext(ctx, `INSERT INTO missing VALUES (1)`); err == nil {
		t.Fatal("insert into a missing table succeeded")
	}

	s.wc.close()
	s.rc.close()
	if len(s.wc.m)+len(s.rc.m) != 0 {
		t.Fatal("close left statements cached")
	}
}

// A SQLite transaction runs Exec and QueryRow prepared: a statement first
// seen inside a transaction runs unprepared there (preparing needs the
// writer's only connection, which the transaction holds) and is prepared
// once the transaction ends; later transactions, and GroupTx members, reuse
// it. Query calls stay unprepared, so rows left open are never reset by the
// same query run again.
func TestTxStatementsPrepared(t *testing.T) {
	ctx := context.Background()
	s := openCounters(t)
	const insert, count = `INSERT INTO c (n) VALUES ($1)`, `SELECT count(*) FROM c WHERE n < $1`
	run := func(from int) *writeTx {
		var seen *writeTx
		err := s.Tx(ctx, func(tx Q) error {
			seen = tx.(*writeTx)
			for i := from; i < from+10; i++ {
				if _, err := tx.ExecContext(ctx, insert, i); err != nil {
					return err
				}
				var n int
				if err := tx.QueryRowContext(ctx, count, i+1).Scan(&n); err != nil || n != i+1 {
					return fmt.Errorf("count below %d = %d, %v", i+1, n, err)
				}
			}
			// Nested iteration: the rows of a query stay open while the
			// same query runs again.
			outer, err := tx.QueryContext(ctx, `SELECT n FROM c WHERE n >= $1 ORDER BY n`, from)
			if err != nil {
				return err
			}
			defer outer.Close()
			rows := 0
			for outer.Next() {
				inner, err := tx.QueryContext(ctx, `SELECT n FROM c WHERE n >= $1 ORDER BY n`, from)
				if err != nil {
					return err
				}
				inner.Close()
				rows++
			}
			if rows != 10 {
				return fmt.Errorf("outer rows = %d, want 10", rows)
			}
			return outer.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		return seen
	}
	if first := run(0); first.stmts[insert] != nil || first.stmts[count] != nil {
		t.Fatal("a statement first seen inside a transaction ran prepared")
	}
	for i := 0; s.wc.lookup(insert) == nil || s.wc.lookup(count) == nil; i++ {
		if i == 200 {
			t.Fatal("statements were not prepared after the transaction ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if second := run(10); second.stmts[insert] == nil || second.stmts[count] == nil {
		t.Fatal("a later transaction did not reuse the prepared statements")
	}
	var wg sync.WaitGroup
	for i := 20; i < 60; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := s.GroupTx(ctx, func(tx Q) error {
				_, err := tx.ExecContext(ctx, insert, i)
				return err
			}); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	var n int
	if err := s.Reader().QueryRowContext(ctx, count, 1000).Scan(&n); err != nil || n != 60 {
		t.Fatalf("rows = %d, %v; want 60", n, err)
	}
}

// openCounters opens a SQLite store on a new file with one table, c (n).
func openCounters(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "c.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Writer().ExecContext(context.Background(), `CREATE TABLE c (n INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	return s
}
