package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/riskd/riskd/internal/errs"
)

// Request bodies are decoded here rather than by huma's schema validation:
// the domain packages validate them and name every bad field in the family's
// own spelling, and unknown fields are ignored the way the documented APIs
// ignore them (clients often send back a document they read, with its
// server-owned fields). Handlers take the body as `RawBody []byte` and call
// decodeBody; registerBody documents the real schema in the OpenAPI document.

// decodeBody decodes a JSON body into v. Malformed JSON is 400 invalid_json;
// a value of the wrong type is 422 naming the field.
func decodeBody(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errs.E(errs.InvalidJSON, "request body is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return errs.E(errs.InvalidJSON, "request body has data after the JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "body"
		}
		return errs.Invalid(field, fmt.Sprintf("must be %s, not %s", jsonTypeName(te.Type), te.Value))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return errs.E(errs.InvalidJSON, "request body is not valid JSON: %v (at byte %d)", se, se.Offset)
	}
	return errs.E(errs.InvalidJSON, "request body is not valid JSON: %v", err)
}

func jsonTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return strings.ToLower(t.Kind().String())
}

// registerBody describes T as the JSON request body of an operation that
// reads RawBody, replacing huma's generic "binary" description.
func registerBody[T any](s *Server, method, path string) {
	item := s.api.OpenAPI().Paths[path]
	if item == nil {
		panic("registerBody: no path " + path)
	}
	var op *huma.Operation
	switch method {
	case "POST":
		op = item.Post
	case "PUT":
		op = item.Put
	case "PATCH":
		op = item.Patch
	}
	if op == nil {
		panic("registerBody: no " + method + " " + path)
	}
	t := reflect.TypeFor[T]()
	schema := s.api.OpenAPI().Components.Schemas.Schema(t, true, t.Name())
	op.RequestBody = &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{"application/json": {Schema: schema}}}
}
