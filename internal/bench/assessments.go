package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/riskd/riskd/internal/assessment"
	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/loadgen"
	"github.com/riskd/riskd/internal/store"
)

// assessmentScenarios measure the product assessments family: creating an
// assessment, and listing a product's assessments at 100,000 rows.
func assessmentScenarios() []scenario {
	return []scenario{{
		name:    "assessment-create",
		what:    "POST /catalog/spaces/default/products/{product_id}/risk-assessments (2 evaluations, 1 mitigation)",
		routes:  []string{"POST /catalog/spaces/{space_slug}/products/{product_id}/risk-assessments"},
		prepare: prepareAssessmentCreate,
	}, {
		name:          "assessment-list",
		what:          "GET …/risk-assessments?limit=20 of a product with 100,000 assessments",
		routes:        []string{"GET /catalog/spaces/{space_slug}/products/{product_id}/risk-assessments"},
		prepare:       prepareAssessmentList,
		targets:       []target{maxP99(10 * time.Millisecond)},
		targetClients: 1,
	}}
}

// listedAssessments is how many assessments the listed product has.
const listedAssessments = 100_000

// assessmentInput is the documented create example.
var assessmentInput = assessment.CreateInput{
	AssessmentType: "initial",
	LifecycleStage: ptr("development"),
	Evaluations: []assessment.EvaluationInput{
		{Category: "bias", Severity: 3, Likelihood: 2, Impact: 4, Notes: ptr("Potential demographic bias in training data")},
		{Category: "privacy", Severity: 4, Likelihood: 3, Impact: 5, Notes: ptr("PII in feature pipeline")},
	},
	Summary: ptr("Initial risk assessment for customer scoring model"),
	Mitigations: []assessment.MitigationInput{
		{Title: "Implement fairness metrics", Category: "bias_mitigation",
			MitigationPatch: assessment.MitigationPatch{OwnerName: ptr("Alice"), Deadline: ptr("2026-03-15"), Priority: ptr("high")}},
	},
}

func ptr[T any](v T) *T { return &v }

func prepareAssessmentCreate(ctx context.Context, e *env) (workload, error) {
	productID, err := seedProduct(ctx, e, "bench create target")
	if err != nil {
		return workload{}, err
	}
	body, err := json.Marshal(assessmentInput)
	if err != nil {
		return workload{}, err
	}
	req := loadgen.Request{Method: http.MethodPost, Path: "/catalog/spaces/" + e.space.Slug + "/products/" + productID + "/risk-assessments",
		Header: e.header, Body: body}
	return workload{next: func(int) loadgen.Request { return req }}, nil
}

func prepareAssessmentList(ctx context.Context, e *env) (workload, error) {
	productID, err := seedProduct(ctx, e, "bench list target")
	if err != nil {
		return workload{}, err
	}
	if err := seedAssessments(ctx, e, productID, listedAssessments); err != nil {
		return workload{}, err
	}
	req := loadgen.Request{Method: http.MethodGet, Path: "/catalog/spaces/" + e.space.Slug + "/products/" + productID + "/risk-assessments?limit=20",
		Header: e.header}
	return workload{next: func(int) loadgen.Request { return req }}, nil
}

// seedProduct adds a product to the token's space as the API would, and
// returns its id.
func seedProduct(ctx context.Context, e *env, name string) (string, error) {
	p, err := assessment.NewProduct(assessment.ProductInput{Name: name}, ids.SpaceUUID(e.space.ID), time.Now())
	if err != nil {
		return "", err
	}
	err = e.st.Tx(ctx, func(tx store.Q) error { return e.st.InsertProduct(ctx, tx, e.space.ID, p) })
	return p.ID, err
}

// assessmentColumns are the assessments table's columns (migration
// 00004_catalog).
var assessmentColumns = []string{"space_id", "id", "product_id", "assessment_type", "lifecycle_stage", "status",
	"evaluations", "overall_risk_score", "risk_tier", "summary", "mitigations", "assessed_by_id", "assessed_at",
	"reviewed_by_id", "reviewed_at", "risk_model_id", "risk_model_version", "score_explanation", "created_at", "updated_at"}

// seedAssessments inserts n draft assessments of a product, each made by
// the domain from the documented example a millisecond after the previous
// one, and counts them on the product as the store's insert does.
func seedAssessments(ctx context.Context, e *env, productID string, n int) error {
	scope := assessment.Scope{SpaceID: ids.SpaceUUID(e.space.ID), ProductID: productID}
	start := time.Now().Add(-time.Duration(n) * time.Millisecond)
	err := insertRows(ctx, e.st, "assessments", assessmentColumns, n, func(i int) ([]any, error) {
		a, err := assessment.New(assessmentInput, scope, e.actorID, assessment.Scorer{}, start.Add(time.Duration(i)*time.Millisecond))
		if err != nil {
			return nil, err
		}
		evals, err := json.Marshal(a.Evaluations)
		if err != nil {
			return nil, err
		}
		mits, err := json.Marshal(a.Mitigations)
		if err != nil {
			return nil, err
		}
		return []any{e.space.ID, a.ID, a.ProductID, string(a.AssessmentType), a.LifecycleStage, string(a.Status),
			string(evals), a.OverallRiskScore, a.RiskTier, a.Summary, string(mits), a.AssessedByID, store.T(a.AssessedAt),
			a.ReviewedByID, store.NullT(a.ReviewedAt), a.RiskModelID, a.RiskModelVersion, a.ScoreExplanation,
			store.T(a.CreatedAt), store.T(a.UpdatedAt)}, nil
	})
	if err != nil {
		return err
	}
	_, err = e.st.Writer().ExecContext(ctx, `UPDATE products SET assessment_count = assessment_count + $1 WHERE space_id = $2 AND id = $3`,
		n, e.space.ID, productID)
	if err != nil {
		return fmt.Errorf("count the seeded assessments: %w", err)
	}
	return vacuumAnalyze(ctx, e.st, "products", "assessments")
}
