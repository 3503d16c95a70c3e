package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// SharedLimiter is a rate limiter kept in the database, so every node that
// shares the database enforces one limit per token. It implements the generic
// cell rate algorithm (GCRA) in a single upsert: a key's row holds its
// theoretical arrival time (TAT); a request is allowed when advancing the TAT
// by one emission interval keeps it within the burst window of now.
type SharedLimiter struct {
	Store *Store
	Now   func() time.Time
}

// Allow implements auth.Limiter.
func (l SharedLimiter) Allow(ctx context.Context, key string, perSecond int) (bool, time.Duration, error) {
	if perSecond <= 0 {
		return true, 0, nil
	}
	now := l.Now().UnixMicro()
	interval := int64(time.Second/time.Microsecond) / int64(perSecond)
	burst := interval * int64(perSecond) // the window a full burst may use
	var tat int64
	// The casts type the parameters for PostgreSQL; SQLite accepts them too.
	err := l.Store.w.QueryRowContext(ctx, `INSERT INTO rate_limits (limit_key, tat) VALUES ($1, CAST($2 AS BIGINT) + CAST($3 AS BIGINT))
		ON CONFLICT (limit_key) DO UPDATE
		SET tat = CASE WHEN rate_limits.tat > CAST($2 AS BIGINT) THEN rate_limits.tat ELSE CAST($2 AS BIGINT) END + CAST($3 AS BIGINT)
		WHERE (CASE WHEN rate_limits.tat > CAST($2 AS BIGINT) THEN rate_limits.tat ELSE CAST($2 AS BIGINT) END) + CAST($3 AS BIGINT) - CAST($2 AS BIGINT) <= CAST($4 AS BIGINT)
		RETURNING tat`, key, now, interval, burst).Scan(&tat)
	if err == nil {
		return true, 0, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, 0, err
	}
	// Refused: the earliest time one more request fits.
	if err := l.Store.r.QueryRowContext(ctx, `SELECT tat FROM rate_limits WHERE limit_key = $1`, key).Scan(&tat); err != nil {
		return false, 0, err
	}
	wait := time.Duration(tat+interval-burst-now) * time.Microsecond
	if wait <= 0 {
		wait = time.Millisecond
	}
	return false, wait, nil
}
