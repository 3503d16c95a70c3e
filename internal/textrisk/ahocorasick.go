package textrisk

import (
	"fmt"
	"slices"
)

// automaton is an Aho–Corasick matcher compiled to a dense DFA over byte
// classes: one table load per input byte, no failure-link chasing at scan
// time, no backtracking. Bytes that occur in no pattern share class 0, and
// ' ' and '-' share a class so "third party" also finds "third-party".
type automaton struct {
	class [256]uint8
	nc    int // number of classes
	// delta[s+c] is the next state from state s on class c. A state's
	// number is the index of its row in delta, and the number of a state
	// that ends at least one pattern is odd (see buildAutomaton): the hot
	// loop's output test is then one AND, and its result the count to add.
	delta []uint32
	// Output states are numbered last, from firstOut on.
	firstOut uint32
	// outs[outIndex(s)] lists the patterns ending in state s, longest
	// first, including those reached through failure links.
	outs    [][]int32
	lengths []int32 // pattern lengths in bytes
	maxLen  int     // longest pattern
	outMul  uint64  // see outIndex
}

// rawHit is a visit to output state state ending at byte
// end (exclusive): an occurrence of each pattern in a.outs for that state.
type rawHit struct {
	state uint32
	end   int
}

func sameClass(c byte) byte {
	if c == '-' {
		return ' '
	}
	return c
}

// maxTable bounds the table's entries: state numbers must fit in uint32,
// and a table that size is already 4 GiB.
const maxTable = 1 << 30

// buildAutomaton compiles patterns (non-empty byte strings) into a DFA.
func buildAutomaton(patterns [][]byte) (*automaton, error) {
	a := &automaton{lengths: make([]int32, len(patterns))}
	nc := 1
	for _, p := range patterns {
		for _, c := range p {
			c = sameClass(c)
			if a.class[c] == 0 {
				a.class[c] = uint8(nc)
				nc++
			}
		}
	}
	a.class['-'] = a.class[' ']
	a.nc = nc

	// Trie with dense child arrays; state 0 is the root.
	child := make([]int32, nc)
	var own [][]int32 // patterns ending exactly at each state
	own = append(own, nil)
	for id, p := range patterns {
		a.lengths[id] = int32(len(p))
		a.maxLen = max(a.maxLen, len(p))
		s := int32(0)
		for _, c := range p {
			cc := int(a.class[c])
			next := child[int(s)*nc+cc]
			if next == 0 {
				next = int32(len(own))
				own = append(own, nil)
				child = append(child, make([]int32, nc)...)
				child[int(s)*nc+cc] = next
			}
			s = next
		}
		own[s] = append(own[s], int32(id))
	}
	states := len(own)
	if states*(nc+2) > maxTable {
		return nil, fmt.Errorf("rule packs too large: %d automaton states × %d byte classes", states, nc)
	}

	// Breadth-first: failure links, full transitions and inherited outputs.
	fail := make([]int32, states)
	outs := make([][]int32, states)
	delta := make([]int32, states*nc)
	queue := make([]int32, 0, states)
	for c := 0; c < nc; c++ {
		if t := child[c]; t != 0 {
			delta[c] = t
			queue = append(queue, t)
		}
	}
	outs[0] = own[0]
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		f := fail[s]
		outs[s] = append(append([]int32(nil), own[s]...), outs[f]...)
		for c := 0; c < nc; c++ {
			t := child[int(s)*nc+c]
			if t == 0 {
				delta[int(s)*nc+c] = delta[int(f)*nc+c]
				continue
			}
			delta[int(s)*nc+c] = t
			fail[t] = delta[int(f)*nc+c]
			queue = append(queue, t)
		}
	}

	// Renumber: states without output first (root stays 0), then the rest.
	order := make([]int32, states) // old id -> new id
	newID := int32(0)
	for pass := 0; pass < 2; pass++ {
		for s := 0; s < states; s++ {
			if (len(outs[s]) > 0) == (pass == 1) {
				order[s] = newID
				newID++
			}
		}
	}
	firstOut := int32(states)
	for s := 0; s < states; s++ {
		if len(outs[s]) > 0 && order[s] < firstOut {
			firstOut = order[s]
		}
	}
	a.outs = make([][]int32, states-int(firstOut))
	// Rows are w entries apart, w even and above nc, and an output state's
	// row starts one entry late: its number, the row's start, is then odd
	// (the spare entries are never read).
	w := (nc + 2) &^ 1
	num := func(s int) uint32 {
		v := uint32(s * w)
		if s >= int(firstOut) {
			v++
		}
		return v
	}
	a.delta = make([]uint32, states*w)
	for s := 0; s < states; s++ {
		ns := int(order[s])
		row := a.delta[num(ns):][:nc]
		for c := range row {
			row[c] = num(int(order[delta[s*nc+c]]))
		}
		if ns >= int(firstOut) {
			a.outs[ns-int(firstOut)] = outs[s]
		}
	}
	a.firstOut = num(int(firstOut))
	a.outMul = (1<<32 + uint64(w) - 1) / uint64(w)
	return a, nil
}

// scan appends every occurrence of every pattern in text to hits, in order
// of end position. lanes is working memory, kept between calls.
//
// A DFA walk is bound by the latency of one table load per byte: each load
// needs the previous state. scan therefore walks four slices of the text in
// one loop, so that four independent loads are in flight. Each slice starts
// maxLen-1 bytes early (the automaton's state depends on no more history
// than that) and reports only hits ending inside its own slice.
func (a *automaton) scan(text []byte, hits []rawHit, lanes *[streams][]uint64) []rawHit {
	n := len(text)
	if a.maxLen == 0 {
		return hits
	}
	if n < streams*2*a.maxLen || n >= 1<<34 {
		return a.continueRange(text, 0, 0, 0, n, hits)
	}
	var bounds [streams + 1]int
	for k := 0; k <= streams; k++ {
		bounds[k] = n * k / streams
	}
	var starts [streams]int
	for k := range starts {
		starts[k] = max(0, bounds[k]-(a.maxLen-1))
	}
	// Run the four walks in lockstep over the shortest common length, then
	// finish each alone. Output states are frequent (every common word of
	// a rule is an anchor) and unpredictable, so the lockstep loop does not
	// branch on each walk's: one test (the OR of the four states' low bits)
	// skips the steps where no walk is in one, about three in four on
	// prose, and otherwise it writes all four candidate hits and advances
	// each walk's index by one only for an output state. A candidate is
	// one word, the state and the step (the same for all four walks; the
	// position in the text is worked out afterwards). Stores, not loads,
	// bounded this loop: skipping them is what pays.
	delta, class := a.delta, &a.class
	steps := n
	for k := 0; k < streams; k++ {
		steps = min(steps, bounds[k+1]-starts[k])
	}
	for k := range lanes {
		lanes[k] = slices.Grow(lanes[k][:0], steps+1)[:steps+1]
	}
	t0 := text[starts[0] : starts[0]+steps]
	// Slicing to len(t0) lets the compiler drop the bounds checks.
	t1, t2, t3 := text[starts[1]:][:len(t0)], text[starts[2]:][:len(t0)], text[starts[3]:][:len(t0)]
	b0, b1, b2, b3 := lanes[0][:steps+1], lanes[1][:steps+1], lanes[2][:steps+1], lanes[3][:steps+1]
	var s0, s1, s2, s3 uint32
	var n0, n1, n2, n3 int
	for i := range t0 {
		s0 = delta[s0+uint32(class[t0[i]])]
		s1 = delta[s1+uint32(class[t1[i]])]
		s2 = delta[s2+uint32(class[t2[i]])]
		s3 = delta[s3+uint32(class[t3[i]])]
		if (s0|s1|s2|s3)&1 == 0 {
			continue
		}
		step := uint64(i) << 32
		b0[n0] = step | uint64(s0)
		b1[n1] = step | uint64(s1)
		b2[n2] = step | uint64(s2)
		b3[n3] = step | uint64(s3)
		n0 += int(s0 & 1)
		n1 += int(s1 & 1)
		n2 += int(s2 & 1)
		n3 += int(s3 & 1)
	}
	ns := [streams]int{n0, n1, n2, n3}
	st := [streams]uint32{s0, s1, s2, s3}
	for k := 0; k < streams; k++ {
		// Hits of the warm-up overlap are dropped: the previous walk
		// reports them.
		end0 := starts[k] + 1
		for _, h := range lanes[k][:ns[k]] {
			if end := end0 + int(h>>32); end > bounds[k] {
				hits = append(hits, rawHit{state: uint32(h), end: end})
			}
		}
		hits = a.continueRange(text, st[k], starts[k]+steps, bounds[k], bounds[k+1], hits)
	}
	return hits
}

const streams = 4

// continueRange walks text[from:to] from state s, reporting hits that end
// after report.
func (a *automaton) continueRange(text []byte, s uint32, from, report, to int, hits []rawHit) []rawHit {
	delta, class := a.delta, &a.class
	for i := from; i < to; i++ {
		s = delta[s+uint32(class[text[i]])]
		if s&1 != 0 && i+1 > report {
			hits = append(hits, rawHit{state: s, end: i + 1})
		}
	}
	return hits
}

// outIndex numbers output state s from 0, dividing by the row width with a
// multiply: s-firstOut is an exact multiple of it, and for those the
// rounded-up reciprocal gives the exact quotient.
func (a *automaton) outIndex(s uint32) uint32 {
	return uint32(uint64(s-a.firstOut) * a.outMul >> 32)
}
