package httpapi

import (
	"strings"
	"testing"
)

var analysisBodySeeds = []string{
	`{"content":{"type":"text","text":"We can't provide a provisional credit."},"scenario":"dispute"}`,
	` { "scenario" : "generic" , "content" : { "text" : "a\nb \"q\" \\ \/ \t\u00e9\u20ac" , "type" : "text" } } `,
	`{"content":{"type":"text","text":"caf` + "\u00e9" + ` \u2019"},"scenario":"complaint"}`,
	`{"content":{},"scenario":""}`,
	`{}`,
	// Each of these is left to encoding/json.
	`{"Content":{"type":"text","text":"x"},"scenario":"dispute"}`,
	`{"content":{"type":"text","text":"x"},"scenario":"dispute","extra":1}`,
	`{"content":{"type":"text","text":"x","text":"y"},"scenario":"dispute"}`,
	`{"content":{"type":"text","text":null},"scenario":"dispute"}`,
	`{"content":{"type":"text","text":"\ud83d\ude00"},"scenario":"dispute"}`,
	`{"content":{"type":"text","text":"\u0000"},"scenario":"dispute"}`,
	`{"content":{"type":"text","text":"` + "\xff" + `"},"scenario":"dispute"}`,
	`{"content":{"type":"text","text":"` + "\x01" + `"},"scenario":"dispute"}`,
	`{"content":{"type":"text","text":"\x"},"scenario":"dispute"}`,
	`{"content":{"type":"text","text":"x"},"scenario":"dispute"} {}`,
	`{"content":{"type":"text","text":"x"},"scenario":"dispute",}`,
	`{"content":{"type":"text","text":"x"}"scenario":"dispute"}`,
	`{"content":{"type":"text","text":"unterminated}`,
	`null`,
}

func TestQuickAnalysisBody(t *testing.T) {
	body, ok := quickAnalysisBody([]byte(analysisBodySeeds[1]))
	if !ok || body.Scenario != "generic" || body.Content.Type != "text" || body.Content.Text != "a\nb \"q\" \\ / \t\u00e9\u20ac" {
		t.Fatalf("quickAnalysisBody = %+v, %v", body, ok)
	}
	for _, s := range analysisBodySeeds[5:] {
		if _, ok := quickAnalysisBody([]byte(s)); ok {
			t.Errorf("quickAnalysisBody took %q, which is encoding/json's to decode", s)
		}
	}
	for _, s := range analysisBodySeeds {
		checkQuickAnalysisBody(t, []byte(s))
	}
}

// FuzzQuickAnalysisBody holds the quick decoder to encoding/json: whatever
// it takes, decodeBody takes too, with the same result.
func FuzzQuickAnalysisBody(f *testing.F) {
	for _, s := range analysisBodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkQuickAnalysisBody)
}

func checkQuickAnalysisBody(t *testing.T, b []byte) {
	got, ok := quickAnalysisBody(b)
	if !ok {
		return
	}
	var want analysisBody
	if err := decodeBody(b, &want); err != nil {
		t.Fatalf("quickAnalysisBody took %q, which decodeBody refuses: %v", b, err)
	}
	if got != want {
		t.Fatalf("quickAnalysisBody(%q) = %+v, decodeBody %+v", b, got, want)
	}
}

// jsonDepthBytewise is jsonDepth as it was first written, one byte at a
// time: the reference FuzzJSONDepth holds the faster one to.
func jsonDepthBytewise(b []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

func FuzzJSONDepth(f *testing.F) {
	for _, s := range append(analysisBodySeeds, `{"a":"\\\"[[","b":[["\\\\"]]}`, `["\\`, strings.Repeat(`[`, 70)) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := jsonDepth(b), jsonDepthBytewise(b); got != want {
			t.Fatalf("jsonDepth(%q) = %d, byte by byte %d", b, got, want)
		}
	})
}
