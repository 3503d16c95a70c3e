package vendorrisk_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/vendorrisk"
)

// sameAsJSON decodes doc both ways: when DecodeEvent takes it,
// encoding/json must take it too and make the same of it. It reports
// whether DecodeEvent took it.
func sameAsJSON(t *testing.T, doc []byte) bool {
	t.Helper()
	got, ok := vendorrisk.DecodeEvent(doc)
	if !ok {
		return false
	}
	var want vendorrisk.RiskEvent
	if err := json.Unmarshal(doc, &want); err != nil {
		t.Fatalf("DecodeEvent took %q, encoding/json refuses it: %v", doc, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s\nDecodeEvent:   %+v\nencoding/json: %+v", doc, got, want)
	}
	return true
}

// fullEvent has every field set, as the store writes an event that a
// connector created and the recommender assessed.
func fullEvent() vendorrisk.RiskEvent {
	at := time.Date(2026, 11, 30, 9, 8, 7, 123456789, time.UTC)
	sig := []vendorrisk.Signal{
		{Kind: vendorrisk.SignalStatuspageImpact, Value: "major", Level: "HIGH", Category: vendorrisk.CategoryAvailability},
		{Kind: vendorrisk.SignalKeyword, Value: "data breach", Level: "CRITICAL", Category: vendorrisk.CategorySecurity, Rule: "vendor-breach"},
	}
	return vendorrisk.RiskEvent{
		URN: "urn:riskd:risk-event:1", VendorURN: "urn:riskd:vendor:2", Name: "Ünïcode <outage> & \"quotes\"",
		Description: "line\nbreak\ttab \u2028 😀", SourceType: vendorrisk.SourceStatusPage, URL: "https://status.example/i/1?a=1&b=2",
		CategoryTags: []string{"availability", "security"}, ReviewStatus: vendorrisk.StatusVerifying, RiskLevel: "HIGH",
		LevelFromRecommendation: true,
		Recommendation:          &vendorrisk.Recommendation{Level: "CRITICAL", Explanation: "A breach: CRITICAL.", Signals: sig},
		ExternalID:              "statuspage:abc", Fingerprint: "f00d", Signals: sig,
		CreatedAt: at, UpdatedAt: at.Add(90 * time.Minute).In(time.FixedZone("", 5*3600+1800)),
	}
}

func marshal(t testing.TB, e vendorrisk.RiskEvent) []byte {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeEventTakesWhatTheStoreWrites(t *testing.T) {
	for name, doc := range map[string][]byte{
		"every field":                         marshal(t, fullEvent()),
		"no optional field":                   marshal(t, vendorrisk.RiskEvent{URN: "u", Name: "n", CategoryTags: []string{}}),
		"zero event":                          marshal(t, vendorrisk.RiskEvent{}),
		"escapes json.Marshal does not write": []byte(`{"name":"\/\u00e9\u00E9\u0041","category_tags":["\"\\"]}`),
		"white space, nulls, empty arrays": []byte(" {\"name\" : \"n\",\n\t\"category_tags\": [ ], \"signals\": null, \"recommendation\": null,\r\n" +
			" \"created_at\": null, \"level_from_recommendation\": false, \"url\": null} "),
		"recommendation without signals, null signal": []byte(`{"recommendation":{"level":"LOW","explanation":"e","signals":[]},"signals":[null,{"kind":"keyword","rule":null}]}`),
		"times with offsets":                          []byte(`{"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05.5-07:30"}`),
	} {
		t.Run(name, func(t *testing.T) {
			if !sameAsJSON(t, doc) {
				t.Fatalf("DecodeEvent does not take %s", doc)
			}
		})
	}
}

func TestDecodeEventLeavesTheRestToEncodingJSON(t *testing.T) {
	for _, doc := range []string{
		``, `null`, `[]`, `{`, `{"name":"n"} x`, `{"name":"n",}`, `{"name" "n"}`, `{,}`,
		"{\"name\":\"a\tb\"}", "{\"name\":\"\xff\"}", `{"name":"\ud83d\ude00"}`, `{"name":"\ud800"}`,
		`{"Name":"n"}`, `{"nickname":"n"}`, `{"name":"a","name":"b"}`, `{"recommendation":{"level":"LOW","level":"HIGH"}}`,
		`{"signals":[{"kind":"a","KIND":"b"}]}`, `{"signals":{}}`, `{"recommendation":[]}`, `{"recommendation":"x"}`,
		`{"name":1}`, `{"category_tags":["a",1]}`, `{"level_from_recommendation":"true"}`, `{"level_from_recommendation":1}`,
		`{"created_at":"2026-01-02T03:04:05\u005a"}`, `{"created_at":"2026-01-02"}`, `{"created_at":1}`, `{"created_at":"2026-01-02T03:04:05z"}`,
		`{"updated_at":"\u0032026-01-02T03:04:05Z"}`, `{"signals":[{"value":"v"},]}`,
	} {
		if sameAsJSON(t, []byte(doc)) {
			t.Errorf("DecodeEvent takes %q", doc)
		}
	}
}

func FuzzDecodeEvent(f *testing.F) {
	f.Add(marshal(f, fullEvent()))
	f.Add([]byte(`{"urn":"u","signals":[{"kind":"keyword","value":"v"}],"recommendation":{"level":"LOW"},"created_at":"2026-01-02T03:04:05Z"}`))
	f.Add([]byte(`{"name":"a\"b","category_tags":null}`))
	f.Fuzz(func(t *testing.T, doc []byte) { sameAsJSON(t, doc) })
}

func BenchmarkDecodeEvent(b *testing.B) {
	doc := marshal(b, fullEvent())
	b.Run("DecodeEvent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := vendorrisk.DecodeEvent(doc); !ok {
				b.Fatal("not taken")
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var e vendorrisk.RiskEvent
			if err := json.Unmarshal(doc, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
}
