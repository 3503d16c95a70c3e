package vendorrisk

import (
	"time"

	"github.com/riskd/riskd/internal/jsonlex"
)

// DecodeEvent decodes a stored risk event, the JSON of a RiskEvent, into
// what encoding/json would make of it, several times faster: a list of
// risk events decodes one per row, and encoding/json's reflection was half
// of the list's CPU.
//
// It takes only what json.Marshal writes for that type: exact key names,
// each once, and null. For anything else (invalid UTF-8, an escaped
// surrogate, an escape inside a time, a key spelt in another case, an
// unknown key, a duplicate, malformed JSON) it reports false, and the
// caller decodes the document with encoding/json, which then gives the
// same result or error as always.
func DecodeEvent(b []byte) (e RiskEvent, ok bool) {
	d := jsonlex.New(b)
	var seen jsonlex.KeySet
	d.Object(func(key []byte) bool {
		k := eventKey(key)
		if !d.Take(&seen, k) {
			return d.OK()
		}
		switch k {
		case keyURN:
			e.URN = d.Str()
		case keyVendorURN:
			e.VendorURN = d.Str()
		case keyName:
			e.Name = d.Str()
		case keyDescription:
			e.Description = d.Str()
		case keySourceType:
			e.SourceType = SourceType(d.Str())
		case keyURL:
			e.URL = d.Str()
		case keyCategoryTags:
			e.CategoryTags = d.Strings()
		case keyReviewStatus:
			e.ReviewStatus = ReviewStatus(d.Str())
		case keyRiskLevel:
			e.RiskLevel = RiskLevel(d.Str())
		case keyLevelFromRecommendation:
			e.LevelFromRecommendation = d.Bool()
		case keyRecommendation:
			e.Recommendation = decodeRecommendation(d)
		case keyExternalID:
			e.ExternalID = d.Str()
		case keyFingerprint:
			e.Fingerprint = d.Str()
		case keySignals:
			e.Signals = decodeSignals(d)
		case keyCreatedAt:
			return decodeTime(d, &e.CreatedAt)
		case keyUpdatedAt:
			return decodeTime(d, &e.UpdatedAt)
		}
		return d.OK()
	})
	if !d.End() {
		return RiskEvent{}, false
	}
	return e, true
}

// decodeTime decodes a time as time.Time's UnmarshalJSON does.
func decodeTime(d *jsonlex.Lexer, t *time.Time) bool {
	s := d.Verbatim()
	return d.OK() && t.UnmarshalText(s) == nil
}

func decodeRecommendation(d *jsonlex.Lexer) *Recommendation {
	var r Recommendation
	var seen jsonlex.KeySet
	d.Object(func(key []byte) bool {
		k := recommendationKey(key)
		if !d.Take(&seen, k) {
			return d.OK()
		}
		switch k {
		case keyLevel:
			r.Level = RiskLevel(d.Str())
		case keyExplanation:
			r.Explanation = d.Str()
		case keySignals:
			r.Signals = decodeSignals(d)
		}
		return d.OK()
	})
	return &r
}

// decodeSignals decodes an array of signals ([] gives an empty slice and
// null elements zero signals, as encoding/json makes them).
func decodeSignals(d *jsonlex.Lexer) []Signal {
	out := []Signal{}
	d.Array(func() {
		var s Signal
		if d.Null() {
			out = append(out, s)
			return
		}
		var seen jsonlex.KeySet
		d.Object(func(key []byte) bool {
			k := signalKey(key)
			if !d.Take(&seen, k) {
				return d.OK()
			}
			switch k {
			case keyKind:
				s.Kind = SignalKind(d.Str())
			case keyValue:
				s.Value = d.Str()
			case keyLevel:
				s.Level = RiskLevel(d.Str())
			case keyCategory:
				s.Category = Category(d.Str())
			case keyRule:
				s.Rule = d.Str()
			}
			return d.OK()
		})
		out = append(out, s)
	})
	return out
}

// The keys of a stored event and of its parts, numbered for a
// jsonlex.KeySet.
const (
	keyURN = iota
	keyVendorURN
	keyName
	keyDescription
	keySourceType
	keyURL
	keyCategoryTags
	keyReviewStatus
	keyRiskLevel
	keyLevelFromRecommendation
	keyRecommendation
	keyExternalID
	keyFingerprint
	keySignals
	keyCreatedAt
	keyUpdatedAt
	keyLevel
	keyExplanation
	keyKind
	keyValue
	keyCategory
	keyRule
)

// eventKey names a key of a stored event (the json tags of RiskEvent), -1
// for another.
func eventKey(key []byte) int {
	switch string(key) {
	case "urn":
		return keyURN
	case "vendor_urn":
		return keyVendorURN
	case "name":
		return keyName
	case "description":
		return keyDescription
	case "source_type":
		return keySourceType
	case "url":
		return keyURL
	case "category_tags":
		return keyCategoryTags
	case "review_status":
		return keyReviewStatus
	case "risk_level":
		return keyRiskLevel
	case "level_from_recommendation":
		return keyLevelFromRecommendation
	case "recommendation":
		return keyRecommendation
	case "external_id":
		return keyExternalID
	case "fingerprint":
		return keyFingerprint
	case "signals":
		return keySignals
	case "created_at":
		return keyCreatedAt
	case "updated_at":
		return keyUpdatedAt
	}
	return -1
}

// recommendationKey names a key of a Recommendation, -1 for another.
func recommendationKey(key []byte) int {
	switch string(key) {
	case "level":
		return keyLevel
	case "explanation":
		return keyExplanation
	case "signals":
		return keySignals
	}
	return -1
}

// signalKey names a key of a Signal, -1 for another.
func signalKey(key []byte) int {
	switch string(key) {
	case "kind":
		return keyKind
	case "value":
		return keyValue
	case "level":
		return keyLevel
	case "category":
		return keyCategory
	case "rule":
		return keyRule
	}
	return -1
}
