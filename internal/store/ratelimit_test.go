package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
)

func TestSharedLimiter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		now := time.Unix(1_800_000_000, 0)
		clock := func() time.Time { return now }
		// Two "nodes" share the database.
		a := store.NewSharedLimiter(b.Store, clock)
		c := store.NewSharedLimiter(b.Store, clock)
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
		l := store.NewSharedLimiter(b.Store, func() time.Time { return time.Unix(1_800_000_000, 0) })
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

// Requests that wait while a statement for their key is in flight are
// decided together: each counts exactly once, whether the batch fits whole,
// partly (its requests are then decided one by one) or not at all, and two
// nodes batching at once share one limit.
func TestSharedLimiterBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		now := time.Unix(1_800_000_000, 0)
		clock := func() time.Time { return now }
		nodes := []*store.SharedLimiter{store.NewSharedLimiter(b.Store, clock), store.NewSharedLimiter(b.Store, clock)}
		burst := func(key string, perSecond, each int) int {
			var allowed atomic.Int32
			var wg sync.WaitGroup
			for _, l := range nodes {
				for i := 0; i < each; i++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						ok, _, err := l.Allow(ctx, key, perSecond)
						if err != nil {
							t.Error(err)
						}
						if ok {
							allowed.Add(1)
						}
					}()
				}
			}
			wg.Wait()
			return int(allowed.Load())
		}
		// All fit: 80 of a burst of 100, then exactly 20 more.
		if n := burst("whole", 100, 40); n != 80 {
			t.Fatalf("%d of 80 allowed at a burst of 100", n)
		}
		if n := burst("whole", 100, 20); n != 20 {
			t.Fatalf("%d of the last 40 allowed with 20 left of the burst", n)
		}
		// Partly: 60 requests of two nodes at a burst of 25.
		if n := burst("part", 25, 30); n != 25 {
			t.Fatalf("%d of 60 allowed at a burst of 25", n)
		}
		if n := burst("part", 25, 10); n != 0 {
			t.Fatalf("%d allowed after the burst was used up", n)
		}
		// An interval later exactly one more fits.
		now = now.Add(time.Second / 25)
		if n := burst("part", 25, 10); n != 1 {
			t.Fatalf("%d allowed one interval later", n)
		}
	})
}

// One statement decides a batch: while the first request's statement is
// held up, ten more requests queue behind it, and a second statement
// decides them, also when it is the one that creates the key's row (the
// row is removed just before it runs). At a burst of 5 a batch holds 5
// requests, the others are decided alone, a batch that does not fit is
// decided request by request, and the refused get a Retry-After.
func TestSharedLimiterOneStatementPerBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		now := time.Unix(1_800_000_000, 0)
		type result struct {
			ok   bool
			wait time.Duration
		}
		run := func(perSecond int, beforeSecond func()) (calls int, results []result) {
			var n atomic.Int32
			started, release := make(chan struct{}), make(chan struct{})
			l := store.NewSharedLimiter(b.Store, func() time.Time {
				switch n.Add(1) {
				case 1: // the first request's statement
					close(started)
					<-release
				case 2: // the batch's
					beforeSecond()
				}
				return now
			})
			out := make(chan result, 11)
			var wg sync.WaitGroup
			allow := func() {
				defer wg.Done()
				ok, wait, err := l.Allow(ctx, "k", perSecond)
				if err != nil {
					t.Error(err)
				}
				out <- result{ok, wait}
			}
			wg.Add(1)
			go allow()
			<-started
			for i := 0; i < 10; i++ {
				wg.Add(1)
				go allow()
			}
			// A batch holds at most perSecond requests; the others are
			// decided alone at once.
			for deadline := time.Now().Add(10 * time.Second); l.Waiting("k", perSecond) < min(10, perSecond); time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("%d requests queued", l.Waiting("k", perSecond))
				}
			}
			close(release)
			wg.Wait()
			close(out)
			for r := range out {
				results = append(results, r)
			}
			return int(n.Load()), results
		}
		clear := func() { storetest.MustExec(t, b.Store.Writer(), `DELETE FROM rate_limits`) }

		clear()
		calls, results := run(100, clear)
		for _, r := range results {
			if !r.ok {
				t.Fatalf("a request of 11 refused at a burst of 100: %+v", results)
			}
		}
		if calls != 2 {
			t.Fatalf("%d statements for 11 requests in two batches, want 2", calls)
		}
		// The batch's statement created the row with ten requests: 90 more fit.
		l := store.NewSharedLimiter(b.Store, func() time.Time { return now })
		for i := 0; i < 90; i++ {
			if ok, _, err := l.Allow(ctx, "k", 100); !ok || err != nil {
				t.Fatalf("request %d after the batch refused: %v", i, err)
			}
		}
		if ok, _, _ := l.Allow(ctx, "k", 100); ok {
			t.Fatal("the batch was counted short: a 101st request fit")
		}

		clear()
		_, results = run(5, func() {})
		allowed := 0
		for _, r := range results {
			switch {
			case r.ok:
				allowed++
			case r.wait <= 0 || r.wait > time.Second:
				t.Fatalf("a refused request's wait: %v", r.wait)
			}
		}
		if allowed != 5 {
			t.Fatalf("%d of 11 allowed at a burst of 5", allowed)
		}
	})
}

// TestSharedLimiterReadsTheGeneration: an allowed request gets the token
// generation as of its statement, so a revocation committed before the
// call shows in it; a refused one, and one without a limit, get -1.
func TestSharedLimiterReadsTheGeneration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		now := time.Unix(1_800_000_000, 0)
		l := store.NewSharedLimiter(s, func() time.Time { return now })
		gen0, err := s.TokenGeneration(ctx, s.Reader())
		if err != nil {
			t.Fatal(err)
		}
		ok, _, gen, err := l.AllowWithGeneration(ctx, "k", 2)
		if !ok || err != nil || gen != gen0 {
			t.Fatalf("allowed: ok=%v gen=%d err=%v, want the generation %d", ok, gen, err, gen0)
		}

		space, err := s.CreateSpace(ctx, s.Writer(), "acme", now)
		if err != nil {
			t.Fatal(err)
		}
		_, hash, _ := auth.NewToken()
		id := ids.UUID(now)
		if err := s.InsertToken(ctx, s.Writer(), store.Token{ID: id, Space: space, Name: "n", Role: auth.Assessor, Hash: hash, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.RevokeToken(ctx, s.Writer(), 0, id, now); err != nil {
			t.Fatal(err)
		}
		ok, _, gen, err = l.AllowWithGeneration(ctx, "k", 2)
		if !ok || err != nil || gen <= gen0 {
			t.Fatalf("after a revocation: ok=%v gen=%d err=%v, want more than %d", ok, gen, err, gen0)
		}

		ok, wait, gen, err := l.AllowWithGeneration(ctx, "k", 2)
		if ok || err != nil || wait <= 0 || gen != -1 {
			t.Fatalf("the third request of a burst of 2: ok=%v wait=%v gen=%d err=%v", ok, wait, gen, err)
		}
		if ok, _, gen, err := l.AllowWithGeneration(ctx, "k", 0); !ok || err != nil || gen != -1 {
			t.Fatalf("without a limit: ok=%v gen=%d err=%v", ok, gen, err)
		}
	})
}
