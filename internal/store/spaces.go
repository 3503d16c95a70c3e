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

// CreateSpace inserts a space and the head of its audit chain.
func (s *Store) CreateSpace(ctx context.Context, q Q, slug string, now time.Time) (auth.Space, error) {
	sp := auth.Space{Slug: slug}
	err := q.QueryRowContext(ctx, `INSERT INTO spaces (slug, created_at) VALUES ($1, $2) RETURNING id`, slug, T(now)).Scan(&sp.ID)
	if IsUniqueViolation(err) {
		return sp, errs.Conflictf("space %q already exists", slug)
	}
	if err != nil {
		return sp, fmt.Errorf("insert space: %w", err)
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO audit_heads (space_id, seq, hash) VALUES ($1, 0, '')`, sp.ID); err != nil {
		return sp, fmt.Errorf("insert audit head: %w", err)
	}
	return sp, nil
}

// SpaceBySlug finds a space by its slug.
func (s *Store) SpaceBySlug(ctx context.Context, q Q, slug string) (auth.Space, error) {
	sp := auth.Space{Slug: slug}
	err := q.QueryRowContext(ctx, `SELECT id FROM spaces WHERE slug = $1`, slug).Scan(&sp.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return sp, errs.NotFoundf("space %q not found", slug)
	}
	return sp, err
}

// Spaces lists every space by id. Only the CLI and start-up use it: no
// request can see another space.
func (s *Store) Spaces(ctx context.Context, q Q) ([]auth.Space, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, slug FROM spaces ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []auth.Space
	for rows.Next() {
		var sp auth.Space
		if err := rows.Scan(&sp.ID, &sp.Slug); err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	return out, rows.Err()
}
