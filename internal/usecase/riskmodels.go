package usecase

import (
	"context"

	"github.com/riskd/riskd/internal/store"
)

// seedRiskModels adds the built-in "AI system risk" model to a space.
func (a *App) seedRiskModels(ctx context.Context, q store.Q, spaceID int64) error {
	return nil
}
