package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/riskmodel"
	"github.com/riskd/riskd/internal/store"
)

// Risk models keep the spec's camelCase names and its two route prefixes:
// the spec's table lists /riskmodel…, its curl examples /api/riskmodel….

type riskModelBody struct {
	RawBody []byte
}

type riskModelIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

type riskModelUpdateInput struct {
	ID      string `path:"id" maxLength:"64"`
	RawBody []byte
}

type riskModelVersionInput struct {
	ID      string `path:"id" maxLength:"64"`
	Version int    `path:"versionId" minimum:"1"`
}

type riskModelListInput struct {
	Skip          int    `query:"skip" minimum:"0" default:"0" doc:"Number of models to skip"`
	Limit         int    `query:"limit" minimum:"1" maximum:"500" default:"50" doc:"Models to return"`
	Active        string `query:"active" enum:"true,false" doc:"Only active (true) or inactive (false) models; absent: both"`
	IncludeFields string `query:"includeFields" maxLength:"1000" doc:"Comma-separated top-level fields to show (id is always shown)"`
	ExcludeFields string `query:"excludeFields" maxLength:"1000" doc:"Comma-separated top-level fields to leave out"`
}

type riskModelOutput struct {
	Body riskmodel.Model
}

type riskModelVersionsOutput struct {
	Body []riskmodel.Version
}

type riskModelVersionOutput struct {
	Body riskmodel.Version
}

type riskModelListOutput struct {
	TotalCount int `header:"X-Total-Count" doc:"Models matching the filter"`
	Body       []json.RawMessage
}

type calculateOutput struct {
	Body riskmodel.Calculation
}

func (s *Server) registerRiskModels() {
	for _, prefix := range []string{"/api/riskmodel", "/riskmodel"} {
		s.registerRiskModelRoutes(prefix)
	}
}

func (s *Server) registerRiskModelRoutes(prefix string) {
	id := func(name string) string {
		if prefix == "/riskmodel" {
			return name + "-short"
		}
		return name
	}
	tags := []string{"Risk models"}

	register(s, huma.Operation{
		OperationID: id("create-risk-model"), Method: http.MethodPost, Path: prefix, Tags: tags, DefaultStatus: 201,
		Summary: "Create a risk model (version 1)",
	}, auth.Assessor, func(ctx context.Context, in *riskModelBody) (*riskModelOutput, error) {
		var body riskmodel.Input
		if err := decodeBody(in.RawBody, &body); err != nil {
			return nil, err
		}
		m, err := s.app.CreateRiskModel(ctx, principalOf(ctx), body)
		if err != nil {
			return nil, err
		}
		return &riskModelOutput{Body: m}, nil
	})
	registerBody[riskmodel.Input](s, http.MethodPost, prefix)

	register(s, huma.Operation{
		OperationID: id("list-risk-models"), Method: http.MethodGet, Path: prefix, Tags: tags,
		Summary: "List the latest version of each risk model",
	}, auth.Viewer, func(ctx context.Context, in *riskModelListInput) (*riskModelListOutput, error) {
		proj, err := riskmodel.ParseProjection(in.IncludeFields, in.ExcludeFields)
		if err != nil {
			return nil, err
		}
		f := store.RiskModelFilter{Skip: in.Skip, Limit: in.Limit}
		if in.Active != "" {
			active := in.Active == "true"
			f.Active = &active
		}
		list, total, err := s.app.Store.ListRiskModels(ctx, s.app.Store.Reader(), principalOf(ctx).Space.ID, f)
		if err != nil {
			return nil, err
		}
		out := &riskModelListOutput{TotalCount: total, Body: make([]json.RawMessage, len(list))}
		for i, doc := range list {
			if out.Body[i], err = proj.ApplyJSON(doc); err != nil {
				return nil, err
			}
		}
		return out, nil
	})

	register(s, huma.Operation{
		OperationID: id("get-risk-model"), Method: http.MethodGet, Path: prefix + "/{id}", Tags: tags,
		Summary: "Get the latest version of a risk model",
	}, auth.Viewer, func(ctx context.Context, in *riskModelIDInput) (*riskModelOutput, error) {
		m, err := s.app.Store.RiskModel(ctx, s.app.Store.Reader(), principalOf(ctx).Space.ID, in.ID, false)
		if err != nil {
			return nil, err
		}
		return &riskModelOutput{Body: m}, nil
	})

	register(s, huma.Operation{
		OperationID: id("update-risk-model"), Method: http.MethodPost, Path: prefix + "/{id}", Tags: tags,
		Summary: "Update a risk model: creates a new version, earlier versions never change",
	}, auth.Assessor, func(ctx context.Context, in *riskModelUpdateInput) (*riskModelOutput, error) {
		var body riskmodel.Input
		if err := decodeBody(in.RawBody, &body); err != nil {
			return nil, err
		}
		m, err := s.app.UpdateRiskModel(ctx, principalOf(ctx), in.ID, body)
		if err != nil {
			return nil, err
		}
		return &riskModelOutput{Body: m}, nil
	})
	registerBody[riskmodel.Input](s, http.MethodPost, prefix+"/{id}")

	register(s, huma.Operation{
		OperationID: id("list-risk-model-versions"), Method: http.MethodGet, Path: prefix + "/{id}/version", Tags: tags,
		Summary: "All versions of a risk model, newest first",
	}, auth.Viewer, func(ctx context.Context, in *riskModelIDInput) (*riskModelVersionsOutput, error) {
		list, err := s.app.Store.RiskModelVersions(ctx, s.app.Store.Reader(), principalOf(ctx).Space.ID, in.ID)
		if err != nil {
			return nil, err
		}
		if len(list) == 0 {
			_, err := s.app.Store.RiskModel(ctx, s.app.Store.Reader(), principalOf(ctx).Space.ID, in.ID, false)
			return nil, err
		}
		out := &riskModelVersionsOutput{Body: make([]riskmodel.Version, len(list))}
		for i, m := range list {
			out.Body[i] = m.AsVersion()
		}
		return out, nil
	})

	register(s, huma.Operation{
		OperationID: id("get-risk-model-version"), Method: http.MethodGet, Path: prefix + "/{id}/version/{versionId}", Tags: tags,
		Summary: "One version of a risk model, by version number",
	}, auth.Viewer, func(ctx context.Context, in *riskModelVersionInput) (*riskModelVersionOutput, error) {
		m, err := s.app.Store.RiskModelVersion(ctx, s.app.Store.Reader(), principalOf(ctx).Space.ID, in.ID, in.Version)
		if err != nil {
			return nil, err
		}
		return &riskModelVersionOutput{Body: m.AsVersion()}, nil
	})

	for verb, active := range map[string]bool{"activate": true, "deactivate": false} {
		register(s, huma.Operation{
			OperationID: id(verb + "-risk-model"), Method: http.MethodPut, Path: prefix + "/{id}/" + verb, Tags: tags,
			Summary: "Set a risk model's active state to " + strconv.FormatBool(active) + " (idempotent)",
		}, auth.Assessor, func(ctx context.Context, in *riskModelIDInput) (*riskModelOutput, error) {
			m, err := s.app.SetRiskModelActive(ctx, principalOf(ctx), in.ID, active)
			if err != nil {
				return nil, err
			}
			return &riskModelOutput{Body: m}, nil
		})
	}

	register(s, huma.Operation{
		OperationID: id("calculate-risk"), Method: http.MethodPost, Path: prefix + "/{id}/calculate", Tags: tags,
		Summary:     "Calculate a score from one selected scale value per dimension",
		Description: "Multiplies the selected values, e.g. {\"values\":[2,3,4]} → 2 × 3 × 4 = 24, and names the band the score falls in.",
	}, auth.Viewer, func(ctx context.Context, in *riskModelUpdateInput) (*calculateOutput, error) {
		var body riskmodel.CalculateInput
		if err := decodeBody(in.RawBody, &body); err != nil {
			return nil, err
		}
		c, err := s.app.CalculateRisk(ctx, principalOf(ctx), in.ID, body.Values)
		if err != nil {
			return nil, err
		}
		return &calculateOutput{Body: c}, nil
	})
	registerBody[riskmodel.CalculateInput](s, http.MethodPost, prefix+"/{id}/calculate")
}
