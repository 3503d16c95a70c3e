package auth

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter decides whether a token may make one more write request now.
// Allow returns how long to wait when it may not.
type Limiter interface {
	Allow(ctx context.Context, key string, perSecond int) (ok bool, retryAfter time.Duration, err error)
}

// GenerationLimiter is a Limiter whose decision is made by a statement in
// the database that also reads the token generation (the count of changes
// to issued tokens). The statement begins after the call does, so an
// allowed write request whose principal was resolved from memory, with
// that same generation, is confirmed by it: a revocation committed before
// the request arrived would have changed it. gen is -1 when none was read
// (a refused request, or no limit).
type GenerationLimiter interface {
	Limiter
	AllowWithGeneration(ctx context.Context, key string, perSecond int) (ok bool, retryAfter time.Duration, gen int64, err error)
}

// LocalLimiter is a token bucket per key held in this process (burst = rate).
// It is exact on one node; several nodes need a shared limiter.
type LocalLimiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	now     func() time.Time
}

type bucket struct {
	lim  *rate.Limiter
	rate int
}

// NewLocalLimiter returns an in-process limiter using clock now.
func NewLocalLimiter(now func() time.Time) *LocalLimiter {
	return &LocalLimiter{buckets: map[string]*bucket{}, now: now}
}

// Allow implements Limiter.
func (l *LocalLimiter) Allow(_ context.Context, key string, perSecond int) (bool, time.Duration, error) {
	if perSecond <= 0 {
		return true, 0, nil
	}
	now := l.now()
	l.mu.Lock()
	b := l.buckets[key]
	if b == nil || b.rate != perSecond {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(perSecond), perSecond), rate: perSecond}
		l.buckets[key] = b
	}
	r := b.lim.ReserveN(now, 1)
	delay := r.DelayFrom(now)
	if delay > 0 {
		r.CancelAt(now)
	}
	l.mu.Unlock()
	return delay == 0, delay, nil
}
