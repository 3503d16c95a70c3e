package store

import (
	"context"
	"database/sql"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/riskd/riskd/internal/auth"
)

// SharedLimiter is a rate limiter kept in the database, so every node that
// shares the database enforces one limit per token. It implements the generic
// cell rate algorithm (GCRA) in a single upsert: a key's row holds its
// theoretical arrival time (TAT); a request is allowed when advancing the TAT
// by one emission interval keeps it within the burst window of now.
//
// Every write request of a token updates that token's one row, so the
// requests a node receives for a key while its statement for that key is in
// flight wait and are decided together by the next statement: it advances
// the TAT by n intervals at once when all n fit. That is exactly what n
// upserts at the same instant would do, since a request that fits implies
// that every one before it fit too. When they do not all fit, each of them
// is decided by its own upsert, as without batching. At 64 clients of one
// token this turned about 64 round trips, each waiting for the row's lock,
// into a few. The requests of a batch are decided as of the moment its
// statement runs, and share its outcome: when it fails, they all get its
// error.
//
// Use NewSharedLimiter; a SharedLimiter must not be copied after first use.
type SharedLimiter struct {
	Store *Store
	Now   func() time.Time

	mu     sync.Mutex
	queues map[limitKey]*limitQueue
}

// NewLimiter returns the rate limiter for write requests on st's database:
// on PostgreSQL several nodes may serve one database, so the limit is kept
// there (a SharedLimiter); on SQLite there is one node and memory is
// enough.
func NewLimiter(st *Store, now func() time.Time) auth.Limiter {
	if st.Dialect() == Postgres {
		return NewSharedLimiter(st, now)
	}
	return auth.NewLocalLimiter(now)
}

// NewSharedLimiter returns a limiter on st's database.
func NewSharedLimiter(st *Store, now func() time.Time) *SharedLimiter {
	return &SharedLimiter{Store: st, Now: now}
}

type limitKey struct {
	key       string
	perSecond int
}

// limitQueue is a key's state on this node: whether a statement for it is
// in flight, and the batch waiting for its turn.
type limitQueue struct {
	busy bool
	next *limitBatch
}

// limitBatch is requests decided by one statement. Its first request runs
// the statement, once ready is closed; the others wait for done.
type limitBatch struct {
	n     int
	ready chan struct{} // nil for the first batch, which runs once its leader has yielded
	done  chan struct{}
	decision
	err error
}

// Allow implements auth.Limiter.
func (l *SharedLimiter) Allow(ctx context.Context, key string, perSecond int) (bool, time.Duration, error) {
	d, err := l.decide(ctx, key, perSecond)
	return d.ok, d.wait, err
}

// AllowWithGeneration implements auth.GenerationLimiter: the statement that
// allows the request also reads the token generation. It begins after the
// call does, as the batching below guarantees for every request of a
// batch, so a write request whose principal came from memory needs no
// generation read of its own (see usecase.App.Principal). A refused
// request, and one without a limit (no statement runs), get -1.
func (l *SharedLimiter) AllowWithGeneration(ctx context.Context, key string, perSecond int) (bool, time.Duration, int64, error) {
	d, err := l.decide(ctx, key, perSecond)
	return d.ok, d.wait, d.gen, err
}

// decision is one statement's outcome.
type decision struct {
	ok   bool
	wait time.Duration // for a refused request of its own
	gen  int64         // the token generation the statement read; -1 when none was
}

func (l *SharedLimiter) decide(ctx context.Context, key string, perSecond int) (decision, error) {
	if perSecond <= 0 {
		return decision{ok: true, gen: -1}, nil
	}
	k := limitKey{key, perSecond}
	l.mu.Lock()
	if l.queues == nil {
		l.queues = make(map[limitKey]*limitQueue)
	}
	q := l.queues[k]
	if q == nil {
		q = &limitQueue{}
		l.queues[k] = q
	}
	var b *limitBatch
	lead, first := false, false
	switch {
	case !q.busy:
		// The batch is joinable while its leader yields (below).
		q.busy = true
		b, lead, first = &limitBatch{n: 1, done: make(chan struct{})}, true, true
		q.next = b
	case q.next == nil:
		q.next = &limitBatch{n: 1, ready: make(chan struct{}), done: make(chan struct{})}
		b, lead = q.next, true
	case q.next.n < perSecond:
		// A batch of at most perSecond requests is at most one burst,
		// which the upsert of a new key relies on.
		b = q.next
		b.n++
	default:
		l.mu.Unlock()
		return l.allow(ctx, key, perSecond, 1)
	}
	l.mu.Unlock()
	if first {
		// Let the goroutines already runnable go first: under load many
		// of them are write requests of the same token, which then join
		// this statement instead of waiting for the next one. When the
		// server is idle there are none and no time passes. (The token
		// generation read, which this statement now also is for writes,
		// does the same: usecase.principalCache.generation.)
		runtime.Gosched()
		l.mu.Lock()
		q.next = nil // its size is final
		l.mu.Unlock()
	}
	if lead {
		l.run(ctx, k, q, b)
	} else {
		// A request that goes away still counts in its batch, as a
		// request whose upsert was under way would.
		select {
		case <-b.done:
		case <-ctx.Done():
			return decision{}, ctx.Err()
		}
	}
	switch {
	case b.err != nil:
		return decision{}, b.err
	case b.ok || b.n == 1:
		return b.decision, nil
	}
	// Not all of the batch fit: this request on its own may.
	return l.allow(ctx, key, perSecond, 1)
}

// run decides batch b once its turn comes, then gives the turn on.
func (l *SharedLimiter) run(ctx context.Context, k limitKey, q *limitQueue, b *limitBatch) {
	if b.ready != nil {
		<-b.ready
	}
	defer l.handOver(k, q)
	defer close(b.done)
	// The statement decides for all the batch's requests: the leader's
	// going away must not cancel it, but a stalled database must not hold
	// them (and the batches queued behind them) for ever either.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), limitStatementTimeout)
	defer cancel()
	b.decision, b.err = l.allow(ctx, k.key, k.perSecond, b.n)
}

// limitStatementTimeout bounds a batch's statement: its requests then fail
// with the error, as each would have alone.
const limitStatementTimeout = 10 * time.Second

// handOver ends the statement in flight for key k: the batch that gathered
// meanwhile gets its turn, or the key goes idle.
func (l *SharedLimiter) handOver(k limitKey, q *limitQueue) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if next := q.next; next != nil {
		q.next = nil
		close(next.ready) // its size is final: no one can join it now
		return
	}
	q.busy = false
	delete(l.queues, k)
}

// allow decides n requests of key at once: all of them are allowed, or
// none. For a refused single request it also returns the wait until one
// more fits; for allowed ones, the token generation.
func (l *SharedLimiter) allow(ctx context.Context, key string, perSecond, n int) (decision, error) {
	now := l.Now().UnixMicro()
	interval := int64(time.Second/time.Microsecond) / int64(perSecond)
	burst := interval * int64(perSecond) // the window a full burst may use
	var tat, gen int64
	// The casts type the parameters for PostgreSQL; SQLite accepts them too.
	// A new key's row is inserted without the burst check: n is at most
	// perSecond, so n intervals fit in one burst. The generation is read by
	// the same statement, so as of the same moment: one round trip fewer
	// for every write request whose principal came from memory.
	err := l.Store.w.QueryRowContext(ctx, `INSERT INTO rate_limits (limit_key, tat) VALUES ($1, CAST($2 AS BIGINT) + CAST($3 AS BIGINT))
		ON CONFLICT (limit_key) DO UPDATE
		SET tat = CASE WHEN rate_limits.tat > CAST($2 AS BIGINT) THEN rate_limits.tat ELSE CAST($2 AS BIGINT) END + CAST($3 AS BIGINT)
		WHERE (CASE WHEN rate_limits.tat > CAST($2 AS BIGINT) THEN rate_limits.tat ELSE CAST($2 AS BIGINT) END) + CAST($3 AS BIGINT) - CAST($2 AS BIGINT) <= CAST($4 AS BIGINT)
		RETURNING tat, (SELECT gen FROM token_generation WHERE id = 1)`, key, now, interval*int64(n), burst).Scan(&tat, &gen)
	if err == nil {
		return decision{ok: true, gen: gen}, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return decision{}, err
	}
	if n > 1 {
		return decision{gen: -1}, nil
	}
	// Refused: the earliest time one more request fits.
	if err := l.Store.r.QueryRowContext(ctx, `SELECT tat FROM rate_limits WHERE limit_key = $1`, key).Scan(&tat); err != nil {
		return decision{}, err
	}
	wait := time.Duration(tat+interval-burst-now) * time.Microsecond
	if wait <= 0 {
		wait = time.Millisecond
	}
	return decision{wait: wait, gen: -1}, nil
}
