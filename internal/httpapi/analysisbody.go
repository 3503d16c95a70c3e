package httpapi

import (
	"bytes"
	"unicode/utf8"
)

// quickAnalysisBody decodes the body of an analysis request when it has
// the plain shape clients send, {"content":{"type":…,"text":…},"scenario":…}
// with string values, each key once and in lower case. It reports false
// for anything else, valid or not, and the caller decodes that with
// encoding/json (decodeBody), whose results and errors stand.
//
// encoding/json reads a body twice (once to validate it, once to decode
// it) at about a tenth of the engine's speed per byte: for a 1 KiB text
// that was a tenth of an inline submission's CPU. This reads it once.
func quickAnalysisBody(b []byte) (body analysisBody, ok bool) {
	d := quickDecoder{b: b}
	var seenContent, seenScenario bool
	ok = d.object(func(key []byte) bool {
		switch {
		case string(key) == "content" && !seenContent:
			seenContent = true
			var seenType, seenText bool
			return d.object(func(key []byte) bool {
				switch {
				case string(key) == "type" && !seenType:
					seenType = true
					return d.str(&body.Content.Type)
				case string(key) == "text" && !seenText:
					seenText = true
					return d.str(&body.Content.Text)
				}
				return false
			})
		case string(key) == "scenario" && !seenScenario:
			seenScenario = true
			return d.str(&body.Scenario)
		}
		return false
	})
	d.space()
	return body, ok && d.i == len(b)
}

// quickDecoder reads the few JSON forms quickAnalysisBody accepts.
type quickDecoder struct {
	b []byte
	i int
}

func (d *quickDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *quickDecoder) eat(c byte) bool {
	d.space()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// object reads an object whose members member reads: it is called with
// each key and reads the value.
func (d *quickDecoder) object(member func(key []byte) bool) bool {
	if !d.eat('{') {
		return false
	}
	if d.eat('}') {
		return true
	}
	for {
		d.space()
		key, ok := d.raw()
		if !ok || !d.eat(':') {
			return false
		}
		d.space()
		if !member(key) {
			return false
		}
		if d.eat('}') {
			return true
		}
		if !d.eat(',') {
			return false
		}
	}
}

// raw reads a string without escapes, as keys are, and returns its bytes.
func (d *quickDecoder) raw() ([]byte, bool) {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return nil, false
	}
	n := bytes.IndexByte(d.b[d.i+1:], '"')
	if n < 0 {
		return nil, false
	}
	s := d.b[d.i+1 : d.i+1+n]
	for _, c := range s {
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return nil, false
		}
	}
	d.i += n + 2
	return s, true
}

// str reads a string value into v. It gives up (false) on what
// encoding/json would reject or rewrite: control characters, invalid
// UTF-8 (replaced by U+FFFD there), unknown escapes, and \u escapes of
// surrogates or NUL (which decodeBody refuses with its own message).
func (d *quickDecoder) str(v *string) bool {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return false
	}
	start := d.i + 1
	var out []byte // nil until the first escape
	from := start  // start of the stretch not yet copied to out
	for j := start; j < len(d.b); {
		c := d.b[j]
		switch {
		case c == '"':
			seg := d.b[from:j]
			if !utf8.Valid(seg) {
				return false
			}
			if out == nil {
				*v = string(seg)
			} else {
				*v = string(append(out, seg...))
			}
			d.i = j + 1
			return true
		case c < 0x20:
			return false
		case c != '\\':
			j++
			continue
		}
		if !utf8.Valid(d.b[from:j]) || j+1 >= len(d.b) {
			return false
		}
		if out == nil {
			out = make([]byte, 0, len(d.b)-start)
		}
		out = append(out, d.b[from:j]...)
		switch e := d.b[j+1]; e {
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
			r, ok := hex4(d.b[j+2:])
			if !ok || r == 0 || utf8.RuneLen(r) < 0 { // NUL, or a surrogate half
				return false
			}
			out = utf8.AppendRune(out, r)
			j += 4
		default:
			return false
		}
		j += 2
		from = j
	}
	return false
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
