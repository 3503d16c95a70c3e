package bench

import (
	"os"
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

func TestParseCPUTime(t *testing.T) {
	// A command name with a space and a parenthesis; utime 1234, stime 56.
	stat := []byte("4242 (riskd (x) y) S 1 4242 4242 0 -1 4194560 900 0 0 0 1234 56 0 0 20 0 9 0 100 2000000 3000 " +
		"18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n")
	if d, ok := parseCPUTime(stat); !ok || d != 12900*time.Millisecond {
		t.Fatalf("parseCPUTime = %s, %v; want 12.9s", d, ok)
	}
	for _, bad := range []string{"", "4242 riskd S 1", "4242 (riskd) S 1 2 3", "4242 (riskd) S 1 4242 4242 0 -1 4194560 900 0 0 0 x 56 0"} {
		if d, ok := parseCPUTime([]byte(bad)); ok {
			t.Errorf("parseCPUTime(%q) = %s, true", bad, d)
		}
	}
	if stat, err := os.ReadFile("/proc/self/stat"); err == nil {
		if _, ok := parseCPUTime(stat); !ok {
			t.Errorf("this process's stat does not parse: %s", stat)
		}
	}
}
