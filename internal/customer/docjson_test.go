package customer_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/riskd/riskd/internal/customer"
)

// storedDoc is the shape of the store's customer document (store.customerDoc).
type storedDoc struct {
	customer.Customer
	CRPs []storedCRP `json:"crps"`
}

type storedCRP struct {
	ID int64 `json:"id"`
	customer.CRP
}

// sameAsJSON decodes doc both ways: when DecodeDoc takes it, encoding/json
// must take it too and make the same of it. It reports whether DecodeDoc
// took it.
func sameAsJSON(t *testing.T, doc []byte) bool {
	t.Helper()
	c, crps, ids, ok := customer.DecodeDoc(doc)
	if !ok {
		return false
	}
	var want storedDoc
	if err := json.Unmarshal(doc, &want); err != nil {
		t.Fatalf("DecodeDoc took %q, encoding/json refuses it: %v", doc, err)
	}
	got := storedDoc{Customer: c}
	if len(crps) != len(ids) {
		t.Fatalf("%d parties, %d ids", len(crps), len(ids))
	}
	if crps != nil {
		got.CRPs = make([]storedCRP, len(crps))
		for i := range crps {
			got.CRPs[i] = storedCRP{ID: ids[i], CRP: crps[i]}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s\nDecodeDoc:     %+v\nencoding/json: %+v", doc, got, want)
	}
	return true
}

func docOf(t testing.TB, c customer.Customer, crps ...customer.CRP) []byte {
	t.Helper()
	d := storedDoc{Customer: c}
	for i, p := range crps {
		d.CRPs = append(d.CRPs, storedCRP{ID: int64(900 + i), CRP: p})
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeDocTakesWhatTheStoreWrites(t *testing.T) {
	full := lowRisk()
	full.ReferenceID, full.Name, full.Nationality = "C-1", "Ünïcode & <Sons> Ltd", "MY"
	full.Screening = customer.Screening{PEP: true, Sanctions: true, AdverseMedia: true}
	holder := director("VG")
	holder.Role, holder.OwnershipPct, holder.Nationality = customer.Shareholder, 33.333333333333336, "RU"
	holder.Screening.AdverseMedia = true
	for name, doc := range map[string][]byte{
		"every field":                         docOf(t, full, director("SG"), holder),
		"no optional field":                   docOf(t, customer.Customer{Type: customer.Individual, ReferenceID: "r", Name: "n"}),
		"escapes":                             docOf(t, customer.Customer{Name: "\"q\" \\ / \b\f\n\r\t \x00\x1f <&> \u2028\u2029 é 😀"}),
		"escapes json.Marshal does not write": []byte(`{"name":"\/\u00e9\u00E9\u0041","crps":[{"name":"\"\\"}]}`),
		"no parties (null)":                   docOf(t, lowRisk()),
		"no parties ([])":                     []byte(`{"type":"CORPORATE","referenceId":"r","name":"n","screening":{"pep":false},"crps":[]}`),
		"white space, nulls":                  []byte(" {\"name\" : \"n\",\n\t\"ownership_layers\": 0, \"products\": [ ], \"payment_modes\": null, \"screening\": null,\r\n \"crps\": [ {\"id\": -1, \"ownership_pct\": -0.5e+2, \"country\": null} ] } "),
		"zero layers, numbers":                []byte(`{"ownership_layers":0,"crps":[{"id":0,"ownership_pct":0},{"id":12345678901,"ownership_pct":1E2},{"ownership_pct":99.5}]}`),
	} {
		t.Run(name, func(t *testing.T) {
			if !sameAsJSON(t, doc) {
				t.Fatalf("DecodeDoc does not take %s", doc)
			}
		})
	}
}

func TestDecodeDocLeavesTheRestToEncodingJSON(t *testing.T) {
	for _, doc := range []string{
		``, `null`, `[]`, `{`, `{"name":"n"} x`, `{"name":"n",}`, `{"name" "n"}`, `{,}`,
		"{\"name\":\"a\tb\"}", "{\"name\":\"\xff\"}", `{"name":"\ud83d\ude00"}`, `{"name":"\ud800"}`, `{"name":"\x41"}`,
		`{"name":"\u00e"}`, `{"name":"\u+0e9"}`, `{"name":"\u-0e9"}`, `{"name":"a\`, `{"name":"a\"}`, "{\"name\":\"\\\xff\"}",
		`{"Name":"n"}`, `{"nickname":"n"}`, `{"name":"a","name":"b"}`, `{"screening":{"pep":true,"pep":false}}`,
		`{"crps":[{"id":1},{"id":2,"id":3}]}`, `{"crps":[null]}`, `{"crps":{}}`, `{"crps":[{"role":"UBO","ROLE":"x"}]}`,
		`{"ownership_layers":1.0}`, `{"ownership_layers":1e2}`, `{"ownership_layers":"1"}`, `{"ownership_layers":99999999999999999999}`,
		`{"crps":[{"ownership_pct":01}]}`, `{"crps":[{"ownership_pct":1.}]}`, `{"crps":[{"ownership_pct":.5}]}`, `{"crps":[{"ownership_pct":1e}]}`,
		`{"crps":[{"ownership_pct":+1}]}`, `{"crps":[{"ownership_pct":1e999}]}`, `{"crps":[{"id":1.5}]}`, `{"name":1}`,
		`{"payment_modes":["a",1]}`, `{"payment_modes":["a",]}`, `{"screening":{"pep":"true"}}`, `{"screening":{"pep":tru}}`,
	} {
		if sameAsJSON(t, []byte(doc)) {
			t.Errorf("DecodeDoc takes %q", doc)
		}
	}
}

func FuzzDecodeDoc(f *testing.F) {
	f.Add(docOf(f, lowRisk(), director("SG")))
	f.Add([]byte(`{"type":"CORPORATE","name":"n","ownership_layers":3,"payment_modes":["a","b"],"crps":[{"id":7,"ownership_pct":12.5,"screening":{"sanctions":true}}]}`))
	f.Add([]byte(`{"name":"a\"b","crps":null}`))
	f.Fuzz(func(t *testing.T, doc []byte) { sameAsJSON(t, doc) })
}

func BenchmarkDecodeDoc(b *testing.B) {
	doc := docOf(b, lowRisk(), director("SG"), director("MY"))
	b.Run("DecodeDoc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, _, ok := customer.DecodeDoc(doc); !ok {
				b.Fatal("not taken")
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var d storedDoc
			if err := json.Unmarshal(doc, &d); err != nil {
				b.Fatal(err)
			}
		}
	})
}
