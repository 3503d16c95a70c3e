// Package errs defines the error codes every layer of riskd speaks. Domain
// packages return *Error values; httpapi maps each code to an HTTP status once.
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Code is a stable, machine-readable error code shown to API clients.
type Code string

const (
	InvalidJSON      Code = "invalid_json"
	ValidationFailed Code = "validation_failed"
	Unauthorized     Code = "unauthorized"
	Forbidden        Code = "forbidden"
	NotFound         Code = "not_found"
	Conflict         Code = "conflict"
	PayloadTooLarge  Code = "payload_too_large"
	RateLimited      Code = "rate_limit_exceeded"
	// UpstreamFailed: a server riskd called on the client's behalf (a
	// vendor's status page, a feed, EDGAR) failed; the client did nothing
	// wrong and may retry later.
	UpstreamFailed Code = "upstream_failed"
	// Unavailable: the server could not answer now (a request that ran out
	// of time, a database not ready); the client may retry.
	Unavailable Code = "unavailable"
	Internal    Code = "internal"
)

// FieldError names one bad input field, in the client's own spelling
// (for example "evaluations[0].severity").
type FieldError struct {
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Error is a domain error with a code, a human message and field details.
type Error struct {
	Code    Code
	Message string
	Details []FieldError
}

func (e *Error) Error() string {
	if len(e.Details) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	parts := make([]string, len(e.Details))
	for i, d := range e.Details {
		parts[i] = d.Field + ": " + d.Message
	}
	return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, strings.Join(parts, "; "))
}

// E builds an error with a code and a formatted message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf reports a missing resource of the given kind.
func NotFoundf(format string, args ...any) *Error { return E(NotFound, format, args...) }

// Conflictf reports a request that conflicts with the resource's state.
func Conflictf(format string, args ...any) *Error { return E(Conflict, format, args...) }

// Forbiddenf reports a request the principal may not make.
func Forbiddenf(format string, args ...any) *Error { return E(Forbidden, format, args...) }

// Invalid reports a single bad field.
func Invalid(field, message string) *Error {
	return &Error{Code: ValidationFailed, Message: "validation failed", Details: []FieldError{{Field: field, Message: message}}}
}

// CodeOf returns the code of err, or Internal for errors riskd did not
// classify (those are bugs or infrastructure failures, never client mistakes).
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// Fields collects field errors during validation so a client learns about
// every bad field at once instead of one per round trip.
type Fields struct {
	list []FieldError
}

// Add records a bad field.
func (f *Fields) Add(field, format string, args ...any) {
	f.list = append(f.list, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Check records a bad field when ok is false and reports ok.
func (f *Fields) Check(ok bool, field, format string, args ...any) bool {
	if !ok {
		f.Add(field, format, args...)
	}
	return ok
}

// Merge appends the details of a validation error found under prefix.
func (f *Fields) Merge(prefix string, err error) {
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		f.Add(prefix, "%v", err)
		return
	}
	for _, d := range e.Details {
		name := d.Field
		switch {
		case prefix == "":
		case name == "":
			name = prefix
		case strings.HasPrefix(name, "["):
			name = prefix + name
		default:
			name = prefix + "." + name
		}
		f.list = append(f.list, FieldError{Field: name, Message: d.Message})
	}
}

// Empty reports whether no field error was recorded.
func (f *Fields) Empty() bool { return len(f.list) == 0 }

// Err returns a validation_failed error listing every recorded field, or nil.
func (f *Fields) Err() error {
	if len(f.list) == 0 {
		return nil
	}
	return &Error{Code: ValidationFailed, Message: "validation failed", Details: f.list}
}
