package riskmodel

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"github.com/riskd/riskd/internal/errs"
)

// fieldNames are Model's top-level JSON names in wire order, read from its
// tags so the projection cannot drift from the type.
var fieldNames = jsonNames(reflect.TypeFor[Model]())

func jsonNames(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

// Projection selects the top-level fields a list shows, from the
// includeFields and excludeFields query parameters.
type Projection struct {
	keep map[string]bool // nil: every field
}

// ParseProjection reads comma-separated top-level field names. include
// limits the fields to those named; exclude then removes fields. Both may
// be given. id is always shown, so a client can always tell entries apart.
// Blank names (as in "id,,name" or a trailing comma) are ignored; unknown
// names are a validation error naming the parameter.
func ParseProjection(include, exclude string) (Projection, error) {
	var f errs.Fields
	inc := splitFields(&f, "includeFields", include)
	exc := splitFields(&f, "excludeFields", exclude)
	if err := f.Err(); err != nil {
		return Projection{}, err
	}
	if len(inc) == 0 && len(exc) == 0 {
		return Projection{}, nil
	}
	keep := map[string]bool{}
	for _, n := range fieldNames {
		keep[n] = len(inc) == 0 || slices.Contains(inc, n)
	}
	for _, n := range exc {
		keep[n] = false
	}
	keep["id"] = true
	return Projection{keep: keep}, nil
}

func splitFields(f *errs.Fields, param, list string) []string {
	var names []string
	for n := range strings.SplitSeq(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if !slices.Contains(fieldNames, n) {
			f.Add(param, "unknown field %q; fields are %s", n, strings.Join(fieldNames, ", "))
			continue
		}
		names = append(names, n)
	}
	return names
}

// Apply renders m with the selected fields, keys in the spec's order.
func (p Projection) Apply(m Model) (json.RawMessage, error) {
	full, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return p.ApplyJSON(full)
}

// ApplyJSON projects a model already in its JSON form (as stored), so a
// list need not decode and re-encode every model.
func (p Projection) ApplyJSON(full json.RawMessage) (json.RawMessage, error) {
	if p.keep == nil {
		return full, nil
	}
	var byName map[string]json.RawMessage
	if err := json.Unmarshal(full, &byName); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for _, n := range fieldNames {
		v, present := byName[n] // omitempty fields may be absent
		if !p.keep[n] || !present {
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		// Field names are plain ASCII identifiers: no escaping needed.
		b.WriteString(`"` + n + `":`)
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
