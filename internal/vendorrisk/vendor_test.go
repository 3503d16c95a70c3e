package vendorrisk_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/vendorrisk"
)

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// badFields returns the field names of a validation error, or fails.
func badFields(t *testing.T, err error) []string {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != errs.ValidationFailed {
		t.Fatalf("want a validation_failed error, got %v", err)
	}
	var out []string
	for _, d := range e.Details {
		out = append(out, d.Field)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func TestNewVendor(t *testing.T) {
	tests := []struct {
		name string
		in   vendorrisk.VendorCreate
		bad  []string // fields named in the error; nil means valid
	}{
		{"minimal", vendorrisk.VendorCreate{Name: "Acme Cloud"}, nil},
		{"full", vendorrisk.VendorCreate{
			Name: "  Acme Cloud  ", Description: "Hosting", LifecycleStage: vendorrisk.StageOnboarded,
			Website: "https://acmecloud.example",
			Metadata: []vendorrisk.Metadata{
				{Name: "Owner", Type: vendorrisk.MetadataText, Value: "Dana"},
				{Name: "Tier", Type: vendorrisk.MetadataSelect, Value: "Critical"},
				{Name: "Data", Type: vendorrisk.MetadataMultiSelect, Value: []any{"PII", "PCI"}},
				{Name: "Regions", Type: vendorrisk.MetadataMultiSelect, Value: []string{}},
			},
		}, nil},
		{"missing name", vendorrisk.VendorCreate{Name: "   "}, []string{"name"}},
		{"long name", vendorrisk.VendorCreate{Name: strings.Repeat("x", 256)}, []string{"name"}},
		{"bad stage", vendorrisk.VendorCreate{Name: "A", LifecycleStage: "RETIRED"}, []string{"lifecycle_stage"}},
		{"ftp website", vendorrisk.VendorCreate{Name: "A", Website: "ftp://acme.example"}, []string{"website"}},
		{"relative website", vendorrisk.VendorCreate{Name: "A", Website: "acme.example"}, []string{"website"}},
		{"text given a list", vendorrisk.VendorCreate{Name: "A", Metadata: []vendorrisk.Metadata{
			{Name: "Owner", Type: vendorrisk.MetadataText, Value: []any{"x"}},
		}}, []string{"metadata[0].value"}},
		{"multi-select given a string", vendorrisk.VendorCreate{Name: "A", Metadata: []vendorrisk.Metadata{
			{Name: "Data", Type: vendorrisk.MetadataMultiSelect, Value: "PII"},
		}}, []string{"metadata[0].value"}},
		{"multi-select with a number", vendorrisk.VendorCreate{Name: "A", Metadata: []vendorrisk.Metadata{
			{Name: "Data", Type: vendorrisk.MetadataMultiSelect, Value: []any{"PII", 3.0}},
		}}, []string{"metadata[0].value"}},
		{"empty and repeated options", vendorrisk.VendorCreate{Name: "A", Metadata: []vendorrisk.Metadata{
			{Name: "Data", Type: vendorrisk.MetadataMultiSelect, Value: []any{"PII", " ", "PII"}},
		}}, []string{"metadata[0].value[1]", "metadata[0].value[2]"}},
		{"empty select", vendorrisk.VendorCreate{Name: "A", Metadata: []vendorrisk.Metadata{
			{Name: "Tier", Type: vendorrisk.MetadataSelect, Value: ""},
		}}, []string{"metadata[0].value"}},
		{"unknown type", vendorrisk.VendorCreate{Name: "A", Metadata: []vendorrisk.Metadata{
			{Name: "Tier", Type: "NUMBER", Value: "1"},
		}}, []string{"metadata[0].type"}},
		{"duplicate names ignoring case", vendorrisk.VendorCreate{Name: "A", Metadata: []vendorrisk.Metadata{
			{Name: "Owner", Type: vendorrisk.MetadataText, Value: "a"},
			{Name: "owner", Type: vendorrisk.MetadataText, Value: "b"},
		}}, []string{"metadata[1].name"}},
		{"every problem at once", vendorrisk.VendorCreate{Name: "", LifecycleStage: "X", Website: "nope"},
			[]string{"name", "lifecycle_stage", "website"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := vendorrisk.NewVendor(tt.in, now)
			if tt.bad != nil {
				if got := badFields(t, err); !slices.Equal(got, tt.bad) {
					t.Fatalf("bad fields %v, want %v", got, tt.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := ids.ParseURN(vendorrisk.VendorKind, v.URN); !ok {
				t.Errorf("URN %q is not a vendor URN", v.URN)
			}
			if v.Name != strings.TrimSpace(tt.in.Name) || !v.CreatedAt.Equal(now) || !v.UpdatedAt.Equal(now) {
				t.Errorf("got %+v", v)
			}
			if tt.in.LifecycleStage == "" && v.LifecycleStage != vendorrisk.StageInitialAssessment {
				t.Errorf("default stage %q, want INITIAL_ASSESSMENT", v.LifecycleStage)
			}
			if v.Metadata == nil {
				t.Error("metadata is nil; it must encode as []")
			}
		})
	}
}

func TestNewVendorNormalisesMetadataValues(t *testing.T) {
	v, err := vendorrisk.NewVendor(vendorrisk.VendorCreate{Name: "A", Metadata: []vendorrisk.Metadata{
		{Name: " Data ", Type: vendorrisk.MetadataMultiSelect, Value: []any{" PII ", "PCI"}},
		{Name: "Tier", Type: vendorrisk.MetadataSelect, Value: " Gold "},
	}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := v.Metadata[0].Value.([]string); !ok || !slices.Equal(got, []string{"PII", "PCI"}) || v.Metadata[0].Name != "Data" {
		t.Errorf("multi-select = %#v", v.Metadata[0])
	}
	if v.Metadata[1].Value != "Gold" {
		t.Errorf("select = %#v", v.Metadata[1].Value)
	}
}

func TestVendorJSONShape(t *testing.T) {
	v, err := vendorrisk.NewVendor(vendorrisk.VendorCreate{Name: "A"}, now)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := []string{"created_at", "description", "lifecycle_stage", "metadata", "name", "updated_at", "urn", "website"}
	if got := sortedKeys(m); !slices.Equal(got, want) {
		t.Fatalf("keys %v, want %v", got, want)
	}
	if _, isList := m["metadata"].([]any); !isList {
		t.Errorf("metadata encodes as %v, want []", m["metadata"])
	}
}

func sortedKeys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestPatchVendor(t *testing.T) {
	base, err := vendorrisk.NewVendor(vendorrisk.VendorCreate{
		Name: "Acme", Website: "https://acme.example",
		Metadata: []vendorrisk.Metadata{{Name: "Data", Type: vendorrisk.MetadataMultiSelect, Value: []any{"PII"}}},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Hour)
	tests := []struct {
		name    string
		patch   vendorrisk.VendorPatch
		bad     []string
		bumped  bool
		inspect func(vendorrisk.Vendor) bool
	}{
		{"empty patch", vendorrisk.VendorPatch{}, nil, false, nil},
		{"same name", vendorrisk.VendorPatch{Name: ptr("Acme")}, nil, false, nil},
		{"same metadata as stored JSON", vendorrisk.VendorPatch{Metadata: &[]vendorrisk.Metadata{
			{Name: "Data", Type: vendorrisk.MetadataMultiSelect, Value: []any{"PII"}},
		}}, nil, false, nil},
		{"rename", vendorrisk.VendorPatch{Name: ptr(" Acme Cloud ")}, nil, true,
			func(v vendorrisk.Vendor) bool { return v.Name == "Acme Cloud" }},
		{"clear website", vendorrisk.VendorPatch{Website: ptr("")}, nil, true,
			func(v vendorrisk.Vendor) bool { return v.Website == "" }},
		{"onboard", vendorrisk.VendorPatch{LifecycleStage: ptr(vendorrisk.StageOnboarded)}, nil, true,
			func(v vendorrisk.Vendor) bool { return v.LifecycleStage == vendorrisk.StageOnboarded }},
		{"replace metadata", vendorrisk.VendorPatch{Metadata: &[]vendorrisk.Metadata{}}, nil, true,
			func(v vendorrisk.Vendor) bool { return len(v.Metadata) == 0 }},
		{"empty name", vendorrisk.VendorPatch{Name: ptr("")}, []string{"name"}, false, nil},
		{"bad stage and website", vendorrisk.VendorPatch{LifecycleStage: ptr(vendorrisk.LifecycleStage("GONE")), Website: ptr("mailto:x@y")},
			[]string{"lifecycle_stage", "website"}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := vendorrisk.PatchVendor(base, tt.patch, later)
			if tt.bad != nil {
				if f := badFields(t, err); !slices.Equal(f, tt.bad) {
					t.Fatalf("bad fields %v, want %v", f, tt.bad)
				}
				if got.Name != base.Name || !got.UpdatedAt.Equal(base.UpdatedAt) {
					t.Fatal("a refused patch changed the vendor")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if bumped := got.UpdatedAt.Equal(later); bumped != tt.bumped {
				t.Errorf("updated_at moved = %v, want %v", bumped, tt.bumped)
			}
			if tt.inspect != nil && !tt.inspect(got) {
				t.Errorf("patched vendor %+v", got)
			}
			if got.URN != base.URN || !got.CreatedAt.Equal(base.CreatedAt) {
				t.Error("patch changed identity fields")
			}
		})
	}
}

func TestSortByName(t *testing.T) {
	vs := []vendorrisk.Vendor{
		{Name: "beta", URN: "2"}, {Name: "Alpha", URN: "1"}, {Name: "alpha", URN: "3"},
		{Name: "Beta", URN: "4"}, {Name: "alpha", URN: "0"}, {Name: "Ärzte", URN: "5"},
	}
	vendorrisk.SortByName(vs)
	var got []string
	for _, v := range vs {
		got = append(got, v.Name+"/"+v.URN)
	}
	want := []string{"Alpha/1", "alpha/0", "alpha/3", "Beta/4", "beta/2", "Ärzte/5"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
