package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/store"
)

// JobEnvelope is the wire form of a job, shared by every family's async API.
type JobEnvelope struct {
	ID        string          `json:"id" example:"job_01HY3K4M7QR9VP2N8WYJF5GTB0"`
	Type      string          `json:"type"`
	Status    string          `json:"status" enum:"running,succeeded,failed"`
	Result    json.RawMessage `json:"result" doc:"The job type's result object; null until it succeeded (long jobs report progress here)"`
	Error     *JobError       `json:"error"`
	CreatedAt time.Time       `json:"createdAt"`
	UpdatedAt time.Time       `json:"updatedAt"`
}

// JobError is a failed job's error.
type JobError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// envelope maps a stored job to the wire. A queued job shows as running:
// the API promises only running, succeeded and failed.
func envelope(j store.Job) JobEnvelope {
	e := JobEnvelope{ID: j.ID, Type: j.Type, Status: j.Status, Result: j.Result, CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt}
	if e.Status == store.JobQueued {
		e.Status = store.JobRunning
	}
	if j.Status == store.JobFailed {
		e.Result = nil
		e.Error = &JobError{Code: j.ErrorCode, Message: j.ErrorMessage}
	}
	if e.Result == nil {
		e.Result = json.RawMessage("null")
	}
	return e
}

type jobOutput struct {
	Body JobEnvelope
}

type jobGetInput struct {
	ID string `path:"id" maxLength:"40" doc:"job_ followed by a ULID"`
}

type jobListInput struct {
	JobType string    `query:"jobType" maxLength:"64"`
	Start   time.Time `query:"start" doc:"Only jobs created at or after this time (RFC 3339)"`
	End     time.Time `query:"end" doc:"Only jobs created before this time (RFC 3339)"`
	Cursor  string    `query:"cursor" doc:"nextCursor of the previous page"`
	Limit   int       `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

type jobListOutput struct {
	Body struct {
		Results    []JobEnvelope `json:"results"`
		Pagination pagination    `json:"pagination"`
	}
}

func (s *Server) registerJobs() {
	register(s, huma.Operation{
		OperationID: "get-job", Method: http.MethodGet, Path: "/api/v1/jobs/{id}", Tags: []string{"Jobs"},
		Summary: "Get a job",
	}, auth.Viewer, func(ctx context.Context, in *jobGetInput) (*jobOutput, error) {
		if !ids.ValidJobID(in.ID) {
			return nil, errs.NotFoundf("job %s not found", in.ID)
		}
		j, err := s.app.Store.GetJob(ctx, s.app.Store.Reader(), principalOf(ctx).Space.ID, in.ID)
		if err != nil {
			return nil, err
		}
		return &jobOutput{Body: envelope(j)}, nil
	})

	register(s, huma.Operation{
		OperationID: "list-jobs", Method: http.MethodGet, Path: "/api/v1/jobs", Tags: []string{"Jobs"},
		Summary: "List the space's jobs, newest first",
	}, auth.Viewer, func(ctx context.Context, in *jobListInput) (*jobListOutput, error) {
		f := store.JobFilter{Type: in.JobType, Limit: in.Limit + 1}
		if !in.Start.IsZero() {
			f.Start = &in.Start
		}
		if !in.End.IsZero() {
			f.End = &in.End
		}
		if in.Cursor != "" {
			if !ids.ValidJobID(in.Cursor) {
				return nil, errs.Invalid("cursor", "must be the nextCursor of a previous page")
			}
			f.BeforeID = in.Cursor
		}
		list, total, err := s.app.Store.ListJobs(ctx, s.app.Store.Reader(), principalOf(ctx).Space.ID, f)
		if err != nil {
			return nil, err
		}
		out := &jobListOutput{}
		out.Body.Pagination.ApproximateTotal = &total
		if len(list) > in.Limit {
			list = list[:in.Limit]
			c := list[len(list)-1].ID
			out.Body.Pagination.NextCursor, out.Body.Pagination.HasMore = &c, true
		}
		out.Body.Results = make([]JobEnvelope, len(list))
		for i, j := range list {
			out.Body.Results[i] = envelope(j)
		}
		return out, nil
	})
}
