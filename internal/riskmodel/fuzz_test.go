package riskmodel_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/riskmodel"
)

// FuzzModelJSON decodes and validates arbitrary request bodies. It must never
// panic; a model it accepts must survive a round trip through its own JSON,
// calculate at its lowest and highest scores, and project.
func FuzzModelJSON(f *testing.F) {
	for _, path := range []string{"testdata/spec-create.json", "testdata/spec-entry.json"} {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	builtin, _ := json.Marshal(riskmodel.BuiltinAISystemRisk(now, "system"))
	f.Add(builtin)
	f.Add([]byte(`{"name":{"en_US":"x"},"numberOfDimensions":99999999999,"numberOfScales":-1,"dimensions":[{"id":1,"scales":[{"value":0}]}]}`))
	f.Add([]byte(`{"name":{"en":"x"},"numberOfDimensions":1,"numberOfScales":2,"dimensions":[{"id":1,"name":{"en":"d"},"scales":[{"value":1,"name":{"en":"a"}},{"value":2,"name":{"en":"b"}}]}],"bands":[{"name":{"en":"b"},"min":2,"color":"#abc"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var in riskmodel.Input
		if json.Unmarshal(body, &in) != nil {
			return
		}
		m, err := riskmodel.New(in, now, "fuzz")
		if err != nil {
			if !errs.Is(err, errs.ValidationFailed) {
				t.Fatalf("New failed without a validation error: %v", err)
			}
			return
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var again riskmodel.Input
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatal(err)
		}
		if err := riskmodel.Validate(again); err != nil {
			t.Fatalf("an accepted model does not validate after a round trip: %v\n%s", err, out)
		}
		low, high := make([]int, m.NumberOfDimensions), make([]int, m.NumberOfDimensions)
		for i := range low {
			low[i], high[i] = 1, m.NumberOfScales
		}
		c, err := riskmodel.Calculate(m, high)
		if err != nil || c.Score != c.MaxScore {
			t.Fatalf("highest values: %+v, %v", c, err)
		}
		if c, err = riskmodel.Calculate(m, low); err != nil || c.Score != 1 {
			t.Fatalf("lowest values: %+v, %v", c, err)
		}
		p, err := riskmodel.ParseProjection("name,bands", "")
		if err != nil {
			t.Fatal(err)
		}
		if raw, err := p.Apply(m); err != nil || !json.Valid(raw) {
			t.Fatalf("projection: %s, %v", raw, err)
		}
	})
}
