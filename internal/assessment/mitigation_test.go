package assessment_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/riskd/riskd/internal/assessment"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/ids"
)

// withStatus returns the spec assessment with its mitigation in status s,
// reached through the allowed transitions.
func withStatus(t *testing.T, s assessment.MitigationStatus) (assessment.Assessment, string) {
	t.Helper()
	a := mustNew(t, specInput(t), assessment.Scorer{})
	id := a.Mitigations[0].ID
	path := map[assessment.MitigationStatus][]string{
		assessment.MitigationPending:    nil,
		assessment.MitigationInProgress: {"in_progress"},
		assessment.MitigationCompleted:  {"in_progress", "completed"},
		assessment.MitigationCancelled:  {"cancelled"},
	}[s]
	for _, step := range path {
		var err error
		if a, _, err = assessment.PatchMitigation(a, id, assessment.MitigationPatch{Status: ptr(step)}, now); err != nil {
			t.Fatalf("reaching %s: %v", s, err)
		}
	}
	return a, id
}

func TestMitigationTransitions(t *testing.T) {
	const (
		pending    = assessment.MitigationPending
		inProgress = assessment.MitigationInProgress
		completed  = assessment.MitigationCompleted
		cancelled  = assessment.MitigationCancelled
	)
	allowed := map[[2]assessment.MitigationStatus]bool{
		{pending, pending}: true, {pending, inProgress}: true, {pending, cancelled}: true,
		{inProgress, inProgress}: true, {inProgress, completed}: true, {inProgress, cancelled}: true,
		{completed, completed}: true, {cancelled, cancelled}: true,
	}
	for _, from := range assessment.MitigationStatuses() {
		for _, to := range assessment.MitigationStatuses() {
			t.Run(string(from)+" to "+string(to), func(t *testing.T) {
				a, id := withStatus(t, from)
				got, m, err := assessment.PatchMitigation(a, id, assessment.MitigationPatch{Status: ptr(string(to))}, later)
				if allowed[[2]assessment.MitigationStatus{from, to}] {
					if err != nil || m.Status != to || got.Mitigations[0].Status != to || got.UpdatedAt != later {
						t.Fatalf("status %s, err %v", m.Status, err)
					}
					return
				}
				if !errs.Is(err, errs.Conflict) {
					t.Fatalf("err = %v; want conflict", err)
				}
			})
		}
	}
}

func TestPatchMitigation(t *testing.T) {
	owner := ids.UUID(now)
	issue := ids.UUID(now)
	a, id := withStatus(t, assessment.MitigationCompleted)
	before, _ := json.Marshal(a)

	t.Run("fields change in any status", func(t *testing.T) {
		_, m, err := assessment.PatchMitigation(a, id, assessment.MitigationPatch{
			Evidence:      []string{"https://jira.example.com/PROJ-123"},
			LinkedIssueID: &issue,
			OwnerID:       &owner,
			OwnerName:     ptr("Bob"),
			Deadline:      ptr("2026-04-01"),
			Priority:      ptr("critical"),
		}, later)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != assessment.MitigationCompleted || !slices.Equal(m.Evidence, []string{"https://jira.example.com/PROJ-123"}) ||
			*m.LinkedIssueID != issue || *m.OwnerID != owner || *m.OwnerName != "Bob" || *m.Deadline != "2026-04-01" || m.Priority != assessment.PriorityCritical {
			t.Fatalf("got %+v", m)
		}
		_, m, err = assessment.PatchMitigation(a, id, assessment.MitigationPatch{OwnerName: ptr(""), Deadline: ptr(""), Evidence: []string{}}, later)
		if err != nil || m.OwnerName != nil || m.Deadline != nil || m.Evidence == nil || len(m.Evidence) != 0 {
			t.Fatalf("clearing: %+v, %v", m, err)
		}
	})
	t.Run("the spec's example body, with a real issue id", func(t *testing.T) {
		pending, pid := withStatus(t, assessment.MitigationPending)
		var p assessment.MitigationPatch
		readJSON(t, "testdata/spec-mitigation-patch.json", &p)
		_, _, err := assessment.PatchMitigation(pending, pid, p, later)
		wantField(t, err, "linked_issue_id", "must be a UUID") // the spec writes the placeholder "uuid"
		p.LinkedIssueID = &issue
		_, m, err := assessment.PatchMitigation(pending, pid, p, later)
		if err != nil || m.Status != assessment.MitigationInProgress || *m.LinkedIssueID != issue || len(m.Evidence) != 1 {
			t.Fatalf("got %+v, %v", m, err)
		}
	})
	t.Run("unknown mitigation", func(t *testing.T) {
		for _, missing := range []string{ids.UUID(now), "not-a-uuid", ""} {
			if _, _, err := assessment.PatchMitigation(a, missing, assessment.MitigationPatch{}, later); !errs.Is(err, errs.NotFound) {
				t.Fatalf("%q: err = %v; want not found", missing, err)
			}
		}
	})
	t.Run("id in any case", func(t *testing.T) {
		if _, _, err := assessment.PatchMitigation(a, upper(id), assessment.MitigationPatch{}, later); err != nil {
			t.Fatal(err)
		}
	})

	rejects := []struct {
		name  string
		patch assessment.MitigationPatch
		field string
		msg   string
	}{
		{"unknown status", assessment.MitigationPatch{Status: ptr("done")}, "status", "must be one of pending, in_progress, completed, cancelled"},
		{"priority", assessment.MitigationPatch{Priority: ptr("p1")}, "priority", "must be one of"},
		{"owner id", assessment.MitigationPatch{OwnerID: ptr("bob")}, "owner_id", "must be a UUID"},
		{"deadline", assessment.MitigationPatch{Deadline: ptr("2026-13-01")}, "deadline", "YYYY-MM-DD"},
		{"evidence", assessment.MitigationPatch{Evidence: []string{""}}, "evidence[0]", "must not be blank"},
	}
	for _, tt := range rejects {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := assessment.PatchMitigation(a, id, tt.patch, later)
			wantField(t, err, tt.field, tt.msg)
		})
	}
	t.Run("validation comes before the transition check", func(t *testing.T) {
		_, _, err := assessment.PatchMitigation(a, id, assessment.MitigationPatch{Status: ptr("pending"), Deadline: ptr("x")}, later)
		wantField(t, err, "deadline", "YYYY-MM-DD")
	})
	if after, _ := json.Marshal(a); string(after) != string(before) {
		t.Fatal("PatchMitigation changed its input")
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
