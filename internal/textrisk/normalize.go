package textrisk

import (
	"encoding/binary"
	"math/bits"
	"sort"
	"unicode"
	"unicode/utf8"
)

// unit is a stretch of normalised text whose bytes do not correspond one to
// one with the source: a folded curly quote, a collapsed whitespace run, an
// expanded contraction, a deleted zero-width character. Everywhere else the
// normalised text is a byte-for-byte image of the source (ASCII case folding
// and same-width Unicode lowercasing keep lengths), so only these exceptions
// are recorded: ordinary prose produces a handful per kilobyte.
type unit struct {
	normStart, normEnd int
	srcStart, srcEnd   int
}

// normText is the normalised form of one input plus what is needed to map
// spans back to the caller's bytes and to tell sentences apart.
type normText struct {
	b     []byte
	units []unit
	// sentences holds the positions at which a new sentence starts (after
	// ". ", "? ", a paragraph break, ...); paras the positions at which a new
	// paragraph starts. Both ascending.
	sentences []int
	paras     []int
}

// Byte kinds for the ASCII fast path.
const (
	kWord  = iota // a-z, A-Z, 0-9: copied (lowercased)
	kPunct        // other printable ASCII: copied, ends a word
	kSpace        // whitespace and control characters
	kApos         // ' and `: possibly a contraction
	kHigh         // >= 0x80: decoded as UTF-8
)

var asciiKind, lowerASCII, wordByte, sentencePunct [256]byte

// Tables of normalize's fast path. careful marks bytes that always leave
// it. careAfter marks previous bytes after which some bytes need care: bit 1
// for any word end (after "t"), bit 2 for a space (after a space or a
// sentence end); follows marks which bytes those are.
var careful, careAfter, follows [256]byte

func init() {
	for c := 0; c < 256; c++ {
		lowerASCII[c] = byte(c)
		switch {
		case c >= 0x80:
			asciiKind[c] = kHigh
			wordByte[c] = 1
		case c >= 'A' && c <= 'Z':
			asciiKind[c] = kWord
			lowerASCII[c] = byte(c) + 'a' - 'A'
			wordByte[c] = 1
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			asciiKind[c] = kWord
			wordByte[c] = 1
		case c == '\'' || c == '`':
			asciiKind[c] = kApos
		case c <= ' ' || c == 0x7f:
			asciiKind[c] = kSpace
		default:
			asciiKind[c] = kPunct
		}
	}
	for _, c := range ".!?;" {
		sentencePunct[c] = 1
	}
	for c := 0; c < 256; c++ {
		switch {
		case c >= 0x80, c == ',', asciiKind[c] == kApos, asciiKind[c] == kSpace && c != ' ':
			careful[c] = 1
		}
		if wordByte[c] == 0 {
			follows[c] |= 1
		}
	}
	follows[' '] |= 2
	careAfter['t'] = 1
	for _, c := range " \n.!?;\"')" {
		careAfter[c] = 2
	}
}

// isWord reports whether a byte of normalised text belongs to a word. Bytes
// of non-ASCII letters count as word bytes: after normalisation every
// non-ASCII rune left is a letter, digit or mark.
func isWord(c byte) bool { return wordByte[c] != 0 }

// normalize folds src into n: lowercase, Unicode quotes and dashes as ASCII,
// one space per whitespace run (a newline for a paragraph break; a comma
// before whitespace joins the run), zero-width characters removed and
// contractions expanded ("can't", "cannot" → "can
// not"). Patterns go through the same function, so a rule author writes
// "won't" and matches "will not", "won’t" and "WON'T" alike.
func normalize(n *normText, src string) {
	out := n.b[:0]
	if cap(out) < len(src)+16 {
		out = make([]byte, 0, len(src)+len(src)/8+16)
	}
	n.units = n.units[:0]
	n.sentences = n.sentences[:0]
	n.paras = n.paras[:0]
	i := 0
	for i < len(src) {
		// Fast path: most bytes are copied as they are (lowercased), and
		// a table decides without branching on the byte's kind whether
		// this one needs care: non-ASCII, apostrophes, commas and
		// control characters always do; a space does after a space or a
		// sentence end; any word end does after a "t", because the word
		// may be a contraction ("cannot"). No expansion happens here, so
		// room for the rest of the input is room enough.
		if cap(out)-len(out) < len(src)-i {
			out = append(make([]byte, 0, len(out)+(len(src)-i)+len(src)/8+16), out...)
		}
		j := len(out)
		buf := out[:cap(out)]
		prev := byte(' ')
		if j > 0 {
			prev = buf[j-1]
		}
	fast:
		// Eight bytes at a time, as far as the byte-by-byte loop below
		// would copy them without leaving it: ASCII letters, digits and
		// spaces, but no space after a space or a "t". The word is
		// handled as eight 7-bit lanes: adding a constant below 0x80 to
		// every lane carries only into higher lanes, so the lanes below
		// the first byte that needs care (the only ones used) come out
		// right whatever follows. The block is written whole; only the
		// bytes before that one count.
		for i+8 <= len(src) && j+8 <= len(buf) {
			b := src[i : i+8]
			w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
				uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
			folded := w | 0x20*ones
			letter := inRange(folded, 'a', 'z')
			space := equal(w, ' ')
			care := (w | ^(letter | inRange(w, '0', '9') | space)) & highs
			care |= space & ((space | equal(folded, 't')) << 8)
			if careAfter[prev] != 0 {
				care |= space & 0x80
			}
			w |= letter >> 2
			binary.LittleEndian.PutUint64(buf[j:j+8], w)
			if care != 0 {
				k := bits.TrailingZeros64(care) >> 3
				if k > 0 {
					prev = byte(w >> (8*k - 8))
				}
				i += k
				j += k
				break
			}
			prev = byte(w >> 56)
			i += 8
			j += 8
		}
		// Byte by byte: the byte the block stopped at, or the last few.
		stop := len(src)
		if i+8 <= len(src) {
			stop = i + 1
		}
		for i < stop && j < len(buf) {
			c := src[i]
			if careful[c]|(careAfter[prev]&follows[c]) != 0 {
				goto slow
			}
			prev = lowerASCII[c]
			buf[j] = prev
			j++
			i++
		}
		if i < len(src) && j < len(buf) {
			goto fast
		}
	slow:
		out = buf[:j]
		if i == len(src) {
			break
		}
		c := src[i]
		switch asciiKind[c] {
		case kWord:
			// Unreachable: word bytes never need care.
		case kSpace:
			out = n.endWord(out, i)
			out, i = n.space(out, src, i)
			continue
		case kPunct:
			out = n.endWord(out, i)
			if c == ',' && i+1 < len(src) && asciiKind[src[i+1]] == kSpace {
				// "report, we" reads as "report we": commas between
				// words would otherwise break every phrase that spans
				// a clause.
				out, i = n.space(out, src, i)
				continue
			}
			out = append(out, c)
			i++
			continue
		case kApos:
			out, i = n.apostrophe(out, src, i, 1)
			continue
		}
		r, size := utf8.DecodeRuneInString(src[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			// Invalid UTF-8 separates words like a space does.
			out = n.endWord(out, i)
			out, i = n.space(out, src, i)
			continue
		case r == '\u2019' || r == '\u2018' || r == '\u02bc' || r == '\u201b' || r == '\uff07':
			out, i = n.apostrophe(out, src, i, size)
			continue
		}
		if a := foldPunct(r); a != 0 {
			out = n.endWord(out, i)
			n.units = append(n.units, unit{len(out), len(out) + 1, i, i + size})
			out = append(out, a)
			i += size
			continue
		}
		if deleted(r) {
			n.units = append(n.units, unit{len(out), len(out), i, i + size})
			i += size
			continue
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
			out = n.endWord(out, i)
			out, i = n.space(out, src, i)
			continue
		}
		l := unicode.ToLower(r)
		at := len(out)
		out = utf8.AppendRune(out, l)
		if len(out)-at != size {
			n.units = append(n.units, unit{at, len(out), i, i + size})
		}
		i += size
	}
	n.b = n.endWord(out, i)
}

// SWAR constants: one bit or byte value repeated in every byte of a word.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// inRange has the top bit of each byte of x set when the byte lies in
// [lo, hi]; every byte of x must be below 0x80.
func inRange(x uint64, lo, hi byte) uint64 {
	ge := x + (0x80-uint64(lo))*ones
	gt := x + (0x7f-uint64(hi))*ones
	return ge &^ gt & highs
}

// equal has the top bit of each byte of x set when the byte is c; every
// byte of x must be below 0x80.
func equal(x uint64, c byte) uint64 {
	y := x ^ uint64(c)*ones
	return ^(y + 0x7f*ones) & highs
}

// foldPunct maps Unicode quotation marks, dashes and ellipses to their ASCII
// counterparts.
func foldPunct(r rune) byte {
	switch r {
	case '\u201c', '\u201d', '\u201e', '\u201f', '\u00ab', '\u00bb', '\u2033', '\uff02':
		return '"'
	case '\u201a', '\u2032', '\u2039', '\u203a':
		return '\''
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\ufe58', '\ufe63', '\uff0d':
		return '-'
	case '\u2026':
		return '.'
	case '\uff0c':
		return ','
	case '\uff0e', '\u3002':
		return '.'
	}
	return 0
}

// deleted reports runes that carry no text: soft hyphens and zero-width
// characters, which otherwise let "pol\u00adice report" slip past a rule.
func deleted(r rune) bool {
	switch r {
	case '\u00ad', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff':
		return true
	}
	return false
}

// isSpaceRune reports runes swallowed by a whitespace run.
func isSpaceRune(r rune) bool {
	return unicode.IsSpace(r) || deleted(r) || (r >= 0x80 && foldPunct(r) == 0 &&
		!unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) &&
		r != '\u2019' && r != '\u2018' && r != '\u02bc' && r != '\u201b' && r != '\uff07')
}

// space consumes a run of whitespace (and symbols, control characters and
// invalid bytes, which separate words the same way) starting at src[i] and
// emits a single ' ', or '\n' when the run holds a paragraph break: two line
// breaks, or one followed by a list bullet.
func (n *normText) space(out []byte, src string, i int) ([]byte, int) {
	if src[i] == ' ' && i+1 < len(src) && asciiKind[src[i+1]] < kSpace {
		// The common case, one space between words, in short: the run
		// ends at the next byte, holds no line break and needs no unit.
		j := len(out)
		if j > 0 && (out[j-1] == ' ' || out[j-1] == '\n') {
			n.units = append(n.units, unit{j, j, i, i + 1})
			return out, i + 1
		}
		if endsSentence(out) {
			n.sentences = append(n.sentences, j+1)
		}
		return append(out, ' '), i + 1
	}
	start := i
	newlines := 0
	// The caller has seen that src[i] separates words; consuming it
	// unconditionally guarantees progress.
	if c := src[i]; c < 0x80 {
		if c == '\n' || (c == '\r' && (i+1 == len(src) || src[i+1] != '\n')) {
			newlines++
		}
		i++
	} else {
		r, size := utf8.DecodeRuneInString(src[i:])
		if r == '\u2029' {
			newlines += 2
		} else if r == '\u2028' || r == '\u0085' {
			newlines++
		}
		i += size
	}
	for i < len(src) {
		c := src[i]
		if c < 0x80 {
			if asciiKind[c] != kSpace {
				break
			}
			if c == '\n' || (c == '\r' && (i+1 == len(src) || src[i+1] != '\n')) {
				newlines++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(src[i:])
		if !(r == utf8.RuneError && size <= 1) && !isSpaceRune(r) {
			break
		}
		if r == '\u2029' {
			newlines += 2
		} else if r == '\u2028' || r == '\u0085' {
			newlines++
		}
		i += size
	}
	if newlines == 1 && i < len(src) {
		switch src[i] {
		case '-', '*':
			newlines++
		default:
			if r, _ := utf8.DecodeRuneInString(src[i:]); r == '\u2022' || r == '\u25e6' || r == '\u2023' {
				newlines++
			}
		}
	}
	j := len(out)
	if j > 0 && (out[j-1] == ' ' || out[j-1] == '\n') {
		n.units = append(n.units, unit{j, j, start, i})
		return out, i
	}
	sep := byte(' ')
	if newlines >= 2 {
		sep = '\n'
		n.paras = append(n.paras, j+1)
	}
	if sep == '\n' || endsSentence(out) {
		n.sentences = append(n.sentences, j+1)
	}
	if i-start != 1 || src[start] != sep {
		n.units = append(n.units, unit{j, j + 1, start, i})
	}
	return append(out, sep), i
}

// endsSentence reports whether out ends with sentence punctuation, possibly
// followed by a closing quote or parenthesis.
func endsSentence(out []byte) bool {
	j := len(out) - 1
	if j > 0 && (out[j] == '"' || out[j] == '\'' || out[j] == ')') {
		j--
	}
	return j >= 0 && sentencePunct[out[j]] != 0
}

// linearFrom reports whether normalised position p and everything after it
// still maps byte for byte onto the source, that is no exception recorded so
// far reaches past p. Rewrites of already emitted text depend on it.
func (n *normText) linearFrom(p int) bool {
	return len(n.units) == 0 || n.units[len(n.units)-1].normEnd <= p
}

// apostrophe handles ' (or its Unicode look-alikes, size bytes long) at
// src[i]: it expands n't, 'll, 're, 've, 'm and 'd after a word, and keeps
// any other apostrophe ("consumer's") as ASCII '.
func (n *normText) apostrophe(out []byte, src string, i, size int) ([]byte, int) {
	j := len(out)
	k := i + size
	e := k
	for e < len(src) && e-k < 3 && asciiKind[src[e]] == kWord && src[e] > '9' {
		e++
	}
	if j > 0 && out[j-1] >= 'a' && out[j-1] <= 'z' && e > k && (e == len(src) || wordByte[src[e]] == 0) {
		var suf [3]byte
		for x := k; x < e; x++ {
			suf[x-k] = lowerASCII[src[x]]
		}
		var exp string
		switch string(suf[:e-k]) {
		case "t":
			if out[j-1] == 'n' && lowerASCII[src[i-1]] == 'n' && n.linearFrom(j-1) {
				ws := j - 1
				for ws > 0 && out[ws-1] >= 'a' && out[ws-1] <= 'z' {
					ws--
				}
				// The whole word becomes one unit when it can, so that a
				// match starting at "not" reports "don't", not "n't".
				if (ws == 0 || !isWord(out[ws-1])) && n.linearFrom(ws) {
					if stem := irregularNot(out[ws : j-1]); stem != "" {
						out = append(out[:ws], stem...)
					} else {
						out = out[:j-1] // the stem stays in place
					}
					out = append(out, " not"...)
					n.units = append(n.units, unit{ws, len(out), i - (j - ws), e})
					return out, e
				}
				out = append(out[:j-1], " not"...)
				n.units = append(n.units, unit{j - 1, len(out), i - 1, e})
				return out, e
			}
		case "ll":
			exp = " will"
		case "re":
			exp = " are"
		case "ve":
			exp = " have"
		case "m":
			exp = " am"
		case "d":
			exp = " would"
		}
		if exp != "" {
			// As for "n't", the unit takes in the word before when it
			// can: a match starting at "will" reports "we'll".
			ws := j
			for ws > 0 && out[ws-1] >= 'a' && out[ws-1] <= 'z' {
				ws--
			}
			if (ws > 0 && isWord(out[ws-1])) || !n.linearFrom(ws) {
				ws = j
			}
			out = append(out, exp...)
			n.units = append(n.units, unit{ws, len(out), i - (j - ws), e})
			return out, e
		}
	}
	out = n.endWord(out, i)
	if size != 1 || src[i] != '\'' {
		n.units = append(n.units, unit{len(out), len(out) + 1, i, i + size})
	}
	return append(out, '\''), i + size
}

// irregularNot returns the full verb for the stems whose n't contraction is
// not simply the verb plus "not": ca(n't), wo(n't), sha(n't), ai(n't).
func irregularNot(stem []byte) string {
	switch string(stem) {
	case "ca":
		return "can"
	case "wo":
		return "will"
	case "sha":
		return "shall"
	case "ai":
		return "is"
	}
	return ""
}

// endWord expands a just-finished word written without an apostrophe
// ("cannot", "dont") the same way as its apostrophe form, so that rules see
// one spelling. i is the source position right after the word. Only words
// ending in "t" can qualify, which keeps the common case to one comparison.
func (n *normText) endWord(out []byte, i int) []byte {
	j := len(out)
	// Every bare contraction ends in "nt" but "cannot".
	if j < 4 || out[j-1] != 't' || (out[j-2] != 'n' && out[j-2] != 'o') {
		return out
	}
	ws := j - 1
	for ws > 0 && j-ws < 9 && out[ws-1] >= 'a' && out[ws-1] <= 'z' {
		ws--
	}
	if ws > 0 && isWord(out[ws-1]) {
		return out
	}
	exp := bareContraction(out[ws:j])
	if exp == "" || !n.linearFrom(ws) {
		return out
	}
	out = append(out[:ws], exp...)
	n.units = append(n.units, unit{ws, len(out), i - (j - ws), i})
	return out
}

// bareContraction lists contractions commonly typed without the apostrophe.
// "wont" and "cant" are also rare English words; in consumer-finance text
// they are almost always contractions.
func bareContraction(w []byte) string {
	switch string(w) {
	case "cannot", "cant":
		return "can not"
	case "wont":
		return "will not"
	case "dont":
		return "do not"
	case "doesnt":
		return "does not"
	case "didnt":
		return "did not"
	case "isnt":
		return "is not"
	case "arent":
		return "are not"
	case "wasnt":
		return "was not"
	case "werent":
		return "were not"
	case "wouldnt":
		return "would not"
	case "couldnt":
		return "could not"
	case "shouldnt":
		return "should not"
	case "havent":
		return "have not"
	case "hasnt":
		return "has not"
	case "hadnt":
		return "had not"
	case "mustnt":
		return "must not"
	}
	return ""
}

// srcSpan maps the normalised span [a, b) back to byte offsets of the source.
// A span that starts or ends inside an exception covers all of its source
// bytes, so an expanded "can't" is reported whole.
func (n *normText) srcSpan(a, b int) (int, int) {
	if b <= a {
		s := n.srcPos(a, false)
		return s, s
	}
	return n.srcPos(a, false), n.srcPos(b-1, true)
}

// srcPos returns the source offset where normalised byte p starts (end false)
// or the offset just after it (end true).
func (n *normText) srcPos(p int, end bool) int {
	// The last unit starting at or before p decides: either p is inside it,
	// or p lies in the linear stretch after it.
	k := sort.Search(len(n.units), func(k int) bool { return n.units[k].normStart > p }) - 1
	// Units never overlap, so no earlier unit can contain p.
	s := p
	if k >= 0 {
		u := n.units[k]
		if p < u.normEnd {
			if end {
				return u.srcEnd
			}
			return u.srcStart
		}
		s = u.srcEnd + (p - u.normEnd)
	}
	if end {
		s++
	}
	return s
}

// sentenceOf returns the 0-based index of the sentence holding position p.
func (n *normText) sentenceOf(p int) int {
	return sort.SearchInts(n.sentences, p+1)
}

// paragraphOf returns the 0-based index of the paragraph holding position p.
func (n *normText) paragraphOf(p int) int {
	return sort.SearchInts(n.paras, p+1)
}
