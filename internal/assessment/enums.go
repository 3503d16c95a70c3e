package assessment

import (
	"strings"

	"github.com/riskd/riskd/internal/errs"
)

// Type is why an assessment was made.
type Type string

const (
	TypeInitial       Type = "initial"
	TypePreDeployment Type = "pre_deployment"
	TypePeriodic      Type = "periodic"
	TypeIncident      Type = "incident"
)

// Types lists every assessment type.
func Types() []Type { return []Type{TypeInitial, TypePreDeployment, TypePeriodic, TypeIncident} }

// Status is an assessment's state: a draft until completed, then frozen.
type Status string

const (
	StatusDraft     Status = "draft"
	StatusCompleted Status = "completed"
)

// Category is the kind of risk an evaluation scores.
type Category string

const (
	CategoryBias           Category = "bias"
	CategoryFairness       Category = "fairness"
	CategoryRobustness     Category = "robustness"
	CategoryPrivacy        Category = "privacy"
	CategorySecurity       Category = "security"
	CategoryExplainability Category = "explainability"
)

// Categories lists every evaluation category.
func Categories() []Category {
	return []Category{CategoryBias, CategoryFairness, CategoryRobustness, CategoryPrivacy, CategorySecurity, CategoryExplainability}
}

// MitigationCategory is the kind of action a mitigation takes.
type MitigationCategory string

const (
	MitigationBias           MitigationCategory = "bias_mitigation"
	MitigationRetraining     MitigationCategory = "retraining"
	MitigationRobustness     MitigationCategory = "robustness_testing"
	MitigationPrivacy        MitigationCategory = "privacy_enhancement"
	MitigationExplainability MitigationCategory = "explainability"
	MitigationMonitoring     MitigationCategory = "monitoring_improvement"
	MitigationProcess        MitigationCategory = "process_change"
	MitigationOther          MitigationCategory = "other"
)

// MitigationCategories lists every mitigation category.
func MitigationCategories() []MitigationCategory {
	return []MitigationCategory{MitigationBias, MitigationRetraining, MitigationRobustness, MitigationPrivacy,
		MitigationExplainability, MitigationMonitoring, MitigationProcess, MitigationOther}
}

// MitigationStatus tracks a mitigation: pending → in_progress → completed,
// and pending or in_progress → cancelled. completed and cancelled are final.
type MitigationStatus string

const (
	MitigationPending    MitigationStatus = "pending"
	MitigationInProgress MitigationStatus = "in_progress"
	MitigationCompleted  MitigationStatus = "completed"
	MitigationCancelled  MitigationStatus = "cancelled"
)

// MitigationStatuses lists every mitigation status.
func MitigationStatuses() []MitigationStatus {
	return []MitigationStatus{MitigationPending, MitigationInProgress, MitigationCompleted, MitigationCancelled}
}

// Priority orders mitigations.
type Priority string

const (
	PriorityLow      Priority = "low"
	PriorityMedium   Priority = "medium"
	PriorityHigh     Priority = "high"
	PriorityCritical Priority = "critical"
)

// Priorities lists every priority, lowest first.
func Priorities() []Priority {
	return []Priority{PriorityLow, PriorityMedium, PriorityHigh, PriorityCritical}
}

// oneOf checks v against the allowed values and records a field error
// listing them when it is not one.
func oneOf[T ~string](f *errs.Fields, field, v string, allowed []T) (T, bool) {
	for _, a := range allowed {
		if string(a) == v {
			return a, true
		}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	f.Add(field, "must be one of %s", strings.Join(names, ", "))
	return "", false
}
