package riskmodel_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/riskmodel"
)

func TestProjection(t *testing.T) {
	m, err := riskmodel.New(readInput(t, "testdata/spec-create.json"), specTime, "1")
	if err != nil {
		t.Fatal(err)
	}
	withBands := riskmodel.BuiltinAISystemRisk(specTime, "1")
	all := []string{"id", "version", "name", "description", "createdOn", "createdBy", "updatedOn", "updatedBy",
		"active", "numberOfDimensions", "numberOfScales", "dimensions"}
	tests := []struct {
		name             string
		model            riskmodel.Model
		include, exclude string
		want             []string
	}{
		{"nothing asked: every field", m, "", "", all},
		{"bands appear when the model has them", withBands, "", "", append(slices.Clone(all), "bands")},
		{"include in spec order, id always", m, "numberOfScales,name", "", []string{"id", "name", "numberOfScales"}},
		{"include with spaces and blanks", m, " name , ,active,", "", []string{"id", "name", "active"}},
		{"exclude", m, "", "dimensions,description", []string{"id", "version", "name", "createdOn", "createdBy", "updatedOn", "updatedBy", "active", "numberOfDimensions", "numberOfScales"}},
		{"exclude id is ignored", m, "name", "id", []string{"id", "name"}},
		{"include then exclude", m, "name,version,active", "version", []string{"id", "name", "active"}},
		{"bands asked of a model without them", m, "bands", "", []string{"id"}},
		{"only blanks: every field", m, ",", " ", all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := riskmodel.ParseProjection(tt.include, tt.exclude)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := p.Apply(tt.model)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(raw) {
				t.Fatalf("invalid JSON %s", raw)
			}
			if got := keyOrder(t, raw); !slices.Equal(got, tt.want) {
				t.Fatalf("keys %v; want %v", got, tt.want)
			}
		})
	}
}

func TestProjectionRejectsUnknownFields(t *testing.T) {
	tests := []struct {
		name, include, exclude, field string
	}{
		{"unknown include", "name,colour", "", "includeFields"},
		{"unknown exclude", "", "secret", "excludeFields"},
		{"case matters", "Name", "", "includeFields"},
		{"nested names are not top-level", "dimensions.scales", "", "includeFields"},
		{"version record fields are not model fields", "riskModelId", "", "includeFields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := riskmodel.ParseProjection(tt.include, tt.exclude)
			got := details(t, err)
			if msg, ok := got[tt.field]; !ok || !strings.Contains(msg, "unknown field") {
				t.Fatalf("details %v; want %s", got, tt.field)
			}
		})
	}
}
