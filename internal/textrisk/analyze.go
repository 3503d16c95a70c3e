package textrisk

import (
	"cmp"
	"slices"
	"sort"
	"strconv"
)

// Result is the analysis of one text. Its JSON form is the screen-analysis
// result of the API; the risk-assessment endpoint reports RiskScore only.
type Result struct {
	Scenario  Scenario `json:"scenario"`
	RiskScore int      `json:"riskScore"`
	Band      string   `json:"band"`
	// PackVersion names the rule packs that produced the result, e.g.
	// "riskd-core@2026.11.2".
	PackVersion string    `json:"packVersion"`
	Findings    []Finding `json:"findings"`
}

// Finding is one rule that fired, with the evidence. RuleID and Weight make
// every score traceable: RiskScore == Score(weights of Findings...).
type Finding struct {
	RuleID      string     `json:"ruleId"`
	Priority    Priority   `json:"priority"`
	Weight      float64    `json:"weight"`
	Title       string     `json:"title"`
	Details     string     `json:"details"`
	Remediation string     `json:"remediation,omitempty"`
	Citations   []Citation `json:"citations"`
}

// Citation is one regulation a finding rests on and the passages of the text
// that triggered it. All citations of a finding share the same chunks.
type Citation struct {
	Regulation Regulation `json:"regulation"`
	Chunks     []Chunk    `json:"chunks"`
}

// Regulation describes a cited provision.
type Regulation struct {
	ID            string   `json:"id"`
	Category      string   `json:"category"`
	Title         string   `json:"title"`
	Authorities   []string `json:"authorities"`
	Jurisdictions []string `json:"jurisdictions"`
	Description   string   `json:"description"`
	SourceURL     string   `json:"sourceUrl"`
	// Section narrows the citation within the regulation, e.g. "(c)(2)".
	Section string `json:"section,omitempty"`
}

// Chunk is a matched passage: Text == submitted[StartOffset:EndOffset], the
// offsets counted in bytes of the submitted text.
type Chunk struct {
	Text        string `json:"text"`
	StartOffset int    `json:"startOffset"`
	EndOffset   int    `json:"endOffset"`
	// SectionPath locates the passage: "paragraph 2 > sentence 1".
	SectionPath string `json:"sectionPath"`
}

// maxChunks bounds the evidence listed per finding; the score does not
// depend on it.
const maxChunks = 20

// negationWindow is how many words before a negatable hit are searched for a
// negation.
const negationWindow = 3

// ruleHit is a verified phrase occurrence in one role of one rule.
type ruleHit struct {
	role       int32
	sent       int32
	start, end int
}

type span struct{ start, end int }

type phraseHit struct {
	phrase     int32
	sent       int32 // sentence index of start
	start, end int
}

// scratch is per-call working memory, pooled so that steady-state analysis
// allocates only the result.
type scratch struct {
	norm  normText
	raw   []rawHit
	lanes [streams][]uint64
	phits []phraseHit
	seen  []uint8 // per clause slot: the terms that hit
	live  []bool  // per rule: has a complete clause
	// applied[p] == epoch when phrase p's uses have been noted in this
	// call; epoch changes with every call.
	applied []uint32
	epoch   uint32
	lives   []int32
	blocked []bool // per rule: its disclosure occurs, so it cannot fire
	blocks  []int32
	hits    []ruleHit
	sorted  []ruleHit
	count   []int32 // per role, for the counting sort
	// sorted[from[role]:to[role]] are the hits of a role of a rule in
	// lives, after sortHits.
	from, to []int32
	spans    []span
}

// maxPooled keeps one giant input from pinning its buffers in the pool.
const maxPooled = 1 << 22

// Analyze screens text under scenario. Out-of-range scenarios are treated as
// Generic. It never panics and is safe for concurrent use.
func (e *Engine) Analyze(text string, scenario Scenario) Result {
	res, sc := e.begin(text, scenario)
	if sc == nil {
		return res
	}
	defer e.putScratch(sc)
	var weights []float64
	for _, r := range sc.lives {
		if e.evaluate(sc, r, maxChunks) {
			f := e.finding(sc, text, r)
			res.Findings = append(res.Findings, f)
			weights = append(weights, f.Weight)
		}
	}
	res.RiskScore = Score(weights...)
	res.Band = Band(res.RiskScore)
	slices.SortFunc(res.Findings, func(x, y Finding) int {
		if c := cmp.Compare(x.Priority.rank(), y.Priority.rank()); c != 0 {
			return c
		}
		if c := cmp.Compare(y.Weight, x.Weight); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Citations[0].Chunks[0].StartOffset, y.Citations[0].Chunks[0].StartOffset); c != 0 {
			return c
		}
		return cmp.Compare(x.RuleID, y.RuleID)
	})
	return res
}

// Score is Analyze for callers that need the score only: it returns the
// same Scenario, RiskScore, Band and PackVersion as Analyze(text, scenario)
// and an empty, non-nil Findings. It runs the same matching, but a rule
// stops at its first match that passes every check (a rule's weight counts
// once however often it matches), and no findings, passages or citations
// are built.
func (e *Engine) Score(text string, scenario Scenario) Result {
	res, sc := e.begin(text, scenario)
	if sc == nil {
		return res
	}
	defer e.putScratch(sc)
	// The weights in Analyze's order (of rules, before the findings are
	// sorted), so that the product rounds the same; a text rarely fires
	// more rules than fit on the stack.
	var buf [16]float64
	weights := buf[:0]
	for _, r := range sc.lives {
		if e.evaluate(sc, r, 1) {
			weights = append(weights, e.rules[r].weight)
		}
	}
	res.RiskScore = Score(weights...)
	res.Band = Band(res.RiskScore)
	return res
}

// begin starts Analyze and Score: it returns the result of a text that
// fires nothing (scenarios out of range read as Generic) and, unless the
// text has no hit at all, a scratch on which match has run, which the
// caller puts back.
func (e *Engine) begin(text string, scenario Scenario) (Result, *scratch) {
	if scenario >= numScenarios {
		scenario = Generic
	}
	res := Result{Scenario: scenario, Band: Band(0), PackVersion: e.version, Findings: []Finding{}}
	if len(e.rules) == 0 || len(text) == 0 {
		return res, nil
	}
	sc := e.pool.Get().(*scratch)
	if !e.match(sc, text, scenario) {
		e.putScratch(sc)
		return res, nil
	}
	return res, sc
}

func (e *Engine) putScratch(sc *scratch) {
	if cap(sc.norm.b) <= maxPooled {
		e.pool.Put(sc)
	}
}

// match runs what Analyze and Score share: it normalises text into sc.norm,
// scans it, and sorts the hits of the rules that may fire into sc.sorted
// (see sortHits), listing those rules in order in sc.lives. It reports
// whether there is any hit.
func (e *Engine) match(sc *scratch, text string, scenario Scenario) bool {
	normalize(&sc.norm, text)
	t := sc.norm.b
	ac := e.ac[scenario]
	sc.raw = ac.scan(t, sc.raw[:0], &sc.lanes)
	if len(sc.seen) != len(e.full) {
		sc.seen = make([]uint8, len(e.full))
		sc.live = make([]bool, len(e.rules))
		sc.blocked = make([]bool, len(e.rules))
		sc.count = make([]int32, e.roles)
		sc.from = make([]int32, e.roles)
		sc.to = make([]int32, e.roles)
		sc.applied = make([]uint32, len(e.phrases))
	}
	if sc.epoch++; sc.epoch == 0 {
		clear(sc.applied)
		sc.epoch = 1
	}
	liveRules := e.findPhrases(sc, scenario, t)
	hits := e.ruleHits(sc, scenario, liveRules)
	for _, r := range sc.blocks {
		sc.blocked[r] = false
	}
	sc.blocks = sc.blocks[:0]
	// One byte per clause of all rules (147 with the shipped packs):
	// clearing them all costs less than keeping track of the slots set,
	// whose bookkeeping branched on every use noted.
	clear(sc.seen)
	sc.hits = hits
	if len(hits) == 0 {
		sc.lives = sc.lives[:0]
		return false
	}
	e.sortHits(sc, hits)
	return true
}

// findPhrases is Analyze's first pass over the automaton's hits: it
// verifies each candidate phrase in place, records the phrase hits in
// sc.phits and notes which clause terms occur. Most hits are common words
// ("must", "do not") of sequences whose other terms never show up; it
// returns the rules with a complete clause (some of which a disclosure
// found anywhere blocks: see sc.blocks).
func (e *Engine) findPhrases(sc *scratch, scenario Scenario, t []byte) []int32 {
	ac := e.ac[scenario]
	phits := sc.phits[:0]
	liveRules := sc.lives[:0]
	cands, candFirst := e.cands[scenario], e.candFirst[scenario]
	uses, useFirst := e.uses[scenario], e.useFirst[scenario]
	sents := sc.norm.sentences
	sent := 0
	for _, r := range sc.raw {
		k := ac.outIndex(r.state)
		from, to := candFirst[k], candFirst[k+1]
		if from == to {
			continue
		}
		// Most anchors are whole words: test their boundaries once per
		// anchor length.
		alen, wordStart := int32(-1), false
		wordEnd := r.end == len(t) || !isWord(t[r.end]) || !isWord(t[r.end-1])
		for _, c := range cands[from:to] {
			start := r.end - int(c.alen)
			var s, end int
			if c.plain {
				if c.alen != alen {
					alen = c.alen
					wordStart = start == 0 || !isWord(t[start-1]) || !isWord(t[start])
				}
				if !wordStart || !wordEnd {
					continue
				}
				s, end = start, r.end
			} else {
				if c.lOff != 0 && (start < int(c.lOff) || t[start-int(c.lOff)] != c.lByte) {
					continue
				}
				if c.rOff != 0 && (r.end+int(c.rOff) > len(t) || t[r.end+int(c.rOff)-1] != c.rByte) {
					continue
				}
				var ok bool
				if s, end, ok = e.phrases[c.phrase].verify(t, start, r.end); !ok {
					continue
				}
			}
			pi := c.phrase
			// Hits arrive in (nearly) position order, so the
			// sentence index follows them with a moving cursor.
			for sent < len(sents) && sents[sent] <= s {
				sent++
			}
			for sent > 0 && sents[sent-1] > s {
				sent--
			}
			phits = append(phits, phraseHit{phrase: pi, sent: int32(sent), start: s, end: end})
			// What follows only sets flags; a phrase that occurred
			// before in this text has set them all already.
			if sc.applied[pi] != sc.epoch {
				sc.applied[pi] = sc.epoch
				liveRules = e.notePhrase(sc, uses[useFirst[pi]:useFirst[pi+1]], liveRules)
			}
		}
	}
	sc.phits = phits
	return liveRules
}

// notePhrase notes the first occurrence of a phrase with these uses: the
// clause terms it completes, adding the rules that now have a complete
// clause to liveRules, and the conditional rules its disclosure blocks.
func (e *Engine) notePhrase(sc *scratch, uses []use, liveRules []int32) []int32 {
	for _, u := range uses {
		switch u.kind {
		case useTerm:
			seen := sc.seen[u.slot] | 1<<u.term
			sc.seen[u.slot] = seen
			if seen == e.full[u.slot] && !sc.live[u.rule] {
				sc.live[u.rule] = true
				liveRules = append(liveRules, u.rule)
			}
		case useRequire:
			if e.rules[u.rule].within == 0 && !sc.blocked[u.rule] {
				sc.blocked[u.rule] = true
				sc.blocks = append(sc.blocks, u.rule)
			}
		}
	}
	return liveRules
}

// ruleHits is Analyze's second pass, for candidate rules only: the hits of
// the terms of complete clauses, and of every exception and disclosure.
// Marking the phrases of candidate rules beforehand, to pass over the
// others without looking at their uses, cost more than it saved: a rule
// has hundreds of phrases, a short text a few dozen hits.
func (e *Engine) ruleHits(sc *scratch, scenario Scenario, liveRules []int32) []ruleHit {
	uses, useFirst := e.uses[scenario], e.useFirst[scenario]
	hits := sc.hits[:0]
	if len(liveRules) > 0 {
		for _, r := range sc.blocks {
			sc.live[r] = false
		}
		for _, h := range sc.phits {
			for _, u := range uses[useFirst[h.phrase]:useFirst[h.phrase+1]] {
				if sc.live[u.rule] && (u.kind != useTerm || sc.seen[u.slot] == e.full[u.slot]) {
					hits = append(hits, ruleHit{role: u.role, sent: h.sent, start: h.start, end: h.end})
				}
			}
		}
		for _, r := range liveRules {
			sc.live[r] = false
		}
	}
	sc.lives = liveRules
	return hits
}

// sortHits orders hits by role, then position, into sc.sorted, and sorts
// sc.lives, the rules the hits can belong to. Roles number rules in order,
// each rule's roles consecutively, so a counting sort by role over the
// roles of those rules keeps it linear, leaving the bounds of every role's
// run for group. Within a role the automaton's end-position order is
// almost start order already, which an insertion sort finishes cheaply.
func (e *Engine) sortHits(sc *scratch, hits []ruleHit) {
	for _, h := range hits {
		sc.count[h.role]++
	}
	slices.Sort(sc.lives)
	next := int32(0)
	for _, r := range sc.lives {
		for role := e.firstRole[r]; role < e.firstRole[r+1]; role++ {
			sc.from[role] = next
			next += sc.count[role]
			sc.count[role] = sc.from[role]
		}
	}
	out := slices.Grow(sc.sorted[:0], len(hits))[:len(hits)]
	for _, h := range hits {
		out[sc.count[h.role]] = h
		sc.count[h.role]++
	}
	for _, r := range sc.lives {
		for role := e.firstRole[r]; role < e.firstRole[r+1]; role++ {
			run := out[sc.from[role]:sc.count[role]]
			for i := 1; i < len(run); i++ {
				for j := i; j > 0 && (run[j].start < run[j-1].start || (run[j].start == run[j-1].start && run[j].end < run[j-1].end)); j-- {
					run[j], run[j-1] = run[j-1], run[j]
				}
			}
			sc.to[role] = sc.count[role]
			sc.count[role] = 0
		}
	}
	sc.sorted = out
}

// group returns the hits of one role, sorted by position; role is one of
// a rule in sc.lives, or -1 for none.
func (sc *scratch) group(role int32) []ruleHit {
	if role < 0 {
		return nil
	}
	return sc.sorted[sc.from[role]:sc.to[role]]
}

// evaluate decides whether rule r, one of sc.lives, fires: it collects in
// sc.spans the matches that pass every check, up to limit of them, and
// reports whether there is one. Analyze asks for maxChunks matches to cite,
// Score for the first.
func (e *Engine) evaluate(sc *scratch, r int32, limit int) bool {
	cr := &e.rules[r]
	nt := &sc.norm
	ruleUnless := sc.group(cr.ruleUnless)
	required := sc.group(cr.require)
	sc.spans = sc.spans[:0]
	var terms [maxTerms][]ruleHit
	var parts [maxTerms]span
clauses:
	for ci := range cr.clauses {
		cl := &cr.clauses[ci]
		ok := true
		for ti := 0; ti < cl.terms; ti++ {
			terms[ti] = sc.group(cr.termRoles[ci][ti])
			ok = ok && len(terms[ti]) > 0
		}
		if !ok {
			continue
		}
		clauseUnless := sc.group(cr.clauseUnless[ci])
		for _, ord := range cl.orders {
			// The second term's first candidate after each first-term
			// hit moves forward with the hits (a cursor, not a search).
			next := 0
			for _, h := range terms[ord[0]] {
				if cl.terms > 1 {
					cands := terms[ord[1]]
					for next < len(cands) && cands[next].start < h.end {
						next++
					}
					for next > 0 && cands[next-1].start >= h.end {
						next--
					}
					if next == len(cands) || (!cl.across && cands[next].sent != h.sent) {
						continue
					}
				}
				parts[0] = span{h.start, h.end}
				if !e.chain(nt, cl, terms[:cl.terms], ord[1:], h.sent, parts[:1], next) {
					continue
				}
				s := span{h.start, parts[cl.terms-1].end}
				if cl.negatable && negated(nt, parts[:cl.terms]) {
					continue
				}
				if inSentence(nt, ruleUnless, h.sent, s) || inSentence(nt, clauseUnless, h.sent, s) {
					continue
				}
				if len(required) > 0 && near(nt, required, s, cr.within) {
					continue
				}
				sc.spans = append(sc.spans, s)
				if len(sc.spans) == limit {
					break clauses
				}
			}
		}
	}
	return len(sc.spans) > 0
}

// finding builds the finding of rule r, which evaluate found to fire with
// the matches in sc.spans.
func (e *Engine) finding(sc *scratch, text string, r int32) Finding {
	cr := &e.rules[r]
	nt := &sc.norm
	slices.SortFunc(sc.spans, func(x, y span) int {
		if c := cmp.Compare(x.start, y.start); c != 0 {
			return c
		}
		return cmp.Compare(x.end, y.end)
	})
	merged := sc.spans[:1]
	for _, s := range sc.spans[1:] {
		last := &merged[len(merged)-1]
		if s.start < last.end {
			last.end = max(last.end, s.end)
			continue
		}
		merged = append(merged, s)
	}
	chunks := make([]Chunk, len(merged))
	for i, s := range merged {
		a, b := nt.srcSpan(s.start, s.end)
		chunks[i] = Chunk{Text: text[a:b], StartOffset: a, EndOffset: b, SectionPath: sectionPath(nt, s.start)}
	}
	cits := make([]Citation, len(cr.citations))
	for i, reg := range cr.citations {
		cits[i] = Citation{Regulation: reg, Chunks: chunks}
	}
	return Finding{
		RuleID:      cr.def.ID,
		Priority:    cr.priority,
		Weight:      cr.weight,
		Title:       cr.def.Title,
		Details:     cr.def.Message,
		Remediation: cr.def.Remediation,
		Citations:   cits,
	}
}

// chain extends a partial sequence match, parts (the hits found so far,
// whose underlying array has room for all terms), with the next terms in
// order ord: each starting after the previous one ends, at most cl.within
// words later, in sentence sent unless the clause allows otherwise. lo is
// the index of the first candidate of the next term starting after the
// last part, or -1 to search for it.
func (e *Engine) chain(nt *normText, cl *clause, terms [][]ruleHit, ord []int8, sent int32, parts []span, lo int) bool {
	if len(ord) == 0 {
		return true
	}
	prevEnd := parts[len(parts)-1].end
	cands := terms[ord[0]]
	if lo < 0 {
		// First candidate starting at or after prevEnd.
		hi := len(cands)
		lo = 0
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if cands[m].start < prevEnd {
				lo = m + 1
			} else {
				hi = m
			}
		}
	}
	for i := lo; i < len(cands); i++ {
		h := cands[i]
		if !cl.across && h.sent != sent {
			break
		}
		if wordsBetween(nt.b, prevEnd, h.start, cl.within) > cl.within {
			break
		}
		if e.chain(nt, cl, terms, ord[1:], sent, append(parts, span{h.start, h.end}), -1) {
			return true
		}
	}
	return false
}

// wordsBetween counts the words starting in t[a:b], giving up once the count
// exceeds limit.
func wordsBetween(t []byte, a, b, limit int) int {
	n := 0
	for p := a; p < b; p++ {
		if isWord(t[p]) && (p == 0 || !isWord(t[p-1])) {
			n++
			if n > limit {
				break
			}
		}
	}
	return n
}

// negated reports a negation among the negationWindow words before any part
// of a match, within its sentence and not reaching back into the previous
// part. Words of the parts themselves do not count: a phrase that contains
// "no" ("no credit check") is not cancelled by its own wording. A negation
// inside a condition ("if you do not pay, you will be arrested") does not
// negate what follows it either.
func negated(nt *normText, parts []span) bool {
	t := nt.b
	limit := 0
	for _, s := range parts {
		p := s.start
		for w := 0; w < negationWindow; w++ {
			a, b := prevWord(t, p, limit)
			if a == b {
				break
			}
			if negation(t[a:b]) && !conditional(t, a, limit) {
				return true
			}
			p = a
		}
		limit = s.end
	}
	return false
}

// prevWord returns the word ending before position p, not crossing limit or
// a sentence boundary; an empty span when there is none.
func prevWord(t []byte, p, limit int) (int, int) {
	for p > limit && !isWord(t[p-1]) {
		if t[p-1] == '\n' || (sentencePunct[t[p-1]] != 0 && p < len(t) && (t[p] == ' ' || t[p] == '\n')) {
			return p, p
		}
		p--
	}
	q := p
	for p > limit && isWord(t[p-1]) {
		p--
	}
	return p, q
}

// conditional reports "if", "unless" or "when" among the three words before
// position p.
func conditional(t []byte, p, limit int) bool {
	for w := 0; w < 3; w++ {
		a, b := prevWord(t, p, limit)
		if a == b {
			return false
		}
		switch string(t[a:b]) {
		case "if", "unless", "when", "whether":
			return true
		}
		p = a
	}
	return false
}

func negation(w []byte) bool {
	switch string(w) {
	case "not", "no", "never", "without", "nor", "neither", "none", "nothing", "nobody":
		return true
	}
	return false
}

// inSentence reports whether any of hs (sorted by start) lies in a sentence
// that s touches; first is the sentence s starts in.
func inSentence(nt *normText, hs []ruleHit, first int32, s span) bool {
	if len(hs) == 0 {
		return false
	}
	last := nt.sentenceOf(max(s.start, s.end-1))
	from := 0
	if first > 0 {
		from = nt.sentences[first-1]
	}
	to := len(nt.b)
	if last < len(nt.sentences) {
		to = nt.sentences[last]
	}
	i := sort.Search(len(hs), func(i int) bool { return hs[i].start >= from })
	return i < len(hs) && hs[i].start < to
}

// near reports whether one of hs (sorted by start) overlaps s or lies within
// `within` words of it.
func near(nt *normText, hs []ruleHit, s span, within int) bool {
	i := sort.Search(len(hs), func(i int) bool { return hs[i].start >= s.start })
	if i < len(hs) && (hs[i].start < s.end || wordsBetween(nt.b, s.end, hs[i].start, within) <= within) {
		return true
	}
	// Hits starting earlier may be of different lengths; a few suffice.
	for j := i - 1; j >= 0 && j >= i-4; j-- {
		if hs[j].end > s.start || wordsBetween(nt.b, hs[j].end, s.start, within) <= within {
			return true
		}
	}
	return false
}

func sectionPath(nt *normText, p int) string {
	para := nt.paragraphOf(p)
	first := 0
	if para > 0 {
		first = nt.sentenceOf(nt.paras[para-1])
	}
	return "paragraph " + strconv.Itoa(para+1) + " > sentence " + strconv.Itoa(nt.sentenceOf(p)-first+1)
}

// verify checks the pieces of a phrase around an anchor found at t[s:e] and
// returns the whole phrase's span.
func (ph *phrase) verify(t []byte, s, e int) (int, int, bool) {
	for _, el := range ph.left {
		if el.num {
			ns, v, ok := numberBefore(t, s)
			if !ok || !el.accepts(v) {
				return 0, 0, false
			}
			s = ns
			continue
		}
		if s < len(el.lit) || !litEqual(t[s-len(el.lit):s], el.lit) {
			return 0, 0, false
		}
		s -= len(el.lit)
	}
	for _, el := range ph.right {
		if el.num {
			ne, v, ok := numberAfter(t, e)
			if !ok || !el.accepts(v) {
				return 0, 0, false
			}
			e = ne
			continue
		}
		if len(t)-e < len(el.lit) || !litEqual(t[e:e+len(el.lit)], el.lit) {
			return 0, 0, false
		}
		e += len(el.lit)
	}
	if ph.suffix {
		for e < len(t) && isWord(t[e]) {
			e++
		}
	}
	if s > 0 && isWord(t[s]) && isWord(t[s-1]) {
		return 0, 0, false
	}
	if !ph.suffix && e < len(t) && isWord(t[e-1]) && isWord(t[e]) {
		return 0, 0, false
	}
	return s, e, true
}

func (el elem) accepts(v int) bool { return v > el.lo && v < el.hi }

// litEqual compares text with a phrase literal, ' ' and '-' being the same.
func litEqual(t, lit []byte) bool {
	for i, c := range lit {
		d := t[i]
		if c != d && !((c == ' ' || c == '-') && (d == ' ' || d == '-')) {
			return false
		}
	}
	return true
}

func digit(c byte) bool { return c >= '0' && c <= '9' }

// numberSep reports a separator inside a number: thousands (1,500),
// decimals (19.99) and clock times (10:30).
func numberSep(c byte) bool { return c == ',' || c == '.' || c == ':' }

// numberAfter reads the number starting at t[p]: its end and the value of
// its integer part (thousands separators skipped, capped to stay in range).
func numberAfter(t []byte, p int) (int, int, bool) {
	if p >= len(t) || !digit(t[p]) {
		return 0, 0, false
	}
	e := p
	for e < len(t) && (digit(t[e]) || (numberSep(t[e]) && e+1 < len(t) && digit(t[e+1]))) {
		e++
	}
	return e, numberValue(t[p:e]), true
}

// numberBefore reads the number ending just before t[p].
func numberBefore(t []byte, p int) (int, int, bool) {
	if p <= 0 || p > len(t) || !digit(t[p-1]) {
		return 0, 0, false
	}
	s := p
	for s > 0 && (digit(t[s-1]) || (numberSep(t[s-1]) && s >= 2 && digit(t[s-2]))) {
		s--
	}
	return s, numberValue(t[s:p]), true
}

func numberValue(n []byte) int {
	v := 0
	for _, c := range n {
		switch {
		case digit(c):
			if v < 1e9 {
				v = v*10 + int(c-'0')
			}
		case c == ',':
		default:
			return v
		}
	}
	return v
}
