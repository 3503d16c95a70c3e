package usecase

import (
	"context"
	"errors"
	"runtime"
	"sync"

	"github.com/riskd/riskd/internal/auth"
)

// Principal resolves a token, given by its hash, to the principal it
// stands for.
//
// Every request authenticates, and reading the token row was a tenth of an
// inline text submission's CPU. Resolved tokens are therefore kept in
// memory, each with the token generation it was read with: the count of
// changes to issued tokens, which triggers keep in the database (migration
// 00009). An entry is used only when a generation read that began after the
// call began is still the entry's own, so a revocation committed before a
// request arrives is seen by that request, on every node, as when every
// request read its row. Callers that arrive while a generation read is
// running share the next one: under load one read serves many requests.
func (a *App) Principal(ctx context.Context, hash string) (auth.Principal, error) {
	// The reads are one indexed row each: not worth the watcher goroutine
	// the SQLite driver starts for every statement whose context can end.
	ctx = context.WithoutCancel(ctx)
	c := &a.principals
	gen, err := c.generation(func() (int64, error) {
		return a.Store.TokenGeneration(ctx, a.Store.Reader())
	})
	if err != nil {
		return auth.Principal{}, err
	}
	if p, ok := c.get(hash, gen); ok {
		return p, nil
	}
	p, pgen, err := a.Store.PrincipalByTokenHash(ctx, a.Store.Reader(), hash)
	if err != nil {
		return p, err
	}
	c.put(hash, p, pgen)
	return p, nil
}

// CachedPrincipal returns the principal hash resolved to when it was last
// read, with the token generation it was read with, without reading
// anything. It is not an authentication: the caller must confirm that the
// generation is still current with a read that began after its request
// arrived, as Principal does, or fall back to Principal. The write routes
// confirm it with the statement that decides the request's rate limit
// (auth.GenerationLimiter), one round trip instead of two.
func (a *App) CachedPrincipal(hash string) (auth.Principal, int64, bool) {
	e, ok := a.principals.entry(hash)
	return e.p, e.gen, ok
}

// principalCache holds resolved tokens and the generation reads callers
// share. Unknown and revoked tokens are not kept: each costs a lookup, as
// before.
type principalCache struct {
	mu      sync.Mutex
	entries map[string]cachedPrincipal // by token hash
	// next is the generation read that callers arriving now wait for; it
	// has not begun. last is the read begun most recently, perhaps done.
	next, last *generationRead
}

type cachedPrincipal struct {
	p   auth.Principal
	gen int64
}

type generationRead struct {
	done chan struct{} // closed when gen and err are set
	gen  int64
	err  error
}

// maxCachedPrincipals bounds the cache; a lookup is cheap, so dropping
// everything when it is full is too.
const maxCachedPrincipals = 10_000

// generation returns the result of a call of read that began after
// generation was called. The first caller to find no read waiting to begin
// makes one and runs it once the read before it is done; callers arriving
// in the meantime wait for that one. Reads thus run one at a time, and each
// serves every caller that arrived while the one before it ran (or while its
// leader yielded).
func (c *principalCache) generation(read func() (int64, error)) (int64, error) {
	c.mu.Lock()
	r, prev := c.next, c.last
	if r != nil {
		c.mu.Unlock()
		<-r.done
		return r.gen, r.err
	}
	r = &generationRead{done: make(chan struct{})}
	c.next = r
	c.mu.Unlock()
	if prev != nil {
		<-prev.done
	}
	// Let the goroutines already runnable go first: under load some of
	// them are requests that then share this read, and when the server is
	// idle there are none and no time passes. Without it a read served
	// about two requests on average at 64 clients; with it, many more.
	runtime.Gosched()
	c.mu.Lock()
	c.next, c.last = nil, r // from here on, arrivals wait for a later read
	c.mu.Unlock()
	// done is closed whatever happens: should read panic, the callers
	// waiting for it (and every later read) must not wait for ever.
	defer close(r.done)
	r.err = errGenerationRead
	r.gen, r.err = read()
	return r.gen, r.err
}

var errGenerationRead = errors.New("token generation read did not finish")

func (c *principalCache) get(hash string, gen int64) (auth.Principal, bool) {
	e, ok := c.entry(hash)
	return e.p, ok && e.gen == gen
}

// entry returns what is kept for hash, whatever its generation.
func (c *principalCache) entry(hash string) (cachedPrincipal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	return e, ok
}

func (c *principalCache) put(hash string, p auth.Principal, gen int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedPrincipals {
		c.entries = make(map[string]cachedPrincipal)
	}
	// A slower lookup must not replace what a later one read.
	if e, ok := c.entries[hash]; !ok || e.gen <= gen {
		c.entries[hash] = cachedPrincipal{p: p, gen: gen}
	}
}
