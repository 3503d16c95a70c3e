package risk_test

import (
	"testing"

	"github.com/riskd/riskd/internal/risk"
)

func TestProduct(t *testing.T) {
	tests := []struct {
		name    string
		values  []int
		want    int
		formula string
	}{
		{"spec example", []int{2, 3, 4}, 24, "2 × 3 × 4 = 24"},
		{"one dimension", []int{2}, 2, "2 = 2"},
		{"all lowest", []int{1, 1, 1}, 1, "1 × 1 × 1 = 1"},
		{"all highest of 5", []int{5, 5, 5}, 125, "5 × 5 × 5 = 125"},
		{"multi-digit", []int{20, 20, 20, 20}, 160000, "20 × 20 × 20 × 20 = 160000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, formula := risk.Product(tt.values)
			if got != tt.want || formula != tt.formula {
				t.Fatalf("Product(%v) = %d, %q; want %d, %q", tt.values, got, formula, tt.want, tt.formula)
			}
		})
	}
}

func TestMaxScore(t *testing.T) {
	tests := []struct {
		name               string
		scales, dimensions int
		want               int
		ok                 bool
	}{
		{"spec example", 2, 1, 2, true},
		{"AI system risk", 5, 3, 125, true},
		{"no dimensions", 5, 0, 1, true},
		{"20 scales, 10 dimensions", 20, 10, 10240000000000, true},
		{"2^53 exceeds the limit", 2, 53, 0, false},
		{"2^52 fits", 2, 52, 1 << 52, true},
		{"20^20 exceeds the limit", 20, 20, 0, false},
		{"zero scales", 0, 3, 0, false},
		{"negative dimensions", 5, -1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := risk.MaxScore(tt.scales, tt.dimensions)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("MaxScore(%d, %d) = %d, %v; want %d, %v", tt.scales, tt.dimensions, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestNormalise(t *testing.T) {
	tests := []struct {
		name            string
		sum, count, max int
		want            int
	}{
		{"spec example 33.6 rounds up", 84, 2, 125, 34},
		{"maximum", 125, 1, 125, 100},
		{"minimum product", 1, 1, 125, 1}, // 0.8
		{"12.5 rounds half away from zero", 1, 1, 8, 13},
		{"37.5 rounds up", 3, 1, 8, 38},
		{"62.5 rounds up", 5, 1, 8, 63},
		{"24.4 rounds down", 61, 1, 250, 24},
		{"30 is 24 exactly", 30, 1, 125, 24},
		{"24.8 rounds up to 25", 31, 1, 125, 25}, // the tier boundary moves with rounding
		{"mean of 3 with remainder", 5, 3, 125, 1},
		{"zero", 0, 1, 125, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := risk.Normalise(tt.sum, tt.count, tt.max); got != tt.want {
				t.Fatalf("Normalise(%d, %d, %d) = %d; want %d", tt.sum, tt.count, tt.max, got, tt.want)
			}
		})
	}
}

func TestNormalisedMean(t *testing.T) {
	tests := []struct {
		name    string
		scores  []int
		max     int
		want    int
		explain string
	}{
		{"spec example", []int{24, 60}, 125, 34, "mean(24, 60) = 42 → 42 × 100 / 125 = 33.6 → 34"},
		{"single", []int{24}, 125, 19, "mean(24) = 24 → 24 × 100 / 125 = 19.2 → 19"},
		{"exact", []int{125}, 125, 100, "mean(125) = 125 → 125 × 100 / 125 = 100 → 100"},
		{"inexact mean", []int{1, 2, 2}, 125, 1, "mean(1, 2, 2) ≈ 1.67 → 1.67 × 100 / 125 ≈ 1.33 → 1"},
		{"fractional mean exact", []int{24, 61}, 125, 34, "mean(24, 61) = 42.5 → 42.5 × 100 / 125 = 34 → 34"},
		{"half rounds up", []int{1}, 8, 13, "mean(1) = 1 → 1 × 100 / 8 = 12.5 → 13"},
		{"no scores", nil, 125, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, explain := risk.NormalisedMean(tt.scores, tt.max)
			if got != tt.want || explain != tt.explain {
				t.Fatalf("NormalisedMean(%v, %d) = %d, %q; want %d, %q", tt.scores, tt.max, got, explain, tt.want, tt.explain)
			}
		})
	}
}

func TestTierFor(t *testing.T) {
	tests := []struct {
		score int
		want  risk.Tier
	}{
		{0, risk.Minimal},
		{24, risk.Minimal},
		{25, risk.Limited},
		{49, risk.Limited},
		{50, risk.High},
		{79, risk.High},
		{80, risk.Unacceptable},
		{100, risk.Unacceptable},
		{-1, risk.Minimal},
	}
	for _, tt := range tests {
		t.Run(string(tt.want), func(t *testing.T) {
			if got := risk.TierFor(tt.score); got != tt.want {
				t.Fatalf("TierFor(%d) = %s; want %s", tt.score, got, tt.want)
			}
		})
	}
}

func TestParseTier(t *testing.T) {
	for _, tier := range risk.Tiers() {
		t.Run(string(tier), func(t *testing.T) {
			if got, ok := risk.ParseTier(string(tier)); !ok || got != tier {
				t.Fatalf("ParseTier(%q) = %q, %v", tier, got, ok)
			}
		})
	}
	for _, bad := range []string{"", "High", "medium", "low", " high"} {
		t.Run("reject "+bad, func(t *testing.T) {
			if _, ok := risk.ParseTier(bad); ok {
				t.Fatalf("ParseTier(%q) accepted", bad)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	mins := []int{1, 31, 62, 100}
	id := func(m int) int { return m }
	tests := []struct {
		score, want int
	}{
		{0, -1}, {1, 0}, {30, 0}, {31, 1}, {61, 1}, {62, 2}, {99, 2}, {100, 3}, {125, 3},
	}
	for _, tt := range tests {
		if got := risk.Lookup(mins, id, tt.score); got != tt.want {
			t.Errorf("Lookup(%d) = %d; want %d", tt.score, got, tt.want)
		}
	}
	if got := risk.Lookup(nil, id, 5); got != -1 {
		t.Errorf("Lookup on no bands = %d; want -1", got)
	}
}
