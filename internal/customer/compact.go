package customer

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/riskd/riskd/internal/jsonlex"
)

// An assessment is kept for good, and re-scoring writes one per customer,
// so a million customers write a million of them: the stored form matters.
// The API's form of a Result is about 2 KB (the explanation alone 1.3 KB,
// mostly repeated key names); EncodeResult writes the same information in
// about a third of that, and DecodeResult restores the Result exactly.
// Fields that the store keeps in columns (risk_score, risk_rating,
// methodology_version) are not repeated, and what is derived
// (missing_count, each trace's component name, weight and score) is
// rebuilt.
//
//	{"f":2,"c":{comments},"w":[13 weights, primary_weight],
//	 "m":[missing inputs],"k":[{rule,party,floor}],"e":[[input,basis,factor]×13]}
//
// Format 2 rebuilds each component score as weight × factor, which is how
// the scorer computes it; a result whose scores are not that (none the
// scorer makes) is written in format 1, which keeps them after "c" as
// "s":[13 component scores]. Format 1 was the only one until scores, at
// full precision the longest part of the form, were dropped from it.
const (
	compactFormat       = 2
	compactFormatScores = 1
)

var basisCodes = map[Basis]string{
	BasisTable: "t", BasisUnknown: "u", BasisNoData: "n", BasisMissing: "m", BasisNotApplicable: "a", BasisComputed: "c",
}

var basisOfCode = func() map[string]Basis {
	m := make(map[string]Basis, len(basisCodes))
	for b, c := range basisCodes {
		m[c] = b
	}
	return m
}()

// EncodeResult appends the stored form of r to dst.
func EncodeResult(dst []byte, r Result) []byte {
	if dst == nil {
		dst = make([]byte, 0, 1024) // a typical stored form is 600–900 bytes
	}
	scores := r.ComponentScore.array()
	w := r.WeightSettings
	weights := [...]float64{w.CPI, w.FSI, w.FATF, w.OECD, w.FATCA, w.Industry, w.Screening, w.EntityType,
		w.PaymentModes, w.OnboardingMode, w.OwnershipLayer, w.ProductComplexity, w.IndividualShareholding, w.PrimaryWeight}
	format := compactFormat
	for k, s := range scores {
		if math.Float64bits(s) != math.Float64bits(weights[k]*r.Explanation[k].Factor) {
			format = compactFormatScores
		}
	}
	dst = append(dst, `{"f":`...)
	dst = strconv.AppendInt(dst, int64(format), 10)
	dst = append(dst, `,"c":{`...)
	// Comments in a fixed order (by key) so equal results encode equally.
	keys := slices.Sorted(maps.Keys(r.Comments))
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonlex.AppendString(dst, k)
		dst = append(dst, ':')
		dst = appendList(dst, r.Comments[k], jsonlex.AppendString)
	}
	dst = append(dst, '}')
	if format == compactFormatScores {
		dst = append(dst, `,"s":`...)
		dst = appendList(dst, scores[:], appendFloat)
	}
	dst = append(dst, `,"w":`...)
	dst = appendList(dst, weights[:], appendFloat)
	dst = append(dst, `,"m":`...)
	dst = appendList(dst, r.MissingInputs, jsonlex.AppendString)
	dst = append(dst, `,"k":[`...)
	for i, k := range r.KnockOuts {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '[')
		dst = jsonlex.AppendString(dst, k.Rule)
		dst = append(dst, ',')
		dst = jsonlex.AppendString(dst, k.Party)
		dst = append(dst, ',')
		dst = jsonlex.AppendString(dst, string(k.Floor))
		dst = append(dst, ']')
	}
	dst = append(dst, `],"e":[`...)
	for i, t := range r.Explanation {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '[')
		dst = jsonlex.AppendString(dst, t.Input)
		dst = append(dst, ',')
		code, ok := basisCodes[t.Basis]
		if !ok {
			code = string(t.Basis)
		}
		dst = jsonlex.AppendString(dst, code)
		dst = append(dst, ',')
		dst = appendFloat(dst, t.Factor)
		dst = append(dst, ']')
	}
	return append(dst, "]}"...)
}

type compactResult struct {
	Format    int                 `json:"f"`
	Comments  map[string][]string `json:"c"`
	Scores    []float64           `json:"s"`
	Weights   []float64           `json:"w"`
	Missing   []string            `json:"m"`
	KnockOuts [][3]string         `json:"k"`
	Traces    [][3]any            `json:"e"`
}

// DecodeResult restores a Result from its stored form and the columns kept
// beside it.
func DecodeResult(b []byte, score float32, rating Rating, version int) (Result, error) {
	var c compactResult
	if err := json.Unmarshal(b, &c); err != nil {
		return Result{}, fmt.Errorf("stored assessment: %w", err)
	}
	nScores := int(nComponents)
	if c.Format == compactFormat {
		nScores = 0
	}
	if c.Format != compactFormat && c.Format != compactFormatScores || len(c.Scores) != nScores || len(c.Weights) != int(nComponents)+1 ||
		len(c.Traces) != int(nComponents) {
		return Result{}, fmt.Errorf("stored assessment: not a format %d or %d result", compactFormatScores, compactFormat)
	}
	r := Result{Comments: c.Comments, RiskScore: score, RiskRating: rating, MethodologyVersion: version,
		MissingCount: len(c.Missing), MissingInputs: c.Missing, KnockOuts: make([]KnockOut, len(c.KnockOuts))}
	if r.Comments == nil {
		r.Comments = map[string][]string{}
	}
	if r.MissingInputs == nil {
		r.MissingInputs = []string{}
	}
	var scores, weights [nComponents]float64
	copy(scores[:], c.Scores)
	copy(weights[:], c.Weights)
	w := c.Weights
	r.WeightSettings = WeightSettings{CPI: w[0], FSI: w[1], FATF: w[2], OECD: w[3], FATCA: w[4], Industry: w[5], Screening: w[6],
		EntityType: w[7], PaymentModes: w[8], OnboardingMode: w[9], OwnershipLayer: w[10], ProductComplexity: w[11],
		IndividualShareholding: w[12], PrimaryWeight: w[13]}
	for i, k := range c.KnockOuts {
		r.KnockOuts[i] = KnockOut{Rule: k[0], Party: k[1], Floor: Rating(k[2])}
	}
	for i, t := range c.Traces {
		input, ok1 := t[0].(string)
		code, ok2 := t[1].(string)
		factor, ok3 := t[2].(float64)
		if !ok1 || !ok2 || !ok3 {
			return Result{}, fmt.Errorf("stored assessment: explanation %d is not [input, basis, factor]", i)
		}
		basis, ok := basisOfCode[code]
		if !ok {
			basis = Basis(code)
		}
		if c.Format == compactFormat {
			scores[i] = weights[i] * factor
		}
		r.Explanation[i] = Trace{Component: componentNames[i], Input: input, Basis: basis, Factor: factor,
			Weight: weights[i], Score: scores[i]}
	}
	r.ComponentScore = componentsOf(scores)
	return r, nil
}

// appendList writes list as a JSON array, each element by add.
func appendList[T any](dst []byte, list []T, add func([]byte, T) []byte) []byte {
	dst = append(dst, '[')
	for i, v := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = add(dst, v)
	}
	return append(dst, ']')
}

// appendFloat writes the shortest form that reads back as exactly v. A
// Result holds no NaN or infinity (factors and weights are validated); one
// would be written as 0 rather than as invalid JSON.
func appendFloat(dst []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}
