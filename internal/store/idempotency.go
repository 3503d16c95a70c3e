package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// IdemRecord is a stored Idempotency-Key. Status 0 means the first request
// with the key is still being handled.
type IdemRecord struct {
	RequestHash string
	Status      int
	ContentType string
	Response    []byte
	CreatedAt   time.Time
}

// ReserveIdemKey claims key for a request with the given hash. When the key
// is new it returns (nil, nil) and the caller handles the request; otherwise
// it returns the existing record.
func (s *Store) ReserveIdemKey(ctx context.Context, q Q, spaceID int64, key, hash string, now time.Time) (*IdemRecord, error) {
	res, err := q.ExecContext(ctx, `INSERT INTO idempotency_keys (space_id, idem_key, request_hash, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (space_id, idem_key) DO NOTHING`, spaceID, key, hash, T(now))
	if err != nil {
		return nil, fmt.Errorf("reserve idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil, nil
	}
	var (
		r       IdemRecord
		resp    string
		created string
	)
	err = q.QueryRowContext(ctx, `SELECT request_hash, status, content_type, response, created_at FROM idempotency_keys
		WHERE space_id = $1 AND idem_key = $2`, spaceID, key).Scan(&r.RequestHash, &r.Status, &r.ContentType, &resp, &created)
	if errors.Is(err, sql.ErrNoRows) {
		// Released between our insert and read: try once more.
		return s.ReserveIdemKey(ctx, q, spaceID, key, hash, now)
	}
	if err != nil {
		return nil, err
	}
	r.Response = []byte(resp)
	r.CreatedAt, err = ParseT(created)
	return &r, err
}

// CompleteIdemKey stores the response of the request that reserved key.
func (s *Store) CompleteIdemKey(ctx context.Context, q Q, spaceID int64, key string, status int, contentType string, body []byte) error {
	_, err := q.ExecContext(ctx, `UPDATE idempotency_keys SET status = $3, content_type = $4, response = $5
		WHERE space_id = $1 AND idem_key = $2`, spaceID, key, status, contentType, string(body))
	return err
}

// ReleaseIdemKey forgets a reservation whose request did not succeed, so the
// client may retry with the same key.
func (s *Store) ReleaseIdemKey(ctx context.Context, q Q, spaceID int64, key string) error {
	_, err := q.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE space_id = $1 AND idem_key = $2 AND status = 0`, spaceID, key)
	return err
}

// PruneIdemKeys removes keys older than before; clients retry within hours,
// not weeks.
func (s *Store) PruneIdemKeys(ctx context.Context, q Q, before time.Time) (int64, error) {
	res, err := q.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, T(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
