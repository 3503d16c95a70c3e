package vendorrisk

import (
	"slices"
	"strings"
	"unicode"

	"github.com/riskd/riskd/internal/textrisk"
)

// TextSignals finds keyword signals in free text. The built-in one is
// EngineSignals, the text engine running the vendor-event rule pack;
// anything that turns text into Signals of kind SignalKeyword, each with a
// Level and Category, plugs in.
type TextSignals func(text string) []Signal

// PhraseIndex finds whole-word phrases in text, ignoring case. The news
// connector filters feed items with it; the recommender uses the text
// engine instead. Text and
// phrases are split into words (runs of letters, digits and combining marks),
// and a phrase matches a run of consecutive words: "chapter 11" matches
// "Chapter 11" and "chapter-11" but not "chapter 110", and "layoffs" does not
// match "playoffs". A phrase ending in "*" takes its last word as a prefix,
// as the text engine's phrases do: "exfiltrat*" matches "exfiltrated".
// Matching is one pass over the words with a lookup by first word (phrases
// that are one prefix are tried on every word), so its cost is linear in the
// text for a fixed phrase list and nothing can backtrack.
type PhraseIndex struct {
	phrases  [][]string
	prefix   []bool // the phrase's last word is a prefix
	byFirst  map[string][]int
	prefixes []int // one-word prefix phrases
}

// NewPhraseIndex indexes phrases. A phrase with no words (empty or only
// punctuation) never matches.
func NewPhraseIndex(phrases []string) *PhraseIndex {
	p := &PhraseIndex{phrases: make([][]string, len(phrases)), prefix: make([]bool, len(phrases)), byFirst: map[string][]int{}}
	for i, ph := range phrases {
		w := words(ph)
		p.phrases[i] = w
		p.prefix[i] = strings.HasSuffix(strings.TrimSpace(ph), "*") && len(w) > 0
		switch {
		case len(w) == 0:
		case len(w) == 1 && p.prefix[i]:
			p.prefixes = append(p.prefixes, i)
		default:
			p.byFirst[w[0]] = append(p.byFirst[w[0]], i)
		}
	}
	return p
}

// Match returns the indexes (into the list given to NewPhraseIndex) of the
// phrases found in text, each once, in ascending order.
func (p *PhraseIndex) Match(text string) []int {
	found := make([]bool, len(p.phrases))
	p.scan(text, func(i int) bool { found[i] = true; return true })
	var out []int
	for i, ok := range found {
		if ok {
			out = append(out, i)
		}
	}
	return out
}

// Contains reports whether any phrase occurs in text, stopping at the first.
func (p *PhraseIndex) Contains(text string) bool {
	hit := false
	p.scan(text, func(int) bool { hit = true; return false })
	return hit
}

// scan calls hit for every phrase occurrence until hit returns false.
func (p *PhraseIndex) scan(text string, hit func(int) bool) {
	w := words(text)
	for pos, first := range w {
		for _, i := range p.prefixes {
			if strings.HasPrefix(first, p.phrases[i][0]) && !hit(i) {
				return
			}
		}
		for _, i := range p.byFirst[first] {
			ph := p.phrases[i]
			if pos+len(ph) <= len(w) && p.matchesAt(w[pos:pos+len(ph)], i) && !hit(i) {
				return
			}
		}
	}
}

// matchesAt reports whether the words w are phrase i.
func (p *PhraseIndex) matchesAt(w []string, i int) bool {
	ph := p.phrases[i]
	last := len(ph) - 1
	if p.prefix[i] {
		return equalWords(w[:last], ph[:last]) && strings.HasPrefix(w[last], ph[last])
	}
	return equalWords(w, ph)
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// words splits s into lower-cased words.
func words(s string) []string {
	var out []string
	start := -1
	for i, r := range s {
		inWord := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
		switch {
		case inWord && start < 0:
			start = i
		case !inWord && start >= 0:
			out = append(out, strings.ToLower(s[start:i]))
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, strings.ToLower(s[start:]))
	}
	return out
}

// Category groups signals by the kind of risk they describe. The
// recommender treats availability apart: it is the only category a resolved
// incident or a planned maintenance makes less severe.
type Category string

const (
	CategoryAvailability Category = "availability"
	CategorySecurity     Category = "security"
	CategoryFinancial    Category = "financial"
	CategoryLegal        Category = "legal"
	CategorySanctions    Category = "sanctions"
	CategoryWorkforce    Category = "workforce"
	CategoryOwnership    Category = "ownership"
	CategoryDisclosure   Category = "disclosure"
)

// Level of a vendor-event rule by its severity: the rule's priority is the
// level it argues for.
func ruleLevel(p textrisk.Priority) RiskLevel {
	switch p {
	case textrisk.P1:
		return LevelHigh
	case textrisk.P2:
		return LevelMedium
	default:
		return LevelLow
	}
}

// ruleTerm reads a vendor-event rule id, vendor-<category>-<term>, as the
// signal's category and term: "vendor-financial-chapter-11" is category
// financial, term "chapter 11". An id of another shape is its own term,
// with no category (so it is not an availability signal).
func ruleTerm(id string) (Category, string) {
	rest, ok := strings.CutPrefix(id, "vendor-")
	if !ok {
		return "", id
	}
	cat, term, ok := strings.Cut(rest, "-")
	if !ok || cat == "" || term == "" {
		return "", id
	}
	return Category(cat), strings.ReplaceAll(term, "-", " ")
}

// EngineSignals runs the text engine's vendor-event rules (scenario
// textrisk.VendorEvent: the built-in pack 80-vendor-events.yaml plus any
// the operator added) and turns each rule that fires into a keyword signal:
// its level from the rule's severity (p1 HIGH, p2 MEDIUM, p3 LOW), its
// category and term from the rule's id, and the rule's id. The engine does
// the matching, negation ("no evidence of a breach") and exceptions; it is
// compiled once, by whoever built e.
func EngineSignals(e *textrisk.Engine) TextSignals {
	return func(text string) []Signal {
		if strings.TrimSpace(text) == "" {
			return nil
		}
		res := e.Analyze(text, textrisk.VendorEvent)
		out := make([]Signal, 0, len(res.Findings))
		for _, f := range res.Findings {
			cat, term := ruleTerm(f.RuleID)
			out = append(out, Signal{Kind: SignalKeyword, Value: term, Level: ruleLevel(f.Priority), Category: cat, Rule: f.RuleID})
		}
		return out
	}
}

// FeedKeywords are the phrases a news item is kept for when its source sets
// no keywords: the phrases of e's vendor-event rules (the built-in pack's
// and any an operator adds with riskd serve --rules), so an item that trips
// a risk rule is kept even when it names the vendor only by a product or
// brand. It is a coarse filter (whole words, no negation); the recommender
// judges what it keeps. A rule matched only by sequences of terms adds
// nothing here (a term alone would keep far too much): a source that needs
// it sets its own keywords.
func FeedKeywords(e *textrisk.Engine) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range e.Rules() {
		if !slices.Contains(r.Scenarios, textrisk.VendorEvent) {
			continue
		}
		for _, ph := range r.Match.Phrases {
			if !seen[ph] {
				seen[ph] = true
				out = append(out, ph)
			}
		}
	}
	return out
}
