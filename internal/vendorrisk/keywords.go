package vendorrisk

import (
	"fmt"
	"strings"
	"unicode"
)

// TextSignals finds keyword signals in free text. It is the seam where the
// built-in KeywordMatcher can later be replaced by the textrisk engine
// running a vendor-event rule pack: anything that turns text into Signals of
// kind SignalKeyword, each with a Level and Category, plugs in.
type TextSignals func(text string) []Signal

// PhraseIndex finds whole-word phrases in text, ignoring case. Text and
// phrases are split into words (runs of letters, digits and combining marks),
// and a phrase matches a run of consecutive words: "chapter 11" matches
// "Chapter 11" and "chapter-11" but not "chapter 110", and "layoffs" does not
// match "playoffs". Matching is one pass over the words with a lookup by
// first word, so its cost is linear in the text for a fixed phrase list and
// nothing can backtrack.
type PhraseIndex struct {
	phrases [][]string
	byFirst map[string][]int
}

// NewPhraseIndex indexes phrases. A phrase with no words (empty or only
// punctuation) never matches.
func NewPhraseIndex(phrases []string) *PhraseIndex {
	p := &PhraseIndex{phrases: make([][]string, len(phrases)), byFirst: map[string][]int{}}
	for i, ph := range phrases {
		w := words(ph)
		p.phrases[i] = w
		if len(w) > 0 {
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
		for _, i := range p.byFirst[first] {
			ph := p.phrases[i]
			if pos+len(ph) <= len(w) && equalWords(w[pos:pos+len(ph)], ph) && !hit(i) {
				return
			}
		}
	}
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

// KeywordRule is one entry of a keyword pack: any of Phrases found in the
// text yields one signal named Term at Level.
type KeywordRule struct {
	Term     string
	Phrases  []string
	Level    RiskLevel
	Category Category
}

// KeywordMatcher turns text into keyword signals with a PhraseIndex.
type KeywordMatcher struct {
	rules  []KeywordRule
	index  *PhraseIndex
	ruleOf []int // phrase index → rule index
}

// NewKeywordMatcher checks rules and indexes their phrases. Each rule needs
// a term, at least one phrase with a word in it, and a level from NONE to
// CRITICAL.
func NewKeywordMatcher(rules []KeywordRule) (*KeywordMatcher, error) {
	m := &KeywordMatcher{rules: rules}
	var phrases []string
	for i, r := range rules {
		if strings.TrimSpace(r.Term) == "" {
			return nil, fmt.Errorf("vendor: keyword rule %d has no term", i)
		}
		if !r.Level.Valid() || r.Level == LevelUnassigned {
			return nil, fmt.Errorf("vendor: keyword rule %q has level %q", r.Term, r.Level)
		}
		n := 0
		for _, ph := range r.Phrases {
			if len(words(ph)) == 0 {
				return nil, fmt.Errorf("vendor: keyword rule %q has a phrase with no words: %q", r.Term, ph)
			}
			phrases = append(phrases, ph)
			m.ruleOf = append(m.ruleOf, i)
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("vendor: keyword rule %q has no phrases", r.Term)
		}
	}
	m.index = NewPhraseIndex(phrases)
	return m, nil
}

// Signals returns one keyword signal per rule whose phrases occur in text,
// in rule order. It has the TextSignals signature.
func (m *KeywordMatcher) Signals(text string) []Signal {
	hit := make([]bool, len(m.rules))
	for _, i := range m.index.Match(text) {
		hit[m.ruleOf[i]] = true
	}
	var out []Signal
	for i, ok := range hit {
		if ok {
			r := m.rules[i]
			out = append(out, Signal{Kind: SignalKeyword, Value: r.Term, Level: r.Level, Category: r.Category})
		}
	}
	return out
}

// DefaultKeywordRules is the built-in vendor-event keyword pack. Variants are
// listed as phrases because matching is whole-word: "breach" alone would
// not find "breached". Negation ("no evidence of a breach") is not
// understood; the reviewer sees the matched term in the explanation and
// decides.
func DefaultKeywordRules() []KeywordRule {
	return []KeywordRule{
		// Security: confirmed compromise is HIGH; a disclosed incident or
		// vulnerability without evidence of compromise is MEDIUM.
		{"breach", []string{"breach", "breaches", "breached"}, LevelHigh, CategorySecurity},
		{"ransomware", []string{"ransomware"}, LevelHigh, CategorySecurity},
		{"exfiltration", []string{"exfiltration", "exfiltrated", "exfiltrate"}, LevelHigh, CategorySecurity},
		{"data leak", []string{"data leak", "data leaks", "data leaked", "leaked data"}, LevelHigh, CategorySecurity},
		{"unauthorized access", []string{"unauthorized access", "unauthorised access"}, LevelHigh, CategorySecurity},
		{"cyberattack", []string{"cyberattack", "cyberattacks", "cyber attack", "cyber attacks"}, LevelHigh, CategorySecurity},
		{"security incident", []string{"security incident", "cybersecurity incident"}, LevelMedium, CategorySecurity},
		{"vulnerability", []string{"vulnerability", "vulnerabilities", "zero day"}, LevelMedium, CategorySecurity},
		// Sanctions: dealing with a sanctioned party is a legal bar, not a
		// matter of degree.
		{"sanctions", []string{"sanctions", "export controls"}, LevelHigh, CategorySanctions},
		{"OFAC", []string{"ofac", "sdn list", "specially designated nationals"}, LevelHigh, CategorySanctions},
		// Financial distress threatens continuity of service.
		{"bankruptcy", []string{"bankruptcy", "bankrupt", "bankruptcies"}, LevelHigh, CategoryFinancial},
		{"chapter 11", []string{"chapter 11", "chapter 7"}, LevelHigh, CategoryFinancial},
		{"insolvency", []string{"insolvency", "insolvent", "receivership"}, LevelHigh, CategoryFinancial},
		{"going concern", []string{"going concern"}, LevelMedium, CategoryFinancial},
		// Legal and regulatory trouble.
		{"lawsuit", []string{"lawsuit", "lawsuits", "class action", "sued"}, LevelMedium, CategoryLegal},
		{"fined", []string{"fined", "regulatory fine"}, LevelMedium, CategoryLegal},
		// Workforce and ownership changes: worth a look, rarely urgent.
		{"layoffs", []string{"layoffs", "layoff", "laid off", "job cuts", "workforce reduction"}, LevelLow, CategoryWorkforce},
		{"acquisition", []string{"acquired by", "to acquire", "merger"}, LevelLow, CategoryOwnership},
		// Availability: an outage stops work; degradation and maintenance
		// slow or schedule it.
		{"outage", []string{"outage", "outages", "service disruption", "downtime"}, LevelMedium, CategoryAvailability},
		{"degradation", []string{"degradation", "degraded", "elevated error rates", "increased latency"}, LevelLow, CategoryAvailability},
		{"maintenance", []string{"maintenance"}, LevelLow, CategoryAvailability},
	}
}
