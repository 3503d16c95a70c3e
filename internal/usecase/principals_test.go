package usecase

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/auth"
)

// TestGenerationReadsBeginAfterTheCall holds principalCache.generation to
// what revocation depends on: every caller gets the result of a read that
// began after it called, never one already under way. It also checks that
// callers arriving during a read share the next one.
func TestGenerationReadsBeginAfterTheCall(t *testing.T) {
	var (
		c       principalCache
		clock   atomic.Int64 // orders calls and read starts
		reads   atomic.Int64
		release = make(chan struct{})
	)
	read := func() (int64, error) {
		start := clock.Add(1)
		if reads.Add(1) == 1 {
			<-release // the first read lasts until every other caller has called
		}
		return start, nil
	}
	const callers = 50
	var wg sync.WaitGroup
	check := func() {
		defer wg.Done()
		called := clock.Add(1)
		if got, err := c.generation(read); err != nil || got <= called {
			t.Errorf("called at %d, served by a read begun at %d (%v)", called, got, err)
		}
	}
	wg.Add(1)
	go check()
	for reads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	wg.Add(callers)
	for range callers {
		go check()
	}
	time.Sleep(100 * time.Millisecond) // the callers queue behind the first read
	close(release)
	wg.Wait()
	if n := reads.Load(); n >= callers/2 {
		t.Errorf("%d reads for %d callers arriving during one read; want them to share", n, callers+1)
	}
	// Sequential callers each get a read of their own.
	before := reads.Load()
	for range 3 {
		check := clock.Add(1)
		if got, _ := c.generation(read); got <= check {
			t.Fatalf("sequential caller at %d served by a read begun at %d", check, got)
		}
	}
	if n := reads.Load() - before; n != 3 {
		t.Fatalf("3 sequential callers made %d reads", n)
	}
}

func TestPrincipalCacheKeepsTheLatestRead(t *testing.T) {
	var c principalCache
	c.put("h", auth.Principal{Name: "new"}, 5)
	c.put("h", auth.Principal{Name: "old"}, 4) // a slower lookup finishing late
	if p, ok := c.get("h", 5); !ok || p.Name != "new" {
		t.Fatalf("get = %+v %v", p, ok)
	}
	if _, ok := c.get("h", 6); ok {
		t.Fatal("an entry of generation 5 was used at generation 6")
	}
	if _, ok := c.get("other", 5); ok {
		t.Fatal("an unknown hash was found")
	}
}

// A read that panics fails its callers and the next read still runs.
func TestGenerationReadPanics(t *testing.T) {
	var c principalCache
	func() {
		defer func() { _ = recover() }()
		c.generation(func() (int64, error) { panic("driver bug") })
	}()
	done := make(chan int64)
	go func() {
		g, _ := c.generation(func() (int64, error) { return 7, nil })
		done <- g
	}()
	select {
	case g := <-done:
		if g != 7 {
			t.Fatalf("generation after a panicked read = %d", g)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a read after a panicked one never ran")
	}
}
