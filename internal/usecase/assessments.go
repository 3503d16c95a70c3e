package usecase

import (
	"context"

	"github.com/riskd/riskd/internal/assessment"
	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/store"
)

// CreateProduct adds a product to the caller's space catalog.
func (a *App) CreateProduct(ctx context.Context, p auth.Principal, in assessment.ProductInput) (assessment.Product, error) {
	prod, err := assessment.NewProduct(in, ids.SpaceUUID(p.Space.ID), a.Now())
	if err != nil {
		return prod, err
	}
	err = a.Store.Tx(ctx, func(tx store.Q) error {
		if err := a.Store.InsertProduct(ctx, tx, p.Space.ID, prod); err != nil {
			return err
		}
		return a.AuditAs(ctx, tx, p, "product.create", "product", prod.ID, prod)
	})
	return prod, err
}

// UpdateProduct applies a patch to a product.
func (a *App) UpdateProduct(ctx context.Context, p auth.Principal, id string, in assessment.ProductPatch) (assessment.Product, error) {
	var prod assessment.Product
	err := a.Store.Tx(ctx, func(tx store.Q) error {
		cur, err := a.Store.Product(ctx, tx, p.Space.ID, id, true)
		if err != nil {
			return err
		}
		if prod, err = assessment.UpdateProduct(cur, in, a.Now()); err != nil {
			return err
		}
		if err := a.Store.UpdateProduct(ctx, tx, p.Space.ID, prod); err != nil {
			return err
		}
		return a.AuditAs(ctx, tx, p, "product.update", "product", prod.ID, prod)
	})
	return prod, err
}

// DeleteProduct removes a product without assessments (see
// store.DeleteProduct for why one with assessments stays).
func (a *App) DeleteProduct(ctx context.Context, p auth.Principal, id string) error {
	return a.Store.Tx(ctx, func(tx store.Q) error {
		prod, err := a.Store.Product(ctx, tx, p.Space.ID, id, true)
		if err != nil {
			return err
		}
		if err := a.Store.DeleteProduct(ctx, tx, p.Space.ID, id); err != nil {
			return err
		}
		// The event records what was deleted.
		return a.AuditAs(ctx, tx, p, "product.delete", "product", id, prod)
	})
}

// CreateAssessment stores a draft assessment of a product, scored with the
// risk model the request names or, by default, the space's built-in "AI
// system risk" model.
func (a *App) CreateAssessment(ctx context.Context, p auth.Principal, productID string, in assessment.CreateInput) (assessment.Assessment, error) {
	var as assessment.Assessment
	// A group commit: each create is a small transaction of its own, and
	// one fsync per create capped them at the disk's flush rate.
	err := a.Store.GroupTx(ctx, func(tx store.Q) error {
		// Locked, so a concurrent delete of the product waits for the
		// assessment and then sees it.
		if _, err := a.Store.Product(ctx, tx, p.Space.ID, productID, true); err != nil {
			return err
		}
		sc, err := a.scorer(ctx, tx, p.Space.ID, assessment.ScoringModel(nil, in.RiskModelID))
		if err != nil {
			return err
		}
		scope := assessment.Scope{SpaceID: ids.SpaceUUID(p.Space.ID), ProductID: productID}
		if as, err = assessment.New(in, scope, p.ID, sc, a.Now()); err != nil {
			return err
		}
		if err := a.Store.InsertAssessment(ctx, tx, p.Space.ID, as); err != nil {
			return err
		}
		return a.AuditAs(ctx, tx, p, "assessment.create", "assessment", as.ID, as)
	})
	return as, err
}

// UpdateAssessment changes a draft and re-scores it.
func (a *App) UpdateAssessment(ctx context.Context, p auth.Principal, productID, id string, in assessment.UpdateInput) (assessment.Assessment, error) {
	var as assessment.Assessment
	err := a.Store.GroupTx(ctx, func(tx store.Q) error {
		cur, err := a.Store.Assessment(ctx, tx, p.Space.ID, productID, id, true)
		if err != nil {
			return err
		}
		// A completed assessment is refused by Update (409) whatever the
		// scale, so its model is not looked up: a model since deactivated
		// must not turn that 409 into another answer.
		var sc assessment.Scorer
		if cur.Status != assessment.StatusCompleted {
			if sc, err = a.scorer(ctx, tx, p.Space.ID, assessment.ScoringModel(&cur, in.RiskModelID)); err != nil {
				return err
			}
		}
		if as, err = assessment.Update(cur, in, sc, a.Now()); err != nil {
			return err
		}
		if err := a.Store.UpdateAssessment(ctx, tx, p.Space.ID, as); err != nil {
			return err
		}
		return a.AuditAs(ctx, tx, p, "assessment.update", "assessment", as.ID, as)
	})
	return as, err
}

// CompleteAssessment freezes a draft with its tier and, when asked, copies
// the tier to the product's risk_classification in the same transaction.
func (a *App) CompleteAssessment(ctx context.Context, p auth.Principal, productID, id string, in assessment.CompleteInput) (assessment.Assessment, error) {
	var as assessment.Assessment
	err := a.Store.Tx(ctx, func(tx store.Q) error {
		// The product is locked before the assessment, in the order
		// CreateAssessment takes them, so the two cannot deadlock.
		var prod assessment.Product
		if in.SyncToProduct {
			var err error
			if prod, err = a.Store.Product(ctx, tx, p.Space.ID, productID, true); err != nil {
				return err
			}
		}
		cur, err := a.Store.Assessment(ctx, tx, p.Space.ID, productID, id, true)
		if err != nil {
			return err
		}
		if as, err = assessment.Complete(cur, in, p.ID, a.Now()); err != nil {
			return err
		}
		if err := a.Store.UpdateAssessment(ctx, tx, p.Space.ID, as); err != nil {
			return err
		}
		if err := a.AuditAs(ctx, tx, p, "assessment.complete", "assessment", as.ID, as); err != nil {
			return err
		}
		if !in.SyncToProduct {
			return nil
		}
		prod.RiskClassification, prod.UpdatedAt = as.RiskTier, as.UpdatedAt
		if err := a.Store.UpdateProduct(ctx, tx, p.Space.ID, prod); err != nil {
			return err
		}
		return a.AuditAs(ctx, tx, p, "product.classify", "product", prod.ID, prod)
	})
	return as, err
}

// PatchMitigation updates one mitigation of an assessment, completed or not.
func (a *App) PatchMitigation(ctx context.Context, p auth.Principal, productID, id, mitigationID string, in assessment.MitigationPatch) (assessment.Mitigation, error) {
	var m assessment.Mitigation
	err := a.Store.Tx(ctx, func(tx store.Q) error {
		cur, err := a.Store.Assessment(ctx, tx, p.Space.ID, productID, id, true)
		if err != nil {
			return err
		}
		var as assessment.Assessment
		if as, m, err = assessment.PatchMitigation(cur, mitigationID, in, a.Now()); err != nil {
			return err
		}
		if err := a.Store.UpdateAssessment(ctx, tx, p.Space.ID, as); err != nil {
			return err
		}
		return a.AuditAs(ctx, tx, p, "assessment.mitigation.update", "assessment", as.ID, as)
	})
	return m, err
}

// scorer loads the scale named by assessment.ScoringModel: "" is the
// default, the latest version of the space's built-in "AI system risk"
// model; anything else a risk model of the space, whose absence is a
// mistake in the request (422), not a missing resource.
func (a *App) scorer(ctx context.Context, q store.Q, spaceID int64, modelID string) (assessment.Scorer, error) {
	if modelID == "" {
		m, err := a.BuiltinRiskModel(ctx, q, spaceID)
		if errs.Is(err, errs.NotFound) {
			// Every space is seeded with it (SeedSpace, at creation and at
			// start-up); one that is not yet scores on the fixed 1–5 scale.
			return assessment.Scorer{}, nil
		}
		if err != nil {
			return assessment.Scorer{}, err
		}
		return assessment.DefaultScorer(m)
	}
	m, err := a.Store.RiskModelShape(ctx, q, spaceID, modelID)
	if errs.Is(err, errs.NotFound) {
		return assessment.Scorer{}, errs.Invalid("risk_model_id", "no risk model "+modelID+" in this space")
	}
	if err != nil {
		return assessment.Scorer{}, err
	}
	return assessment.ModelScorer(m)
}
