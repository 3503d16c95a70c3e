package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// SQLite's pools keep statements prepared: once per query text, shared by
// concurrent callers, bounded, unaffected by a caller's cancellation, and
// closed before the pools.
func TestStmtCache(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "c.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Writer().ExecContext(ctx, `CREATE TABLE c (n INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
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
