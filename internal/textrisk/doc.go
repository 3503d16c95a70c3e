// Package textrisk is riskd's compliance text engine: it screens consumer-
// finance text (marketing, dispute replies, collection letters, complaint
// responses) against rule packs and returns prioritised findings with
// regulatory citations and a 0–100 risk score.
//
// # Pipeline
//
// Analyze makes one pass of each kind over the text, so its cost grows
// linearly with the input:
//
//  1. Normalise once: lowercase, Unicode quotes and dashes folded to ASCII,
//     whitespace runs collapsed (a blank line becomes a paragraph break),
//     zero-width characters dropped and contractions expanded ("can't",
//     "cannot", "can’t" all become "can not"; "won't" becomes "will not").
//     Only the stretches whose length changed are recorded, which is enough
//     to map any normalised span back to byte offsets of the original text.
//  2. One Aho–Corasick pass (a dense DFA over byte classes, built here)
//     finds the anchors of every phrase of every rule of the scenario. An
//     anchor is the most distinctive word of a phrase, widened to about a
//     dozen bytes; the rest of the phrase (other words, "#" numbers, a
//     trailing "*") is compared in place around each occurrence.
//  3. Only rules for which every term of some clause occurred are evaluated:
//     sequences (terms in order within N words, in one sentence), negation
//     (a "not", "no", "never"… just before a negatable hit cancels it,
//     unless it sits in a condition such as "if you do not pay"), exception
//     phrases in the same sentence, and required disclosures (a payment
//     amount without "APR"). All of it is linear in the hits: there is no
//     regular expression and no backtracking.
//
// # Score
//
// Every rule has a weight w in (0, 1], by default 0.70 for p1, 0.45 for p2
// and 0.20 for p3. A rule that fires yields one finding, however often it
// matches, and the score combines the findings' weights:
//
//	score = round(100 × (1 − Π (1 − wᵢ)))
//
// Adding a finding or raising a weight never lowers the score, the score
// never exceeds 100, and it is traceable: Result.RiskScore equals Score of
// the weights of Result.Findings. One p1 finding scores 70 (High), one p2
// 45 (Moderate), one p3 20 (Limited); p1+p2 scores 84 and two p1 91
// (Critical). Band names the ranges 0–20 Limited, 21–40 Low, 41–60
// Moderate, 61–80 High and 81–100 Critical.
//
// Engine.Score gives the score and band alone, as Analyze would, for
// callers that need no findings: each rule stops at its first match, and no
// passages or citations are built.
//
// # Packs
//
// Rules are data: YAML packs embedded from packs/ (Builtin) or loaded from a
// directory (LoadDir, for `riskd serve --rules DIR`). New merges packs in
// order, a later rule replacing an earlier one with the same id. Every rule
// carries examples that must and must not fire; Engine.CheckExamples runs
// them for go test and for `riskd rules test DIR`. docs/text-risk-rules.md
// describes the format.
package textrisk
