package httpapi

import (
	"cmp"
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/usecase"
	"github.com/riskd/riskd/internal/vendorrisk"
)

// Vendors and risk events keep the spec's snake_case names. Lists are bare
// JSON arrays, as the spec's clients expect.

// riskEventListCap bounds a risk event list without a limit; the Link
// header still leads to the rest.
const riskEventListCap = 1000

type vendorBody struct {
	RawBody []byte
}

type vendorURNInput struct {
	URN string `path:"urn" maxLength:"100" doc:"urn:riskd:vendor:<ULID>"`
}

type vendorURNBody struct {
	URN     string `path:"urn" maxLength:"100" doc:"urn:riskd:vendor:<ULID>"`
	RawBody []byte
}

type vendorListInput struct {
	LifecycleStage string `query:"lifecycle_stage" enum:"INITIAL_ASSESSMENT,ONBOARDED" doc:"Only vendors at this stage"`
}

type vendorOutput struct {
	Body vendorrisk.Vendor
}

type vendorListOutput struct {
	Body []vendorrisk.Vendor
}

type sourcePollInput struct {
	URN string `path:"urn" maxLength:"100" doc:"urn:riskd:vendor:<ULID>"`
	ID  int64  `path:"id" doc:"The source's id"`
}

// vendorSource is the wire form of a source. The URL is shown without any
// password it carries: viewers may list sources, and only the fetcher
// needs the secret.
type vendorSource struct {
	ID        int64                 `json:"id"`
	VendorURN string                `json:"vendor_urn"`
	Type      vendorrisk.SourceType `json:"type" enum:"STATUS_PAGE,NEWS,SEC_FILING"`
	URL       string                `json:"url"`
	Keywords  []string              `json:"keywords" doc:"NEWS only. null: the built-in keyword phrases; []: every item of the feed"`
	CreatedAt time.Time             `json:"created_at"`
	// LastPolledAt is the last attempt, successful or not.
	LastPolledAt *time.Time `json:"last_polled_at" doc:"The last poll attempt; null until the first"`
	LastError    *string    `json:"last_error" doc:"Why the last poll failed; null when it succeeded"`
	RetryAt      *time.Time `json:"retry_at" doc:"The upstream asked (429 or 503 with Retry-After) not to be polled before this time"`
}

func sourceWire(src store.VendorSource) vendorSource {
	w := vendorSource{ID: src.ID, VendorURN: src.VendorURN, Type: src.Type, URL: src.URL, Keywords: src.Keywords,
		CreatedAt: src.CreatedAt, LastPolledAt: src.LastPolledAt, RetryAt: src.RetryAt}
	if u, err := url.Parse(src.URL); err == nil {
		w.URL = u.Redacted()
	}
	if src.LastError != "" {
		w.LastError = &src.LastError
	}
	return w
}

type sourceOutput struct {
	Body vendorSource
}

type sourceListOutput struct {
	Body []vendorSource
}

type pollOutput struct {
	Body usecase.PollResult
}

type riskEventURNInput struct {
	URN string `path:"urn" maxLength:"100" doc:"urn:riskd:risk-event:<ULID>"`
}

type riskEventPatchInput struct {
	URN     string `path:"urn" maxLength:"100" doc:"urn:riskd:risk-event:<ULID>"`
	RawBody []byte
}

type riskEventListInput struct {
	VendorURN     string `query:"vendor_urn" maxLength:"100" doc:"Only events of this vendor"`
	RiskThreshold string `query:"risk_threshold" enum:"UNASSIGNED,NONE,LOW,MEDIUM,HIGH,CRITICAL" doc:"Only events at this level or a more severe one"`
	ReviewStatus  string `query:"review_status" enum:"PENDING,VERIFYING,APPLICABLE,NOT_APPLICABLE" doc:"Only events with this review status"`
	SourceType    string `query:"source_type" enum:"STATUS_PAGE,MONITOR,NEWS,SEC_FILING" doc:"Only events from this kind of source"`
	Cursor        string `query:"cursor" maxLength:"100" doc:"Start after this event's URN (the Link header of the previous page carries it)"`
	Limit         int    `query:"limit" minimum:"1" maximum:"1000" doc:"Events per page; without it at most 1000 are returned"`
}

type riskEventOutput struct {
	Body vendorrisk.RiskEventResponse
}

type riskEventListOutput struct {
	Link string `header:"Link" doc:"<…>; rel=\"next\" when more events match"`
	Body []vendorrisk.RiskEventResponse
}

type historyOutput struct {
	Body []vendorrisk.HistoryEntry
}

// parseURN reads a path URN of the given kind. A malformed one names no
// resource, so it is not_found like a well-formed URN that does not exist.
func parseURN(kind, what, s string) (string, error) {
	urn, ok := ids.ParseURN(kind, s)
	if !ok {
		return "", errs.NotFoundf("%s %s not found", what, s)
	}
	return urn, nil
}

func (s *Server) registerVendors() {
	// Poll-now fetches with the poll jobs' fetcher: the same address guard,
	// limits and User-Agent.
	fetcher := s.cfg.Fetcher
	vendorTags := []string{"Vendors"}
	eventTags := []string{"Risk events"}

	register(s, huma.Operation{
		OperationID: "create-vendor", Method: http.MethodPost, Path: "/v1/vendors", Tags: vendorTags, DefaultStatus: http.StatusCreated,
		Summary: "Add a vendor",
	}, auth.Assessor, func(ctx context.Context, in *vendorBody) (*vendorOutput, error) {
		var body vendorrisk.VendorCreate
		if err := decodeBody(in.RawBody, &body); err != nil {
			return nil, err
		}
		v, err := s.app.CreateVendor(ctx, principalOf(ctx), body)
		if err != nil {
			return nil, err
		}
		return &vendorOutput{Body: v}, nil
	})
	registerBody[vendorrisk.VendorCreate](s, http.MethodPost, "/v1/vendors")

	register(s, huma.Operation{
		OperationID: "list-vendors", Method: http.MethodGet, Path: "/v1/vendors", Tags: vendorTags,
		Summary: "List vendors by name, ignoring case",
	}, auth.Viewer, func(ctx context.Context, in *vendorListInput) (*vendorListOutput, error) {
		list, err := s.app.Store.ListVendors(ctx, s.app.Store.Reader(), principalOf(ctx).Space.ID, vendorrisk.LifecycleStage(in.LifecycleStage))
		if err != nil {
			return nil, err
		}
		return &vendorListOutput{Body: list}, nil
	})

	register(s, huma.Operation{
		OperationID: "get-vendor", Method: http.MethodGet, Path: "/v1/vendors/{urn}", Tags: vendorTags,
		Summary: "Get a vendor",
	}, auth.Viewer, func(ctx context.Context, in *vendorURNInput) (*vendorOutput, error) {
		urn, err := parseURN(vendorrisk.VendorKind, "vendor", in.URN)
		if err != nil {
			return nil, err
		}
		v, err := s.app.Store.Vendor(ctx, s.app.Store.Reader(), principalOf(ctx).Space.ID, urn, false)
		if err != nil {
			return nil, err
		}
		return &vendorOutput{Body: v}, nil
	})

	register(s, huma.Operation{
		OperationID: "update-vendor", Method: http.MethodPatch, Path: "/v1/vendors/{urn}", Tags: vendorTags,
		Summary:     "Change some of a vendor's fields",
		Description: "Fields left out or null are unchanged; an empty website clears it; metadata replaces the whole list.",
	}, auth.Assessor, func(ctx context.Context, in *vendorURNBody) (*vendorOutput, error) {
		urn, err := parseURN(vendorrisk.VendorKind, "vendor", in.URN)
		if err != nil {
			return nil, err
		}
		var body vendorrisk.VendorPatch
		if err := decodeBody(in.RawBody, &body); err != nil {
			return nil, err
		}
		v, err := s.app.UpdateVendor(ctx, principalOf(ctx), urn, body)
		if err != nil {
			return nil, err
		}
		return &vendorOutput{Body: v}, nil
	})
	registerBody[vendorrisk.VendorPatch](s, http.MethodPatch, "/v1/vendors/{urn}")

	register(s, huma.Operation{
		OperationID: "create-vendor-source", Method: http.MethodPost, Path: "/v1/vendors/{urn}/sources", Tags: vendorTags,
		DefaultStatus: http.StatusCreated,
		Summary:       "Add an upstream source (status page, news feed or EDGAR submissions) to poll for a vendor's risk events",
	}, auth.Assessor, func(ctx context.Context, in *vendorURNBody) (*sourceOutput, error) {
		urn, err := parseURN(vendorrisk.VendorKind, "vendor", in.URN)
		if err != nil {
			return nil, err
		}
		var body usecase.VendorSourceInput
		if err := decodeBody(in.RawBody, &body); err != nil {
			return nil, err
		}
		src, err := s.app.AddVendorSource(ctx, principalOf(ctx), urn, body)
		if err != nil {
			return nil, err
		}
		return &sourceOutput{Body: sourceWire(src)}, nil
	})
	registerBody[usecase.VendorSourceInput](s, http.MethodPost, "/v1/vendors/{urn}/sources")

	register(s, huma.Operation{
		OperationID: "list-vendor-sources", Method: http.MethodGet, Path: "/v1/vendors/{urn}/sources", Tags: vendorTags,
		Summary: "List a vendor's sources with the outcome of their last poll",
	}, auth.Viewer, func(ctx context.Context, in *vendorURNInput) (*sourceListOutput, error) {
		urn, err := parseURN(vendorrisk.VendorKind, "vendor", in.URN)
		if err != nil {
			return nil, err
		}
		spaceID := principalOf(ctx).Space.ID
		if _, err := s.app.Store.Vendor(ctx, s.app.Store.Reader(), spaceID, urn, false); err != nil {
			return nil, err
		}
		list, err := s.app.Store.VendorSources(ctx, s.app.Store.Reader(), spaceID, urn)
		if err != nil {
			return nil, err
		}
		out := &sourceListOutput{Body: make([]vendorSource, len(list))}
		for i, src := range list {
			out.Body[i] = sourceWire(src)
		}
		return out, nil
	})

	register(s, huma.Operation{
		OperationID: "poll-vendor-source", Method: http.MethodPost, Path: "/v1/vendors/{urn}/sources/{id}/poll", Tags: vendorTags,
		Summary: "Poll a source now",
		Description: "Fetches the source and creates or updates its events, answering {\"created\":n,\"updated\":m}. " +
			"An upstream failure is 502 upstream_failed; an upstream that asks riskd to wait (429 or 503, now or earlier) " +
			"is 429 with its Retry-After. Either is also recorded as the source's last_error.",
		Errors: []int{http.StatusBadGateway},
	}, auth.Assessor, func(ctx context.Context, in *sourcePollInput) (*pollOutput, error) {
		urn, err := parseURN(vendorrisk.VendorKind, "vendor", in.URN)
		if err != nil {
			return nil, err
		}
		res, err := s.app.PollVendorSource(ctx, principalOf(ctx), fetcher, urn, in.ID)
		if err != nil {
			return nil, pollError(err, s.app.Now())
		}
		return &pollOutput{Body: res}, nil
	})

	register(s, huma.Operation{
		OperationID: "create-risk-event", Method: http.MethodPost, Path: "/v1/risk-events", Tags: eventTags, DefaultStatus: http.StatusCreated,
		Summary:     "Raise a risk event about a vendor",
		Description: "The event starts PENDING with risk level UNASSIGNED; a recommendation job fills ai_risk_level_recommendation shortly after.",
	}, auth.Assessor, func(ctx context.Context, in *vendorBody) (*riskEventOutput, error) {
		var body vendorrisk.RiskEventCreate
		if err := decodeBody(in.RawBody, &body); err != nil {
			return nil, err
		}
		ev, err := s.app.CreateRiskEvent(ctx, principalOf(ctx), body)
		if err != nil {
			return nil, err
		}
		return &riskEventOutput{Body: ev}, nil
	})
	registerBody[vendorrisk.RiskEventCreate](s, http.MethodPost, "/v1/risk-events")

	register(s, huma.Operation{
		OperationID: "list-risk-events", Method: http.MethodGet, Path: "/v1/risk-events", Tags: eventTags,
		Summary: "List risk events, oldest first",
		Description: "A bare array. With limit, or when more than 1000 events match without one, the Link header " +
			"(rel=\"next\") gives the next page's URL.",
	}, auth.Viewer, func(ctx context.Context, in *riskEventListInput) (*riskEventListOutput, error) {
		f, err := riskEventFilter(in)
		if err != nil {
			return nil, err
		}
		page := f.Limit
		f.Limit++ // one more tells whether a next page exists
		list, err := s.app.Store.ListRiskEvents(ctx, s.app.Store.Reader(), principalOf(ctx).Space.ID, f)
		if err != nil {
			return nil, err
		}
		out := &riskEventListOutput{Body: list}
		if len(list) > page {
			out.Body = list[:page]
			out.Link = nextLink(in, out.Body[page-1].URN)
		}
		return out, nil
	})

	register(s, huma.Operation{
		OperationID: "get-risk-event", Method: http.MethodGet, Path: "/v1/risk-events/{urn}", Tags: eventTags,
		Summary: "Fetch in-depth information about a single risk event",
	}, auth.Viewer, func(ctx context.Context, in *riskEventURNInput) (*riskEventOutput, error) {
		urn, err := parseURN(vendorrisk.RiskEventKind, "risk event", in.URN)
		if err != nil {
			return nil, err
		}
		ev, err := s.app.Store.RiskEventView(ctx, s.app.Store.Reader(), principalOf(ctx).Space.ID, urn)
		if err != nil {
			return nil, err
		}
		return &riskEventOutput{Body: ev}, nil
	})

	register(s, huma.Operation{
		OperationID: "triage-risk-event", Method: http.MethodPatch, Path: "/v1/risk-events/{urn}", Tags: eventTags,
		Summary:     "Triage a risk event: set its review status or risk level, or add a note",
		Description: "Every change that does something is appended to the event's history.",
	}, auth.Assessor, func(ctx context.Context, in *riskEventPatchInput) (*riskEventOutput, error) {
		urn, err := parseURN(vendorrisk.RiskEventKind, "risk event", in.URN)
		if err != nil {
			return nil, err
		}
		var body vendorrisk.TriagePatch
		if err := decodeBody(in.RawBody, &body); err != nil {
			return nil, err
		}
		ev, err := s.app.TriageRiskEvent(ctx, principalOf(ctx), urn, body)
		if err != nil {
			return nil, err
		}
		return &riskEventOutput{Body: ev}, nil
	})
	registerBody[vendorrisk.TriagePatch](s, http.MethodPatch, "/v1/risk-events/{urn}")

	register(s, huma.Operation{
		OperationID: "list-risk-event-history", Method: http.MethodGet, Path: "/v1/risk-events/{urn}/history", Tags: eventTags,
		Summary: "A risk event's triage changes, oldest first",
	}, auth.Viewer, func(ctx context.Context, in *riskEventURNInput) (*historyOutput, error) {
		urn, err := parseURN(vendorrisk.RiskEventKind, "risk event", in.URN)
		if err != nil {
			return nil, err
		}
		spaceID := principalOf(ctx).Space.ID
		if _, err := s.app.Store.RiskEvent(ctx, s.app.Store.Reader(), spaceID, urn, false); err != nil {
			return nil, err
		}
		list, err := s.app.Store.RiskEventHistory(ctx, s.app.Store.Reader(), spaceID, urn)
		if err != nil {
			return nil, err
		}
		return &historyOutput{Body: list}, nil
	})
}

// riskEventFilter checks the list's query. The enums are checked by their
// schema; the URNs here, naming the parameter.
func riskEventFilter(in *riskEventListInput) (store.RiskEventFilter, error) {
	f := store.RiskEventFilter{
		MinLevel:     vendorrisk.RiskLevel(in.RiskThreshold),
		ReviewStatus: vendorrisk.ReviewStatus(in.ReviewStatus),
		SourceType:   vendorrisk.SourceType(in.SourceType),
		Limit:        cmp.Or(in.Limit, riskEventListCap),
	}
	var fields errs.Fields
	if in.VendorURN != "" {
		urn, ok := ids.ParseURN(vendorrisk.VendorKind, in.VendorURN)
		fields.Check(ok, "vendor_urn", "must be a vendor URN (urn:riskd:vendor:<ULID>)")
		f.VendorURN = urn
	}
	if in.Cursor != "" {
		urn, ok := ids.ParseURN(vendorrisk.RiskEventKind, in.Cursor)
		fields.Check(ok, "cursor", "must be a risk event URN, as given by the Link header")
		f.AfterURN = urn
	}
	return f, fields.Err()
}

// nextLink is the Link header leading to the page after last, with the
// same filters. It is relative, so it holds behind any proxy.
func nextLink(in *riskEventListInput, last string) string {
	q := url.Values{}
	for k, v := range map[string]string{"vendor_urn": in.VendorURN, "risk_threshold": in.RiskThreshold,
		"review_status": in.ReviewStatus, "source_type": in.SourceType} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if in.Limit > 0 {
		q.Set("limit", strconv.Itoa(in.Limit))
	}
	q.Set("cursor", last)
	return "</v1/risk-events?" + q.Encode() + `>; rel="next"`
}

// pollError maps a failed upstream poll: 429 with the upstream's
// Retry-After when it asked riskd to wait, 502 otherwise. Both are the
// upstream's doing, not the client's, and the message says so.
func pollError(err error, now time.Time) error {
	var pe *usecase.PollError
	if !errors.As(err, &pe) {
		return err
	}
	msg := "polling the source failed: " + pe.Err.Error()
	if !pe.Throttled {
		return newAPIError(http.StatusBadGateway, errs.UpstreamFailed, msg, nil)
	}
	e := errs.E(errs.RateLimited, "%s", msg)
	if pe.RetryAt == nil {
		return e
	}
	secs := max(1, int(math.Ceil(pe.RetryAt.Sub(now).Seconds())))
	return huma.ErrorWithHeaders(e, http.Header{"Retry-After": {strconv.Itoa(secs)}})
}
