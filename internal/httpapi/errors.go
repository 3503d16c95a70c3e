package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/riskd/riskd/internal/errs"
)

// apiError is the one error envelope every route returns:
// {"error":{"code","message","details"}}.
type apiError struct {
	status int
	Body   errorBody `json:"error"`
}

type errorBody struct {
	Code    errs.Code         `json:"code" doc:"Stable machine-readable code" enum:"invalid_json,validation_failed,unauthorized,forbidden,not_found,conflict,payload_too_large,rate_limit_exceeded,upstream_failed,unavailable,internal"`
	Message string            `json:"message" doc:"Human-readable summary"`
	Details []errs.FieldError `json:"details" doc:"One entry per bad field"`
}

func (e *apiError) Error() string  { return string(e.Body.Code) + ": " + e.Body.Message }
func (e *apiError) GetStatus() int { return e.status }

var statusOf = map[errs.Code]int{
	errs.InvalidJSON:      http.StatusBadRequest,
	errs.ValidationFailed: http.StatusUnprocessableEntity,
	errs.Unauthorized:     http.StatusUnauthorized,
	errs.Forbidden:        http.StatusForbidden,
	errs.NotFound:         http.StatusNotFound,
	errs.Conflict:         http.StatusConflict,
	errs.PayloadTooLarge:  http.StatusRequestEntityTooLarge,
	errs.RateLimited:      http.StatusTooManyRequests,
	errs.UpstreamFailed:   http.StatusBadGateway,
	errs.Unavailable:      http.StatusServiceUnavailable,
	errs.Internal:         http.StatusInternalServerError,
}

var codeOf = map[int]errs.Code{
	http.StatusBadRequest:            errs.InvalidJSON,
	http.StatusUnprocessableEntity:   errs.ValidationFailed,
	http.StatusUnauthorized:          errs.Unauthorized,
	http.StatusForbidden:             errs.Forbidden,
	http.StatusNotFound:              errs.NotFound,
	http.StatusConflict:              errs.Conflict,
	http.StatusRequestEntityTooLarge: errs.PayloadTooLarge,
	http.StatusTooManyRequests:       errs.RateLimited,
	http.StatusBadGateway:            errs.UpstreamFailed,
	http.StatusServiceUnavailable:    errs.Unavailable,
	http.StatusInternalServerError:   errs.Internal,
}

// fromDomain turns a domain error into the envelope. Unclassified errors are
// internal: they are logged with the request id and shown without detail.
func fromDomain(ctx context.Context, err error) *apiError {
	var de *errs.Error
	if errors.As(err, &de) {
		status, ok := statusOf[de.Code]
		if !ok {
			status = http.StatusBadRequest
		}
		if status == http.StatusInternalServerError {
			logInternal(ctx, err)
		}
		return newAPIError(status, de.Code, de.Message, de.Details)
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		logInternal(ctx, err)
		return newAPIError(http.StatusServiceUnavailable, errs.Unavailable, "the request did not finish in time; retry", nil)
	}
	logInternal(ctx, err)
	return internalError()
}

func internalError() *apiError {
	return newAPIError(http.StatusInternalServerError, errs.Internal, "internal error; quote the X-Request-ID header when reporting it", nil)
}

func newAPIError(status int, code errs.Code, msg string, details []errs.FieldError) *apiError {
	if details == nil {
		details = []errs.FieldError{}
	}
	return &apiError{status: status, Body: errorBody{Code: code, Message: msg, Details: details}}
}

func logInternal(ctx context.Context, err error) {
	slog.ErrorContext(ctx, "internal error", "request_id", requestID(ctx), "err", err)
}

// hookHumaErrors makes huma's own errors (bad JSON, schema validation, body
// too large) and handler errors use the envelope.
func hookHumaErrors() {
	huma.NewErrorWithContext = func(hctx huma.Context, status int, msg string, list ...error) huma.StatusError {
		ctx := context.Background()
		if hctx != nil {
			ctx = hctx.Context()
		}
		return humaError(ctx, status, msg, list...)
	}
	huma.NewError = func(status int, msg string, list ...error) huma.StatusError {
		return humaError(context.Background(), status, msg, list...)
	}
}

func humaError(ctx context.Context, status int, msg string, list ...error) huma.StatusError {
	for _, err := range list {
		var de *errs.Error
		var ae *apiError
		if errors.As(err, &de) || errors.As(err, &ae) {
			return fromDomain(ctx, err)
		}
	}
	if status == 0 { // huma asks for an example to describe the schema
		return newAPIError(0, errs.Internal, msg, nil)
	}
	if status >= 500 {
		for _, err := range list {
			logInternal(ctx, err)
		}
		if len(list) == 0 {
			logInternal(ctx, errors.New(msg))
		}
		return internalError()
	}
	code, ok := codeOf[status]
	if !ok {
		code = errs.Code(strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_"))
	}
	var details []errs.FieldError
	for _, err := range list {
		var d *huma.ErrorDetail
		if errors.As(err, &d) {
			details = append(details, errs.FieldError{Field: fieldName(d.Location), Message: d.Message})
		} else if err != nil {
			details = append(details, errs.FieldError{Message: err.Error()})
		}
	}
	switch status {
	case http.StatusBadRequest:
		if msg != "request body is required" {
			msg = "request body is not valid JSON"
		}
	case http.StatusUnprocessableEntity:
		msg = "validation failed"
	case http.StatusRequestEntityTooLarge:
		msg = "request body is too large"
	}
	return newAPIError(status, code, msg, details)
}

// fieldName turns huma's "body.evaluations[0].severity" or "query.limit"
// into the client's own field name.
func fieldName(loc string) string {
	for _, p := range []string{"body.", "query.", "path.", "header."} {
		if strings.HasPrefix(loc, p) {
			return strings.TrimPrefix(loc, p)
		}
	}
	return loc
}

// writeError writes the envelope outside huma (routing, panics, middleware).
func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(e)
}
