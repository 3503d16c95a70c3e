package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/customer"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/usecase"
)

// Customer risk rating keeps the reference API's camelCase names for
// customers and assessments (the risk object inside keeps its snake_case
// keys, as the reference shows them); the methodology document is
// snake_case. Every route needs the X-Domain-ID header, as the reference
// API's clients send it.

const domainHeader = "X-Domain-ID"

// requireDomain refuses a request without X-Domain-ID (400); principal()
// has already refused one that names another space (403).
func (s *Server) requireDomain(ctx huma.Context, next func(huma.Context)) {
	if strings.TrimSpace(ctx.Header(domainHeader)) == "" {
		s.writeHumaErr(ctx, newAPIError(http.StatusBadRequest, errs.ValidationFailed, "validation failed",
			[]errs.FieldError{{Field: domainHeader, Message: "header is required: the id of the token's space"}}))
		return
	}
	next(ctx)
}

// registerDomainOp registers a customer-family operation: X-Domain-ID is
// required and documented.
func registerDomainOp[I, O any](s *Server, op huma.Operation, min auth.Role, h func(context.Context, *I) (*O, error)) {
	op.Middlewares = append(op.Middlewares, s.requireDomain)
	op.Parameters = append(op.Parameters, &huma.Param{Name: domainHeader, In: "header", Required: true,
		Description: "The id of the token's space (GET /api/v1/whoami shows it)", Schema: &huma.Schema{Type: "integer"}})
	register(s, op, min, h)
}

// user is the reference API's principal shape. riskd principals are
// tokens: the id is the token's UUID, the names come from the token's name,
// and there is no email.
type user struct {
	Email     *string `json:"email"`
	FirstName string  `json:"firstName"`
	FullName  string  `json:"fullName"`
	ID        string  `json:"id" doc:"The principal's UUID (a token), or system:… for riskd's own jobs"`
	LastName  string  `json:"lastName"`
}

func userOf(a store.Actor) user {
	first, last, _ := strings.Cut(strings.TrimSpace(a.Name), " ")
	return user{FirstName: first, FullName: a.Name, ID: a.ID, LastName: strings.TrimSpace(last)}
}

type approvalWire struct {
	Message   string    `json:"message"`
	DecidedBy user      `json:"decidedBy"`
	DecidedAt time.Time `json:"decidedAt"`
}

// riskAssessment is the reference API's risk report, plus riskd's
// methodologyVersion, nextReviewAt, customerRevision and approval.
type riskAssessment struct {
	ID                 int64                   `json:"id"`
	CreatedAt          time.Time               `json:"createdAt"`
	UpdatedAt          time.Time               `json:"updatedAt"`
	CreatedBy          user                    `json:"createdBy"`
	UpdatedBy          user                    `json:"updatedBy"`
	Risk               customer.Result         `json:"risk"`
	RiskRating         customer.Rating         `json:"riskRating" enum:"LOW,MEDIUM_LOW,MEDIUM,MEDIUM_HIGH,HIGH,UNKNOWN"`
	OverrideRiskRating *customer.Rating        `json:"overrideRiskRating" enum:"LOW,MEDIUM_LOW,MEDIUM,MEDIUM_HIGH,HIGH"`
	RiskScore          float32                 `json:"riskScore"`
	ApprovalStatus     customer.ApprovalStatus `json:"approvalStatus" enum:"ACCEPTED,CLEARED,PENDING,REJECTED,REQUEST_CHANGES"`
	CustomerID         int64                   `json:"customerId"`
	MethodologyVersion int                     `json:"methodologyVersion"`
	NextReviewAt       time.Time               `json:"nextReviewAt" doc:"When the customer is due for review, by the rating in force"`
	CustomerRevision   int                     `json:"customerRevision" doc:"The revision of the customer's data this assessment scored"`
	Approval           *approvalWire           `json:"approval" doc:"The checker's decision; null while PENDING"`
}

func assessmentWire(a store.CustomerAssessment) riskAssessment {
	w := riskAssessment{ID: a.ID, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, CreatedBy: userOf(a.CreatedBy), UpdatedBy: userOf(a.UpdatedBy),
		Risk: a.Risk, RiskRating: a.Risk.RiskRating, OverrideRiskRating: a.OverrideRiskRating, RiskScore: a.Risk.RiskScore,
		ApprovalStatus: a.ApprovalStatus, CustomerID: a.CustomerID, MethodologyVersion: a.Risk.MethodologyVersion,
		NextReviewAt: a.NextReviewAt, CustomerRevision: a.CustomerRevision}
	if a.Approval != nil {
		w.Approval = &approvalWire{Message: a.Approval.Message, DecidedBy: userOf(a.Approval.DecidedBy), DecidedAt: a.Approval.DecidedAt}
	}
	return w
}

// customerWire is a customer with its related parties and the rating in
// force.
type customerWire struct {
	ID int64 `json:"id"`
	customer.Customer
	CRPs               []store.PartyCRP        `json:"crps"`
	Revision           int                     `json:"revision"`
	RiskRating         customer.Rating         `json:"riskRating" doc:"The rating in force: the latest assessment's override, else its computed rating"`
	ApprovalStatus     customer.ApprovalStatus `json:"approvalStatus" doc:"The latest assessment's decision"`
	MethodologyVersion int                     `json:"methodologyVersion"`
	NextReviewAt       time.Time               `json:"nextReviewAt"`
	CreatedAt          time.Time               `json:"createdAt"`
	UpdatedAt          time.Time               `json:"updatedAt"`
	CreatedBy          user                    `json:"createdBy"`
	UpdatedBy          user                    `json:"updatedBy"`
}

func customerOut(c store.CustomerRecord) customerWire {
	crps := c.CRPs
	if crps == nil {
		crps = []store.PartyCRP{}
	}
	return customerWire{ID: c.ID, Customer: c.Customer, CRPs: crps, Revision: c.Revision, RiskRating: c.Rating, ApprovalStatus: c.ApprovalStatus,
		MethodologyVersion: c.MethodologyVersion, NextReviewAt: c.NextReviewAt, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		CreatedBy: userOf(c.CreatedBy), UpdatedBy: userOf(c.UpdatedBy)}
}

// customerWithAssessment is what a create or change answers: the customer
// and the assessment it made.
type customerWithAssessment struct {
	customerWire
	RiskAssessment riskAssessment `json:"riskAssessment"`
}

type customerBodyInput struct {
	RawBody []byte
}

type customerIDInput struct {
	CustomerID int64 `path:"customerId" minimum:"1"`
}

type customerIDBody struct {
	CustomerID int64 `path:"customerId" minimum:"1"`
	RawBody    []byte
}

type customerListInput struct {
	DueForReview bool   `query:"dueForReview" doc:"Only customers due for review now (nextReviewAt at or before now)"`
	RiskRating   string `query:"riskRating" enum:"LOW,MEDIUM_LOW,MEDIUM,MEDIUM_HIGH,HIGH,UNKNOWN" doc:"Only customers with this rating in force"`
	After        int64  `query:"after" minimum:"0" doc:"Start after this customer id (the Link header of the previous page carries it)"`
	Limit        int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Customers per page"`
}

type riskAssessmentListInput struct {
	CustomerID int64 `path:"customerId" minimum:"1"`
	Before     int64 `query:"before" minimum:"0" doc:"Start below this assessment id (the Link header of the previous page carries it)"`
	Limit      int   `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Assessments per page"`
}

type customerCreated struct {
	Body customerWithAssessment
}

type customerOutput struct {
	Body customerWire
}

type customerListOutput struct {
	Link string `header:"Link" doc:"<…>; rel=\"next\" when more customers match"`
	Body []customerWire
}

type riskAssessmentOutput struct {
	Body riskAssessment
}

type riskAssessmentListOutput struct {
	Link string `header:"Link" doc:"<…>; rel=\"next\" when there are older assessments"`
	Body []riskAssessment
}

// customerCreate is the body of createWithCrps.
type customerCreate struct {
	Customer *customer.Customer `json:"customer"`
	CRPs     []customer.CRP     `json:"crps"`
}

// methodologyWire is a methodology version as the API shows it.
type methodologyWire struct {
	customer.Methodology
	CreatedAt   time.Time  `json:"created_at"`
	CreatedBy   string     `json:"created_by"`
	ActivatedAt *time.Time `json:"activated_at"`
	ActivatedBy *string    `json:"activated_by"`
}

func methodologyOut(m store.MethodologyVersion) methodologyWire {
	w := methodologyWire{Methodology: m.Methodology, CreatedAt: m.CreatedAt, CreatedBy: m.CreatedBy, ActivatedAt: m.ActivatedAt}
	if m.ActivatedBy != "" {
		w.ActivatedBy = &m.ActivatedBy
	}
	return w
}

// methodologySummary lists a version without its tables.
type methodologySummary struct {
	Version     int             `json:"version"`
	Status      customer.Status `json:"status" enum:"draft,active,retired"`
	CreatedAt   time.Time       `json:"created_at"`
	CreatedBy   string          `json:"created_by"`
	ActivatedAt *time.Time      `json:"activated_at"`
	ActivatedBy *string         `json:"activated_by"`
}

type methodologyOutput struct {
	Body methodologyWire
}

type methodologyListOutput struct {
	Body []methodologySummary
}

type methodologyVersionInput struct {
	Version int `path:"version" minimum:"1"`
}

type dryRunOutput struct {
	Body usecase.DryRunResult
}

type activationOutput struct {
	Body struct {
		JobID string `json:"job_id" doc:"The re-scoring job: GET /api/v1/jobs/{id}; its result shows progress as done/total"`
	}
}

func (s *Server) registerCustomers() {
	tags := []string{"Customer risk"}
	mtags := []string{"Customer risk methodology"}

	create := func(ctx context.Context, c customer.Customer, crps []customer.CRP) (*customerCreated, error) {
		v, err := s.app.CreateCustomer(ctx, principalOf(ctx), c, crps)
		if err != nil {
			return nil, err
		}
		return &customerCreated{Body: customerWithAssessment{customerOut(v.Customer), assessmentWire(v.Assessment)}}, nil
	}

	registerDomainOp(s, huma.Operation{
		OperationID: "create-customer", Method: http.MethodPost, Path: "/api/customer", Tags: tags, DefaultStatus: http.StatusCreated,
		Summary:     "Create a customer and rate it",
		Description: "The body is the customer alone; POST /api/customer/createWithCrps adds related parties too. The answer carries the first risk assessment.",
	}, auth.Assessor, func(ctx context.Context, in *customerBodyInput) (*customerCreated, error) {
		var c customer.Customer
		if err := decodeBody(in.RawBody, &c); err != nil {
			return nil, err
		}
		return create(ctx, c, nil)
	})
	registerBody[customer.Customer](s, http.MethodPost, "/api/customer")

	registerDomainOp(s, huma.Operation{
		OperationID: "create-customer-with-crps", Method: http.MethodPost, Path: "/api/customer/createWithCrps", Tags: tags,
		DefaultStatus: http.StatusCreated,
		Summary:       "Create a customer with its related parties (CRPs) and rate it",
	}, auth.Assessor, func(ctx context.Context, in *customerBodyInput) (*customerCreated, error) {
		var body customerCreate
		if err := decodeBody(in.RawBody, &body); err != nil {
			return nil, err
		}
		if body.Customer == nil {
			return nil, errs.Invalid("customer", "is required")
		}
		return create(ctx, *body.Customer, body.CRPs)
	})
	registerBody[customerCreate](s, http.MethodPost, "/api/customer/createWithCrps")

	registerDomainOp(s, huma.Operation{
		OperationID: "list-customers", Method: http.MethodGet, Path: "/api/customer", Tags: tags,
		Summary:     "List customers by id",
		Description: "A bare array; the Link header (rel=\"next\") gives the next page. dueForReview=true keeps the customers due for review.",
	}, auth.Viewer, func(ctx context.Context, in *customerListInput) (*customerListOutput, error) {
		f := store.CustomerFilter{After: in.After, Limit: in.Limit, Rating: customer.Rating(in.RiskRating)}
		if in.DueForReview {
			now := s.app.Now()
			f.DueBy = &now
		}
		list, err := s.app.Store.ListCustomers(ctx, s.app.Store.Reader(), principalOf(ctx).Space.ID, f)
		if err != nil {
			return nil, err
		}
		out := &customerListOutput{Body: make([]customerWire, len(list))}
		for i, c := range list {
			out.Body[i] = customerOut(c)
		}
		if len(list) == in.Limit {
			q := url.Values{"after": {strconv.FormatInt(list[len(list)-1].ID, 10)}, "limit": {strconv.Itoa(in.Limit)}}
			if in.DueForReview {
				q.Set("dueForReview", "true")
			}
			if in.RiskRating != "" {
				q.Set("riskRating", in.RiskRating)
			}
			out.Link = "</api/customer?" + q.Encode() + `>; rel="next"`
		}
		return out, nil
	})

	registerDomainOp(s, huma.Operation{
		OperationID: "get-customer", Method: http.MethodGet, Path: "/api/customer/{customerId}", Tags: tags,
		Summary: "Get a customer with its related parties",
	}, auth.Viewer, func(ctx context.Context, in *customerIDInput) (*customerOutput, error) {
		c, err := s.app.Store.Customer(ctx, s.app.Store.Reader(), principalOf(ctx).Space.ID, in.CustomerID, false)
		if err != nil {
			return nil, err
		}
		return &customerOutput{Body: customerOut(c)}, nil
	})

	registerDomainOp(s, huma.Operation{
		OperationID: "update-customer", Method: http.MethodPatch, Path: "/api/customer/{customerId}", Tags: tags,
		Summary: "Change some of a customer's fields or its related parties, and rate it again",
		Description: "Fields left out or null are unchanged; \"\" clears a text and [] a list; screening flags change one at a time. " +
			"crps, when given, replaces the related parties: a party sent with its id keeps that id. A change makes a new PENDING assessment.",
	}, auth.Assessor, func(ctx context.Context, in *customerIDBody) (*customerCreated, error) {
		var body usecase.CustomerPatch
		if err := decodeBody(in.RawBody, &body); err != nil {
			return nil, err
		}
		v, err := s.app.UpdateCustomer(ctx, principalOf(ctx), in.CustomerID, body)
		if err != nil {
			return nil, err
		}
		return &customerCreated{Body: customerWithAssessment{customerOut(v.Customer), assessmentWire(v.Assessment)}}, nil
	})
	registerBody[usecase.CustomerPatch](s, http.MethodPatch, "/api/customer/{customerId}")

	registerDomainOp(s, huma.Operation{
		OperationID: "get-customer-risk-assessment", Method: http.MethodGet, Path: "/api/customer/{customerId}/risk-assessment", Tags: tags,
		Summary: "The customer's latest risk assessment (risk report)",
	}, auth.Viewer, func(ctx context.Context, in *customerIDInput) (*riskAssessmentOutput, error) {
		spaceID := principalOf(ctx).Space.ID
		a, err := s.app.Store.LatestCustomerAssessment(ctx, s.app.Store.Reader(), spaceID, in.CustomerID, false)
		if errs.Is(err, errs.NotFound) {
			_, err = s.app.Store.Customer(ctx, s.app.Store.Reader(), spaceID, in.CustomerID, false)
			if err == nil {
				err = errs.NotFoundf("customer %d has no risk assessment", in.CustomerID)
			}
		}
		if err != nil {
			return nil, err
		}
		return &riskAssessmentOutput{Body: assessmentWire(a)}, nil
	})

	registerDomainOp(s, huma.Operation{
		OperationID: "reassess-customer", Method: http.MethodPost, Path: "/api/customer/{customerId}/risk-assessment", Tags: tags,
		DefaultStatus: http.StatusCreated,
		Summary:       "Rate the customer again with the active methodology (periodic review)",
		Description:   "Makes a new PENDING assessment of the customer's current data. The body is ignored.",
	}, auth.Assessor, func(ctx context.Context, in *customerIDInput) (*riskAssessmentOutput, error) {
		a, err := s.app.ReassessCustomer(ctx, principalOf(ctx), in.CustomerID)
		if err != nil {
			return nil, err
		}
		return &riskAssessmentOutput{Body: assessmentWire(a)}, nil
	})

	registerDomainOp(s, huma.Operation{
		OperationID: "list-customer-risk-assessments", Method: http.MethodGet, Path: "/api/customer/{customerId}/risk-assessments", Tags: tags,
		Summary: "The customer's assessments, newest first",
	}, auth.Viewer, func(ctx context.Context, in *riskAssessmentListInput) (*riskAssessmentListOutput, error) {
		spaceID := principalOf(ctx).Space.ID
		if _, err := s.app.Store.Customer(ctx, s.app.Store.Reader(), spaceID, in.CustomerID, false); err != nil {
			return nil, err
		}
		list, err := s.app.Store.CustomerAssessments(ctx, s.app.Store.Reader(), spaceID, in.CustomerID, in.Before, in.Limit)
		if err != nil {
			return nil, err
		}
		out := &riskAssessmentListOutput{Body: make([]riskAssessment, len(list))}
		for i, a := range list {
			out.Body[i] = assessmentWire(a)
		}
		if len(list) == in.Limit {
			q := url.Values{"before": {strconv.FormatInt(list[len(list)-1].ID, 10)}, "limit": {strconv.Itoa(in.Limit)}}
			out.Link = "</api/customer/" + strconv.FormatInt(in.CustomerID, 10) + "/risk-assessments?" + q.Encode() + `>; rel="next"`
		}
		return out, nil
	})

	registerDomainOp(s, huma.Operation{
		OperationID: "decide-customer-risk-assessment", Method: http.MethodPost, Path: "/api/customer/{customerId}/risk-assessment/approval",
		Tags: tags, Summary: "Decide the latest risk assessment (four eyes), optionally overriding the rating",
		Description: "approvalStatus ACCEPTED, CLEARED, REJECTED or REQUEST_CHANGES; an override needs a message. " +
			"Whoever created or last changed the customer, or made the assessment, may not decide it (403). Only a PENDING assessment can be decided (409).",
	}, auth.Reviewer, func(ctx context.Context, in *customerIDBody) (*riskAssessmentOutput, error) {
		var body customer.ApprovalRequest
		if err := decodeBody(in.RawBody, &body); err != nil {
			return nil, err
		}
		a, err := s.app.DecideCustomerAssessment(ctx, principalOf(ctx), in.CustomerID, body)
		if err != nil {
			return nil, err
		}
		return &riskAssessmentOutput{Body: assessmentWire(a)}, nil
	})
	registerBody[customer.ApprovalRequest](s, http.MethodPost, "/api/customer/{customerId}/risk-assessment/approval")

	registerDomainOp(s, huma.Operation{
		OperationID: "get-risk-methodology", Method: http.MethodGet, Path: "/api/risk-methodology", Tags: mtags,
		Summary: "The active methodology",
	}, auth.Viewer, func(ctx context.Context, _ *struct{}) (*methodologyOutput, error) {
		m, err := s.app.ActiveMethodology(ctx, principalOf(ctx).Space.ID)
		if err != nil {
			return nil, err
		}
		return &methodologyOutput{Body: methodologyOut(m)}, nil
	})

	registerDomainOp(s, huma.Operation{
		OperationID: "create-risk-methodology-draft", Method: http.MethodPut, Path: "/api/risk-methodology", Tags: mtags,
		DefaultStatus: http.StatusCreated,
		Summary:       "Store a whole methodology document as a new draft version",
		Description:   "What GET returns is accepted: version, status and the other read-only fields are ignored. Activate the draft with POST …/{version}/activate (another admin).",
	}, auth.Admin, func(ctx context.Context, in *customerBodyInput) (*methodologyOutput, error) {
		var m customer.Methodology
		if err := decodeBody(in.RawBody, &m); err != nil {
			return nil, err
		}
		p := principalOf(ctx)
		mv, err := s.app.CreateMethodologyDraft(ctx, p.Space.ID, p.ID, m)
		if err != nil {
			return nil, err
		}
		return &methodologyOutput{Body: methodologyOut(mv)}, nil
	})
	registerBody[customer.Methodology](s, http.MethodPut, "/api/risk-methodology")

	registerDomainOp(s, huma.Operation{
		OperationID: "list-risk-methodologies", Method: http.MethodGet, Path: "/api/risk-methodology/versions", Tags: mtags,
		Summary: "Every methodology version, newest first, without tables",
	}, auth.Viewer, func(ctx context.Context, _ *struct{}) (*methodologyListOutput, error) {
		spaceID := principalOf(ctx).Space.ID
		if _, err := s.app.EnsureMethodology(ctx, spaceID); err != nil {
			return nil, err
		}
		list, err := s.app.Store.Methodologies(ctx, s.app.Store.Reader(), spaceID)
		if err != nil {
			return nil, err
		}
		out := &methodologyListOutput{Body: make([]methodologySummary, len(list))}
		for i, m := range list {
			w := methodologyOut(m)
			out.Body[i] = methodologySummary{Version: m.Methodology.Version, Status: m.Methodology.Status, CreatedAt: m.CreatedAt,
				CreatedBy: m.CreatedBy, ActivatedAt: m.ActivatedAt, ActivatedBy: w.ActivatedBy}
		}
		return out, nil
	})

	registerDomainOp(s, huma.Operation{
		OperationID: "get-risk-methodology-version", Method: http.MethodGet, Path: "/api/risk-methodology/{version}", Tags: mtags,
		Summary: "One methodology version",
	}, auth.Viewer, func(ctx context.Context, in *methodologyVersionInput) (*methodologyOutput, error) {
		spaceID := principalOf(ctx).Space.ID
		if _, err := s.app.EnsureMethodology(ctx, spaceID); err != nil {
			return nil, err
		}
		m, err := s.app.Store.Methodology(ctx, s.app.Store.Reader(), spaceID, in.Version, false)
		if err != nil {
			return nil, err
		}
		return &methodologyOutput{Body: methodologyOut(m)}, nil
	})

	registerDomainOp(s, huma.Operation{
		OperationID: "dry-run-risk-methodology", Method: http.MethodPost, Path: "/api/risk-methodology/{version}/dry-run", Tags: mtags,
		Summary:     "Rate every customer under a methodology version without storing anything",
		Description: "Answers the rating distribution the version would give today's customers, beside the ratings in force. The body is ignored.",
	}, auth.Admin, func(ctx context.Context, in *methodologyVersionInput) (*dryRunOutput, error) {
		res, err := s.app.DryRunMethodology(ctx, principalOf(ctx).Space.ID, in.Version)
		if err != nil {
			return nil, err
		}
		return &dryRunOutput{Body: res}, nil
	})

	registerDomainOp(s, huma.Operation{
		OperationID: "activate-risk-methodology", Method: http.MethodPost, Path: "/api/risk-methodology/{version}/activate", Tags: mtags,
		DefaultStatus: http.StatusAccepted,
		Summary:       "Activate a draft (four eyes) and re-rate every customer with it in a job",
		Description:   "The draft's author may not activate it (403); only a draft can be activated (409). The body is ignored.",
	}, auth.Admin, func(ctx context.Context, in *methodologyVersionInput) (*activationOutput, error) {
		j, err := s.app.ActivateMethodology(ctx, principalOf(ctx), in.Version)
		if err != nil {
			return nil, err
		}
		out := &activationOutput{}
		out.Body.JobID = j.ID
		return out, nil
	})
}
