// Package risk holds the scoring arithmetic that risk models and AI product
// assessments share: the matrix product of selected scale values, the
// normalisation of scores onto 0–100, band lookup and the four risk tiers.
// Each helper also explains its arithmetic as text, because a score a user
// cannot recompute by hand is a score they cannot defend to an auditor.
package risk

import (
	"math"
	"strconv"
	"strings"
)

// Limit is the largest score a matrix may produce: 2^53 − 1, the largest
// integer a JSON number carries exactly into JavaScript clients, capped by
// the platform's int so no product overflows on 32-bit builds either.
const Limit = min(1<<53-1, math.MaxInt)

// MaxScore returns scales^dimensions, the highest product a matrix of that
// shape can give, and false when it would exceed Limit.
func MaxScore(scales, dimensions int) (int, bool) {
	if scales < 1 || dimensions < 0 {
		return 0, false
	}
	p := 1
	for range dimensions {
		if p > Limit/scales {
			return 0, false
		}
		p *= scales
	}
	return p, true
}

// Product multiplies the selected scale values and returns the product with
// its arithmetic, for example "2 × 3 × 4 = 24". Callers validate the values
// against a matrix whose MaxScore is within Limit, so the product cannot
// overflow.
func Product(values []int) (int, string) {
	p := 1
	var b strings.Builder
	// Sized once, and digits formatted on the stack, so the hot calculate
	// path allocates only the formula itself.
	b.Grow(len(values)*8 + 24)
	var digits [20]byte
	for i, v := range values {
		if i > 0 {
			b.WriteString(" × ")
		}
		b.Write(strconv.AppendInt(digits[:0], int64(v), 10))
		p *= v
	}
	b.WriteString(" = ")
	b.Write(strconv.AppendInt(digits[:0], int64(p), 10))
	return p, b.String()
}

// Normalise maps the mean of count scores adding up to sum onto 0–100
// relative to max: round(sum / count × 100 / max), halves rounded away from
// zero. It works in integers, so whether a mean lands exactly on .5 never
// depends on how a float represents it. It expects 0 ≤ sum ≤ count × max, count ≥ 1, max ≥ 1, and
// sum × 200 within an int, which holds for every score riskd produces.
func Normalise(sum, count, max int) int {
	d := count * max
	return (200*sum + d) / (2 * d)
}

// NormalisedMean is Normalise over scores, with the arithmetic as text, for
// example "mean(24, 60) = 42 → 42 × 100 / 125 = 33.6 → 34". Inexact
// intermediate values are shown to two decimals after "≈".
// It returns 0 and "" for no scores.
func NormalisedMean(scores []int, max int) (int, string) {
	if len(scores) == 0 {
		return 0, ""
	}
	sum := 0
	var b strings.Builder
	b.WriteString("mean(")
	for i, s := range scores {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(s))
		sum += s
	}
	n := len(scores)
	b.WriteString(")")
	mean := float64(sum) / float64(n)
	b.WriteString(equals(sum*100%n == 0))
	b.WriteString(decimal(mean))
	b.WriteString(" → ")
	b.WriteString(decimal(mean))
	b.WriteString(" × 100 / ")
	b.WriteString(strconv.Itoa(max))
	b.WriteString(equals(sum*10000%(n*max) == 0))
	b.WriteString(decimal(float64(sum) * 100 / float64(n*max)))
	score := Normalise(sum, n, max)
	b.WriteString(" → ")
	b.WriteString(strconv.Itoa(score))
	return score, b.String()
}

// equals is " = " when the shown two-decimal value is exact, " ≈ " otherwise.
func equals(exact bool) string {
	if exact {
		return " = "
	}
	return " ≈ "
}

// decimal shows x with at most two decimals and no trailing zeros.
func decimal(x float64) string {
	s := strconv.FormatFloat(x, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// Lookup returns the index of the band a score falls in: the last of bands,
// sorted ascending by their minimum, whose minimum is at most score; -1 when
// score is below the first band. A linear scan, because models have a
// handful of bands.
func Lookup[B any](bands []B, minimum func(B) int, score int) int {
	found := -1
	for i, b := range bands {
		if minimum(b) > score {
			break
		}
		found = i
	}
	return found
}
