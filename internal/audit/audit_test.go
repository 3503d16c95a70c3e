package audit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/audit"
)

func chain(n int) ([]audit.Event, audit.Head) {
	head := audit.Head{SpaceID: 7}
	var out []audit.Event
	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		e := audit.Next(head, audit.Event{ActorID: "a", Action: "x.create", ResourceType: "x", ResourceID: "1", At: at, StateHash: "s"})
		out = append(out, e)
		head = audit.Head{SpaceID: 7, Seq: e.Seq, Hash: e.Hash}
	}
	return out, head
}

func verify(events []audit.Event, head audit.Head) error {
	v := audit.NewVerifier(7)
	for _, e := range events {
		if err := v.Add(e); err != nil {
			return err
		}
	}
	return v.Finish(head)
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name   string
		mutate func([]audit.Event, *audit.Head) []audit.Event
		want   string
	}{
		{"intact", func(e []audit.Event, _ *audit.Head) []audit.Event { return e }, ""},
		{"changed field", func(e []audit.Event, _ *audit.Head) []audit.Event { e[2].Action = "x.delete"; return e }, "seq 3 (id 0) was changed"},
		{"removed middle", func(e []audit.Event, _ *audit.Head) []audit.Event { return append(e[:1], e[2:]...) }, "seq 3 follows seq 1"},
		{"removed newest", func(e []audit.Event, _ *audit.Head) []audit.Event { return e[:4] }, "ends at seq 4 but the head records seq 5"},
		{"rehashed row", func(e []audit.Event, _ *audit.Head) []audit.Event {
			e[1].ActorID = "mallory"
			e[1].Hash = audit.ComputeHash(e[1])
			return e
		}, "seq 3 (id 0) does not link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, head := chain(5)
			err := verify(tt.mutate(events, &head), head)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("intact chain failed: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestStateHashDependsOnState(t *testing.T) {
	a, _ := audit.StateHash(map[string]int{"a": 1})
	b, _ := audit.StateHash(map[string]int{"a": 2})
	if a == b || len(a) != 64 {
		t.Fatalf("state hashes %s %s", a, b)
	}
}
