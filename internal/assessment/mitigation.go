package assessment

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/ids"
)

// Mitigation is a planned action against a risk (MitigationAction).
// Optional fields are null when unset; evidence is always a list.
type Mitigation struct {
	ID            string             `json:"id"`
	Title         string             `json:"title"`
	Category      MitigationCategory `json:"category"`
	Status        MitigationStatus   `json:"status"`
	Priority      Priority           `json:"priority"`
	OwnerID       *string            `json:"owner_id"`
	OwnerName     *string            `json:"owner_name"`
	Deadline      *string            `json:"deadline"` // YYYY-MM-DD
	Evidence      []string           `json:"evidence"`
	LinkedIssueID *string            `json:"linked_issue_id"`
}

// MitigationPatch is the body of a mitigation PATCH: an absent field keeps
// its value, an empty string clears an optional one, and a given evidence
// list replaces the stored one.
type MitigationPatch struct {
	Status        *string  `json:"status,omitempty"`
	Evidence      []string `json:"evidence,omitempty"`
	LinkedIssueID *string  `json:"linked_issue_id,omitempty"`
	OwnerID       *string  `json:"owner_id,omitempty"`
	OwnerName     *string  `json:"owner_name,omitempty"`
	Deadline      *string  `json:"deadline,omitempty"`
	Priority      *string  `json:"priority,omitempty"`
}

// MitigationInput is a mitigation in a create or update request. Without
// an id it is a new mitigation: title and category are required, status
// starts pending and priority medium. With the id of a stored mitigation
// it updates that one: absent fields keep their stored values. Either way
// status changes only through PATCH, which enforces the transitions, so a
// status given here must be the current one (pending for a new one).
type MitigationInput struct {
	ID       *string `json:"id,omitempty"`
	Title    string  `json:"title,omitempty"`
	Category string  `json:"category,omitempty"`
	MitigationPatch
}

// PatchMitigation applies a PATCH to the mitigation with the given id and
// returns the assessment with it and the mitigation itself. Tracking goes
// on after the assessment is completed. Status moves pending → in_progress
// → completed, or from pending or in_progress to cancelled; repeating the
// current status is a no-op; any other move is a conflict (409), and
// completed and cancelled are final. Other fields may change in any status,
// so evidence can be attached to a completed mitigation.
func PatchMitigation(a Assessment, mitigationID string, p MitigationPatch, now time.Time) (Assessment, Mitigation, error) {
	id, _ := ids.ParseUUID(mitigationID) // malformed: "", which matches nothing
	i := slices.IndexFunc(a.Mitigations, func(m Mitigation) bool { return m.ID == id })
	if i < 0 {
		return Assessment{}, Mitigation{}, errs.NotFoundf("assessment %s has no mitigation %s", a.ID, mitigationID)
	}
	m := a.Mitigations[i]
	var f errs.Fields
	var to MitigationStatus
	if p.Status != nil {
		to, _ = oneOf(&f, "status", *p.Status, MitigationStatuses())
	}
	patchFields(&f, &m, p)
	if err := f.Err(); err != nil {
		return Assessment{}, Mitigation{}, err
	}
	if p.Status != nil {
		if err := transition(m.Status, to); err != nil {
			return Assessment{}, Mitigation{}, err
		}
		m.Status = to
	}
	// Copy so the caller's assessment, which shares the slice, is untouched.
	a.Mitigations = slices.Clone(a.Mitigations)
	a.Mitigations[i] = m
	a.UpdatedAt = wireTime(now)
	return a, m, nil
}

// transition allows the documented moves; same-status is a no-op.
func transition(from, to MitigationStatus) error {
	switch {
	case from == to:
		return nil
	case from == MitigationCompleted || from == MitigationCancelled:
		return errs.Conflictf("mitigation is %s, which is final", from)
	case from == MitigationPending && to == MitigationInProgress,
		from == MitigationInProgress && to == MitigationCompleted,
		to == MitigationCancelled:
		return nil
	case from == MitigationPending && to == MitigationCompleted:
		return errs.Conflictf("a pending mitigation cannot be completed directly; move it to in_progress first")
	}
	return errs.Conflictf("mitigation cannot move from %s to %s", from, to)
}

// mitigations builds the list a request gives, matching ids against the
// stored list (nil on create); field names are relative to "mitigations".
func mitigations(f *errs.Fields, in []MitigationInput, stored []Mitigation, now time.Time) []Mitigation {
	if len(in) > MaxMitigations {
		f.Add("mitigations", "must have at most %d mitigations", MaxMitigations)
		return nil
	}
	out := make([]Mitigation, 0, len(in))
	first := map[string]int{}
	for i, mi := range in {
		field := fmt.Sprintf("mitigations[%d]", i)
		var sub errs.Fields
		var m Mitigation
		isNew := true
		if mi.ID != nil {
			// A malformed id parses to "", which no stored mitigation has.
			id, _ := ids.ParseUUID(*mi.ID)
			j := slices.IndexFunc(stored, func(s Mitigation) bool { return s.ID == id })
			if j < 0 {
				sub.Add("id", "no mitigation with this id in this assessment; leave id out to add a new one")
			} else if k, dup := first[id]; dup {
				sub.Add("id", "duplicate id (also mitigations[%d])", k)
			} else {
				first[id] = i
				m, isNew = stored[j], false
			}
		}
		if isNew {
			m = Mitigation{ID: ids.UUID(now), Status: MitigationPending, Priority: PriorityMedium}
		}
		if isNew || mi.Title != "" {
			m.Title = requiredText(&sub, "title", mi.Title, MaxTitleLength)
		}
		if isNew || mi.Category != "" {
			m.Category, _ = oneOf(&sub, "category", mi.Category, MitigationCategories())
		}
		if mi.Status != nil && *mi.Status != string(m.Status) {
			sub.Add("status", "must be %q here; change status with PATCH …/mitigations/{id}", m.Status)
		}
		patchFields(&sub, &m, mi.MitigationPatch)
		if err := sub.Err(); err != nil {
			f.Merge(field, err)
		}
		out = append(out, m)
	}
	return out
}

// patchFields applies every field of p except status, which has its own
// rules in PATCH and in create/update requests.
func patchFields(f *errs.Fields, m *Mitigation, p MitigationPatch) {
	if p.Priority != nil {
		if pr, ok := oneOf(f, "priority", *p.Priority, Priorities()); ok {
			m.Priority = pr
		}
	}
	if p.OwnerID != nil {
		m.OwnerID = optUUID(f, "owner_id", *p.OwnerID)
	}
	if p.OwnerName != nil {
		m.OwnerName = optText(f, "owner_name", p.OwnerName, MaxOwnerNameLength)
	}
	if p.Deadline != nil {
		m.Deadline = optDate(f, "deadline", *p.Deadline)
	}
	if p.LinkedIssueID != nil {
		m.LinkedIssueID = optUUID(f, "linked_issue_id", *p.LinkedIssueID)
	}
	if p.Evidence != nil {
		m.Evidence = evidence(f, p.Evidence)
	}
	if m.Evidence == nil {
		m.Evidence = []string{}
	}
}

func evidence(f *errs.Fields, list []string) []string {
	if len(list) > MaxEvidence {
		f.Add("evidence", "must have at most %d entries", MaxEvidence)
		return nil
	}
	for i, e := range list {
		field := fmt.Sprintf("evidence[%d]", i)
		if strings.TrimSpace(e) == "" {
			f.Add(field, "must not be blank")
			continue
		}
		f.Check(utf8.RuneCountInString(e) <= MaxEvidenceLength, field, "must be at most %d characters", MaxEvidenceLength)
	}
	return slices.Clone(list)
}

// optUUID validates an optional UUID and returns it in canonical lower
// case; an empty string clears it.
func optUUID(f *errs.Fields, field, s string) *string {
	if s == "" {
		return nil
	}
	id, err := ids.ParseUUID(s)
	if !f.Check(err == nil, field, "must be a UUID") {
		return nil
	}
	return &id
}

// optDate validates an optional ISO 8601 calendar date (YYYY-MM-DD, a real
// day); an empty string clears it. Past dates are allowed: plans are often
// recorded after the fact.
func optDate(f *errs.Fields, field, s string) *string {
	if s == "" {
		return nil
	}
	if _, err := time.Parse(time.DateOnly, s); !f.Check(err == nil, field, "must be a date as YYYY-MM-DD") {
		return nil
	}
	return &s
}
