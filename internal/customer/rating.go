package customer

import (
	"time"

	"github.com/riskd/riskd/internal/errs"
)

// Rating is a customer's risk rating. UNKNOWN means too many inputs were
// missing to rate the customer.
type Rating string

const (
	Low        Rating = "LOW"
	MediumLow  Rating = "MEDIUM_LOW"
	Medium     Rating = "MEDIUM"
	MediumHigh Rating = "MEDIUM_HIGH"
	High       Rating = "HIGH"
	Unknown    Rating = "UNKNOWN"
)

// Ratings lists every rating, lowest first, UNKNOWN last.
func Ratings() []Rating { return []Rating{Low, MediumLow, Medium, MediumHigh, High, Unknown} }

// rank orders the definite ratings from 1 (LOW) to 5 (HIGH); anything else,
// including UNKNOWN and "", is 0.
func (r Rating) rank() int {
	switch r {
	case Low:
		return 1
	case MediumLow:
		return 2
	case Medium:
		return 3
	case MediumHigh:
		return 4
	case High:
		return 5
	}
	return 0
}

// definite validates a rating that must be one of the five ordered ones.
func definite(f *errs.Fields, field string, r Rating) {
	oneOf(f, field, r, Low, MediumLow, Medium, MediumHigh, High)
}

// Thresholds are the lowest risk_score of each rating above LOW. A score
// below medium_low is LOW; a score of at least high is HIGH.
type Thresholds struct {
	MediumLow  float64 `json:"medium_low"`
	Medium     float64 `json:"medium"`
	MediumHigh float64 `json:"medium_high"`
	High       float64 `json:"high"`
}

// Rate maps a risk score onto a rating.
func (t Thresholds) Rate(score float64) Rating {
	switch {
	case score >= t.High:
		return High
	case score >= t.MediumHigh:
		return MediumHigh
	case score >= t.Medium:
		return Medium
	case score >= t.MediumLow:
		return MediumLow
	}
	return Low
}

func (t Thresholds) validate(f *errs.Fields) {
	prev, prevName := 0.0, "0"
	for _, th := range []struct {
		name string
		v    float64
	}{{"medium_low", t.MediumLow}, {"medium", t.Medium}, {"medium_high", t.MediumHigh}, {"high", t.High}} {
		field := "thresholds." + th.name
		switch {
		case !(th.v <= 100): // also catches NaN
			f.Add(field, "must be at most 100")
		case !(th.v > prev):
			f.Add(field, "must be greater than %s: thresholds ascend", prevName)
		}
		prev, prevName = th.v, field
	}
}

// ReviewYears is how many years after an assessment each rating is due for
// review.
type ReviewYears struct {
	High       int `json:"high"`
	MediumHigh int `json:"medium_high"`
	Medium     int `json:"medium"`
	MediumLow  int `json:"medium_low"`
	Low        int `json:"low"`
}

// DefaultReviewYears is the shipped schedule: HIGH yearly, then one year
// more per step down, LOW every five years.
func DefaultReviewYears() ReviewYears {
	return ReviewYears{High: 1, MediumHigh: 2, Medium: 3, MediumLow: 4, Low: 5}
}

// MaxReviewYears bounds a review interval; a decade without review is no
// longer periodic review.
const MaxReviewYears = 10

func (y ReviewYears) validate(f *errs.Fields) {
	for _, v := range []struct {
		name  string
		years int
	}{{"high", y.High}, {"medium_high", y.MediumHigh}, {"medium", y.Medium}, {"medium_low", y.MediumLow}, {"low", y.Low}} {
		f.Check(v.years >= 1 && v.years <= MaxReviewYears, "review_years."+v.name, "must be from 1 to %d", MaxReviewYears)
	}
}

// NextReviewAt is when a customer assessed at assessedAt with rating r is
// due for review under the schedule. An UNKNOWN (or unrecognised) rating is
// due at once: the missing inputs must be collected. Anniversaries of
// 29 February fall on 28 February in common years, so a review is never
// pushed into March.
func (y ReviewYears) NextReviewAt(r Rating, assessedAt time.Time) time.Time {
	var years int
	switch r {
	case High:
		years = y.High
	case MediumHigh:
		years = y.MediumHigh
	case Medium:
		years = y.Medium
	case MediumLow:
		years = y.MediumLow
	case Low:
		years = y.Low
	default:
		return assessedAt
	}
	next := assessedAt.AddDate(years, 0, 0)
	if next.Day() != assessedAt.Day() {
		// AddDate normalised 29 February into 1 March; step back to the
		// last day of February.
		next = next.AddDate(0, 0, -next.Day())
	}
	return next
}

// NextReviewAt applies the default schedule (DefaultReviewYears). Callers
// scoring with a methodology use its ReviewYears instead, and pass the
// override rating when an approver set one.
func NextReviewAt(r Rating, assessedAt time.Time) time.Time {
	return DefaultReviewYears().NextReviewAt(r, assessedAt)
}
