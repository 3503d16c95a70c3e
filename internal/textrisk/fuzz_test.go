package textrisk_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/riskd/riskd/internal/textrisk"
)

// awkwardTexts are the inputs most likely to trip normalisation and
// matching: contractions, Unicode punctuation, numbers, invalid UTF-8, runs
// of anchors, empty text. FuzzAnalyze seeds with them; the golden file pins
// their results.
var awkwardTexts = []string{
	"we can't provide a provisional dispute credit until the investigation is completed",
	"We can’t provide a “provisional” credit — sorry.\u00a0Police re\u00adport required!",
	"You CANNOT dispute this debt. Don't. Won't. Shan't. Ain't. I'd, we'll, they're, you've, I'm.",
	"Only $299/mo, 0% down, 72 monthly payments of $1,299.99 at 10:30 pm within 59 days",
	"\xff\xfe police \xc3 report \xe2\x80 is required \xed\xa0\x80",
	"n't 'll can'",
	"a\n\n\n- b\n* c\r\n\r\nd\u2029e\u2028f",
	strings.Repeat("must ", 200) + "police report",
	strings.Repeat("no ", 50) + "guaranteed approval",
	"",
	" ",
	"#<60 *",
}

// FuzzAnalyze: Analyze never panics, scores stay in 0..100 and agree with
// the findings, every chunk is a valid slice of the input whose text it
// repeats, and Engine.Score gives the same score. Seeds cover contractions, Unicode punctuation, numbers, invalid
// UTF-8 and every scenario; testdata/fuzz/FuzzAnalyze holds more.
func FuzzAnalyze(f *testing.F) {
	seeds := append(slices.Clone(awkwardTexts), violatingSentences...)
	for i, s := range seeds {
		f.Add(s, uint8(i%6))
	}
	e, err := textrisk.Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string, scenario uint8) {
		r := e.Analyze(text, textrisk.Scenario(scenario))
		if r.RiskScore < 0 || r.RiskScore > 100 {
			t.Fatalf("score %d", r.RiskScore)
		}
		if r.Band != textrisk.Band(r.RiskScore) {
			t.Fatalf("band %s for %d", r.Band, r.RiskScore)
		}
		weights := make([]float64, 0, len(r.Findings))
		for _, fd := range r.Findings {
			weights = append(weights, fd.Weight)
			if len(fd.Citations) == 0 {
				t.Fatalf("finding %s without citations", fd.RuleID)
			}
			for _, c := range fd.Citations {
				if len(c.Chunks) == 0 {
					t.Fatalf("finding %s without chunks", fd.RuleID)
				}
				for _, ch := range c.Chunks {
					if ch.StartOffset < 0 || ch.StartOffset > ch.EndOffset || ch.EndOffset > len(text) {
						t.Fatalf("chunk [%d,%d) outside text of %d bytes", ch.StartOffset, ch.EndOffset, len(text))
					}
					if ch.Text != text[ch.StartOffset:ch.EndOffset] {
						t.Fatalf("chunk text %q != text[%d:%d]", ch.Text, ch.StartOffset, ch.EndOffset)
					}
					if utf8.ValidString(text) && !utf8.ValidString(ch.Text) {
						t.Fatalf("chunk [%d,%d) splits a character", ch.StartOffset, ch.EndOffset)
					}
				}
			}
		}
		if got := textrisk.Score(weights...); got != r.RiskScore {
			t.Fatalf("score %d, findings give %d", r.RiskScore, got)
		}
		checkScore(t, e, text, textrisk.Scenario(scenario), "fuzz input")
	})
}

// FuzzParsePack: any pack file either parses or fails with an error, and a
// pack that compiles analyses text without panicking.
func FuzzParsePack(f *testing.F) {
	f.Add([]byte(overridePack))
	f.Add([]byte("pack: x\nversion: \"1\"\nrules:\n  - id: x\n    disabled: true\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := textrisk.ParsePack("f.yaml", data)
		if err != nil {
			return
		}
		e, err := textrisk.New(p)
		if err != nil {
			return
		}
		for s := range textrisk.Scenario(5) {
			e.Analyze("a b c 12 $3 4% can't police report calm down x y", s)
		}
		e.CheckExamples()
	})
}
