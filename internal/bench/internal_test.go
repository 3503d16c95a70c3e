package bench

import (
	"slices"
	"testing"
	"time"
)

func TestTurns(t *testing.T) {
	for _, tc := range []struct {
		d     time.Duration
		parts int
		want  int
	}{
		{10 * time.Second, 1, 1}, // one server: one run, never cut up
		{10 * time.Second, 2, maxTurns},
		{time.Hour, 2, maxTurns},
		{2 * minTurn, 2, 2},
		{2*minTurn - 1, 2, 1},
		{minTurn / 2, 2, 1}, // shorter than a turn: one turn each
	} {
		if got := turns(tc.d, tc.parts); got != tc.want {
			t.Errorf("turns(%s, %d) = %d, want %d", tc.d, tc.parts, got, tc.want)
		}
	}
}

func TestTurnOrderAlternates(t *testing.T) {
	var order []int
	for turn := range 4 {
		order = append(order, turnOrder(turn, 2)...)
	}
	// ABBA ABBA: over every two turns each part runs as early on average.
	if want := []int{0, 1, 1, 0, 0, 1, 1, 0}; !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	if got := turnOrder(1, 1); !slices.Equal(got, []int{0}) {
		t.Fatalf("one part: %v", got)
	}
}
