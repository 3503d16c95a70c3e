// Package textrisktest holds the texts that riskd's benchmarks score, so
// that the engine's micro-benchmarks and the server's load test
// (internal/bench) measure the same work.
package textrisktest

import "strings"

// DisputeSentences are dispute correspondence of the kind riskd scores at
// volume. Most comply; a few break Regulation E or Z rules, so the engine
// matches and scores rather than skimming clean text.
var DisputeSentences = []string{
	"Thank you for letting us know about the charge you do not recognize on your debit card.",
	"We opened a dispute for the transaction of $84.20 at an online merchant on March 3.",
	"We will complete our investigation within 10 business days after we hear from you.",
	"If we need more time, we will provisionally credit your account for the amount in question.",
	"A police report is required before we can open your claim.",
	"You may ask for copies of the documents we relied on in our investigation.",
	"We can't provide a provisional dispute credit until the investigation is completed.",
	"Please keep your card in a safe place and call us if you notice anything else unusual.",
	"You must contact the merchant first to request a refund.",
	"While we investigate a billing error on your credit card, you do not have to pay the amount in question.",
	"Disputes must be reported within 30 days of the transaction date.",
	"We will write to you with the results within three business days of finishing our review.",
	"If we find that no error occurred, we will explain why and tell you how to request our documents.",
	"Our team is available every day from 7 a.m. to 11 p.m. Eastern time at the number on your card.",
}

// TextBytes is the size of every dispute text.
const TextBytes = 1 << 10

// DisputeTexts returns n texts of TextBytes: each starts at another of
// DisputeSentences, so the texts differ, and is cut at exactly TextBytes.
func DisputeTexts(n int) []string {
	texts := make([]string, n)
	for i := range texts {
		var b strings.Builder
		for j := i; b.Len() < TextBytes; j++ {
			b.WriteString(DisputeSentences[j%len(DisputeSentences)])
			b.WriteByte(' ')
		}
		texts[i] = b.String()[:TextBytes]
	}
	return texts
}
