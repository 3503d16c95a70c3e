// Package jsonlex reads JSON quickly for decoders written by hand where
// encoding/json's reflection costs too much (a customer document decoded a
// million times in a re-scoring, a risk event per row of a list, the body
// of every inline text submission). Such a decoder takes the plain shapes
// it knows and reports anything else, which its caller then decodes with
// encoding/json. AppendString is the way back, for encoders written by
// hand for the same reason (a job envelope, a stored customer assessment).
package jsonlex

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// New returns a Lexer at the start of b.
func New(b []byte) *Lexer { return &Lexer{b: b, ok: true} }

// OK reports whether everything read so far was taken.
func (d *Lexer) OK() bool { return d.ok }

// End reports whether all of b was read and taken, white space aside.
func (d *Lexer) End() bool {
	d.Space()
	return d.ok && d.i == len(d.b)
}

// Lexer reads JSON for the hand-written decoders of hot paths; ok turns
// false at the first thing it does not take, and stays so. It takes only
// what encoding/json decodes to the same result: a string with invalid UTF-8
// (which encoding/json replaces) or an escaped surrogate fails it, and so
// does malformed JSON, so that the caller can fall back to encoding/json
// and its results and errors.
type Lexer struct {
	b  []byte
	i  int
	ok bool
}

func (d *Lexer) Space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// Next skips white space and consumes c if it comes next.
func (d *Lexer) Next(c byte) bool {
	d.Space()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// Literal consumes word (true, false, null) if it comes next.
func (d *Lexer) Literal(word string) bool {
	d.Space()
	if len(d.b)-d.i >= len(word) && string(d.b[d.i:d.i+len(word)]) == word {
		d.i += len(word)
		return true
	}
	return false
}

func (d *Lexer) Null() bool { return d.Literal("null") }

func (d *Lexer) Bool() bool {
	switch {
	case d.Literal("true"):
		return true
	case d.Literal("false"):
		return false
	}
	d.ok = false
	return false
}

// Raw returns the contents of a string, unescaped, as valid UTF-8.
func (d *Lexer) Raw() []byte {
	j, escape := d.scanString()
	switch {
	case !d.ok:
		return nil
	case escape:
		return d.unescape(j)
	}
	return d.valid(d.b[d.i+1:j], j+1)
}

// scanString finds, in the string that comes next, its closing quote or
// its first backslash (escape), whichever comes first; there being no
// string there fails the Lexer.
func (d *Lexer) scanString() (j int, escape bool) {
	d.Space()
	if !d.ok || d.i >= len(d.b) || d.b[d.i] != '"' {
		d.ok = false
		return 0, false
	}
	for j := d.i + 1; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			return j, false
		case c == '\\':
			return j, true
		case c < 0x20:
			d.ok = false
			return 0, false
		}
	}
	d.ok = false
	return 0, false
}

// valid returns s, the contents of a string that ends before next, if it
// is valid UTF-8: encoding/json replaces invalid bytes, which is left to it.
func (d *Lexer) valid(s []byte, next int) []byte {
	if !utf8.Valid(s) {
		d.ok = false
		return nil
	}
	d.i = next
	return s
}

// unescape returns the contents of a string whose first escape is at j.
// json.Marshal escapes quotes, backslashes, control characters, <, >, &
// and U+2028–2029; a \u escape of a surrogate (a character beyond the BMP,
// which json.Marshal writes as itself) is left to encoding/json.
func (d *Lexer) unescape(j int) []byte {
	out := append([]byte(nil), d.b[d.i+1:j]...)
	b := d.b
	for j < len(b) {
		c := b[j]
		switch {
		case c == '"':
			return d.valid(out, j+1)
		case c < 0x20:
			d.ok = false
			return nil
		case c != '\\':
			out = append(out, c)
			j++
			continue
		}
		if j+1 >= len(b) {
			break
		}
		switch e := b[j+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if j+6 > len(b) {
				d.ok = false
				return nil
			}
			r, err := strconv.ParseUint(string(b[j+2:j+6]), 16, 16)
			if err != nil || utf16.IsSurrogate(rune(r)) {
				d.ok = false
				return nil
			}
			out = utf8.AppendRune(out, rune(r))
			j += 6
			continue
		default:
			d.ok = false
			return nil
		}
		j += 2
	}
	d.ok = false
	return nil
}

// Verbatim returns the contents of a string without escapes as they stand
// in the input, which is what encoding/json hands an UnmarshalJSON method
// (a time.Time's, say) between the quotes; a string with an escape fails
// the Lexer, since such a method would not unescape it.
func (d *Lexer) Verbatim() []byte {
	j, escape := d.scanString()
	if !d.ok || escape {
		d.ok = false
		return nil
	}
	s := d.b[d.i+1 : j]
	d.i = j + 1
	return s
}

func (d *Lexer) Str() string { return string(d.Raw()) }

// Strings decodes an array of strings (empty, not nil, for []).
func (d *Lexer) Strings() []string {
	out := []string{}
	d.Array(func() { out = append(out, d.Str()) })
	return out
}

// Array calls elem for each element of an array, which elem consumes.
func (d *Lexer) Array(elem func()) {
	d.members('[', ']', func() bool {
		elem()
		return d.ok
	})
}

// Object calls field for each key of an object; field consumes the value
// and reports whether it took it.
func (d *Lexer) Object(field func(key []byte) bool) {
	d.members('{', '}', func() bool {
		key := d.Raw()
		return d.ok && d.Next(':') && field(key)
	})
}

// KeySet is the keys of one object read so far by a hand-written decoder,
// which numbers the keys it knows from 0 to 31, as bits.
type KeySet uint32

// Take notes key k, whose value comes next, in seen and reports whether the
// decoder is to read that value. It is not for a null, which it consumes
// and which leaves the field as it was, as encoding/json leaves it; nor for
// a key the decoder does not know (k < 0) or a repeat, which encoding/json
// resolves in its own ways, so those fail the Lexer.
func (d *Lexer) Take(seen *KeySet, k int) bool {
	if k < 0 || k > 31 || *seen&(1<<k) != 0 {
		d.ok = false
		return false
	}
	*seen |= 1 << k
	return !d.Null()
}

// members reads the comma-separated members of an array or object between
// open and close, calling member for each; a member that reports false
// ends the read as malformed.
func (d *Lexer) members(open, close byte, member func() bool) {
	if !d.Next(open) {
		d.ok = false
		return
	}
	if d.Next(close) {
		return
	}
	for d.ok {
		if !member() {
			d.ok = false
			return
		}
		if d.Next(',') {
			continue
		}
		if !d.Next(close) {
			d.ok = false
		}
		return
	}
}

// Number returns a JSON number's text: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *Lexer) Number() []byte {
	d.Space()
	b, start := d.b, d.i
	j := start
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && b[j] >= '1' && b[j] <= '9':
		j = digits(b, j)
	default:
		d.ok = false
		return nil
	}
	if j < len(b) && b[j] == '.' {
		if k := digits(b, j+1); k > j+1 {
			j = k
		} else {
			d.ok = false
			return nil
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if k := digits(b, j); k > j {
			j = k
		} else {
			d.ok = false
			return nil
		}
	}
	d.i = j
	return b[start:j]
}

// Integer returns a JSON number that has neither fraction nor exponent,
// which encoding/json refuses for an integer field.
func (d *Lexer) Integer() []byte {
	n := d.Number()
	for _, c := range n {
		if c == '.' || c == 'e' || c == 'E' {
			d.ok = false
			return nil
		}
	}
	return n
}

func digits(b []byte, j int) int {
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	return j
}
