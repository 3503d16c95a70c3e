package riskmodel

import (
	"time"

	"github.com/riskd/riskd/internal/risk"
)

// BuiltinName is the English name of the built-in model, by which the store
// can tell whether a space already has it.
const BuiltinName = "AI system risk"

// builtinLocale is the locale of the built-in texts: the one the spec's own
// examples use, so clients written against it find them.
const builtinLocale = "en-US"

func en(s string) map[string]string { return map[string]string{builtinLocale: s} }

// BuiltinAISystemRisk returns version 1 of the "AI system risk" model that
// every space starts with: severity × likelihood × impact on five levels
// each, the same factors and range (1–125) AI product assessments use, so
// an assessment scored with it gets exactly the numbers of the built-in
// scale. Its bands mirror the assessment tiers: the band of a score is the
// tier a single evaluation with that score would get (see tierBands).
func BuiltinAISystemRisk(now time.Time, createdBy string) Model {
	const scales, dimensions = 5, 3
	in := Input{
		Name: en(BuiltinName),
		Description: en("Risk of an AI system, scored as severity × likelihood × impact on five levels each (1–125). " +
			"The bands match the risk tiers of AI product assessments: minimal, limited, high and unacceptable."),
		NumberOfDimensions: dimensions,
		NumberOfScales:     scales,
		Dimensions: []Dimension{
			{
				ID:          1,
				Name:        en("Severity"),
				Description: en("How serious the harm is for a person or the organisation when it occurs."),
				Scales: []Scale{
					{1, en("Negligible"), en("Inconvenience at most: no lasting effect on anyone's rights, safety, finances or wellbeing, and easily corrected.")},
					{2, en("Minor"), en("Limited, reversible harm, such as a wrong suggestion a user can easily spot and undo.")},
					{3, en("Moderate"), en("Harm that takes effort to reverse, such as unfair treatment in a low-stakes decision, exposure of non-sensitive personal data or a service disruption.")},
					{4, en("Major"), en("Serious harm that is hard to reverse, such as discriminatory decisions on credit, employment or housing, exposure of sensitive personal data, or significant financial loss.")},
					{5, en("Critical"), en("Severe or irreversible harm: a threat to health, safety or fundamental rights.")},
				},
			},
			{
				ID:          2,
				Name:        en("Likelihood"),
				Description: en("How likely the harm is to occur in the system's intended use and reasonably foreseeable misuse."),
				Scales: []Scale{
					{1, en("Rare"), en("Could occur only in exceptional circumstances; no known precedent for this kind of system.")},
					{2, en("Unlikely"), en("Conceivable but not expected; existing controls make it improbable.")},
					{3, en("Possible"), en("Could occur at some point; has happened with comparable systems.")},
					{4, en("Likely"), en("Expected to occur in many deployments or at some point in the system's lifetime.")},
					{5, en("Almost certain"), en("Expected to occur regularly, or already observed in testing or production.")},
				},
			},
			{
				ID:          3,
				Name:        en("Impact"),
				Description: en("How far the harm reaches: how many people are affected and what follows for the organisation."),
				Scales: []Scale{
					{1, en("Isolated"), en("Single individuals in isolated cases; no regulatory or reputational consequence.")},
					{2, en("Contained"), en("A small group of users or one team; contained and quickly remedied.")},
					{3, en("Moderate"), en("A significant share of users or a business process; may draw complaints or a regulator's attention.")},
					{4, en("Broad"), en("Many people or several business processes; regulatory reporting, public attention or material cost are likely.")},
					{5, en("Widespread"), en("All users or the public at large; regulatory sanctions, litigation or a lasting loss of trust.")},
				},
			},
		},
		Bands: tierBands(scales * scales * scales),
	}
	m, err := New(in, now, createdBy)
	if err != nil {
		panic("riskmodel: the built-in model is invalid: " + err.Error()) // a programming error, caught by the package tests
	}
	return m
}

// tierColors follow the usual traffic-light reading of a risk matrix.
var tierColors = map[risk.Tier]string{
	risk.Minimal:      "#2E7D32",
	risk.Limited:      "#F9A825",
	risk.High:         "#EF6C00",
	risk.Unacceptable: "#C62828",
}

var tierNames = map[risk.Tier]string{
	risk.Minimal:      "Minimal",
	risk.Limited:      "Limited",
	risk.High:         "High",
	risk.Unacceptable: "Unacceptable",
}

// tierBands places each tier's band at the lowest raw score (1..maxScore)
// whose normalised, rounded 0–100 score reaches that tier. Computing the
// minimums rather than writing them down keeps them true to the tier
// thresholds and their rounding (31 → 24.8 → 25 is already limited); on
// the 1–125 scale they are 1, 31, 62 and 100.
func tierBands(maxScore int) []Band {
	var bands []Band
	for score := 1; score <= maxScore; score++ {
		t := risk.TierFor(risk.Normalise(score, 1, maxScore))
		if len(bands) == 0 || tierNames[t] != bands[len(bands)-1].Name[builtinLocale] {
			bands = append(bands, Band{Name: en(tierNames[t]), Min: score, Color: tierColors[t]})
		}
	}
	return bands
}
