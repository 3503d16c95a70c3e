package audit_test

import (
	"encoding/json"
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

// The hashes of stored chains must not change from one release to the
// next: these were computed by the first implementation.
func TestHashesAreStable(t *testing.T) {
	e := audit.Event{
		SpaceID: 12, Seq: 345, ActorID: "tok_01JABC", Action: "analysis.risk", ResourceType: "job",
		ResourceID: "job_01K00000000000000000000000", StateHash: "ab", PrevHash: "cd",
		At: time.Date(2026, 12, 1, 6, 30, 5, 123456789, time.FixedZone("x", 3600)),
	}
	if got, want := audit.ComputeHash(e), "0768b12aeb9bd196e0b5c7412a8b0d2349f77820bbe60ee490ef2378504b2c6f"; got != want {
		t.Errorf("ComputeHash = %s, want %s", got, want)
	}
	e.At = e.At.Add(time.Microsecond)
	if audit.ComputeHash(e) == "0768b12aeb9bd196e0b5c7412a8b0d2349f77820bbe60ee490ef2378504b2c6f" {
		t.Error("a microsecond later hashes the same")
	}
	// One allocation, the hex string: a hash per audited write.
	if n := testing.AllocsPerRun(100, func() { audit.ComputeHash(e) }); n > 1 {
		t.Errorf("ComputeHash allocates %v times", n)
	}
	state := map[string]any{"a": "<&>\u2028", "b": []int{1, 2}}
	if got, want := must(audit.StateHash(state)), "96ed56192e4e61d0b5046e2b28cfb8c48dead39d912bec5f4c311c3e8e64dcf4"; got != want {
		t.Errorf("StateHash = %s, want %s", got, want)
	}
}

// A state already encoded hashes as the value it encodes; other bytes do
// not.
func TestStateHashOfEncoded(t *testing.T) {
	for _, v := range []any{
		map[string]any{"a": "<&>\u2028 x", "b": []int{1, 2}, "c": nil},
		struct {
			Type      string `json:"type"`
			RiskScore int    `json:"riskScore"`
		}{"analysis.risk.result", 42},
		json.RawMessage(`{"a":1}`),
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := must(audit.StateHash(audit.Encoded(b))), must(audit.StateHash(v)); got != want {
			t.Errorf("%s: Encoded hashes %s, the value %s", b, got, want)
		}
	}
	// Not the hash of a []byte, which json.Marshal writes in base64.
	if must(audit.StateHash(audit.Encoded(`{"a":1}`))) == must(audit.StateHash([]byte(`{"a":1}`))) {
		t.Error("Encoded hashes like a []byte")
	}
	if must(audit.StateHash(audit.Encoded(`{"a":1}`))) == must(audit.StateHash(audit.Encoded(`{"a":2}`))) {
		t.Error("two states hash the same")
	}
}

func must(h string, err error) string {
	if err != nil {
		panic(err)
	}
	return h
}
