package usecase

import (
	"context"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/riskmodel"
	"github.com/riskd/riskd/internal/store"
)

// builtinAISystemRisk keys the built-in model so each space gets it once.
const builtinAISystemRisk = "ai-system-risk"

// seedRiskModels adds the built-in "AI system risk" model to a space.
func (a *App) seedRiskModels(ctx context.Context, q store.Q, spaceID int64) error {
	id, err := a.Store.BuiltinRiskModelID(ctx, q, spaceID, builtinAISystemRisk)
	if err != nil || id != "" {
		return err
	}
	m := riskmodel.BuiltinAISystemRisk(a.Now(), SystemActor)
	if err := a.Store.InsertRiskModel(ctx, q, spaceID, m, builtinAISystemRisk); err != nil {
		return err
	}
	return a.Audit(ctx, q, spaceID, SystemActor, "riskmodel.create", "riskmodel", m.ID, m)
}

// BuiltinRiskModel returns the latest version of the space's "AI system
// risk" model, the default scale of AI product assessments, as far as
// scoring reads it (store.RiskModelShape).
func (a *App) BuiltinRiskModel(ctx context.Context, q store.Q, spaceID int64) (riskmodel.Model, error) {
	return a.Store.BuiltinRiskModelShape(ctx, q, spaceID, builtinAISystemRisk)
}

// CreateRiskModel validates and stores version 1 of a model.
func (a *App) CreateRiskModel(ctx context.Context, p auth.Principal, in riskmodel.Input) (riskmodel.Model, error) {
	m, err := riskmodel.New(in, a.Now(), p.ID)
	if err != nil {
		return m, err
	}
	err = a.Store.Tx(ctx, func(tx store.Q) error {
		if err := a.Store.InsertRiskModel(ctx, tx, p.Space.ID, m, ""); err != nil {
			return err
		}
		return a.AuditAs(ctx, tx, p, "riskmodel.create", "riskmodel", m.ID, m)
	})
	return m, err
}

// UpdateRiskModel stores a new version of a model; earlier versions stay.
func (a *App) UpdateRiskModel(ctx context.Context, p auth.Principal, id string, in riskmodel.Input) (riskmodel.Model, error) {
	if err := riskmodel.Validate(in); err != nil {
		return riskmodel.Model{}, err
	}
	var m riskmodel.Model
	err := a.Store.Tx(ctx, func(tx store.Q) error {
		prev, err := a.Store.RiskModel(ctx, tx, p.Space.ID, id, true)
		if err != nil {
			return err
		}
		if m, err = riskmodel.NewVersion(prev, in, a.Now(), p.ID); err != nil {
			return err
		}
		if err := a.Store.InsertRiskModelVersion(ctx, tx, p.Space.ID, m); err != nil {
			return err
		}
		return a.AuditAs(ctx, tx, p, "riskmodel.version", "riskmodel", m.ID, m)
	})
	return m, err
}

// SetRiskModelActive activates or deactivates a model. Repeating the current
// state changes nothing and records nothing.
func (a *App) SetRiskModelActive(ctx context.Context, p auth.Principal, id string, active bool) (riskmodel.Model, error) {
	var m riskmodel.Model
	err := a.Store.Tx(ctx, func(tx store.Q) error {
		cur, err := a.Store.RiskModel(ctx, tx, p.Space.ID, id, true)
		if err != nil {
			return err
		}
		var changed bool
		if m, changed = riskmodel.SetActive(cur, active, a.Now(), p.ID); !changed {
			return nil
		}
		if err := a.Store.SetRiskModelActive(ctx, tx, p.Space.ID, m); err != nil {
			return err
		}
		action := "riskmodel.deactivate"
		if active {
			action = "riskmodel.activate"
		}
		return a.AuditAs(ctx, tx, p, action, "riskmodel", m.ID, m)
	})
	return m, err
}

// CalculateRisk scores selected scale values with the latest version.
func (a *App) CalculateRisk(ctx context.Context, p auth.Principal, id string, values []int) (riskmodel.Calculation, error) {
	m, err := a.Store.RiskModel(ctx, a.Store.Reader(), p.Space.ID, id, false)
	if err != nil {
		return riskmodel.Calculation{}, err
	}
	return riskmodel.Calculate(m, values)
}
