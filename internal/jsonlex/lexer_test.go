package jsonlex

import (
	"encoding/json"
	"testing"
)

// TestLexer reads the forms the decoders use and refuses what encoding/json
// would decode differently. The decoders built on it are fuzzed against
// encoding/json (customer.FuzzDecodeDoc, vendorrisk.FuzzDecodeEvent,
// httpapi.FuzzQuickAnalysisBody).
func TestLexer(t *testing.T) {
	d := New([]byte(` {"s":"a\"\\\/\b\f\n\r\t\u00e9\u2028","n":-1.5e3,"i":42,"t":true,"f":false,"z":null,"l":["x","y"]} `))
	got := map[string]any{}
	d.Object(func(key []byte) bool {
		switch k := string(key); k {
		case "s":
			got[k] = d.Str()
		case "n":
			got[k] = string(d.Number())
		case "i":
			got[k] = string(d.Integer())
		case "t", "f":
			got[k] = d.Bool()
		case "z":
			got[k] = d.Null()
		case "l":
			got[k] = d.Strings()
		default:
			return false
		}
		return d.OK()
	})
	if !d.End() {
		t.Fatalf("not taken; read %v", got)
	}
	var want struct{ S string }
	if err := json.Unmarshal([]byte(`{"S":"a\"\\\/\b\f\n\r\t\u00e9\u2028"}`), &want); err != nil {
		t.Fatal(err)
	}
	if got["s"] != want.S || got["n"] != "-1.5e3" || got["i"] != "42" || got["t"] != true || got["f"] != false || got["z"] != true {
		t.Fatalf("read %#v", got)
	}
	if l, _ := got["l"].([]string); len(l) != 2 || l[0] != "x" || l[1] != "y" {
		t.Fatalf("list = %#v", got["l"])
	}

	for _, in := range []string{
		`"\ud83d\ude00"`, // an escaped surrogate pair: left to encoding/json
		"\"\xff\"",       // invalid UTF-8, which encoding/json replaces
		"\"a\x01\"",      // a raw control character
		`"\x"`,           // an unknown escape
		`"unterminated`,
		`"a" x`, // something after the value
	} {
		d := New([]byte(in))
		d.Str()
		if d.End() {
			t.Errorf("%q was taken", in)
		}
	}
	for _, in := range []string{`1.`, `01`, `-`, `1e`, `.5`} {
		d := New([]byte(in))
		d.Number()
		if d.End() {
			t.Errorf("number %q was taken", in)
		}
	}
	if d := New([]byte(`1.5`)); d.Integer() != nil || d.OK() {
		t.Error("1.5 was taken as an integer")
	}
}

// TestVerbatim: a string without escapes comes back as it stands, and one
// with an escape, which an UnmarshalJSON method would not unescape, is
// refused.
func TestVerbatim(t *testing.T) {
	d := New([]byte(` "2026-01-02T03:04:05Z" `))
	if s := d.Verbatim(); string(s) != "2026-01-02T03:04:05Z" || !d.End() {
		t.Fatalf("Verbatim = %q, end %v", s, d.End())
	}
	for _, in := range []string{`"2026\u002d01"`, `"a\"b"`, "\"a\x01\"", `"unterminated`, `12`, `null`} {
		d := New([]byte(in))
		d.Verbatim()
		if d.End() {
			t.Errorf("%q was taken", in)
		}
	}
}

// TestTake: a known key's value is to be read once; a null is consumed and
// skipped; an unknown or repeated key fails the Lexer.
func TestTake(t *testing.T) {
	keys := map[string]int{"a": 0, "b": 1}
	keyOf := func(key []byte) int {
		if k, ok := keys[string(key)]; ok {
			return k
		}
		return -1
	}
	read := func(in string) (got []string, ok bool) {
		d := New([]byte(in))
		var seen KeySet
		d.Object(func(key []byte) bool {
			if d.Take(&seen, keyOf(key)) {
				got = append(got, d.Str())
			}
			return d.OK()
		})
		return got, d.End()
	}
	if got, ok := read(`{"a":"x","b":null}`); !ok || len(got) != 1 || got[0] != "x" {
		t.Fatalf("read %q, ok %v", got, ok)
	}
	for _, in := range []string{`{"a":"x","a":"y"}`, `{"a":null,"a":"y"}`, `{"c":"x"}`} {
		if _, ok := read(in); ok {
			t.Errorf("%s was taken", in)
		}
	}
}
