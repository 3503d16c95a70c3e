package riskmodel_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/riskmodel"
)

// specTime is the createdOn of the spec's examples.
var specTime = time.Date(2021, 3, 22, 8, 51, 59, 238_000_000, time.UTC)

func readInput(t testing.TB, path string) riskmodel.Input {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var in riskmodel.Input
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatal(err)
	}
	return in
}

// details returns the field → message map of a validation error.
func details(t *testing.T, err error) map[string]string {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != errs.ValidationFailed {
		t.Fatalf("want a validation error, got %v", err)
	}
	m := map[string]string{}
	for _, d := range e.Details {
		if _, dup := m[d.Field]; dup {
			m[d.Field] += "; " + d.Message
			continue
		}
		m[d.Field] = d.Message
	}
	return m
}

// keyOrder lists the top-level keys of a JSON object in document order.
func keyOrder(t *testing.T, doc []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestSpecExampleIsAccepted(t *testing.T) {
	for _, path := range []string{"testdata/spec-create.json", "testdata/spec-entry.json"} {
		t.Run(path, func(t *testing.T) {
			in := readInput(t, path)
			m, err := riskmodel.New(in, specTime, "1")
			if err != nil {
				t.Fatalf("the spec's example was rejected: %v", err)
			}
			if m.Version != 1 || !m.Active || m.NumberOfDimensions != 1 || m.NumberOfScales != 2 {
				t.Fatalf("unexpected model %+v", m)
			}
			if !m.CreatedOn.Equal(specTime) || m.CreatedBy != "1" || !m.UpdatedOn.Equal(specTime) || m.UpdatedBy != "1" {
				t.Fatalf("authorship = %v %s %v %s", m.CreatedOn, m.CreatedBy, m.UpdatedOn, m.UpdatedBy)
			}
		})
	}
}

// The model marshals to the spec's list entry, key for key and in order.
func TestModelJSONMatchesSpec(t *testing.T) {
	m, err := riskmodel.New(readInput(t, "testdata/spec-create.json"), specTime, "1")
	if err != nil {
		t.Fatal(err)
	}
	m.ID = "1"
	got, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/spec-list-entry.json")
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("model JSON differs from the spec:\n got %s\nwant %s", got, want)
	}
	if gk, wk := keyOrder(t, got), keyOrder(t, want); !slices.Equal(gk, wk) {
		t.Fatalf("key order %v; spec %v", gk, wk)
	}
}

func TestVersionJSONMatchesSpec(t *testing.T) {
	m, err := riskmodel.New(readInput(t, "testdata/spec-create.json"), specTime, "1")
	if err != nil {
		t.Fatal(err)
	}
	m.ID, m.VersionID = "2", "1"
	got, err := json.Marshal(m.AsVersion())
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/spec-version.json")
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	_ = json.Unmarshal(got, &g)
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("version JSON differs from the spec:\n got %s\nwant %s", got, want)
	}
	if gk, wk := keyOrder(t, got), keyOrder(t, want); !slices.Equal(gk, wk) {
		t.Fatalf("key order %v; spec %v", gk, wk)
	}
}

func TestNewDefaultsAndNormalisation(t *testing.T) {
	in := readInput(t, "testdata/spec-create.json")
	in.Active = nil
	now := time.Date(2026, 5, 1, 12, 0, 0, 123_456_789, time.FixedZone("CEST", 2*3600))
	m, err := riskmodel.New(in, now, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Active {
		t.Error("active must default to true when absent")
	}
	want := time.Date(2026, 5, 1, 10, 0, 0, 123_000_000, time.UTC)
	if m.CreatedOn != want || m.UpdatedOn != want {
		t.Errorf("times = %v, %v; want UTC milliseconds %v", m.CreatedOn, m.UpdatedOn, want)
	}
	if m.ID == "" || m.VersionID == "" || m.ID == m.VersionID {
		t.Errorf("ids: model %q, version %q", m.ID, m.VersionID)
	}
	inactive := false
	in.Active = &inactive
	if m, _ := riskmodel.New(in, now, "u1"); m.Active {
		t.Error("active false was not kept")
	}
}

// validInput is a two-dimension model with bands that passes validation;
// each negative case breaks one rule of it.
func validInput() riskmodel.Input {
	scales := func() []riskmodel.Scale {
		return []riskmodel.Scale{
			{Value: 1, Name: map[string]string{"en-US": "Low"}},
			{Value: 2, Name: map[string]string{"en-US": "Medium"}},
			{Value: 3, Name: map[string]string{"en-US": "High"}},
		}
	}
	return riskmodel.Input{
		Name:               map[string]string{"en-US": "Model", "nl": "Model", "zh-Hant-TW": "模型"},
		NumberOfDimensions: 2,
		NumberOfScales:     3,
		Dimensions: []riskmodel.Dimension{
			{ID: 1, Name: map[string]string{"en-US": "Severity"}, Scales: scales()},
			{ID: 2, Name: map[string]string{"en-US": "Likelihood"}, Scales: scales()},
		},
		Bands: []riskmodel.Band{
			{Name: map[string]string{"en-US": "Low"}, Min: 1, Color: "#0f0"},
			{Name: map[string]string{"en-US": "High"}, Min: 6, Color: "#C62828"},
		},
	}
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name   string
		change func(*riskmodel.Input)
	}{
		{"as is", func(*riskmodel.Input) {}},
		{"no bands", func(in *riskmodel.Input) { in.Bands = nil }},
		{"first band above 1", func(in *riskmodel.Input) { in.Bands[0].Min = 2 }},
		{"band at the highest score", func(in *riskmodel.Input) { in.Bands[1].Min = 9 }},
		{"scales in any order", func(in *riskmodel.Input) { slices.Reverse(in.Dimensions[0].Scales) }},
		{"one blank locale beside a filled one", func(in *riskmodel.Input) { in.Name["de"] = " " }},
		{"lower-case region", func(in *riskmodel.Input) { in.Name = map[string]string{"en-us": "x"} }},
		{"private-use tag", func(in *riskmodel.Input) { in.Name = map[string]string{"x-internal": "x"} }},
		{"text at the length limit", func(in *riskmodel.Input) {
			in.Description = map[string]string{"en": strings.Repeat("é", riskmodel.MaxTextLength)}
		}},
		{"limits", func(in *riskmodel.Input) {
			in.NumberOfDimensions, in.NumberOfScales = 12, riskmodel.MaxScales // 20^12 < 2^53
			in.Dimensions, in.Bands = nil, nil
			for d := 1; d <= 12; d++ {
				dim := riskmodel.Dimension{ID: d * 10, Name: map[string]string{"en": "d"}}
				for v := 1; v <= riskmodel.MaxScales; v++ {
					dim.Scales = append(dim.Scales, riskmodel.Scale{Value: v, Name: map[string]string{"en": "s"}})
				}
				in.Dimensions = append(in.Dimensions, dim)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.change(&in)
			if err := riskmodel.Validate(in); err != nil {
				t.Fatalf("rejected: %v", err)
			}
		})
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(*riskmodel.Input)
		field  string
		msg    string // a substring of the message
	}{
		{"no name", func(in *riskmodel.Input) { in.Name = nil }, "name", "at least one locale"},
		{"only blank names", func(in *riskmodel.Input) { in.Name = map[string]string{"en": "  "} }, "name", "at least one locale"},
		{"word as locale", func(in *riskmodel.Input) { in.Name["english"] = "x" }, "name.english", "BCP 47"},
		{"POSIX locale", func(in *riskmodel.Input) { in.Name["en_US"] = "x" }, "name.en_US", "BCP 47"},
		{"empty locale", func(in *riskmodel.Input) { in.Description = map[string]string{"": "x"} }, "description.", "BCP 47"},
		{"overlong locale key", func(in *riskmodel.Input) { in.Name[strings.Repeat("a", 65)] = "x" }, "name", "at most 64"},
		{"too many locales", func(in *riskmodel.Input) {
			in.Description = map[string]string{}
			for i := range riskmodel.MaxLocales + 1 {
				in.Description[fmt.Sprintf("x-n%d", i)] = "x"
			}
		}, "description", "at most 50 locales"},
		{"text too long", func(in *riskmodel.Input) {
			in.Description = map[string]string{"en": strings.Repeat("a", riskmodel.MaxTextLength+1)}
		}, "description.en", "at most 2000"},
		{"zero dimensions declared", func(in *riskmodel.Input) { in.NumberOfDimensions = 0 }, "numberOfDimensions", "between 1 and 20"},
		{"too many dimensions declared", func(in *riskmodel.Input) { in.NumberOfDimensions = 21 }, "numberOfDimensions", "between 1 and 20"},
		{"dimension count mismatch", func(in *riskmodel.Input) { in.NumberOfDimensions = 3 }, "numberOfDimensions", "must equal the number of dimensions (2)"},
		{"one scale", func(in *riskmodel.Input) { in.NumberOfScales = 1 }, "numberOfScales", "between 2 and 20"},
		{"too many scales", func(in *riskmodel.Input) { in.NumberOfScales = 21 }, "numberOfScales", "between 2 and 20"},
		{"score beyond 2^53", func(in *riskmodel.Input) { in.NumberOfScales, in.NumberOfDimensions = 20, 13 }, "numberOfDimensions", "at most 12 with 20 scales"},
		{"no dimensions", func(in *riskmodel.Input) { in.Dimensions = nil }, "dimensions", "at least one"},
		{"too many dimensions", func(in *riskmodel.Input) {
			in.Dimensions = make([]riskmodel.Dimension, 21)
		}, "dimensions", "at most 20"},
		{"scale count mismatch", func(in *riskmodel.Input) { in.Dimensions[1].Scales = in.Dimensions[1].Scales[:2] }, "dimensions[1].scales", "must have numberOfScales (3) scales, has 2"},
		{"too many scales listed", func(in *riskmodel.Input) {
			in.Dimensions[0].Scales = make([]riskmodel.Scale, 21)
		}, "dimensions[0].scales", "at most 20"},
		{"scale value 0", func(in *riskmodel.Input) { in.Dimensions[0].Scales[0].Value = 0 }, "dimensions[0].scales[0].value", "between 1 and 3"},
		{"scale value above numberOfScales", func(in *riskmodel.Input) { in.Dimensions[0].Scales[2].Value = 4 }, "dimensions[0].scales[2].value", "between 1 and 3"},
		{"duplicate scale value", func(in *riskmodel.Input) { in.Dimensions[1].Scales[1].Value = 1 }, "dimensions[1].scales[1].value", "duplicate value 1 (also scales[0])"},
		{"scale without name", func(in *riskmodel.Input) { in.Dimensions[0].Scales[1].Name = nil }, "dimensions[0].scales[1].name", "at least one locale"},
		{"scale with bad locale", func(in *riskmodel.Input) {
			in.Dimensions[0].Scales[1].Description = map[string]string{"en_GB": "x"}
		}, "dimensions[0].scales[1].description.en_GB", "BCP 47"},
		{"dimension without name", func(in *riskmodel.Input) { in.Dimensions[1].Name = map[string]string{} }, "dimensions[1].name", "at least one locale"},
		{"dimension id 0", func(in *riskmodel.Input) { in.Dimensions[0].ID = 0 }, "dimensions[0].id", "positive"},
		{"duplicate dimension id", func(in *riskmodel.Input) { in.Dimensions[1].ID = 1 }, "dimensions[1].id", "duplicate id 1 (also dimensions[0])"},
		{"too many bands", func(in *riskmodel.Input) { in.Bands = make([]riskmodel.Band, 21) }, "bands", "at most 20"},
		{"band min 0", func(in *riskmodel.Input) { in.Bands[0].Min = 0 }, "bands[0].min", "at least 1"},
		{"band min above the highest score", func(in *riskmodel.Input) { in.Bands[1].Min = 10 }, "bands[1].min", "at most the highest score 9"},
		{"bands not ascending", func(in *riskmodel.Input) { in.Bands[1].Min = 1 }, "bands[1].min", "greater than bands[0].min (1)"},
		{"band without name", func(in *riskmodel.Input) { in.Bands[0].Name = nil }, "bands[0].name", "at least one locale"},
		{"band color name", func(in *riskmodel.Input) { in.Bands[0].Color = "red" }, "bands[0].color", "hex color"},
		{"band color without #", func(in *riskmodel.Input) { in.Bands[0].Color = "C62828" }, "bands[0].color", "hex color"},
		{"band color of 4 digits", func(in *riskmodel.Input) { in.Bands[0].Color = "#C628" }, "bands[0].color", "hex color"},
		{"band color not hex", func(in *riskmodel.Input) { in.Bands[0].Color = "#GGGGGG" }, "bands[0].color", "hex color"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.change(&in)
			got := details(t, riskmodel.Validate(in))
			msg, ok := got[tt.field]
			if !ok || !strings.Contains(msg, tt.msg) {
				t.Fatalf("want %s: …%s…; got %v", tt.field, tt.msg, got)
			}
		})
	}
}

func TestValidateReportsEveryErrorAtOnce(t *testing.T) {
	in := validInput()
	in.Name = nil
	in.NumberOfScales = 4
	in.Dimensions[0].ID = 2
	in.Dimensions[1].Scales[0].Value = 9
	in.Bands[0].Color = "blue"
	got := details(t, riskmodel.Validate(in))
	for _, field := range []string{"name", "dimensions[0].scales", "dimensions[1].scales", "dimensions[1].id", "dimensions[1].scales[0].value", "bands[0].color"} {
		if _, ok := got[field]; !ok {
			t.Errorf("no error for %s in %v", field, got)
		}
	}
	// The same input always gives the same list, in the same order.
	again := riskmodel.Validate(in)
	if first := riskmodel.Validate(in); first.Error() != again.Error() {
		t.Errorf("error order is not stable:\n%v\n%v", first, again)
	}
}

func TestNewVersion(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v1, err := riskmodel.New(validInput(), created, "alice")
	if err != nil {
		t.Fatal(err)
	}
	before, _ := json.Marshal(v1)

	in := validInput()
	in.Name = map[string]string{"en-US": "Renamed"}
	later := created.Add(48 * time.Hour)
	v2, err := riskmodel.NewVersion(v1, in, later, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if v2.ID != v1.ID || v2.Version != 2 || v2.VersionID == v1.VersionID {
		t.Fatalf("v2 id %s version %d vid %s; v1 id %s vid %s", v2.ID, v2.Version, v2.VersionID, v1.ID, v1.VersionID)
	}
	if v2.CreatedOn != created || v2.CreatedBy != "alice" || v2.UpdatedOn != later || v2.UpdatedBy != "bob" {
		t.Fatalf("authorship %v %s %v %s", v2.CreatedOn, v2.CreatedBy, v2.UpdatedOn, v2.UpdatedBy)
	}
	if v2.Name["en-US"] != "Renamed" {
		t.Fatalf("name %v", v2.Name)
	}
	if after, _ := json.Marshal(v1); !bytes.Equal(before, after) {
		t.Fatal("making a version changed the previous one")
	}

	t.Run("absent active keeps the previous state", func(t *testing.T) {
		off, _ := riskmodel.SetActive(v2, false, later, "bob")
		v3, err := riskmodel.NewVersion(off, validInput(), later, "bob")
		if err != nil || v3.Active || v3.Version != 3 {
			t.Fatalf("v3 active %v version %d err %v", v3.Active, v3.Version, err)
		}
		on := true
		in := validInput()
		in.Active = &on
		v4, _ := riskmodel.NewVersion(v3, in, later, "bob")
		if !v4.Active {
			t.Fatal("active true in the request did not activate")
		}
	})
	t.Run("invalid update", func(t *testing.T) {
		bad := validInput()
		bad.NumberOfScales = 0
		if _, err := riskmodel.NewVersion(v1, bad, later, "bob"); !errs.Is(err, errs.ValidationFailed) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestSetActive(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m, _ := riskmodel.New(validInput(), created, "alice")
	later := created.Add(time.Hour)
	tests := []struct {
		name        string
		from, to    bool
		wantChanged bool
	}{
		{"deactivate", true, false, true},
		{"activate", false, true, true},
		{"activate an active model is a no-op", true, true, false},
		{"deactivate an inactive model is a no-op", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := m
			start.Active = tt.from
			got, changed := riskmodel.SetActive(start, tt.to, later, "bob")
			if changed != tt.wantChanged || got.Active != tt.to || got.Version != m.Version {
				t.Fatalf("got active %v changed %v version %d", got.Active, changed, got.Version)
			}
			wantUpdated := created
			if tt.wantChanged {
				wantUpdated = later
			}
			if got.UpdatedOn != wantUpdated {
				t.Fatalf("updatedOn %v; want %v", got.UpdatedOn, wantUpdated)
			}
		})
	}
}
