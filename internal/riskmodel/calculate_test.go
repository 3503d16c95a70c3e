package riskmodel_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/riskmodel"
)

var now = time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)

func TestCalculate(t *testing.T) {
	builtin := riskmodel.BuiltinAISystemRisk(now, "system")
	spec, err := riskmodel.New(readInput(t, "testdata/spec-create.json"), now, "1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		model    riskmodel.Model
		values   []int
		score    int
		maxScore int
		formula  string
		band     string // English band name; "" for none
	}{
		{"spec example", builtin, []int{2, 3, 4}, 24, 125, "2 × 3 × 4 = 24", "Minimal"},
		{"lowest", builtin, []int{1, 1, 1}, 1, 125, "1 × 1 × 1 = 1", "Minimal"},
		{"30 is minimal (24)", builtin, []int{2, 3, 5}, 30, 125, "2 × 3 × 5 = 30", "Minimal"},
		{"32 is limited (25.6)", builtin, []int{2, 4, 4}, 32, 125, "2 × 4 × 4 = 32", "Limited"},
		{"60 is limited (48)", builtin, []int{3, 4, 5}, 60, 125, "3 × 4 × 5 = 60", "Limited"},
		{"64 is high (51.2)", builtin, []int{4, 4, 4}, 64, 125, "4 × 4 × 4 = 64", "High"},
		{"80 is high (64)", builtin, []int{4, 4, 5}, 80, 125, "4 × 4 × 5 = 80", "High"},
		{"100 is unacceptable (80)", builtin, []int{4, 5, 5}, 100, 125, "4 × 5 × 5 = 100", "Unacceptable"},
		{"highest", builtin, []int{5, 5, 5}, 125, 125, "5 × 5 × 5 = 125", "Unacceptable"},
		{"model without bands", spec, []int{2}, 2, 2, "2 = 2", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := riskmodel.Calculate(tt.model, tt.values)
			if err != nil {
				t.Fatal(err)
			}
			if c.Score != tt.score || c.MaxScore != tt.maxScore || c.Formula != tt.formula || c.Version != tt.model.Version {
				t.Fatalf("got %+v", c)
			}
			switch {
			case tt.band == "" && c.Band != nil:
				t.Fatalf("band %v; want none", c.Band.Name)
			case tt.band != "" && (c.Band == nil || c.Band.Name["en-US"] != tt.band):
				t.Fatalf("band %v; want %s", c.Band, tt.band)
			}
		})
	}
}

func TestCalculateBandBelowFirst(t *testing.T) {
	in := validInput()
	in.Bands[0].Min = 3
	m, err := riskmodel.New(in, now, "u")
	if err != nil {
		t.Fatal(err)
	}
	c, err := riskmodel.Calculate(m, []int{1, 2})
	if err != nil || c.Band != nil {
		t.Fatalf("score 2 under a first band at 3: band %v, err %v", c.Band, err)
	}
	b, _ := json.Marshal(c)
	if want := `{"score":2,"maxScore":9,"version":1,"formula":"1 × 2 = 2","band":null}`; string(b) != want {
		t.Fatalf("JSON %s; want %s", b, want)
	}
	c, _ = riskmodel.Calculate(m, []int{3, 1})
	b, _ = json.Marshal(c)
	if want := `{"score":3,"maxScore":9,"version":1,"formula":"3 × 1 = 3","band":{"name":{"en-US":"Low"},"min":3,"color":"#0f0"}}`; string(b) != want {
		t.Fatalf("JSON %s; want %s", b, want)
	}
}

func TestCalculateRejects(t *testing.T) {
	builtin := riskmodel.BuiltinAISystemRisk(now, "system")
	inactive, _ := riskmodel.SetActive(builtin, false, now, "system")
	tests := []struct {
		name   string
		model  riskmodel.Model
		values []int
		code   errs.Code
		fields []string
	}{
		{"no values", builtin, nil, errs.ValidationFailed, []string{"values"}},
		{"too few", builtin, []int{2, 3}, errs.ValidationFailed, []string{"values"}},
		{"too many", builtin, []int{2, 3, 4, 5}, errs.ValidationFailed, []string{"values"}},
		{"zero", builtin, []int{2, 0, 4}, errs.ValidationFailed, []string{"values[1]"}},
		{"above numberOfScales", builtin, []int{2, 3, 6}, errs.ValidationFailed, []string{"values[2]"}},
		{"negative", builtin, []int{-1, 3, 4}, errs.ValidationFailed, []string{"values[0]"}},
		{"every bad value at once", builtin, []int{0, 9, 4}, errs.ValidationFailed, []string{"values[0]", "values[1]"}},
		{"inactive model", inactive, []int{2, 3, 4}, errs.Conflict, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := riskmodel.Calculate(tt.model, tt.values)
			if !errs.Is(err, tt.code) {
				t.Fatalf("err = %v; want %s", err, tt.code)
			}
			if tt.fields == nil {
				return
			}
			got := details(t, err)
			if len(got) != len(tt.fields) {
				t.Fatalf("fields %v; want %v", got, tt.fields)
			}
			for _, f := range tt.fields {
				if _, ok := got[f]; !ok {
					t.Fatalf("fields %v; want %v", got, tt.fields)
				}
			}
		})
	}
}

func BenchmarkCalculate(b *testing.B) {
	m := riskmodel.BuiltinAISystemRisk(now, "system")
	values := []int{2, 3, 4}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := riskmodel.Calculate(m, values); err != nil {
			b.Fatal(err)
		}
	}
}
