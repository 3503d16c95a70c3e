package customer

import (
	"strings"
	"unicode/utf8"

	"github.com/riskd/riskd/internal/errs"
)

// ApprovalStatus is the checker's decision on an assessment. PENDING is the
// state before any decision and cannot be submitted as one.
type ApprovalStatus string

const (
	Accepted       ApprovalStatus = "ACCEPTED"
	Cleared        ApprovalStatus = "CLEARED"
	Pending        ApprovalStatus = "PENDING"
	Rejected       ApprovalStatus = "REJECTED"
	RequestChanges ApprovalStatus = "REQUEST_CHANGES"
)

// MaxMessageLength bounds an approval message.
const MaxMessageLength = 5000

// ApprovalRequest is a checker's decision on an assessment.
type ApprovalRequest struct {
	ApprovalStatus ApprovalStatus `json:"approvalStatus"`
	// OverrideRiskRating replaces the computed rating; it must be a definite
	// rating, since an approver who overrides asserts one.
	OverrideRiskRating *Rating `json:"overrideRiskRating,omitempty"`
	// Message explains the decision; an override requires one, so that the
	// audit trail says why the computed rating was set aside.
	Message string `json:"message"`
}

// ValidateApproval checks a decision under four eyes: approverID may not be
// any of makerIDs, the principals who created or last changed the customer
// or its assessment (forbidden). Empty maker ids are ignored. The request
// itself is then validated (validation_failed, naming approvalStatus,
// overrideRiskRating or message).
func ValidateApproval(req ApprovalRequest, approverID string, makerIDs ...string) error {
	if approverID == "" {
		return errs.Forbiddenf("an approval needs an approver")
	}
	for _, m := range makerIDs {
		if m == approverID {
			return errs.Forbiddenf("the principal who created or last changed a customer or its assessment may not approve it")
		}
	}
	var f errs.Fields
	oneOf(&f, "approvalStatus", req.ApprovalStatus, Accepted, Cleared, Rejected, RequestChanges)
	if req.OverrideRiskRating != nil {
		definite(&f, "overrideRiskRating", *req.OverrideRiskRating)
		f.Check(strings.TrimSpace(req.Message) != "", "message", "is required when overriding the risk rating")
	}
	f.Check(utf8.RuneCountInString(req.Message) <= MaxMessageLength, "message", "must be at most %d characters", MaxMessageLength)
	return f.Err()
}
