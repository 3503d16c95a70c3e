package textrisk

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
)

// elem is one piece of a phrase beside its anchor: literal bytes, or a
// number, optionally bounded (lo < value < hi).
type elem struct {
	lit    []byte
	num    bool
	lo, hi int
}

// phraseSpec is a parsed phrase: the anchor the automaton looks for and the
// pieces checked around it once the anchor is found.
type phraseSpec struct {
	canon  string // normalised phrase, including # and * syntax
	anchor []byte
	left   []elem // nearest to the anchor first
	right  []elem // nearest to the anchor first
	suffix bool   // trailing "*": the last word may continue
}

// parsePhrase normalises a phrase exactly like input text and splits it
// around its anchor, the text the automaton looks for.
func parsePhrase(raw string) (*phraseSpec, error) {
	var nt normText
	normalize(&nt, raw)
	b := []byte(strings.Trim(string(nt.b), " \n"))
	if len(b) == 0 {
		return nil, errors.New("empty phrase")
	}
	var elems []elem
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			elems = append(elems, elem{lit: lit})
			lit = nil
		}
	}
	suffix := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '*':
			if i != len(b)-1 || len(lit) == 0 || !isWord(lit[len(lit)-1]) {
				return nil, errors.New(`"*" may only end the phrase, right after a word`)
			}
			suffix = true
		case '#':
			flush()
			if len(elems) > 0 && elems[len(elems)-1].num {
				return nil, errors.New(`two numbers ("#") need something between them`)
			}
			el := elem{num: true, lo: -1, hi: math.MaxInt}
			for i+1 < len(b) && (b[i+1] == '<' || b[i+1] == '>') {
				op := b[i+1]
				j, v := i+2, 0
				for j < len(b) && b[j] >= '0' && b[j] <= '9' && v < 1e8 {
					v = v*10 + int(b[j]-'0')
					j++
				}
				if j == i+2 {
					return nil, fmt.Errorf(`"#%c" needs a number after it, like "#%c60"`, op, op)
				}
				if op == '<' {
					el.hi = v
				} else {
					el.lo = v
				}
				i = j - 1
			}
			elems = append(elems, el)
		default:
			lit = append(lit, c)
		}
	}
	flush()
	// The anchor is the most distinctive word of the phrase: the automaton
	// then holds about a thousand short words instead of thousands of long
	// phrases, small enough to stay in cache, and the rest of the phrase is
	// compared in place around each occurrence.
	best, bestA, bestZ, bestScore := -1, 0, 0, -1
	for i, e := range elems {
		if e.num {
			continue
		}
		for a := 0; a < len(e.lit); {
			if !isWord(e.lit[a]) {
				a++
				continue
			}
			z := a
			for z < len(e.lit) && isWord(e.lit[z]) {
				z++
			}
			if sc := anchorScore(e.lit[a:z]); sc > bestScore {
				best, bestA, bestZ, bestScore = i, a, z, sc
			}
			a = z
		}
	}
	if best < 0 {
		// No word at all ("$#"): anchor on the longest literal.
		for i, e := range elems {
			if n := len(strings.TrimSpace(string(e.lit))); !e.num && n > 0 && n > bestScore {
				whole := e.lit
				a, z := 0, len(whole)
				for whole[a] == ' ' {
					a++
				}
				for whole[z-1] == ' ' {
					z--
				}
				best, bestA, bestZ, bestScore = i, a, z, n
			}
		}
	}
	if best < 0 {
		return nil, errors.New("phrase needs literal text besides numbers")
	}
	whole := elems[best].lit
	// Short or common words ("you", "fee") occur everywhere; widen the
	// anchor with neighbouring words of the same literal until it is
	// distinctive.
	for bestZ-bestA < minAnchor {
		if z := nextWordEnd(whole, bestZ); z > bestZ {
			bestZ = z
		} else if a := prevWordStart(whole, bestA); a < bestA {
			bestA = a
		} else {
			break
		}
	}
	p := &phraseSpec{canon: string(b), suffix: suffix}
	p.anchor = whole[bestA:bestZ]
	if bestA > 0 {
		p.left = append(p.left, elem{lit: whole[:bestA]})
	}
	for i := best - 1; i >= 0; i-- {
		p.left = append(p.left, elems[i])
	}
	if bestZ < len(whole) {
		p.right = append(p.right, elem{lit: whole[bestZ:]})
	}
	p.right = append(p.right, elems[best+1:]...)
	return p, nil
}

// minAnchor is the length an anchor is widened to: shorter anchors fan out
// to too many phrases per occurrence, longer ones grow the automaton
// (measured best at 12 on the shipped packs).
const minAnchor = 12

// nextWordEnd returns the end of the word after position z in lit, or z.
func nextWordEnd(lit []byte, z int) int {
	e := z
	for e < len(lit) && !isWord(lit[e]) {
		e++
	}
	if e == len(lit) {
		return z
	}
	for e < len(lit) && isWord(lit[e]) {
		e++
	}
	return e
}

// prevWordStart returns the start of the word before position a in lit, or a.
func prevWordStart(lit []byte, a int) int {
	s := a
	for s > 0 && !isWord(lit[s-1]) {
		s--
	}
	if s == 0 {
		return a
	}
	for s > 0 && isWord(lit[s-1]) {
		s--
	}
	return s
}

// anchorScore ranks a word as an anchor: longer is rarer, and the commonest
// English words are a last resort, since every occurrence of an anchor costs
// a verification.
func anchorScore(w []byte) int {
	switch string(w) {
	case "a", "an", "the", "to", "of", "in", "on", "at", "for", "by", "with", "from",
		"as", "and", "or", "but", "if", "is", "are", "was", "were", "be", "been",
		"will", "would", "can", "could", "shall", "should", "may", "might", "must",
		"do", "does", "did", "not", "no", "you", "your", "we", "our", "us", "they",
		"their", "them", "it", "its", "this", "that", "these", "those", "there",
		"have", "has", "had", "i", "me", "my", "all", "any", "each", "some", "more",
		"than", "then", "so", "only", "also", "just", "about", "into", "up", "out",
		"who", "what", "when", "which", "after", "before", "until", "once", "get":
		return len(w)
	}
	return 100 + len(w)
}

// Kinds of phrase use.
const (
	useTerm    = iota // a term of a clause
	useUnless         // an exception phrase
	useRequire        // a disclosure of a conditional rule
)

// use records that a phrase serves a rule in some role.
type use struct {
	rule int32
	slot int32 // the clause's index in Engine.full, for term uses
	role int32 // see compiledRule
	kind uint8
	term int8
}

// cand is a phrase to verify when its anchor, alen bytes long, is found.
// lByte, lOff and rByte, rOff name the nearest byte of the phrase left and
// right of the anchor (other than a space) and its distance: comparing
// those first rejects most candidates without touching the phrase.
type cand struct {
	phrase       int32
	alen         int32
	plain        bool
	lOff, rOff   uint8
	lByte, rByte byte
}

func (ph *phrase) cand(pi, alen int32) cand {
	c := cand{phrase: pi, alen: alen, plain: ph.plain}
	if len(ph.left) > 0 && !ph.left[0].num {
		lit := ph.left[0].lit
		for k := len(lit) - 1; k >= 0 && len(lit)-k < 256; k-- {
			if lit[k] != ' ' && lit[k] != '-' {
				c.lOff, c.lByte = uint8(len(lit)-k), lit[k]
				break
			}
		}
	}
	if len(ph.right) > 0 && !ph.right[0].num {
		lit := ph.right[0].lit
		for k := 0; k < len(lit) && k < 255; k++ {
			if lit[k] != ' ' && lit[k] != '-' {
				c.rOff, c.rByte = uint8(k+1), lit[k]
				break
			}
		}
	}
	return c
}

type phrase struct {
	phraseSpec
	plain bool  // the anchor is the whole phrase: only word boundaries to check
	mask  uint8 // scenarios of the rules using it
	uses  []use
}

// clause is rule.Match.Phrases (clause 0, one term) or one sequence.
type clause struct {
	terms     int
	within    int
	orders    [][]int8 // term orders to try: one, or every permutation
	across    bool
	negatable bool
}

// compiledRule is a rule ready to evaluate. Each role a phrase can play in
// it (term t of clause c, an exception, the disclosure) has an id, numbered
// consecutively per rule, so that hits sort into per-role runs by a
// counting sort.
type compiledRule struct {
	def          *Rule
	weight       float64
	priority     Priority
	mask         uint8
	clauses      []clause
	termRoles    [][]int32 // [clause][term]
	clauseUnless []int32   // [clause], -1 if none
	ruleUnless   int32     // -1 if none
	require      int32     // -1 if no requirement
	within       int       // of the requirement; 0 = anywhere in the text
	citations    []Regulation
}

// Engine analyses texts against compiled rule packs. It is immutable and
// safe for concurrent use.
type Engine struct {
	rules   []compiledRule
	phrases []phrase
	// Each scenario has its own automaton over the anchors of its rules:
	// a smaller table, and common words of other scenarios' rules never
	// cost a hit. For scenario s, the phrases to verify when ac[s] reaches
	// its k-th output state are cands[s][candFirst[s][k]:candFirst[s][k+1]],
	// and the uses of phrase p by rules of s are
	// uses[s][useFirst[s][p]:useFirst[s][p+1]].
	ac        [numScenarios]*automaton
	cands     [numScenarios][]cand
	candFirst [numScenarios][]int32
	uses      [numScenarios][]use
	useFirst  [numScenarios][]int32
	// full[slot] has one bit per term of a clause, across all rules: a
	// rule is evaluated only once every term of one of its clauses hit.
	full  []uint8
	roles int // roles of all rules: each rule's terms, exceptions and disclosure
	// The roles of rule r are firstRole[r] to firstRole[r+1]-1.
	firstRole []int32
	version   string
	pool      sync.Pool
}

var (
	defaultOnce   sync.Once
	defaultEngine *Engine
	defaultErr    error
)

// Default returns the engine of the built-in packs, compiled once.
func Default() (*Engine, error) {
	defaultOnce.Do(func() {
		packs, err := Builtin()
		if err != nil {
			defaultErr = err
			return
		}
		defaultEngine, defaultErr = New(packs...)
	})
	return defaultEngine, defaultErr
}

// New compiles packs into an engine. Later packs win: a rule with the id of
// an earlier rule replaces it in place (or removes it when Disabled), and a
// regulation with the id of an earlier one replaces it. Typical use is
// New(append(builtin, user...)...).
func New(packs ...*Pack) (*Engine, error) {
	regs := map[string]Regulation{}
	var order []*Rule
	index := map[string]int{}
	var versions []string
	var all []error
	fail := func(r *Rule, format string, args ...any) {
		all = append(all, &PackError{Pos: r.Pos, Rule: r.ID, Msg: fmt.Sprintf(format, args...)})
	}
	for _, p := range packs {
		if p == nil {
			continue
		}
		if v := p.Name + "@" + p.Version; !contains(versions, v) {
			versions = append(versions, v)
		}
		for _, reg := range p.Regulations {
			regs[reg.ID] = reg
		}
		for _, r := range p.Rules {
			i, seen := index[r.ID]
			switch {
			case r.Disabled && !seen:
				fail(r, "disables a rule no earlier pack defines")
			case r.Disabled:
				order[i] = nil
				delete(index, r.ID)
			case seen:
				order[i] = r
			default:
				index[r.ID] = len(order)
				order = append(order, r)
			}
		}
	}

	e := &Engine{version: strings.Join(versions, ",")}
	phraseIdx := map[string]int32{}
	addPhrase := func(r *Rule, raw string, u use, mask uint8) {
		spec, err := parsePhrase(raw)
		if err != nil {
			fail(r, "phrase %q: %v", raw, err)
			return
		}
		pi, ok := phraseIdx[spec.canon]
		if !ok {
			pi = int32(len(e.phrases))
			phraseIdx[spec.canon] = pi
			e.phrases = append(e.phrases, phrase{phraseSpec: *spec})
		}
		ph := &e.phrases[pi]
		ph.mask |= mask
		for _, old := range ph.uses {
			if old == u {
				return
			}
		}
		ph.uses = append(ph.uses, u)
	}

	for _, r := range order {
		if r == nil {
			continue
		}
		ri := int32(len(e.rules))
		e.firstRole = append(e.firstRole, int32(e.roles))
		cr := compiledRule{def: r, priority: r.Severity, weight: r.Weight}
		if cr.priority == "" {
			cr.priority = priorityFor(r.Weight)
		}
		if cr.weight == 0 {
			cr.weight = DefaultWeight(cr.priority)
		}
		for _, s := range r.Scenarios {
			if s < numScenarios {
				cr.mask |= 1 << s
			}
		}
		if cr.mask == 0 {
			fail(r, "has no scenarios")
		}
		if len(r.Match.Phrases) == 0 && len(r.Match.Sequences) == 0 {
			fail(r, "match needs phrases or sequences")
		}
		for _, c := range r.Citations {
			reg, ok := regs[c.Regulation.ID]
			reg = overlay(reg, c.Regulation)
			if !ok && (reg.Title == "" || reg.SourceURL == "") {
				all = append(all, &PackError{Pos: c.Pos, Rule: r.ID, Msg: fmt.Sprintf("cites unknown regulation %q (define it under regulations: or give title and sourceUrl)", c.Regulation.ID)})
				continue
			}
			reg.Section = c.Section
			cr.citations = append(cr.citations, reg)
		}
		if len(cr.citations) == 0 && len(r.Citations) == 0 {
			fail(r, "has no citations")
		}
		newRole := func() int32 {
			e.roles++
			return int32(e.roles - 1)
		}
		cr.ruleUnless, cr.require = -1, -1
		if len(r.Match.Phrases) > 0 {
			cr.clauses = append(cr.clauses, clause{terms: 1, orders: [][]int8{{0}}, negatable: r.Match.Negatable})
			role := newRole()
			cr.termRoles = append(cr.termRoles, []int32{role})
			cr.clauseUnless = append(cr.clauseUnless, -1)
			slot := int32(len(e.full))
			e.full = append(e.full, 1)
			for _, p := range r.Match.Phrases {
				addPhrase(r, p, use{rule: ri, slot: slot, role: role, kind: useTerm}, cr.mask)
			}
		}
		for _, s := range r.Match.Sequences {
			if len(s.Terms) < 2 || len(s.Terms) > maxTerms {
				fail(r, "a sequence needs 2 to %d terms", maxTerms)
				continue
			}
			cl := clause{terms: len(s.Terms), within: s.Within, across: s.AcrossSentences, negatable: r.Match.Negatable}
			if s.Negatable != nil {
				cl.negatable = *s.Negatable
			}
			cl.orders = [][]int8{identity(len(s.Terms))}
			if s.AnyOrder {
				cl.orders = permutations(len(s.Terms))
			}
			cr.clauses = append(cr.clauses, cl)
			slot := int32(len(e.full))
			e.full = append(e.full, uint8(1)<<len(s.Terms)-1)
			roles := make([]int32, len(s.Terms))
			for ti, term := range s.Terms {
				roles[ti] = newRole()
				for _, alt := range strings.Split(term, "|") {
					addPhrase(r, alt, use{rule: ri, slot: slot, role: roles[ti], kind: useTerm, term: int8(ti)}, cr.mask)
				}
			}
			cr.termRoles = append(cr.termRoles, roles)
			unless := int32(-1)
			if len(s.Unless) > 0 {
				unless = newRole()
			}
			cr.clauseUnless = append(cr.clauseUnless, unless)
			for _, p := range s.Unless {
				addPhrase(r, p, use{rule: ri, role: unless, kind: useUnless}, cr.mask)
			}
		}
		if len(r.Match.Unless) > 0 {
			cr.ruleUnless = newRole()
		}
		for _, p := range r.Match.Unless {
			addPhrase(r, p, use{rule: ri, role: cr.ruleUnless, kind: useUnless}, cr.mask)
		}
		if req := r.Match.Requires; req != nil {
			cr.require = newRole()
			cr.within = req.Within
			for _, p := range req.Phrases {
				addPhrase(r, p, use{rule: ri, role: cr.require, kind: useRequire}, cr.mask)
			}
		}
		e.rules = append(e.rules, cr)
	}
	if err := errors.Join(all...); err != nil {
		return nil, err
	}
	e.firstRole = append(e.firstRole, int32(e.roles))
	for i := range e.phrases {
		ph := &e.phrases[i]
		ph.plain = len(ph.left) == 0 && len(ph.right) == 0 && !ph.suffix
	}
	for sc := range e.ac {
		if err := e.compileScenario(Scenario(sc)); err != nil {
			return nil, err
		}
	}
	e.pool.New = func() any { return new(scratch) }
	return e, nil
}

// compileScenario builds the automaton and candidate tables of scenario sc.
func (e *Engine) compileScenario(sc Scenario) error {
	bit := uint8(1) << sc
	index := map[string]int{}
	var patterns [][]byte
	var anchored [][]int32 // pattern -> phrases
	for pi := range e.phrases {
		ph := &e.phrases[pi]
		if ph.mask&bit == 0 {
			continue
		}
		k, ok := index[string(ph.anchor)]
		if !ok {
			k = len(patterns)
			index[string(ph.anchor)] = k
			patterns = append(patterns, ph.anchor)
			anchored = append(anchored, nil)
		}
		anchored[k] = append(anchored[k], int32(pi))
	}
	ac, err := buildAutomaton(patterns)
	if err != nil {
		return err
	}
	first := make([]int32, 0, len(ac.outs)+1)
	var list []cand
	for _, pats := range ac.outs {
		first = append(first, int32(len(list)))
		for _, pat := range pats {
			for _, pi := range anchored[pat] {
				list = append(list, e.phrases[pi].cand(pi, ac.lengths[pat]))
			}
		}
	}
	e.ac[sc] = ac
	e.candFirst[sc] = append(first, int32(len(list)))
	e.cands[sc] = list
	ufirst := make([]int32, 0, len(e.phrases)+1)
	var uses []use
	for _, ph := range e.phrases {
		ufirst = append(ufirst, int32(len(uses)))
		for _, u := range ph.uses {
			if e.rules[u.rule].mask&bit != 0 {
				uses = append(uses, u)
			}
		}
	}
	e.useFirst[sc] = append(ufirst, int32(len(uses)))
	e.uses[sc] = uses
	return nil
}

// overlay returns base with the non-empty fields of top.
func overlay(base, top Regulation) Regulation {
	base.ID = top.ID
	if top.Title != "" {
		base.Title = top.Title
	}
	if top.Category != "" {
		base.Category = top.Category
	}
	if len(top.Authorities) > 0 {
		base.Authorities = top.Authorities
	}
	if len(top.Jurisdictions) > 0 {
		base.Jurisdictions = top.Jurisdictions
	}
	if top.Description != "" {
		base.Description = top.Description
	}
	if top.SourceURL != "" {
		base.SourceURL = top.SourceURL
	}
	return base
}

func identity(n int) []int8 {
	p := make([]int8, n)
	for i := range p {
		p[i] = int8(i)
	}
	return p
}

// permutations lists every order of n terms (n <= maxTerms, so at most 24).
func permutations(n int) [][]int8 {
	var out [][]int8
	var rec func(p []int8, k int)
	rec = func(p []int8, k int) {
		if k == len(p) {
			out = append(out, append([]int8(nil), p...))
			return
		}
		for i := k; i < len(p); i++ {
			p[k], p[i] = p[i], p[k]
			rec(p, k+1)
			p[k], p[i] = p[i], p[k]
		}
	}
	rec(identity(n), 0)
	return out
}

// PackVersion names the packs the engine was built from, as name@version,
// comma-separated in the order given to New.
func (e *Engine) PackVersion() string { return e.version }

// Rules returns the effective rules after overrides, in evaluation order.
func (e *Engine) Rules() []*Rule {
	out := make([]*Rule, len(e.rules))
	for i := range e.rules {
		out[i] = e.rules[i].def
	}
	return out
}
