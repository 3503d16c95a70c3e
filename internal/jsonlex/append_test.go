package jsonlex_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/jsonlex"
)

// encodingJSON is what AppendString must match: an Encoder without HTML
// escaping, as huma answers with, less its trailing newline.
func encodingJSON(t testing.TB, s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		"", "plain", `quote " and backslash \`, "<b>&amp;</b>", "tab\tnew\nline\rcr\bbs\fff",
		"\x00\x01\x1f\x7f", "é, ü, 日本, 🙂", "line\u2028sep\u2029para", "bad \xff byte", "cut \xe2\x80",
		"\xed\xa0\x80 surrogate", strings.Repeat("a\"", 40),
	}
	for c := 0; c < 256; c++ {
		cases = append(cases, "x"+string(rune(c))+"y", "x"+string([]byte{byte(c)})+"y")
	}
	for _, s := range cases {
		if got, want := string(jsonlex.AppendString([]byte("pre"), s)), "pre"+encodingJSON(t, s); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("a\u2028\"\\\x01\xff")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(jsonlex.AppendString(nil, s)), encodingJSON(t, s); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	})
}
