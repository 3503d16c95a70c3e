package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/errs"
)

// idempotencyHeader names the key a client sends to make a POST safe to retry.
const idempotencyHeader = "Idempotency-Key"

// withheldContentType is stored instead of a response that held a secret:
// a replay of its key is refused (409) rather than answered.
const withheldContentType = "riskd/withheld"

// idempotent replays the stored response of an earlier POST with the same
// Idempotency-Key and body, and refuses the key with another body (409). The
// key is reserved before the handler runs, so two concurrent retries cannot
// both create; a request that does not succeed releases it.
//
// The record is written after the handler's own transaction: if the process
// dies between the two, the key stays reserved and a retry gets 409 until the
// key expires (docs/operations.md), rather than creating twice.
func (s *Server) idempotent(ctx huma.Context, next func(huma.Context)) {
	key := ctx.Header(idempotencyHeader)
	if key == "" {
		next(ctx)
		return
	}
	if len(key) > 255 || strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		s.writeHumaErr(ctx, errs.Invalid(idempotencyHeader, "must be 1-255 printable ASCII characters"))
		return
	}
	// guardBody has buffered the body, so this is a copy from memory.
	body, err := io.ReadAll(ctx.BodyReader())
	if err != nil {
		s.writeHumaErr(ctx, errs.E(errs.InvalidJSON, "request body could not be read"))
		return
	}
	sum := sha256.New()
	sum.Write([]byte(ctx.Method() + " " + ctx.URL().Path + "\n"))
	sum.Write(body)
	hash := hex.EncodeToString(sum.Sum(nil))

	p := principalOf(ctx.Context())
	st := s.app.Store
	rec, err := st.ReserveIdemKey(ctx.Context(), st.Writer(), p.Space.ID, key, hash, s.app.Now())
	if err != nil {
		s.writeHumaErr(ctx, err)
		return
	}
	switch {
	case rec != nil && rec.RequestHash != hash:
		s.writeHumaErr(ctx, errs.Conflictf("Idempotency-Key %q was used with a different request", key))
		return
	case rec != nil && rec.Status == 0:
		s.writeHumaErr(ctx, errs.Conflictf("a request with Idempotency-Key %q is still being processed", key))
		return
	case rec != nil && rec.ContentType == withheldContentType:
		ctx.SetHeader("Idempotent-Replayed", "true")
		s.writeHumaErr(ctx, errs.Conflictf("the request with Idempotency-Key %q succeeded; its response held a secret that is shown only once, so it cannot be replayed", key))
		return
	case rec != nil:
		ctx.SetHeader("Content-Type", rec.ContentType)
		ctx.SetHeader("Idempotent-Replayed", "true")
		ctx.SetStatus(rec.Status)
		_, _ = ctx.BodyWriter().Write(rec.Response)
		return
	}

	rc := &recordingContext{humaContext: ctx}
	completed := false
	defer func() {
		if !completed {
			if err := st.ReleaseIdemKey(ctx.Context(), st.Writer(), p.Space.ID, key); err != nil {
				s.log.ErrorContext(ctx.Context(), "release idempotency key", "err", err)
			}
		}
	}()
	next(rc)
	status := rc.Status()
	if status >= 200 && status < 300 {
		contentType, out := rc.contentType, rc.out.Bytes()
		if auth.ContainsToken(out) {
			// A token secret is stored only as its hash: keep the key
			// (a retry must not create another) but not the response.
			contentType, out = withheldContentType, nil
		}
		if err := st.CompleteIdemKey(ctx.Context(), st.Writer(), p.Space.ID, key, status, contentType, out); err != nil {
			s.log.ErrorContext(ctx.Context(), "record idempotent response", "err", err)
			return
		}
		completed = true
	}
}

// recordingContext keeps a copy of the response for replays.
type recordingContext struct {
	humaContext
	contentType string
	out         bytes.Buffer
}

func (c *recordingContext) SetHeader(name, value string) {
	if http.CanonicalHeaderKey(name) == "Content-Type" {
		c.contentType = value
	}
	c.humaContext.SetHeader(name, value)
}

func (c *recordingContext) BodyWriter() io.Writer {
	return io.MultiWriter(c.humaContext.BodyWriter(), &c.out)
}

// Status reports 200 when the handler wrote a body without setting one.
func (c *recordingContext) Status() int {
	if st := c.humaContext.Status(); st != 0 {
		return st
	}
	return http.StatusOK
}
