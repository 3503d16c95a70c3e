package store

import (
	"errors"
	"sync"
	"time"

	"github.com/riskd/riskd/internal/audit"
)

// headCache remembers, on PostgreSQL, each space's audit chain head as this
// node last committed it. A group run (GroupTx) chains its events from the
// remembered head instead of reading and locking the row first, and writes
// the new head only if the row still holds the one it chained from (see
// laterRows.insert). A run in which every member only adds deferred rows of
// one space then needs no transaction at all: its one statement is atomic,
// so it runs on its own, one round trip instead of the four it took with
// the deferred writes already in one statement (BEGIN, the locking read,
// the write, COMMIT; six before that), each of which waited about a
// millisecond on a busy machine for the server process and the group loop
// to be scheduled (docs/benchmarks.md).
//
// When another node or transaction advanced a head meanwhile, the run
// writes nothing (errStaleHead; a run that writes several spaces' heads
// runs in a transaction, which is rolled back) and is made again the
// locking way. Every space whose head the run took from here is then read
// the locking way for a while (staleFor): with several nodes writing one
// space, most remembered heads would be stale, and each miss costs a round
// trip.
type headCache struct {
	mu    sync.Mutex
	heads map[int64]cachedHead
}

type cachedHead struct {
	head  audit.Head
	known bool      // head is set
	avoid time.Time // the head is not used before this time
}

// staleFor is how long a space whose remembered head was stale is read the
// locking way.
const staleFor = time.Second

// errStaleHead fails a group run whose head write found a head other than
// the remembered one it chained from; nothing of the run was written.
var errStaleHead = errors.New("audit chain head changed since this node last wrote it")

// get returns the remembered head of space, if there is one to use.
func (c *headCache) get(space int64) (audit.Head, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.heads[space]
	if !h.known || time.Now().Before(h.avoid) {
		return audit.Head{}, false
	}
	return h.head, true
}

// put remembers heads a transaction has committed.
func (c *headCache) put(heads map[int64]audit.Head) {
	if len(heads) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.heads == nil {
		c.heads = make(map[int64]cachedHead)
	}
	for id, h := range heads {
		// Transactions commit in chain order but may get here out of it.
		if old := c.heads[id]; !old.known || old.head.Seq < h.Seq {
			c.heads[id] = cachedHead{head: h, known: true, avoid: old.avoid}
		}
	}
}

// stale forgets the heads of spaces, found stale, and has them read the
// locking way for staleFor.
func (c *headCache) stale(spaces []int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	until := time.Now().Add(staleFor)
	if c.heads == nil {
		c.heads = make(map[int64]cachedHead)
	}
	for _, id := range spaces {
		c.heads[id] = cachedHead{avoid: until}
	}
}
