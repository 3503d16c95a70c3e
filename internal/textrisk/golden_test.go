package textrisk_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/textrisk"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/golden/analyze.txt from the current engine")

const goldenFile = "testdata/golden/analyze.txt"

// TestGolden pins Analyze's results, byte for byte, on a fixed corpus under
// every scenario: the compliant documents, the benchmark corpus, every
// sentence of the benchmark, the fuzz seeds and a few hundred generated
// texts dense with rule vocabulary, contractions, negations, Unicode
// punctuation and numbers. It guards optimisations of the engine: any
// change to a finding, an offset, a section path or a score fails it.
//
// The golden file is tied to the shipped packs (a SHA-256 of
// packs/*.yaml on its first line). When the packs change the expected
// results change too; the test then skips and says so. Regenerate with
//
//	go test ./internal/textrisk -run TestGolden -update
//
// after checking that the engine itself is unchanged.
func TestGolden(t *testing.T) {
	e := engine(t)
	packs := packsDigest(t)
	var b strings.Builder
	fmt.Fprintf(&b, "packs %s\n", packs)
	for _, c := range goldenCases(t) {
		for s := textrisk.Scenario(0); s < 5; s++ {
			r := e.Analyze(c.text, s)
			writeGolden(&b, c.name, r)
		}
	}
	got := b.String()
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(goldenFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if first, _, _ := strings.Cut(string(want), "\n"); first != "packs "+packs {
		t.Skipf("the shipped packs changed since %s was written; check the engine is unchanged, then regenerate it: go test ./internal/textrisk -run TestGolden -update", goldenFile)
	}
	if got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	shown := 0
	for i := 0; i < max(len(gl), len(wl)) && shown < 10; i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("line %d:\n got  %s\n want %s", i+1, g, w)
			shown++
		}
	}
	t.Fatalf("results differ from %s", goldenFile)
}

type goldenCase struct{ name, text string }

func goldenCases(t *testing.T) []goldenCase {
	var cs []goldenCase
	files, err := filepath.Glob("testdata/compliant/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, goldenCase{filepath.Base(f), string(data)})
	}
	cs = append(cs, goldenCase{"corpus-1KiB", corpus(1 << 10)}, goldenCase{"corpus-64KiB", corpus(64 << 10)})
	for i, s := range compliantSentences {
		cs = append(cs, goldenCase{fmt.Sprintf("compliant-%d", i), s})
	}
	for i, s := range violatingSentences {
		cs = append(cs, goldenCase{fmt.Sprintf("violating-%d", i), s})
	}
	for i, s := range awkwardTexts {
		cs = append(cs, goldenCase{fmt.Sprintf("seed-%d", i), s})
	}
	// Generated texts: words of the benchmark's sentences shuffled with
	// negations, conditions, contractions in several spellings, Unicode
	// punctuation, numbers and breaks, so that sequences, negations,
	// exceptions and disclosures interact in many ways.
	var vocab []string
	for _, s := range append(append([]string{}, compliantSentences...), violatingSentences...) {
		vocab = append(vocab, strings.Fields(s)...)
	}
	extra := []string{
		"not", "no", "never", "without", "if", "unless", "when", "can't", "can’t", "cannot", "can not",
		"won't", "WON’T", "dont", "don't", "we'll", "you're", "—", "–", "“", "”", "\u00ad", "\u200b",
		"…", ".", ";", "!", "?", ",", "\n\n", "\n- ", "\n", "$25", "#", "30", "60", "1,500", "10:30",
		"12%", "police", "report", "required", "must", "dispute", "fee", "credit", "arrested",
		"guaranteed", "approval", "APR", "APY", "free", "employer", "withdraw", "complaint", "É", "ß", "İ",
	}
	rng := rand.New(rand.NewPCG(5, 7))
	for i := 0; i < 300; i++ {
		var sb strings.Builder
		n := 5 + rng.IntN(80)
		for w := 0; w < n; w++ {
			if rng.IntN(3) == 0 {
				sb.WriteString(extra[rng.IntN(len(extra))])
			} else {
				sb.WriteString(vocab[rng.IntN(len(vocab))])
			}
			if rng.IntN(6) != 0 {
				sb.WriteByte(' ')
			}
		}
		cs = append(cs, goldenCase{fmt.Sprintf("generated-%d", i), sb.String()})
	}
	// Whole violating sentences embedded in generated context.
	for i := 0; i < 200; i++ {
		var sb strings.Builder
		for k := 0; k < 4; k++ {
			switch rng.IntN(3) {
			case 0:
				sb.WriteString(violatingSentences[rng.IntN(len(violatingSentences))])
			case 1:
				sb.WriteString(compliantSentences[rng.IntN(len(compliantSentences))])
			default:
				sb.WriteString(extra[rng.IntN(len(extra))])
			}
			sb.WriteString([]string{" ", "  ", "\n", "\n\n", " — "}[rng.IntN(5)])
		}
		cs = append(cs, goldenCase{fmt.Sprintf("mixed-%d", i), sb.String()})
	}
	return cs
}

// writeGolden writes one result compactly (rules, weights, chunks) plus a
// digest of its full JSON, which covers every other field.
func writeGolden(b *strings.Builder, name string, r textrisk.Result) {
	js, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(js)
	fmt.Fprintf(b, "%s %s score=%d band=%s json=%s\n", name, r.Scenario, r.RiskScore, r.Band, hex.EncodeToString(sum[:8]))
	for _, f := range r.Findings {
		fmt.Fprintf(b, "  %s %s %.2f", f.RuleID, f.Priority, f.Weight)
		for _, c := range f.Citations[0].Chunks {
			fmt.Fprintf(b, " [%d,%d %s]", c.StartOffset, c.EndOffset, c.SectionPath)
		}
		b.WriteByte('\n')
	}
}

func packsDigest(t *testing.T) string {
	files, err := filepath.Glob("packs/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no packs: %v", err)
	}
	h := sha256.New()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
