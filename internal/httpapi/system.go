package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/riskd/riskd/internal/audit"
	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/store"
)

type whoamiOutput struct {
	Body struct {
		Principal struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			Role string `json:"role" enum:"viewer,assessor,reviewer,admin"`
		} `json:"principal"`
		Space auth.Space `json:"space"`
	}
}

type auditListInput struct {
	ResourceType string `query:"resourceType" maxLength:"100" doc:"Only events about this kind of resource"`
	ResourceID   string `query:"resourceId" maxLength:"200" doc:"Only events about this resource"`
	Cursor       string `query:"cursor" doc:"nextCursor of the previous page"`
	Limit        int    `query:"limit" minimum:"1" maximum:"500" default:"50"`
}

type pagination struct {
	NextCursor       *string `json:"nextCursor"`
	HasMore          bool    `json:"hasMore"`
	ApproximateTotal *int    `json:"approximateTotal,omitempty"`
}

type auditListOutput struct {
	Body struct {
		Results    []audit.Event `json:"results"`
		Pagination pagination    `json:"pagination"`
	}
}

func (s *Server) registerSystem() {
	register(s, huma.Operation{
		OperationID: "whoami", Method: http.MethodGet, Path: "/api/v1/whoami", Tags: []string{"System"},
		Summary: "Who the token belongs to",
	}, auth.Viewer, func(ctx context.Context, _ *struct{}) (*whoamiOutput, error) {
		p := principalOf(ctx)
		out := &whoamiOutput{}
		out.Body.Principal.ID, out.Body.Principal.Name, out.Body.Principal.Role = p.ID, p.Name, p.Role.String()
		out.Body.Space = p.Space
		return out, nil
	})

	register(s, huma.Operation{
		OperationID: "list-audit-events", Method: http.MethodGet, Path: "/api/v1/audit-events", Tags: []string{"System"},
		Summary:     "List the space's audit events, newest first",
		Description: "Every write appends an event to the space's hash chain. `riskd audit verify` checks the chain.",
	}, auth.Admin, func(ctx context.Context, in *auditListInput) (*auditListOutput, error) {
		p := principalOf(ctx)
		f := store.AuditFilter{ResourceType: in.ResourceType, ResourceID: in.ResourceID, Limit: in.Limit + 1}
		if in.Cursor != "" {
			seq, err := strconv.ParseInt(in.Cursor, 10, 64)
			if err != nil || seq <= 0 {
				return nil, errs.Invalid("cursor", "must be the nextCursor of a previous page")
			}
			f.BeforeSeq = seq
		}
		events, err := s.app.Store.AuditEvents(ctx, s.app.Store.Reader(), p.Space.ID, f)
		if err != nil {
			return nil, err
		}
		out := &auditListOutput{}
		if len(events) > in.Limit {
			events = events[:in.Limit]
			c := strconv.FormatInt(events[len(events)-1].Seq, 10)
			out.Body.Pagination = pagination{NextCursor: &c, HasMore: true}
		}
		if events == nil {
			events = []audit.Event{}
		}
		out.Body.Results = events
		return out, nil
	})
}
