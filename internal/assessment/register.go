package assessment

import (
	"strconv"
	"time"
)

// RegisterHeader is the header row of the risk register CSV.
func RegisterHeader() []string {
	return []string{"assessment_id", "product_name", "product_slug", "assessment_type", "status",
		"risk_tier", "overall_risk_score", "open_mitigations", "assessed_at"}
}

// RegisterRow is one assessment's row of the risk register: null values are
// empty cells, open mitigations are those pending or in progress, and every
// cell is safe to open in a spreadsheet.
func RegisterRow(p Product, a Assessment) []string {
	tier, score := "", ""
	if a.RiskTier != nil {
		tier = string(*a.RiskTier)
	}
	if a.OverallRiskScore != nil {
		score = strconv.Itoa(*a.OverallRiskScore)
	}
	open := 0
	for _, m := range a.Mitigations {
		if m.Status == MitigationPending || m.Status == MitigationInProgress {
			open++
		}
	}
	row := []string{a.ID, p.Name, p.Slug, string(a.AssessmentType), string(a.Status),
		tier, score, strconv.Itoa(open), a.AssessedAt.UTC().Format(time.RFC3339)}
	for i, c := range row {
		row[i] = cell(c)
	}
	return row
}

// cell defuses CSV injection: a spreadsheet runs a cell that starts with
// = + - @ (or a tab or carriage return, which some strip first) as a
// formula, so such cells get a leading apostrophe and stay text. Every cell
// goes through it, not just the user-written ones, so a future column
// cannot forget.
func cell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
