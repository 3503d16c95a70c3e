package textrisk

import (
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Pack is one rule-pack file: a named, versioned set of regulations and
// rules. Packs are data; New compiles them into an Engine.
type Pack struct {
	Name        string
	Version     string
	Description string
	File        string // as given to ParsePack; error messages start with it
	// Regulations is the catalogue rules cite by id. Catalogues of all
	// packs given to New are merged; a later entry with the same id
	// replaces an earlier one.
	Regulations []Regulation
	Rules       []*Rule
}

// Pos is where something was defined in a pack file.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string { return p.File + ":" + strconv.Itoa(p.Line) }

// Rule is one check: when its match fires on a text analysed under one of
// its scenarios, the text gets a finding with the rule's title, message and
// citations, weighing Weight in the score.
type Rule struct {
	ID        string
	Scenarios []Scenario
	// Severity is the finding's priority. When a pack sets only a weight,
	// the priority is derived from it (> 0.6 p1, > 0.2 p2, else p3).
	Severity Priority
	// Weight in (0, 1]; 0 means DefaultWeight(Severity).
	Weight      float64
	Title       string
	Message     string
	Remediation string
	Citations   []RuleCitation
	Match       Match
	Examples    Examples
	// Disabled removes a rule of the same id defined by an earlier pack;
	// such an entry needs no other field.
	Disabled bool
	Pos      Pos
}

// RuleCitation points at a catalogue regulation, optionally narrowed to a
// section. Non-empty fields of Regulation other than ID override the
// catalogue entry for this citation; a citation of an id no catalogue
// defines must give at least a title and a source URL itself.
type RuleCitation struct {
	Regulation Regulation
	Section    string
	Pos        Pos
}

// Match says what fires a rule.
//
// A hit is an occurrence of one of Phrases, or of a Sequence. A phrase is
// matched as whole words in normalised text; "#" in a phrase stands for a
// number ("#<60" and "#>7" bound it) and a trailing "*" lets the last word
// continue ("harass*" matches "harassment"). A hit is cancelled when:
//   - the hit is Negatable and a negation (not, no, never, without, nor,
//     neither, none, nothing, nobody; contractions included) occurs within
//     the three words before it, or before any later term of a sequence, in
//     the same sentence, other than inside a condition ("if you do not
//     pay, …");
//   - an Unless phrase occurs in the same sentence;
//   - Requires is set and one of its phrases (the disclosure) occurs within
//     Requires.Within words of the hit, or anywhere when Within is 0.
type Match struct {
	Phrases   []string
	Sequences []Sequence
	Negatable bool
	Unless    []string
	Requires  *Requirement
}

// Sequence fires when its terms occur in order (any order with AnyOrder),
// each at most Within words after the previous one (packs default to 4), in
// one sentence unless AcrossSentences. A term lists alternative phrases
// separated by "|".
type Sequence struct {
	Terms           []string
	Within          int
	AnyOrder        bool
	AcrossSentences bool
	// Negatable overrides Match.Negatable for this sequence when set.
	Negatable *bool
	// Unless adds exception phrases to Match.Unless for this sequence.
	Unless []string
}

// Requirement is a disclosure whose presence cancels a conditional rule's
// hits (a payment amount in an advertisement needs the APR).
type Requirement struct {
	Phrases []string
	Within  int
}

// Examples are texts the rule must fire on and texts it must stay quiet on;
// Engine.CheckExamples runs them.
type Examples struct {
	MustFire    []string
	MustNotFire []string
}

// PackError is a problem in a pack file, located to its line.
type PackError struct {
	Pos  Pos
	Rule string // the rule's id, when the problem is inside a rule
	Msg  string
}

func (e *PackError) Error() string {
	if e.Rule != "" {
		return fmt.Sprintf("%s: rule %q: %s", e.Pos, e.Rule, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
}

//go:embed packs/*.yaml
var builtinFS embed.FS

// Builtin parses the rule packs shipped in the binary. Each call returns
// fresh values the caller may modify.
func Builtin() ([]*Pack, error) {
	entries, err := builtinFS.ReadDir("packs")
	if err != nil {
		return nil, err
	}
	var packs []*Pack
	var all []error
	for _, e := range entries {
		data, err := builtinFS.ReadFile("packs/" + e.Name())
		if err != nil {
			return nil, err
		}
		p, err := ParsePack("packs/"+e.Name(), data)
		if err != nil {
			all = append(all, err)
			continue
		}
		packs = append(packs, p)
	}
	return packs, errors.Join(all...)
}

// LoadDir parses every *.yaml and *.yml file in dir, in lexical order, so
// that `riskd serve --rules DIR` can add and override rules. All problems of
// all files are reported, each as file:line.
func LoadDir(dir string) ([]*Pack, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() || e.Type()&os.ModeSymlink != 0 {
			if ext := filepath.Ext(e.Name()); ext == ".yaml" || ext == ".yml" {
				names = append(names, e.Name())
			}
		}
	}
	sort.Strings(names)
	var packs []*Pack
	var all []error
	for _, name := range names {
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			all = append(all, err)
			continue
		}
		p, err := ParsePack(path, data)
		if err != nil {
			all = append(all, err)
			continue
		}
		packs = append(packs, p)
	}
	if len(names) == 0 {
		all = append(all, fmt.Errorf("%s: no .yaml or .yml rule packs", dir))
	}
	return packs, errors.Join(all...)
}

// ParsePack parses and validates one pack file. file names it in errors.
// Problems are collected, not stopped at, and returned joined.
func ParsePack(file string, data []byte) (*Pack, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 0
		msg := err.Error()
		// yaml.v3 reports "yaml: line N: reason".
		if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
			if n, reason, ok := strings.Cut(rest, ": "); ok {
				if v, err := strconv.Atoi(n); err == nil {
					line, msg = v, reason
				}
			}
		}
		return nil, &PackError{Pos: Pos{file, line}, Msg: msg}
	}
	d := &decoder{file: file}
	p := &Pack{File: file}
	if len(doc.Content) == 0 {
		d.failf(&doc, "", "empty pack")
		return nil, d.err()
	}
	d.pack(resolve(doc.Content[0]), p)
	if err := d.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// decoder walks a yaml.Node tree, keeping line numbers for every error.
type decoder struct {
	file string
	errs []error
	rule string // id of the rule being decoded, for messages
}

func (d *decoder) err() error { return errors.Join(d.errs...) }

func (d *decoder) failf(n *yaml.Node, rule, format string, args ...any) {
	d.errs = append(d.errs, &PackError{Pos: d.pos(n), Rule: rule, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) pos(n *yaml.Node) Pos { return Pos{d.file, n.Line} }

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// fields iterates a mapping, rejecting keys outside allowed so that a typo
// ("mustfire") fails loudly instead of silently dropping examples.
func (d *decoder) fields(n *yaml.Node, what string, allowed []string, fn func(key string, k, v *yaml.Node)) bool {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.failf(n, d.rule, "%s must be a mapping", what)
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		key := k.Value
		switch {
		case !contains(allowed, key):
			d.failf(k, d.rule, "unknown field %s.%s (want one of %s)", what, key, strings.Join(allowed, ", "))
		case seen[key]:
			d.failf(k, d.rule, "duplicate field %s.%s", what, key)
		default:
			seen[key] = true
			fn(key, k, v)
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (d *decoder) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode {
		d.failf(n, d.rule, "%s must be a string", what)
		return ""
	}
	return strings.TrimSpace(n.Value)
}

// strs accepts a list of strings, or one string as a list of one.
func (d *decoder) strs(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode {
		if s := strings.TrimSpace(n.Value); s != "" {
			return []string{s}
		}
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.failf(n, d.rule, "%s must be a list of strings", what)
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		c = resolve(c)
		if c.Kind != yaml.ScalarNode || strings.TrimSpace(c.Value) == "" {
			d.failf(c, d.rule, "%s entries must be non-empty strings", what)
			continue
		}
		out = append(out, strings.TrimSpace(c.Value))
	}
	return out
}

func (d *decoder) boolean(n *yaml.Node, what string) bool {
	var b bool
	if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
		d.failf(n, d.rule, "%s must be true or false", what)
	}
	return b
}

func (d *decoder) integer(n *yaml.Node, what string, lo, hi int) int {
	var v int
	if n.Kind != yaml.ScalarNode || n.Decode(&v) != nil || v < lo || v > hi {
		d.failf(n, d.rule, "%s must be a whole number from %d to %d", what, lo, hi)
	}
	return v
}

func (d *decoder) pack(n *yaml.Node, p *Pack) {
	var rulesNode *yaml.Node
	ok := d.fields(n, "pack", []string{"pack", "version", "description", "regulations", "rules"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "pack":
			p.Name = d.str(v, "pack")
		case "version":
			p.Version = d.str(v, "version")
		case "description":
			p.Description = d.str(v, "description")
		case "regulations":
			d.regulations(v, p)
		case "rules":
			rulesNode = v
			d.rules(v, p)
		}
	})
	if !ok {
		return
	}
	if p.Name == "" {
		d.failf(n, "", "pack name is missing (pack: NAME)")
	}
	if p.Version == "" {
		d.failf(n, "", "pack version is missing (version: VERSION)")
	}
	if rulesNode == nil && len(p.Regulations) == 0 {
		d.failf(n, "", "pack has neither rules nor regulations")
	}
}

var regulationFields = []string{"id", "title", "category", "authority", "authorities", "jurisdiction", "jurisdictions", "sourceUrl", "description"}

func (d *decoder) regulationField(r *Regulation, key string, v *yaml.Node) {
	switch key {
	case "id":
		r.ID = d.str(v, "id")
	case "title":
		r.Title = d.str(v, "title")
	case "category":
		r.Category = d.str(v, "category")
	case "authority", "authorities":
		r.Authorities = append(r.Authorities, d.strs(v, key)...)
	case "jurisdiction", "jurisdictions":
		r.Jurisdictions = append(r.Jurisdictions, d.strs(v, key)...)
	case "sourceUrl":
		r.SourceURL = d.str(v, "sourceUrl")
		if !strings.HasPrefix(r.SourceURL, "https://") && !strings.HasPrefix(r.SourceURL, "http://") {
			d.failf(v, d.rule, "sourceUrl must be an http(s) URL")
		}
	case "description":
		r.Description = d.str(v, "description")
	}
}

func (d *decoder) regulations(n *yaml.Node, p *Pack) {
	if n.Kind != yaml.SequenceNode {
		d.failf(n, "", "regulations must be a list")
		return
	}
	seen := map[string]bool{}
	for _, c := range n.Content {
		c = resolve(c)
		var r Regulation
		d.fields(c, "regulation", regulationFields, func(key string, _, v *yaml.Node) { d.regulationField(&r, key, v) })
		switch {
		case r.ID == "":
			d.failf(c, "", "regulation id is missing")
		case seen[r.ID]:
			d.failf(c, "", "regulation %q is defined twice", r.ID)
		case r.Title == "" || r.SourceURL == "":
			d.failf(c, "", "regulation %q needs a title and a sourceUrl", r.ID)
		}
		seen[r.ID] = true
		p.Regulations = append(p.Regulations, r)
	}
}

func (d *decoder) rules(n *yaml.Node, p *Pack) {
	if n.Kind != yaml.SequenceNode {
		d.failf(n, "", "rules must be a list")
		return
	}
	seen := map[string]bool{}
	for _, c := range n.Content {
		c = resolve(c)
		r := d.rule1(c)
		if r == nil {
			continue
		}
		if seen[r.ID] {
			d.failf(c, r.ID, "defined twice in this pack")
			continue
		}
		seen[r.ID] = true
		p.Rules = append(p.Rules, r)
	}
}

func validID(id string) bool {
	if id == "" {
		return false
	}
	for i, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '-' || c == '.' || c == '_'):
		default:
			return false
		}
	}
	return true
}

// rule1 decodes and validates one rule; nil when it has no usable id.
func (d *decoder) rule1(n *yaml.Node) *Rule {
	r := &Rule{Pos: d.pos(n)}
	d.rule = ""
	// Find the id first so every message about this rule can name it.
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "id" && n.Content[i+1].Kind == yaml.ScalarNode {
				r.ID = strings.TrimSpace(n.Content[i+1].Value)
			}
		}
	}
	if !validID(r.ID) {
		d.failf(n, "", "rule id %q must be lowercase letters, digits, '-', '.' or '_'", r.ID)
		return nil
	}
	d.rule = r.ID
	defer func() { d.rule = "" }()
	has := map[string]*yaml.Node{}
	d.fields(n, "rule", []string{"id", "disabled", "scenarios", "severity", "weight", "title", "message", "remediation", "citations", "match", "examples"}, func(key string, k, v *yaml.Node) {
		has[key] = k
		switch key {
		case "disabled":
			r.Disabled = d.boolean(v, "disabled")
		case "scenarios":
			for _, s := range d.strs(v, "scenarios") {
				sc, ok := parseRuleScenario(s)
				if !ok {
					d.failf(v, r.ID, "unknown scenario %q (want one of %s)", s, strings.Join(ruleScenarios(), ", "))
					continue
				}
				r.Scenarios = append(r.Scenarios, sc)
			}
		case "severity":
			switch s := d.str(v, "severity"); Priority(s) {
			case P1, P2, P3:
				r.Severity = Priority(s)
			default:
				d.failf(v, r.ID, "severity must be p1, p2 or p3, not %q", s)
			}
		case "weight":
			if v.Kind != yaml.ScalarNode || v.Decode(&r.Weight) != nil || !(r.Weight > 0 && r.Weight <= 1) {
				d.failf(v, r.ID, "weight must be a number in (0, 1]")
			}
		case "title":
			r.Title = d.str(v, "title")
		case "message":
			r.Message = d.str(v, "message")
		case "remediation":
			r.Remediation = d.str(v, "remediation")
		case "citations":
			d.citations(v, r)
		case "match":
			d.match(v, r)
		case "examples":
			d.fields(v, "examples", []string{"mustFire", "mustNotFire"}, func(key string, _, v *yaml.Node) {
				if key == "mustFire" {
					r.Examples.MustFire = d.strs(v, "examples.mustFire")
				} else {
					r.Examples.MustNotFire = d.strs(v, "examples.mustNotFire")
				}
			})
		}
	})
	if r.Disabled {
		return r
	}
	need := func(key, msg string) {
		if has[key] == nil {
			d.failf(n, r.ID, "%s", msg)
		}
	}
	need("scenarios", "scenarios is missing")
	need("title", "title is missing")
	need("message", "message is missing")
	need("citations", "citations is missing")
	need("match", "match is missing")
	if has["severity"] == nil && has["weight"] == nil {
		d.failf(n, r.ID, "needs a severity (p1, p2, p3) or a weight")
	}
	if r.Severity == "" && r.Weight > 0 {
		r.Severity = priorityFor(r.Weight)
	}
	if has["scenarios"] != nil && len(r.Scenarios) == 0 {
		d.failf(has["scenarios"], r.ID, "scenarios is empty")
	}
	if len(r.Examples.MustFire) == 0 || len(r.Examples.MustNotFire) == 0 {
		at := n
		if has["examples"] != nil {
			at = has["examples"]
		}
		d.failf(at, r.ID, "examples need at least one mustFire and one mustNotFire text")
	}
	return r
}

func (d *decoder) citations(n *yaml.Node, r *Rule) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.failf(n, r.ID, "citations must be a non-empty list")
		return
	}
	for _, c := range n.Content {
		c = resolve(c)
		cit := RuleCitation{Pos: d.pos(c)}
		if c.Kind == yaml.ScalarNode {
			cit.Regulation.ID = strings.TrimSpace(c.Value)
		} else {
			d.fields(c, "citation", append([]string{"regulation", "section"}, regulationFields[1:]...), func(key string, _, v *yaml.Node) {
				switch key {
				case "regulation":
					cit.Regulation.ID = d.str(v, "citation.regulation")
				case "section":
					cit.Section = d.str(v, "citation.section")
				default:
					d.regulationField(&cit.Regulation, key, v)
				}
			})
		}
		if cit.Regulation.ID == "" {
			d.failf(c, r.ID, "citation needs a regulation id")
			continue
		}
		r.Citations = append(r.Citations, cit)
	}
}

func (d *decoder) match(n *yaml.Node, r *Rule) {
	m := &r.Match
	var phrasesKey *yaml.Node
	ok := d.fields(n, "match", []string{"phrases", "sequences", "negatable", "unless", "requires"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "phrases":
			phrasesKey = k
			m.Phrases = d.phrases(v, "match.phrases", false)
		case "sequences":
			d.sequences(v, m)
		case "negatable":
			m.Negatable = d.boolean(v, "match.negatable")
		case "unless":
			m.Unless = d.phrases(v, "match.unless", false)
		case "requires":
			req := &Requirement{}
			d.fields(v, "match.requires", []string{"phrases", "within"}, func(key string, _, v *yaml.Node) {
				if key == "phrases" {
					req.Phrases = d.phrases(v, "match.requires.phrases", false)
				} else {
					req.Within = d.integer(v, "match.requires.within", 1, 1000)
				}
			})
			if len(req.Phrases) == 0 {
				d.failf(v, r.ID, "match.requires.phrases is empty")
			}
			m.Requires = req
		}
	})
	if !ok {
		return
	}
	switch {
	case phrasesKey != nil && len(m.Phrases) == 0:
		d.failf(phrasesKey, r.ID, "match.phrases is empty")
	case len(m.Phrases) == 0 && len(m.Sequences) == 0:
		d.failf(n, r.ID, "match needs phrases or sequences")
	}
}

// phrases decodes a list of phrases and checks their syntax; alternatives
// ("a|b") are allowed in sequence terms only.
func (d *decoder) phrases(n *yaml.Node, what string, alternatives bool) []string {
	list := d.strs(n, what)
	nodes := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		nodes = n.Content
	}
	for i, s := range list {
		at := n
		if i < len(nodes) {
			at = nodes[i]
		}
		alts := []string{s}
		if alternatives {
			alts = strings.Split(s, "|")
		}
		for _, a := range alts {
			if _, err := parsePhrase(a); err != nil {
				d.failf(at, d.rule, "%s: %q: %v", what, a, err)
			}
		}
	}
	return list
}

func (d *decoder) sequences(n *yaml.Node, m *Match) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.failf(n, d.rule, "match.sequences must be a non-empty list")
		return
	}
	for _, c := range n.Content {
		c = resolve(c)
		s := Sequence{Within: defaultWithin}
		var termsKey *yaml.Node
		d.fields(c, "sequence", []string{"terms", "within", "anyOrder", "acrossSentences", "negatable", "unless"}, func(key string, k, v *yaml.Node) {
			switch key {
			case "terms":
				termsKey = k
				s.Terms = d.phrases(v, "sequence.terms", true)
			case "within":
				s.Within = d.integer(v, "sequence.within", 0, 60)
			case "anyOrder":
				s.AnyOrder = d.boolean(v, "sequence.anyOrder")
			case "acrossSentences":
				s.AcrossSentences = d.boolean(v, "sequence.acrossSentences")
			case "negatable":
				b := d.boolean(v, "sequence.negatable")
				s.Negatable = &b
			case "unless":
				s.Unless = d.phrases(v, "sequence.unless", false)
			}
		})
		switch {
		case termsKey == nil:
			d.failf(c, d.rule, "sequence.terms is missing")
		case len(s.Terms) < 2 || len(s.Terms) > maxTerms:
			d.failf(termsKey, d.rule, "sequence.terms needs 2 to %d terms, has %d", maxTerms, len(s.Terms))
		}
		m.Sequences = append(m.Sequences, s)
	}
}

const (
	defaultWithin = 4
	maxTerms      = 4
)
