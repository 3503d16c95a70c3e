package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/errs"
)

// Token is a stored API token: never the secret, only its hash.
type Token struct {
	ID        string
	Space     auth.Space
	Name      string
	Role      auth.Role
	Hash      string
	RateLimit int
	CreatedAt time.Time
	RevokedAt *time.Time
}

// InsertToken stores a new token.
func (s *Store) InsertToken(ctx context.Context, q Q, t Token) error {
	_, err := q.ExecContext(ctx, `INSERT INTO tokens (id, space_id, name, role, token_hash, rate_limit, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.Space.ID, t.Name, t.Role.String(), t.Hash, t.RateLimit, T(t.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert token: %w", err)
	}
	return nil
}

// CountTokens counts every token, revoked or not, in all spaces.
func (s *Store) CountTokens(ctx context.Context, q Q) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM tokens`).Scan(&n)
	return n, err
}

// PrincipalByTokenHash resolves a live token to its principal, with the
// token generation (see TokenGeneration) of the same snapshot: the
// principal holds for as long as the generation does not change.
func (s *Store) PrincipalByTokenHash(ctx context.Context, q Q, hash string) (p auth.Principal, gen int64, err error) {
	var (
		role    string
		stored  string
		revoked sql.NullString
	)
	err = q.QueryRowContext(ctx, `SELECT t.id, t.name, t.role, t.token_hash, t.rate_limit, t.revoked_at, s.id, s.slug,
			(SELECT gen FROM token_generation WHERE id = 1)
		FROM tokens t JOIN spaces s ON s.id = t.space_id WHERE t.token_hash = $1`, hash).
		Scan(&p.ID, &p.Name, &role, &stored, &p.RateLimit, &revoked, &p.Space.ID, &p.Space.Slug, &gen)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (revoked.Valid || !auth.HashMatches(stored, hash))) {
		return p, 0, errs.E(errs.Unauthorized, "invalid or revoked token")
	}
	if err != nil {
		return p, 0, fmt.Errorf("look up token: %w", err)
	}
	if p.Role, err = auth.ParseRole(role); err != nil {
		return p, 0, fmt.Errorf("token %s: %w", p.ID, err)
	}
	return p, gen, nil
}

// TokenGeneration returns the count of changes made to issued tokens so far
// (revocations and any other update or delete; not new tokens). Triggers
// keep it, so it also counts changes made outside riskd.
func (s *Store) TokenGeneration(ctx context.Context, q Q) (int64, error) {
	var gen int64
	if err := q.QueryRowContext(ctx, `SELECT gen FROM token_generation WHERE id = 1`).Scan(&gen); err != nil {
		return 0, fmt.Errorf("read token generation: %w", err)
	}
	return gen, nil
}

// Tokens lists the tokens of every space (spaceID 0) or of one space.
func (s *Store) Tokens(ctx context.Context, q Q, spaceID int64) ([]Token, error) {
	return s.tokens(ctx, q, `WHERE $1 = 0 OR t.space_id = $1 ORDER BY t.created_at, t.id`, spaceID)
}

// Token returns one token of a space.
func (s *Store) Token(ctx context.Context, q Q, spaceID int64, id string) (Token, error) {
	list, err := s.tokens(ctx, q, `WHERE t.space_id = $1 AND t.id = $2`, spaceID, id)
	if err != nil {
		return Token{}, err
	}
	if len(list) == 0 {
		return Token{}, errs.NotFoundf("token %s not found", id)
	}
	return list[0], nil
}

func (s *Store) tokens(ctx context.Context, q Q, where string, args ...any) ([]Token, error) {
	rows, err := q.QueryContext(ctx, `SELECT t.id, t.name, t.role, t.rate_limit, t.created_at, t.revoked_at, s.id, s.slug
		FROM tokens t JOIN spaces s ON s.id = t.space_id `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var (
			t             Token
			role, created string
			revoked       sql.NullString
		)
		if err := rows.Scan(&t.ID, &t.Name, &role, &t.RateLimit, &created, &revoked, &t.Space.ID, &t.Space.Slug); err != nil {
			return nil, err
		}
		if t.Role, err = auth.ParseRole(role); err != nil {
			return nil, err
		}
		if t.CreatedAt, err = ParseT(created); err != nil {
			return nil, err
		}
		if t.RevokedAt, err = parseNullT(revoked); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken marks a token revoked, found by its id or by its hash, in the
// given space (0: any space, for the command line). Revoking twice is not an
// error; an unknown token is.
// It returns the token's id and space.
func (s *Store) RevokeToken(ctx context.Context, q Q, inSpace int64, idOrHash string, now time.Time) (id string, spaceID int64, err error) {
	err = q.QueryRowContext(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, $2)
		WHERE (id = $1 OR token_hash = $1) AND ($3 = 0 OR space_id = $3) RETURNING id, space_id`, idOrHash, T(now), inSpace).Scan(&id, &spaceID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, errs.NotFoundf("no such token")
	}
	return id, spaceID, err
}
