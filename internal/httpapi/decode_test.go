package httpapi

import (
	"encoding/json"
	"testing"

	"github.com/riskd/riskd/internal/errs"
)

func TestDecodeBodyNamesTheField(t *testing.T) {
	type evaluation struct {
		Impact int    `json:"impact"`
		Notes  string `json:"notes"`
	}
	type body struct {
		Name        string            `json:"name"`
		Evaluations []evaluation      `json:"evaluations"`
		Tags        []string          `json:"tags"`
		Meta        map[string]string `json:"meta"`
	}
	tests := []struct {
		name, in, field string
	}{
		{"wrong type in an array element", `{"name":"x","evaluations":[{"impact":1},{"notes":"a","impact":"3"}]}`, "evaluations[1].impact"},
		{"wrong type at the top", `{"name":7}`, "name"},
		{"object for a string", `{"tags":["a",{"b":1}]}`, "tags[1]"},
		{"array for an object", `{"evaluations":[[1]]}`, "evaluations[0]"},
		{"NUL in a nested string", `{"evaluations":[{"notes":"ok"},{"notes":"a\u0000b"}]}`, "evaluations[1].notes"},
		{"NUL in a map value", `{"meta":{"k":"\u0000"}}`, "meta.k"},
		{"NUL in a key", `{"meta":{"a\u0000":"v"}}`, "meta.a\x00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v body
			err := decodeBody([]byte(tc.in), &v)
			var e *errs.Error
			if !errs.Is(err, errs.ValidationFailed) || !asErr(err, &e) || len(e.Details) != 1 || e.Details[0].Field != tc.field {
				t.Fatalf("decode %s: %v, want a validation error naming %q", tc.in, err, tc.field)
			}
		})
	}
	// Not NUL: an escaped backslash before "u0000", and other escapes.
	for _, ok := range []string{`{"name":"\\u0000"}`, `{"name":"\u0001\\\\"}`, `{"name":"a\\"}`} {
		var v body
		if err := decodeBody([]byte(ok), &v); err != nil {
			t.Errorf("decode %s: %v", ok, err)
		}
	}
}

func asErr(err error, target **errs.Error) bool {
	e, ok := err.(*errs.Error)
	*target = e
	return ok
}

func FuzzHasNULEscape(f *testing.F) {
	for _, s := range []string{`{"a":"\u0000"}`, `{"a":"\\u0000"}`, `"\\\u0000"`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		want := false
		walkValues(v, func(s string) {
			for i := 0; i < len(s); i++ {
				want = want || s[i] == 0
			}
		})
		if got := hasNULEscape(b); got != want {
			t.Fatalf("hasNULEscape(%q) = %v, want %v", b, got, want)
		}
	})
}

// walkValues calls fn with every string (keys too) in a decoded JSON value.
func walkValues(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case []any:
		for _, e := range x {
			walkValues(e, fn)
		}
	case map[string]any:
		for k, e := range x {
			fn(k)
			walkValues(e, fn)
		}
	}
}
