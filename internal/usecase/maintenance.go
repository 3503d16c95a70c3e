package usecase

import (
	"context"
	"time"

	"github.com/riskd/riskd/internal/store"
)

// JobMaintenance prunes expired records; it runs hourly on one node.
const JobMaintenance = "maintenance"

// IdempotencyKeyTTL is how long an Idempotency-Key is remembered.
const IdempotencyKeyTTL = 24 * time.Hour

func (a *App) maintenance(ctx context.Context, _ store.Job, _ func(any) error) (any, error) {
	n, err := a.Store.PruneIdemKeys(ctx, a.Store.Writer(), a.Now().Add(-IdempotencyKeyTTL))
	if err != nil {
		return nil, err
	}
	return map[string]int64{"idempotencyKeysPruned": n}, nil
}
