package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/textrisk"
)

// maxTextBytes bounds the text of one analysis.
const maxTextBytes = 256 << 10

type analysisBody struct {
	Content struct {
		Type string `json:"type" enum:"text" doc:"Content type; v1 supports text"`
		Text string `json:"text" minLength:"1" doc:"Text to score, at most 256 KiB"`
	} `json:"content"`
	Scenario string `json:"scenario" enum:"marketing_asset,dispute,debt_collection,complaint,generic"`
}

type analysisInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Replays with the same body return the original job"`
	RawBody        []byte
}

// parseAnalysis validates a submit body and returns the text and scenario.
func parseAnalysis(raw []byte) (string, textrisk.Scenario, error) {
	body, ok := quickAnalysisBody(raw)
	if !ok {
		if err := decodeBody(raw, &body); err != nil {
			return "", 0, err
		}
	}
	// Size first: an oversized text is 413 whatever else is wrong with the
	// request, so a client learns to split it before fixing the rest.
	if len(body.Content.Text) > maxTextBytes {
		return "", 0, errs.E(errs.PayloadTooLarge, "content.text is larger than 256 KiB")
	}
	var f errs.Fields
	if body.Content.Type != "text" {
		f.Add("content.type", "must be \"text\"")
	}
	if body.Content.Text == "" {
		f.Add("content.text", "must not be empty")
	}
	sc, err := textrisk.ParseScenario(body.Scenario)
	if err != nil {
		f.Add("scenario", "must be one of %s", strings.Join(textrisk.Scenarios(), ", "))
	}
	if err := f.Err(); err != nil {
		return "", 0, err
	}
	return body.Content.Text, sc, nil
}

func (s *Server) registerTextRisk() {
	tags := []string{"Text compliance risk"}
	register(s, huma.Operation{
		OperationID: "create-risk-assessment-job", Method: http.MethodPost, Path: "/api/v1/analysis/risk", Tags: tags,
		Summary: "Score text for compliance risk; answers with the finished job",
		Description: "Scores consumer-finance text 0–100 (0–20 Limited, 21–40 Low, 41–60 Moderate, 61–80 High, 81–100 Critical) " +
			"and answers with the terminal job envelope. The job is stored before the response and can be fetched again with GET /api/v1/jobs/{id}.",
	}, auth.Assessor, func(ctx context.Context, in *analysisInput) (*jobOutput, error) {
		text, sc, err := parseAnalysis(in.RawBody)
		if err != nil {
			return nil, err
		}
		j, err := s.app.AssessTextRisk(ctx, principalOf(ctx), text, sc)
		if err != nil {
			return nil, err
		}
		return &jobOutput{Body: envelope(j)}, nil
	})
	registerBody[analysisBody](s, http.MethodPost, "/api/v1/analysis/risk")

	register(s, huma.Operation{
		OperationID: "create-screen-analysis-job", Method: http.MethodPost, Path: "/api/v1/analysis/screen", Tags: tags, DefaultStatus: http.StatusAccepted,
		Summary:     "Screen text for findings with regulatory citations (asynchronous)",
		Description: "Answers 202 with a running job; its result lists findings (p1 first) with citations and byte offsets of the matched text.",
	}, auth.Assessor, func(ctx context.Context, in *analysisInput) (*jobOutput, error) {
		text, sc, err := parseAnalysis(in.RawBody)
		if err != nil {
			return nil, err
		}
		j, err := s.app.SubmitScreen(ctx, principalOf(ctx), text, sc)
		if err != nil {
			return nil, err
		}
		return &jobOutput{Body: envelope(j)}, nil
	})
	registerBody[analysisBody](s, http.MethodPost, "/api/v1/analysis/screen")
}
