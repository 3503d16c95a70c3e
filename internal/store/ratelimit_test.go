package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
)

func TestSharedLimiter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		now := time.Unix(1_800_000_000, 0)
		clock := func() time.Time { return now }
		// Two "nodes" share the database.
		a := store.SharedLimiter{Store: b.Store, Now: clock}
		c := store.SharedLimiter{Store: b.Store, Now: clock}
		for i := 0; i < 5; i++ {
			l := a
			if i%2 == 1 {
				l = c
			}
			if ok, _, err := l.Allow(ctx, "tok", 5); !ok || err != nil {
				t.Fatalf("request %d refused within the burst: %v", i, err)
			}
		}
		ok, wait, err := c.Allow(ctx, "tok", 5)
		if ok || err != nil || wait <= 0 || wait > time.Second {
			t.Fatalf("6th request: ok=%v wait=%v err=%v", ok, wait, err)
		}
		if ok, _, _ := a.Allow(ctx, "other", 5); !ok {
			t.Fatal("keys share a limit")
		}
		now = now.Add(wait)
		if ok, _, _ := a.Allow(ctx, "tok", 5); !ok {
			t.Fatal("not allowed again after Retry-After")
		}
		if ok, _, _ := a.Allow(ctx, "tok", 5); ok {
			t.Fatal("a second request fit into one interval")
		}
	})
}

func TestSharedLimiterUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		l := store.SharedLimiter{Store: b.Store, Now: func() time.Time { return time.Unix(1_800_000_000, 0) }}
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, _, err := l.Allow(context.Background(), "k", 10)
				if err != nil {
					t.Error(err)
				}
				if ok {
					allowed.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := allowed.Load(); n != 10 {
			t.Fatalf("%d of 40 concurrent requests allowed at a burst of 10", n)
		}
	})
}
