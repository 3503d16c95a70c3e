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
		return jsonError(body, err)
	}
	if dec.More() {
		return errs.E(errs.InvalidJSON, "request body has data after the JSON value")
	}
	// PostgreSQL's text cannot hold NUL, and no field means one: refuse
	// it here, naming the field, rather than fail in the database.
	if hasNULEscape(body) {
		field := "body"
		if p, ok := nulPath(body); ok {
			field = p
		}
		return errs.Invalid(field, `must not contain the NUL character (\u0000)`)
	}
	return nil
}

func jsonError(body []byte, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		// encoding/json names the field without array indices
		// ("evaluations.impact"); the offset finds the exact one.
		field, ok := pathAt(body, te.Offset)
		if !ok || field == "" {
			field = te.Field
		}
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

// hasNULEscape reports whether a valid JSON text has a \u0000 escape, the
// only way NUL can appear in one (a raw NUL byte is not valid JSON).
func hasNULEscape(b []byte) bool {
	for i := 0; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], '\\')
		if j < 0 {
			return false
		}
		i += j
		if i+5 < len(b) && b[i+1] == 'u' && string(b[i+2:i+6]) == "0000" {
			return true
		}
		i++ // the escaped character: \\ is one backslash, not an escape
	}
	return false
}

// jsonFrame is an object or array being read by walk.
type jsonFrame struct {
	array   bool
	index   int    // arrays: the current element
	key     string // objects: the current member
	needKey bool
}

func framesPath(stack []*jsonFrame) string {
	var sb strings.Builder
	for _, f := range stack {
		if f.array {
			fmt.Fprintf(&sb, "[%d]", f.index)
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(f.key)
	}
	return sb.String()
}

// walk reads a JSON text token by token and calls visit with each value's
// path ("evaluations[0].impact"), the value's token (a Delim for objects
// and arrays) and the input offset just after it; visit returns true to
// stop. Object keys are visited too, with isKey set.
func walk(body []byte, visit func(path string, tok json.Token, isKey bool, end int64) bool) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	var stack []*jsonFrame
	done := func() { // a value of the innermost container is complete
		if n := len(stack); n > 0 {
			if top := stack[n-1]; top.array {
				top.index++
			} else {
				top.needKey = true
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *jsonFrame
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if visit(framesPath(stack), tok, false, dec.InputOffset()) {
					return true
				}
				stack = append(stack, &jsonFrame{array: d == '[', needKey: d == '{'})
			default:
				stack = stack[:len(stack)-1]
				done()
			}
			continue
		}
		if top != nil && !top.array && top.needKey {
			top.key, top.needKey = tok.(string), false
			if visit(framesPath(stack), tok, true, dec.InputOffset()) {
				return true
			}
			continue
		}
		if visit(framesPath(stack), tok, false, dec.InputOffset()) {
			return true
		}
		done()
	}
}

// pathAt names the value that ends at offset: where encoding/json reports
// a value of the wrong type.
func pathAt(body []byte, offset int64) (string, bool) {
	var found string
	ok := walk(body, func(path string, _ json.Token, isKey bool, end int64) bool {
		if !isKey && end >= offset {
			found = path
			return true
		}
		return false
	})
	return found, ok
}

// nulPath names the first value or key that contains NUL.
func nulPath(body []byte) (string, bool) {
	var found string
	ok := walk(body, func(path string, tok json.Token, _ bool, _ int64) bool {
		if s, isStr := tok.(string); isStr && strings.IndexByte(s, 0) >= 0 {
			found = path
			return true
		}
		return false
	})
	return found, ok
}
