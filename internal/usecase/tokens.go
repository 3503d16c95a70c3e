package usecase

import (
	"context"
	"fmt"
	"strings"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/store"
)

// NewToken describes a token to create.
type NewToken struct {
	ActorID   string // who creates it: a principal id, or SystemActor when empty
	SpaceSlug string
	Role      auth.Role
	Name      string
	RateLimit int // requests per second; 0 uses the server default
}

// CreateToken creates a token, and its space when missing, and returns the
// secret. The secret exists only in the return value: the store keeps its hash.
func (a *App) CreateToken(ctx context.Context, in NewToken) (secret string, t store.Token, err error) {
	var f errs.Fields
	f.Check(auth.ValidSlug(in.SpaceSlug), "space", "must be 1-63 lowercase letters, digits or hyphens")
	f.Check(in.Role != auth.RoleNone, "role", "must be viewer, assessor, reviewer or admin")
	f.Check(in.RateLimit >= 0, "rate_limit", "must not be negative")
	f.Check(len(in.Name) <= 200, "name", "must be at most 200 characters")
	if err := f.Err(); err != nil {
		return "", t, err
	}
	secret, hash, err := auth.NewToken()
	if err != nil {
		return "", t, err
	}
	now := a.Now()
	t = store.Token{ID: ids.UUID(now), Name: strings.TrimSpace(in.Name), Role: in.Role, Hash: hash, RateLimit: in.RateLimit, CreatedAt: now}
	if t.Name == "" {
		t.Name = in.Role.String() + " token"
	}
	err = a.Store.Tx(ctx, func(tx store.Q) error {
		sp, err := a.ensureSpace(ctx, tx, in.SpaceSlug)
		if err != nil {
			return err
		}
		t.Space = sp
		if err := a.Store.InsertToken(ctx, tx, t); err != nil {
			return err
		}
		actor := in.ActorID
		if actor == "" {
			actor = SystemActor
		}
		return a.Audit(ctx, tx, sp.ID, actor, "token.create", "token", t.ID,
			map[string]any{"id": t.ID, "name": t.Name, "role": t.Role.String(), "rateLimit": t.RateLimit})
	})
	if err != nil {
		return "", t, fmt.Errorf("create token: %w", err)
	}
	return secret, t, nil
}

func (a *App) ensureSpace(ctx context.Context, q store.Q, slug string) (auth.Space, error) {
	sp, err := a.Store.SpaceBySlug(ctx, q, slug)
	if errs.Is(err, errs.NotFound) {
		sp, err = a.Store.CreateSpace(ctx, q, slug, a.Now())
		if err == nil {
			err = a.Audit(ctx, q, sp.ID, SystemActor, "space.create", "space", sp.Slug, sp)
		}
		if err == nil {
			err = a.SeedSpace(ctx, q, sp.ID)
		}
	}
	return sp, err
}

// RevokeToken revokes a token given by its secret or its id, in the actor's
// space (spaceID 0: any space, for the command line). It takes effect on the
// next request on every node: tokens are not cached.
func (a *App) RevokeToken(ctx context.Context, actorID string, spaceID int64, tokenOrID string) (string, error) {
	key := tokenOrID
	if auth.LooksLikeToken(tokenOrID) {
		key = auth.HashToken(tokenOrID)
	}
	var id string
	err := a.Store.Tx(ctx, func(tx store.Q) error {
		var (
			space int64
			err   error
		)
		if id, space, err = a.Store.RevokeToken(ctx, tx, spaceID, key, a.Now()); err != nil {
			return err
		}
		return a.Audit(ctx, tx, space, actorID, "token.revoke", "token", id, map[string]any{"id": id, "revoked": true})
	})
	return id, err
}

// Bootstrap prepares the database at start-up: it seeds every space (new
// built-ins arrive with upgrades) and, when no token exists, creates an admin
// token in space "default" and returns its secret (shown once). It returns ""
// on every later start.
func (a *App) Bootstrap(ctx context.Context) (secret string, err error) {
	spaces, err := a.Store.Spaces(ctx, a.Store.Reader())
	if err != nil {
		return "", err
	}
	for _, sp := range spaces {
		if err := a.Store.Tx(ctx, func(tx store.Q) error { return a.SeedSpace(ctx, tx, sp.ID) }); err != nil {
			return "", fmt.Errorf("seed space %s: %w", sp.Slug, err)
		}
	}
	n, err := a.Store.CountTokens(ctx, a.Store.Reader())
	if err != nil || n > 0 {
		return "", err
	}
	secret, _, err = a.CreateToken(ctx, NewToken{SpaceSlug: "default", Role: auth.Admin, Name: "bootstrap admin"})
	return secret, err
}
