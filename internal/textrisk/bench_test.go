package textrisk_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/textrisk"
	"github.com/riskd/riskd/internal/textrisk/textrisktest"
)

// compliantSentences is consumer-finance prose of the kind the engine
// screens all day: disclosures, letters, chat replies and ads that break no
// rule.
var compliantSentences = []string{
	"Thank you for contacting us about the transaction on your checking account statement.",
	"We have opened a claim and started our investigation based on your call today.",
	"If we need more than 10 business days, we will provisionally credit your account within 10 business days for the amount you think is in error.",
	"Tell us no later than 60 days after we sent you the first statement on which the problem appeared.",
	"You may request copies of the documents that we used in our investigation.",
	"We will tell you the results within three business days after completing our investigation.",
	"If we decide that there was no error, we will send you a written explanation.",
	"You do not need a police report, and you do not have to contact the merchant first.",
	"Your card has been blocked and a replacement card will arrive within five to seven business days.",
	"The annual percentage rate for purchases is 21.99% and will vary with the market based on the Prime Rate.",
	"Payments of $312 per month for 60 months at 7.49% APR with $2,500 down.",
	"Earn 4.25% Annual Percentage Yield (APY) on balances of $1,000 or more; APY accurate as of November 1, 2026; fees could reduce earnings.",
	"Our checking account has a $12 monthly service fee, waived when you keep a daily balance of $1,500.",
	"This communication is from a debt collector and is an attempt to collect a debt.",
	"You have the right to dispute all or part of this debt within 30 days of receiving this notice.",
	"If you write to us by the date above, we must stop collection on any amount you dispute until we send you information that shows you owe the debt.",
	"We will not discuss your account with anyone other than you or your authorized representative.",
	"You may ask us to stop calling you at any time, and we will honor that request.",
	"The law limits how long you can be sued on a debt; because of the age of your debt, we cannot sue you for it.",
	"We accept applications from all qualified applicants regardless of age, sex, marital status, race, religion or national origin.",
	"Income from public assistance, part-time employment, alimony and retirement benefits is considered on the same basis as other income.",
	"We received your complaint on October 3 and will respond within 15 days.",
	"You also have the right to submit a complaint to the Consumer Financial Protection Bureau at consumerfinance.gov.",
	"Our representatives are available Monday through Friday from 8 a.m. to 8 p.m. Eastern time.",
	"Interest is calculated daily on the outstanding principal balance and compounded monthly.",
	"To protect your account, never share your one-time passcode with anyone who contacts you.",
	"Approval is subject to credit review; rates and terms depend on your creditworthiness.",
	"Investment products are not FDIC insured, are not bank guaranteed and may lose value.",
	"We appreciate your feedback and have shared it with the branch manager so we can improve.",
	"Please review the enclosed billing rights summary, which explains how to dispute a charge.",
	"While we investigate, you do not have to pay the amount in question, and we will not report it as delinquent.",
	"If you have questions about your escrow analysis, call the number on the back of your card.",
}

// violatingSentences each break at least one shipped rule.
var violatingSentences = []string{
	"We can't provide a provisional dispute credit until the investigation is completed.",
	"A police report is required before we can open your claim.",
	"You must contact the merchant first to request a refund.",
	"Disputes must be reported within 30 days of the transaction date.",
	"You must still pay the disputed amount while we investigate.",
	"Drive home today for just $299 per month!",
	"Free checking! A $10 monthly maintenance fee applies if your balance falls below $500.",
	"If you do not pay today, you will be arrested.",
	"We will contact your employer about this debt.",
	"Guaranteed approval, no credit check!",
	"Applicants over 62 need not apply.",
	"We will resolve your issue once you withdraw your CFPB complaint.",
}

// corpus builds size bytes of prose with paragraph breaks,
// deterministically: the fourth sentence and one in fifteen after it
// violate a rule, the rest are compliant.
func corpus(size int) string {
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		if i%15 == 3 {
			b.WriteString(violatingSentences[rng.IntN(len(violatingSentences))])
		} else {
			b.WriteString(compliantSentences[rng.IntN(len(compliantSentences))])
		}
		if rng.IntN(5) == 0 {
			b.WriteString("\n\n")
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()[:size]
}

func benchmarkAnalyze(b *testing.B, size int) {
	benchmarkCorpus(b, size, (*textrisk.Engine).Analyze)
}

// benchmarkCorpus runs analyze, Engine.Analyze or Engine.Score, on size
// bytes of the corpus under each API scenario in turn.
func benchmarkCorpus(b *testing.B, size int, analyze func(*textrisk.Engine, string, textrisk.Scenario) textrisk.Result) {
	e, err := textrisk.Default()
	if err != nil {
		b.Fatal(err)
	}
	text := corpus(size)
	scenarios := []textrisk.Scenario{textrisk.Dispute, textrisk.MarketingAsset, textrisk.DebtCollection, textrisk.Complaint, textrisk.Generic}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	i := 0
	done := textrisk.StartCPUMeter(b, len(text))
	for b.Loop() {
		analyze(e, text, scenarios[i%len(scenarios)])
		i++
	}
	done()
}

func BenchmarkAnalyze1KiB(b *testing.B)  { benchmarkAnalyze(b, 1<<10) }
func BenchmarkAnalyze64KiB(b *testing.B) { benchmarkAnalyze(b, 64<<10) }

// BenchmarkScore1KiB is BenchmarkAnalyze1KiB for Engine.Score.
func BenchmarkScore1KiB(b *testing.B) { benchmarkCorpus(b, 1<<10, (*textrisk.Engine).Score) }

// BenchmarkDispute1KiB runs Analyze and Score on the load test's texts
// (POST /api/v1/analysis/risk) under the dispute scenario.
func BenchmarkDispute1KiB(b *testing.B) {
	e, err := textrisk.Default()
	if err != nil {
		b.Fatal(err)
	}
	texts := textrisktest.DisputeTexts(64)
	for _, m := range []struct {
		name    string
		analyze func(*textrisk.Engine, string, textrisk.Scenario) textrisk.Result
	}{{"Analyze", (*textrisk.Engine).Analyze}, {"Score", (*textrisk.Engine).Score}} {
		b.Run(m.name, func(b *testing.B) {
			b.SetBytes(1 << 10)
			b.ReportAllocs()
			i := 0
			done := textrisk.StartCPUMeter(b, 1<<10)
			for b.Loop() {
				m.analyze(e, texts[i%len(texts)], textrisk.Dispute)
				i++
			}
			done()
		})
	}
}

// BenchmarkAnalyzeScenario runs the 64 KiB corpus under one scenario at a
// time: the rules of dispute and generic share most of the corpus's
// vocabulary and cost the most.
func BenchmarkAnalyzeScenario(b *testing.B) {
	e, err := textrisk.Default()
	if err != nil {
		b.Fatal(err)
	}
	text := corpus(64 << 10)
	for _, s := range []textrisk.Scenario{textrisk.Dispute, textrisk.MarketingAsset, textrisk.DebtCollection, textrisk.Complaint, textrisk.Generic} {
		b.Run(s.String(), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			done := textrisk.StartCPUMeter(b, len(text))
			for b.Loop() {
				e.Analyze(text, s)
			}
			done()
		})
	}
}
