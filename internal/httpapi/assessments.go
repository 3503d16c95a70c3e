package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/riskd/riskd/internal/assessment"
	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/store"
)

// The catalog and its product risk assessments keep the spec's snake_case
// names and its routes under /catalog/spaces/{space_slug}. The domain types
// carry those names, so they are the wire shapes.

// Request bodies as the OpenAPI document names them; handlers decode into
// the domain types these are made of.
type (
	productCreate          assessment.ProductInput
	productUpdate          assessment.ProductPatch
	riskAssessmentCreate   assessment.CreateInput
	riskAssessmentUpdate   assessment.UpdateInput
	riskAssessmentComplete assessment.CompleteInput
	mitigationUpdate       assessment.MitigationPatch
)

// SpacePath, ProductPath and AssessmentPath are the path parameters the
// routes share. They are exported because huma reads parameters only from
// exported embedded structs.
type SpacePath struct {
	SpaceSlug string `path:"space_slug" maxLength:"100" doc:"The token's space; any other answers 404"`
}

type ProductPath struct {
	SpacePath
	ProductID string `path:"product_id" maxLength:"64" doc:"Product UUID"`
}

type AssessmentPath struct {
	ProductPath
	AssessmentID string `path:"assessment_id" maxLength:"64" doc:"Assessment UUID"`
}

type spaceBody struct {
	SpacePath
	RawBody []byte
}

type productBody struct {
	ProductPath
	RawBody []byte
}

type assessmentBody struct {
	AssessmentPath
	RawBody []byte
}

type mitigationBody struct {
	AssessmentPath
	MitigationID string `path:"mitigation_id" maxLength:"64" doc:"Mitigation UUID"`
	RawBody      []byte
}

type productSlugPath struct {
	SpacePath
	Slug string `path:"slug" maxLength:"100"`
}

type productListInput struct {
	SpacePath
	Page   int    `query:"page" minimum:"1" maximum:"1000000" default:"1" doc:"Page number, from 1"`
	Size   int    `query:"size" minimum:"1" maximum:"100" default:"20" doc:"Products per page"`
	Search string `query:"search" maxLength:"200" doc:"Only products whose name (ignoring case) or slug contains this"`
}

type assessmentListInput struct {
	ProductPath
	Limit  int `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"Max items (1–100)"`
	Offset int `query:"offset" minimum:"0" default:"0" doc:"Pagination offset"`
}

type productOutput struct {
	Body assessment.Product
}

type productListOutput struct {
	Body struct {
		Items []assessment.Product `json:"items"`
		Total int                  `json:"total"`
		Page  int                  `json:"page"`
		Size  int                  `json:"size"`
	}
}

type assessmentOutput struct {
	Body assessment.Assessment
}

type assessmentListOutput struct {
	Body struct {
		Items  []assessment.Assessment `json:"items"`
		Total  int                     `json:"total"`
		Limit  int                     `json:"limit"`
		Offset int                     `json:"offset"`
	}
}

type mitigationOutput struct {
	Body assessment.Mitigation
}

// inSpace returns the caller when the path names the token's own space.
// Any other slug is not found, whether that space exists or not, so a
// token learns nothing about other spaces.
func inSpace(ctx context.Context, slug string) (auth.Principal, error) {
	p := principalOf(ctx)
	if slug != p.Space.Slug {
		return p, errs.NotFoundf("space %q not found", slug)
	}
	return p, nil
}

// resolve checks the space and returns the product and assessment ids in
// canonical form. A malformed id names nothing, so it is not found rather
// than invalid, as it would be if it were well formed and unknown.
func (in AssessmentPath) resolve(ctx context.Context) (auth.Principal, string, string, error) {
	p, productID, err := in.ProductPath.resolve(ctx)
	if err != nil {
		return p, "", "", err
	}
	id, err := ids.ParseUUID(in.AssessmentID)
	if err != nil {
		return p, "", "", errs.NotFoundf("risk assessment %s not found", in.AssessmentID)
	}
	return p, productID, id, nil
}

func (in ProductPath) resolve(ctx context.Context) (auth.Principal, string, error) {
	p, err := inSpace(ctx, in.SpaceSlug)
	if err != nil {
		return p, "", err
	}
	id, err := ids.ParseUUID(in.ProductID)
	if err != nil {
		return p, "", errs.NotFoundf("product %s not found", in.ProductID)
	}
	return p, id, nil
}

func (s *Server) registerAssessments() {
	s.registerProducts()

	const base = "/catalog/spaces/{space_slug}/products/{product_id}/risk-assessments"
	tags := []string{"Product risk assessments"}

	register(s, huma.Operation{
		OperationID: "create-risk-assessment", Method: http.MethodPost, Path: base, Tags: tags, DefaultStatus: http.StatusCreated,
		Summary: "Create a draft risk assessment of a product",
		Description: "Each evaluation's score is severity × likelihood × impact, computed by the server; overall_risk_score is " +
			"round(mean(score) × 100 / 125). risk_model_id (riskd addition) scores with another risk model of the space; the default is the space's " +
			"built-in AI system risk model (1–5 on each factor), and risk_model_id and risk_model_version record the model that scored.",
	}, auth.Assessor, func(ctx context.Context, in *productBody) (*assessmentOutput, error) {
		p, productID, err := in.resolve(ctx)
		if err != nil {
			return nil, err
		}
		var body assessment.CreateInput
		if err := decodeBody(in.RawBody, &body); err != nil {
			return nil, err
		}
		a, err := s.app.CreateAssessment(ctx, p, productID, body)
		if err != nil {
			return nil, err
		}
		return &assessmentOutput{Body: a}, nil
	})
	registerBody[riskAssessmentCreate](s, http.MethodPost, base)

	register(s, huma.Operation{
		OperationID: "list-risk-assessments", Method: http.MethodGet, Path: base, Tags: tags,
		Summary: "List a product's risk assessments, newest first",
	}, auth.Viewer, func(ctx context.Context, in *assessmentListInput) (*assessmentListOutput, error) {
		p, productID, err := in.resolve(ctx)
		if err != nil {
			return nil, err
		}
		list, total, err := s.app.Store.ListAssessments(ctx, s.app.Store.Reader(), p.Space.ID, productID, in.Limit, in.Offset)
		if err != nil {
			return nil, err
		}
		out := &assessmentListOutput{}
		out.Body.Items, out.Body.Total, out.Body.Limit, out.Body.Offset = list, total, in.Limit, in.Offset
		return out, nil
	})

	register(s, huma.Operation{
		OperationID: "get-risk-assessment", Method: http.MethodGet, Path: base + "/{assessment_id}", Tags: tags,
		Summary: "Get a risk assessment, with score_explanation showing its arithmetic",
	}, auth.Viewer, func(ctx context.Context, in *AssessmentPath) (*assessmentOutput, error) {
		p, productID, id, err := in.resolve(ctx)
		if err != nil {
			return nil, err
		}
		a, err := s.app.Store.Assessment(ctx, s.app.Store.Reader(), p.Space.ID, productID, id, false)
		if err != nil {
			return nil, err
		}
		return &assessmentOutput{Body: a}, nil
	})

	register(s, huma.Operation{
		OperationID: "update-risk-assessment", Method: http.MethodPut, Path: base + "/{assessment_id}", Tags: tags,
		Summary: "Update a draft risk assessment (a completed one answers 409)",
		Description: "Every field is optional; a given list replaces the stored one, and a mitigation sent with its id keeps it. " +
			"Scores are recomputed.",
	}, auth.Assessor, func(ctx context.Context, in *assessmentBody) (*assessmentOutput, error) {
		p, productID, id, err := in.resolve(ctx)
		if err != nil {
			return nil, err
		}
		var body assessment.UpdateInput
		if err := decodeBody(in.RawBody, &body); err != nil {
			return nil, err
		}
		a, err := s.app.UpdateAssessment(ctx, p, productID, id, body)
		if err != nil {
			return nil, err
		}
		return &assessmentOutput{Body: a}, nil
	})
	registerBody[riskAssessmentUpdate](s, http.MethodPut, base+"/{assessment_id}")

	register(s, huma.Operation{
		OperationID: "complete-risk-assessment", Method: http.MethodPost, Path: base + "/{assessment_id}/complete", Tags: tags,
		Summary: "Complete a risk assessment and set its risk tier",
		Description: "risk_tier overrides the tier derived from overall_risk_score (≥ 80 unacceptable, ≥ 50 high, ≥ 25 limited, " +
			"else minimal). sync_to_product copies the tier to the product's risk_classification in the same transaction.",
	}, auth.Reviewer, func(ctx context.Context, in *assessmentBody) (*assessmentOutput, error) {
		p, productID, id, err := in.resolve(ctx)
		if err != nil {
			return nil, err
		}
		// Every field is optional, so the body may be left out altogether.
		var body assessment.CompleteInput
		if len(bytes.TrimSpace(in.RawBody)) > 0 {
			if err := decodeBody(in.RawBody, &body); err != nil {
				return nil, err
			}
		}
		a, err := s.app.CompleteAssessment(ctx, p, productID, id, body)
		if err != nil {
			return nil, err
		}
		return &assessmentOutput{Body: a}, nil
	})
	registerBody[riskAssessmentComplete](s, http.MethodPost, base+"/{assessment_id}/complete")
	s.api.OpenAPI().Paths[base+"/{assessment_id}/complete"].Post.RequestBody.Required = false

	register(s, huma.Operation{
		OperationID: "update-mitigation", Method: http.MethodPatch, Path: base + "/{assessment_id}/mitigations/{mitigation_id}", Tags: tags,
		Summary: "Update one mitigation action; tracking continues after the assessment is completed",
		Description: "status moves pending → in_progress → completed, or to cancelled from pending or in_progress; completed and " +
			"cancelled are final (409). Answers the updated mitigation.",
	}, auth.Assessor, func(ctx context.Context, in *mitigationBody) (*mitigationOutput, error) {
		p, productID, id, err := in.resolve(ctx)
		if err != nil {
			return nil, err
		}
		var body assessment.MitigationPatch
		if err := decodeBody(in.RawBody, &body); err != nil {
			return nil, err
		}
		m, err := s.app.PatchMitigation(ctx, p, productID, id, in.MitigationID, body)
		if err != nil {
			return nil, err
		}
		return &mitigationOutput{Body: m}, nil
	})
	registerBody[mitigationUpdate](s, http.MethodPatch, base+"/{assessment_id}/mitigations/{mitigation_id}")

	s.registerRiskRegister()
}

func (s *Server) registerProducts() {
	const base = "/catalog/spaces/{space_slug}/products"
	tags := []string{"Catalog"}

	register(s, huma.Operation{
		OperationID: "create-product", Method: http.MethodPost, Path: base, Tags: tags, DefaultStatus: http.StatusCreated,
		Summary: "Add a product to the space's catalog (slug derived from the name unless given; unique in the space)",
	}, auth.Assessor, func(ctx context.Context, in *spaceBody) (*productOutput, error) {
		p, err := inSpace(ctx, in.SpaceSlug)
		if err != nil {
			return nil, err
		}
		var body assessment.ProductInput
		if err := decodeBody(in.RawBody, &body); err != nil {
			return nil, err
		}
		prod, err := s.app.CreateProduct(ctx, p, body)
		if err != nil {
			return nil, err
		}
		return &productOutput{Body: prod}, nil
	})
	registerBody[productCreate](s, http.MethodPost, base)

	register(s, huma.Operation{
		OperationID: "list-products", Method: http.MethodGet, Path: base, Tags: tags,
		Summary: "List the space's products, newest first",
	}, auth.Viewer, func(ctx context.Context, in *productListInput) (*productListOutput, error) {
		p, err := inSpace(ctx, in.SpaceSlug)
		if err != nil {
			return nil, err
		}
		f := store.ProductFilter{Search: in.Search, Offset: (in.Page - 1) * in.Size, Limit: in.Size}
		list, total, err := s.app.Store.ListProducts(ctx, s.app.Store.Reader(), p.Space.ID, f)
		if err != nil {
			return nil, err
		}
		out := &productListOutput{}
		out.Body.Items, out.Body.Total, out.Body.Page, out.Body.Size = list, total, in.Page, in.Size
		return out, nil
	})

	register(s, huma.Operation{
		OperationID: "get-product", Method: http.MethodGet, Path: base + "/{product_id}", Tags: tags,
		Summary: "Get a product",
	}, auth.Viewer, func(ctx context.Context, in *ProductPath) (*productOutput, error) {
		p, id, err := in.resolve(ctx)
		if err != nil {
			return nil, err
		}
		prod, err := s.app.Store.Product(ctx, s.app.Store.Reader(), p.Space.ID, id, false)
		if err != nil {
			return nil, err
		}
		return &productOutput{Body: prod}, nil
	})

	s.registerProductBySlug(base, tags)

	register(s, huma.Operation{
		OperationID: "update-product", Method: http.MethodPatch, Path: base + "/{product_id}", Tags: tags,
		Summary: "Update a product: absent fields keep their values, an empty string clears an optional one",
	}, auth.Assessor, func(ctx context.Context, in *productBody) (*productOutput, error) {
		p, id, err := in.resolve(ctx)
		if err != nil {
			return nil, err
		}
		var body assessment.ProductPatch
		if err := decodeBody(in.RawBody, &body); err != nil {
			return nil, err
		}
		prod, err := s.app.UpdateProduct(ctx, p, id, body)
		if err != nil {
			return nil, err
		}
		return &productOutput{Body: prod}, nil
	})
	registerBody[productUpdate](s, http.MethodPatch, base+"/{product_id}")

	register(s, huma.Operation{
		OperationID: "delete-product", Method: http.MethodDelete, Path: base + "/{product_id}", Tags: tags, DefaultStatus: http.StatusNoContent,
		Summary: "Delete a product that has no risk assessments (one that has answers 409: assessments are kept as its risk record)",
	}, auth.Assessor, func(ctx context.Context, in *ProductPath) (*struct{}, error) {
		p, id, err := in.resolve(ctx)
		if err != nil {
			return nil, err
		}
		return nil, s.app.DeleteProduct(ctx, p, id)
	})
}

// ownMuxAPI is an API that documents its operations in the embedded API's
// OpenAPI document, with its middlewares and formats, but mounts their
// handlers through adapter.
type ownMuxAPI struct {
	huma.API
	adapter huma.Adapter
}

func (a ownMuxAPI) Adapter() huma.Adapter { return a.adapter }

// registerProductBySlug serves GET …/products/by-slug/{slug}, the issue's
// path, and GET …/products-by-slug/{slug}, the path riskd served first.
//
// The standard library's router refuses the pattern …/products/by-slug/{slug}
// beside the spec's GET …/products/{product_id}/risk-assessments: both
// match …/products/by-slug/risk-assessments and neither is more specific.
// So the server's mux gets the more general GET …/products/{product_id}/{sub},
// which the spec's route is more specific than: it passes product_id
// "by-slug" to a mux of its own holding the documented operation, and
// answers any other path the 404 an unknown route gets. The OpenAPI
// document lists the operation as usual.
func (s *Server) registerProductBySlug(base string, tags []string) {
	get := func(ctx context.Context, in *productSlugPath) (*productOutput, error) {
		p, err := inSpace(ctx, in.SpaceSlug)
		if err != nil {
			return nil, err
		}
		prod, err := s.app.Store.ProductBySlug(ctx, s.app.Store.Reader(), p.Space.ID, in.Slug)
		if err != nil {
			return nil, err
		}
		return &productOutput{Body: prod}, nil
	}
	bySlug := http.NewServeMux()
	bySlug.HandleFunc("/", noRoute)
	registerOn(s, ownMuxAPI{API: s.api, adapter: humago.NewAdapter(bySlug, "")}, huma.Operation{
		OperationID: "get-product-by-slug", Method: http.MethodGet, Path: base + "/by-slug/{slug}", Tags: tags,
		Summary: "Get a product by its slug",
	}, auth.Viewer, get)
	s.mux.HandleFunc("GET "+base+"/{product_id}/{sub}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("product_id") == "by-slug" {
			bySlug.ServeHTTP(w, r)
			return
		}
		noRoute(w, r)
	})

	register(s, huma.Operation{
		OperationID: "get-product-by-slug-alias", Method: http.MethodGet, Path: "/catalog/spaces/{space_slug}/products-by-slug/{slug}", Tags: tags,
		Summary: "Get a product by its slug (the same as GET …/products/by-slug/{slug})",
	}, auth.Viewer, get)
}

// registerRiskRegister adds the CSV export of every assessment in the space.
func (s *Server) registerRiskRegister() {
	register(s, huma.Operation{
		OperationID: "get-risk-register", Method: http.MethodGet, Path: "/catalog/spaces/{space_slug}/risk-register.csv",
		Tags:    []string{"Product risk assessments"},
		Summary: "The space's risk register as CSV: one row per assessment, grouped by product, newest first",
		Responses: map[string]*huma.Response{"200": {
			Description: "CSV with a header row: " + csvHeaderList(),
			Content:     map[string]*huma.MediaType{"text/csv": {Schema: &huma.Schema{Type: "string"}}},
		}},
	}, auth.Viewer, func(ctx context.Context, in *SpacePath) (*huma.StreamResponse, error) {
		p, err := inSpace(ctx, in.SpaceSlug)
		if err != nil {
			return nil, err
		}
		return &huma.StreamResponse{Body: func(hctx huma.Context) { s.streamRegister(hctx, p.Space.ID) }}, nil
	})
}

// streamRegister writes the register as rows are read, so its size does not
// matter. The status is sent with the first row: an error before it is an
// ordinary error response; one after it aborts the response, so the client
// sees a broken transfer instead of a register that silently ends early.
func (s *Server) streamRegister(hctx huma.Context, spaceID int64) {
	ctx := hctx.Context()
	w := csv.NewWriter(hctx.BodyWriter())
	started := false
	start := func() error {
		if started {
			return nil
		}
		started = true
		hctx.SetHeader("Content-Type", "text/csv; charset=utf-8")
		hctx.SetHeader("Content-Disposition", `attachment; filename="risk-register.csv"`)
		hctx.SetHeader("Cache-Control", "no-store")
		hctx.SetStatus(http.StatusOK)
		return w.Write(assessment.RegisterHeader())
	}
	err := s.app.Store.RiskRegister(ctx, s.app.Store.Reader(), spaceID, func(p assessment.Product, a assessment.Assessment) error {
		if err := start(); err != nil {
			return err
		}
		return w.Write(assessment.RegisterRow(p, a))
	})
	if err == nil {
		err = start() // an empty register is its header row
	}
	if err == nil {
		w.Flush()
		err = w.Error()
	}
	switch {
	case err == nil:
	case !started:
		s.writeHumaErr(hctx, err)
	default:
		s.log.WarnContext(ctx, "risk register stream failed", "request_id", requestID(ctx), "err", err)
		panic(http.ErrAbortHandler)
	}
}

func csvHeaderList() string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(assessment.RegisterHeader())
	w.Flush()
	return string(bytes.TrimSpace(b.Bytes()))
}
