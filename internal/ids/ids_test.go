package ids_test

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/ids"
)

func TestULIDSortsByTimeAndValidates(t *testing.T) {
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var list []string
	for i := 0; i < 50; i++ {
		list = append(list, ids.ULID(base.Add(time.Duration(i)*time.Millisecond)))
	}
	if !sort.StringsAreSorted(list) {
		t.Fatalf("ULIDs of increasing time are not sorted: %v", list[:3])
	}
	for _, u := range list {
		if !ids.ValidULID(u) {
			t.Fatalf("generated ULID %q does not validate", u)
		}
	}
	// The spec's own example id.
	if !ids.ValidJobID("job_01HY3K4M7QR9VP2N8WYJF5GTB0") {
		t.Fatal("a well-formed job id was rejected")
	}
	for _, bad := range []string{"", "job_", "job_01HY3K4M7QR9VP2N8WYJF5GTBI", "01HY3K4M7QR9VP2N8WYJF5GTB0", "job_81HY3K4M7QR9VP2N8WYJF5GTB0"} {
		if ids.ValidJobID(bad) {
			t.Errorf("ValidJobID(%q) = true", bad)
		}
	}
}

// JobIDFloor parts the ids of jobs made before its millisecond from those
// made in it or later.
func TestJobIDFloor(t *testing.T) {
	at := time.Date(2026, 11, 30, 12, 0, 0, 500_700_000, time.UTC)
	floor := ids.JobIDFloor(at)
	if !ids.ValidJobID(floor) {
		t.Fatalf("JobIDFloor = %q, not a job id", floor)
	}
	for i := 0; i < 200; i++ {
		if before := ids.JobID(at.Add(-time.Millisecond)); before >= floor {
			t.Fatalf("id of the millisecond before %q >= floor %q", before, floor)
		}
		// The same millisecond, earlier within it, is not before.
		for _, later := range []time.Time{at.Truncate(time.Millisecond), at, at.Add(time.Millisecond)} {
			if id := ids.JobID(later); id < floor {
				t.Fatalf("id %q of %v < floor %q of %v", id, later, floor, at)
			}
		}
	}
}

// UUIDs of one millisecond increase in the order they are made, so a list
// ordered by (created time, id) keeps a burst's creation order; the random
// bits stay random.
func TestUUIDMonotonicWithinMillisecond(t *testing.T) {
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	prev := ids.UUID(at)
	for i := 0; i < 2000; i++ {
		u := ids.UUID(at)
		if u <= prev {
			t.Fatalf("UUID %d of one millisecond %s does not follow %s", i, u, prev)
		}
		if u[14] != '7' || !strings.ContainsRune("89ab", rune(u[19])) {
			t.Fatalf("not a v7 RFC 9562 UUID: %s", u)
		}
		prev = u
	}
	if later := ids.UUID(at.Add(time.Millisecond)); later <= prev {
		t.Fatalf("the next millisecond's UUID %s does not follow %s", later, prev)
	}
	// An earlier millisecond still sorts by its time.
	if earlier := ids.UUID(at.Add(-time.Second)); earlier >= prev {
		t.Fatalf("an earlier millisecond's UUID %s sorts after %s", earlier, prev)
	}
	a, b := ids.UUID(at.Add(time.Hour)), ids.UUID(at.Add(2*time.Hour))
	if a[24:] == b[24:] {
		t.Fatalf("random bits repeat: %s %s", a, b)
	}
}

func TestUUID(t *testing.T) {
	u := ids.UUID(time.Now())
	if u[14] != '7' {
		t.Fatalf("not a v7 UUID: %s", u)
	}
	got, err := ids.ParseUUID(strings.ToUpper(u))
	if err != nil || got != u {
		t.Fatalf("ParseUUID(%s) = %s, %v", u, got, err)
	}
	for _, bad := range []string{"", "123", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", u + "0", strings.ReplaceAll(u, "-", "")} {
		if _, err := ids.ParseUUID(bad); err == nil {
			t.Errorf("ParseUUID(%q) accepted", bad)
		}
	}
}

func TestURN(t *testing.T) {
	u := ids.URN("vendor", time.Now())
	if got, ok := ids.ParseURN("vendor", u); !ok || got != u {
		t.Fatalf("ParseURN(%s) = %s, %v", u, got, ok)
	}
	if _, ok := ids.ParseURN("risk-event", u); ok {
		t.Fatal("a vendor URN parsed as a risk-event URN")
	}
}

func FuzzParseUUID(f *testing.F) {
	f.Add("0190f1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b")
	f.Add("not-a-uuid")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ids.ParseUUID(s)
		if err != nil {
			return
		}
		if again, err := ids.ParseUUID(got); err != nil || again != got {
			t.Fatalf("canonical form %q does not round-trip", got)
		}
	})
}

func FuzzParseURN(f *testing.F) {
	f.Add("urn:riskd:vendor:01HY3K4M7QR9VP2N8WYJF5GTB0")
	f.Add("urn:riskd:vendor:")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ids.ParseURN("vendor", s)
		if ok && !strings.HasPrefix(got, "urn:riskd:vendor:") {
			t.Fatalf("ParseURN accepted %q as %q", s, got)
		}
	})
}

func TestSpaceUUIDIsStableAndDistinct(t *testing.T) {
	a, b := ids.SpaceUUID(1), ids.SpaceUUID(2)
	if a != ids.SpaceUUID(1) || a == b || a[14] != '5' {
		t.Fatalf("space UUIDs %s %s", a, b)
	}
	if _, err := ids.ParseUUID(a); err != nil {
		t.Fatal(err)
	}
}
