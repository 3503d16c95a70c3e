package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/riskd/riskd/internal/audit"
	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/usecase"
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

type tokenWire struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role" enum:"viewer,assessor,reviewer,admin"`
	RateLimit int        `json:"rateLimit" doc:"Write requests per second; 0 uses the server default"`
	CreatedAt time.Time  `json:"createdAt"`
	RevokedAt *time.Time `json:"revokedAt"`
}

func tokenToWire(t store.Token) tokenWire {
	return tokenWire{ID: t.ID, Name: t.Name, Role: t.Role.String(), RateLimit: t.RateLimit, CreatedAt: t.CreatedAt, RevokedAt: t.RevokedAt}
}

type tokenCreateInput struct {
	RawBody []byte
}

type tokenCreateBody struct {
	Name      string `json:"name,omitempty" maxLength:"200"`
	Role      string `json:"role" enum:"viewer,assessor,reviewer,admin"`
	RateLimit int    `json:"rateLimit,omitempty" minimum:"0"`
}

type tokenCreateOutput struct {
	Body struct {
		tokenWire
		Token string `json:"token" doc:"The secret, shown only in this response"`
	}
}

type tokenListOutput struct {
	Body []tokenWire
}

type tokenIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

type tokenOutput struct {
	Body tokenWire
}

func (s *Server) registerTokens() {
	tags := []string{"Tokens"}
	register(s, huma.Operation{
		OperationID: "create-token", Method: http.MethodPost, Path: "/api/v1/tokens", Tags: tags, DefaultStatus: 201,
		Summary: "Create a token in the caller's space; the secret is shown once",
	}, auth.Admin, func(ctx context.Context, in *tokenCreateInput) (*tokenCreateOutput, error) {
		var body tokenCreateBody
		if err := decodeBody(in.RawBody, &body); err != nil {
			return nil, err
		}
		role, err := auth.ParseRole(body.Role)
		if err != nil {
			return nil, errs.Invalid("role", "must be viewer, assessor, reviewer or admin")
		}
		p := principalOf(ctx)
		secret, t, err := s.app.CreateToken(ctx, usecase.NewToken{ActorID: p.ID, SpaceSlug: p.Space.Slug, Role: role, Name: body.Name, RateLimit: body.RateLimit})
		if err != nil {
			return nil, err
		}
		out := &tokenCreateOutput{}
		out.Body.tokenWire, out.Body.Token = tokenToWire(t), secret
		return out, nil
	})
	registerBody[tokenCreateBody](s, http.MethodPost, "/api/v1/tokens")

	register(s, huma.Operation{
		OperationID: "list-tokens", Method: http.MethodGet, Path: "/api/v1/tokens", Tags: tags,
		Summary: "List the space's tokens (never their secrets)",
	}, auth.Admin, func(ctx context.Context, _ *struct{}) (*tokenListOutput, error) {
		list, err := s.app.Store.Tokens(ctx, s.app.Store.Reader(), principalOf(ctx).Space.ID)
		if err != nil {
			return nil, err
		}
		out := &tokenListOutput{Body: make([]tokenWire, len(list))}
		for i, t := range list {
			out.Body[i] = tokenToWire(t)
		}
		return out, nil
	})

	register(s, huma.Operation{
		OperationID: "revoke-token", Method: http.MethodDelete, Path: "/api/v1/tokens/{id}", Tags: tags,
		Summary: "Revoke a token; every node refuses it from the next request on",
	}, auth.Admin, func(ctx context.Context, in *tokenIDInput) (*tokenOutput, error) {
		p := principalOf(ctx)
		id, err := s.app.RevokeToken(ctx, p.ID, p.Space.ID, in.ID)
		if err != nil {
			return nil, err
		}
		t, err := s.app.Store.Token(ctx, s.app.Store.Writer(), p.Space.ID, id)
		if err != nil {
			return nil, err
		}
		return &tokenOutput{Body: tokenToWire(t)}, nil
	})
}
