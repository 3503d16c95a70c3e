package httpapi

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/errs"
)

// RoleExtension is the OpenAPI extension naming the least role an operation
// needs; the isolation tests read it to walk every route.
const RoleExtension = "x-riskd-min-role"

var security = []map[string][]string{{"bearer": {}}, {"apiKey": {}}, {"authToken": {}}}

// register adds an authenticated operation that needs at least role min.
// Authentication runs before the body is read, so a caller without a valid
// token learns nothing about the route's validation rules.
func register[I, O any](s *Server, op huma.Operation, min auth.Role, h func(context.Context, *I) (*O, error)) {
	registerOn(s, s.api, op, min, h)
}

// registerOn is register on api: s.api, or one that documents in s.api's
// OpenAPI document but routes elsewhere (see registerProductBySlug).
func registerOn[I, O any](s *Server, api huma.API, op huma.Operation, min auth.Role, h func(context.Context, *I) (*O, error)) {
	op.Security = security
	if op.Extensions == nil {
		op.Extensions = map[string]any{}
	}
	op.Extensions[RoleExtension] = min.String()
	// guardBody enforces the limit; huma's own check refuses a body of exactly
	// its limit, so it gets one byte more.
	op.MaxBodyBytes = s.cfg.MaxBodyBytes + 1
	op.Errors = append(op.Errors, http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden,
		http.StatusNotFound, http.StatusUnprocessableEntity)
	write := op.Method != http.MethodGet && op.Method != http.MethodHead
	if write {
		op.Errors = append(op.Errors, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests)
	}
	mw := huma.Middlewares{s.authenticate(min, write)}
	if write {
		mw = append(mw, s.guardBody)
	}
	if op.Method == http.MethodPost {
		mw = append(mw, s.idempotent)
	}
	op.Middlewares = append(mw, op.Middlewares...)
	huma.Register(api, op, h)
}

// presentedToken reads the token from any of the three headers the
// compatible clients use.
func presentedToken(ctx huma.Context) string {
	if v := ctx.Header("Authorization"); v != "" {
		if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
			return strings.TrimSpace(v[7:])
		}
		return ""
	}
	if v := ctx.Header("x-api-key"); v != "" {
		return v
	}
	return ctx.Header("auth-token")
}

func (s *Server) authenticate(min auth.Role, write bool) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		var (
			p                  auth.Principal
			allowed, confirmed bool
		)
		if write {
			p, allowed, confirmed = s.writeFromMemory(ctx, min)
		}
		if !confirmed {
			var err error
			if p, err = s.principal(ctx); err != nil {
				s.writeHumaErr(ctx, err)
				return
			}
			if !p.Can(min) {
				s.writeHumaErr(ctx, errs.Forbiddenf("this operation needs the %s role; the token has %s", min, p.Role))
				return
			}
		}
		if write && !allowed {
			limit := s.rateLimit(p)
			ok, wait, err := s.limiter.Allow(ctx.Context(), p.ID, limit)
			if err != nil {
				s.writeHumaErr(ctx, err)
				return
			}
			if !ok {
				ctx.SetHeader("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
				s.writeHumaErr(ctx, errs.E(errs.RateLimited, "rate limit of %d requests per second exceeded", limit))
				return
			}
		}
		next(huma.WithContext(ctx, auth.WithPrincipal(ctx.Context(), p)))
	}
}

// writeFromMemory authorises a write request with one statement when it
// can: on PostgreSQL the token generation read that confirms a principal
// kept in memory (usecase.App.Principal) and the rate-limit upsert were a
// round trip each, and folding the first into the second made about a
// sixth more inline text submissions per second at 64 clients
// (docs/benchmarks.md). It takes the principal the token resolved to
// before, and has the limiter's statement read the generation
// (auth.GenerationLimiter). allowed says that statement allowed the
// request; confirmed, that it read the principal's own generation, so p is
// as current as a fresh read. In every other case (nothing in memory, a
// role or space that does not fit, a refused request, an error) nothing is
// confirmed, and the ordinary path resolves the token and says why; it
// decides the rate limit again unless this request was allowed (a refused
// request takes no slot).
func (s *Server) writeFromMemory(ctx huma.Context, min auth.Role) (p auth.Principal, allowed, confirmed bool) {
	gl, ok := s.limiter.(auth.GenerationLimiter)
	if !ok {
		return auth.Principal{}, false, false
	}
	tok := presentedToken(ctx)
	if !auth.LooksLikeToken(tok) {
		return auth.Principal{}, false, false
	}
	p, gen, ok := s.app.CachedPrincipal(auth.HashToken(tok))
	if !ok || !p.Can(min) || checkSpace(ctx, p) != nil {
		return auth.Principal{}, false, false
	}
	ok, _, current, err := gl.AllowWithGeneration(ctx.Context(), p.ID, s.rateLimit(p))
	if err != nil || !ok {
		return auth.Principal{}, false, false
	}
	return p, true, current == gen
}

// rateLimit is p's write requests per second: its token's own limit, or
// the server's.
func (s *Server) rateLimit(p auth.Principal) int {
	if p.RateLimit > 0 {
		return p.RateLimit
	}
	return s.cfg.RateLimit
}

// principal resolves the request's token and checks the tenant headers.
func (s *Server) principal(ctx huma.Context) (auth.Principal, error) {
	tok := presentedToken(ctx)
	if tok == "" {
		return auth.Principal{}, errs.E(errs.Unauthorized, "missing token: send Authorization: Bearer <token>, x-api-key or auth-token")
	}
	if !auth.LooksLikeToken(tok) {
		return auth.Principal{}, errs.E(errs.Unauthorized, "invalid or revoked token")
	}
	p, err := s.app.Principal(ctx.Context(), auth.HashToken(tok))
	if err != nil {
		return p, err
	}
	return p, checkSpace(ctx, p)
}

// checkSpace refuses a request whose tenant headers name another space
// than its token's.
func checkSpace(ctx huma.Context, p auth.Principal) error {
	space := strconv.FormatInt(p.Space.ID, 10)
	for _, h := range []string{"X-Domain-ID", "auth-tenant-id"} {
		v := strings.TrimSpace(ctx.Header(h))
		// The risk-model API's clients send auth-tenant-id 0 (its docs'
		// examples do) to mean no tenant in particular: the token's own.
		if v == "" || h == "auth-tenant-id" && v == "0" {
			continue
		}
		if v != space {
			return errs.Forbiddenf("%s %q is not the token's space", h, v)
		}
	}
	return nil
}

func (s *Server) writeHumaErr(ctx huma.Context, err error) {
	_ = huma.WriteErr(s.api, ctx, 0, "", err)
}

// principalOf returns the authenticated caller; register guarantees one.
func principalOf(ctx context.Context) auth.Principal {
	p, _ := auth.FromContext(ctx)
	return p
}
