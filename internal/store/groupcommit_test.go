package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
)

// Many concurrent GroupTx calls: the successful ones are all durable, the
// failing ones leave nothing behind, whatever batch they shared.
func TestGroupTxIsolatesFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		storetest.MustExec(t, s.Writer(), `CREATE TABLE gt (n INTEGER PRIMARY KEY)`)
		var wg sync.WaitGroup
		errs := make([]error, 200)
		for i := 0; i < 200; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs[i] = s.GroupTx(ctx, func(tx store.Q) error {
					if _, err := tx.ExecContext(ctx, `INSERT INTO gt (n) VALUES ($1)`, i); err != nil {
						return err
					}
					if i%3 == 0 {
						return fmt.Errorf("op %d fails after writing", i)
					}
					return nil
				})
			}(i)
		}
		wg.Wait()
		var want int
		for i, err := range errs {
			if (i%3 == 0) != (err != nil) {
				t.Fatalf("op %d: err = %v", i, err)
			}
			if err == nil {
				want++
			}
		}
		var got int
		if err := s.Reader().QueryRowContext(ctx, `SELECT count(*) FROM gt`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		var failed int
		_ = s.Reader().QueryRowContext(ctx, `SELECT count(*) FROM gt WHERE n % 3 = 0`).Scan(&failed)
		if got != want || failed != 0 {
			t.Fatalf("%d rows, want %d (%d from failed ops)", got, want, failed)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.GroupTx(cancelled, func(store.Q) error { return nil }); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled GroupTx = %v", err)
		}
	})
}
