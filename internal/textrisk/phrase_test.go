package textrisk

import (
	"strings"
	"testing"
)

// FuzzParsePhrase: the phrase parser, which reads text users write in rule
// packs, never panics, and an accepted phrase has a non-empty anchor taken
// from its own normalised text.
func FuzzParsePhrase(f *testing.F) {
	for _, s := range []string{"police report*", "$#", "#%", "within #<60 days", "at #>9<12 p.m.", "# #", "#, #", "can't", "*", "#<", "a-b c", "  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := parsePhrase(raw)
		if err != nil {
			return
		}
		if len(p.anchor) == 0 || !strings.Contains(p.canon, string(p.anchor)) {
			t.Fatalf("%q: anchor %q not in %q", raw, p.anchor, p.canon)
		}
	})
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"We CAN'T, won’t and cannot; don't.", "we can not will not and can not; do not."},
		{"I'd say we'll see; they're here, you've won, I'm in.", "i would say we will see; they are here you have won i am in."},
		{"Shan't AIN'T isn't dont cant", "shall not is not is not do not can not"},
		{"“Free” — no‐cost… consumer's", "\"free\" - no-cost. consumer's"},
		{"a  \t b\r\n\r\nc\n- d\nе", "a b\nc\n- d е"},
		{"pol\u00adice re\u200bport\u00a0now", "police report now"},
		{"x\xffy €5", "x y 5"},
		{"İSTANBUL Straße", "istanbul straße"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var n normText
			normalize(&n, tt.in)
			if string(n.b) != tt.want {
				t.Fatalf("normalize(%q) = %q, want %q", tt.in, n.b, tt.want)
			}
			// Every word of the output maps back to a slice of the input
			// that normalises to it.
			for a := 0; a < len(n.b); {
				if !isWord(n.b[a]) {
					a++
					continue
				}
				z := a
				for z < len(n.b) && isWord(n.b[z]) {
					z++
				}
				s, e := n.srcSpan(a, z)
				if s < 0 || e > len(tt.in) || s > e {
					t.Fatalf("word %q maps to [%d,%d)", n.b[a:z], s, e)
				}
				var back normText
				normalize(&back, tt.in[s:e])
				if !strings.Contains(string(back.b), string(n.b[a:z])) {
					t.Errorf("word %q maps to %q", n.b[a:z], tt.in[s:e])
				}
				a = z
			}
		})
	}
}
