package httpapi

import (
	"bytes"
	"io"

	"github.com/danielgtaylor/huma/v2"

	"github.com/riskd/riskd/internal/errs"
)

// maxJSONDepth bounds nesting: no riskd document needs more, and deep nesting
// is a cheap way to make decoders work hard.
const maxJSONDepth = 32

// guardBody reads the request body once, up to the size limit, and refuses
// oversized or too deeply nested JSON before huma decodes it. Later
// middleware and huma read the buffered copy.
func (s *Server) guardBody(ctx huma.Context, next func(huma.Context)) {
	body, err := io.ReadAll(io.LimitReader(ctx.BodyReader(), s.cfg.MaxBodyBytes+1))
	if err != nil {
		s.writeHumaErr(ctx, errs.E(errs.InvalidJSON, "request body could not be read"))
		return
	}
	if int64(len(body)) > s.cfg.MaxBodyBytes {
		s.writeHumaErr(ctx, errs.E(errs.PayloadTooLarge, "request body is larger than %d bytes", s.cfg.MaxBodyBytes))
		return
	}
	if jsonDepth(body) > maxJSONDepth {
		s.writeHumaErr(ctx, errs.E(errs.InvalidJSON, "request body is nested deeper than %d levels", maxJSONDepth))
		return
	}
	// huma lets a JSON null stand for a required body, and the handler
	// then runs on an empty input: a write with nothing in it.
	if op := ctx.Operation(); op != nil && op.RequestBody != nil && op.RequestBody.Required && string(bytes.TrimSpace(body)) == "null" {
		s.writeHumaErr(ctx, errs.Invalid("body", "expected a JSON object, not null"))
		return
	}
	next(&bufferedContext{humaContext: ctx, body: body})
}

// jsonDepth returns the deepest nesting of arrays and objects in b, ignoring
// brackets inside strings. It does not validate: the decoder does that.
func jsonDepth(b []byte) int {
	depth, deepest := 0, 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			// Skip the string: to the next quote that no odd run of
			// backslashes escapes (IndexByte is far faster than a byte
			// loop on the long strings of texts).
			for {
				n := bytes.IndexByte(b[i+1:], '"')
				if n < 0 {
					return deepest
				}
				i += n + 1
				k := i
				for k > 0 && b[k-1] == '\\' {
					k--
				}
				if (i-k)%2 == 0 {
					break
				}
			}
		case '{', '[':
			depth++
			deepest = max(deepest, depth)
		case '}', ']':
			depth--
		}
	}
	return deepest
}

// humaContext lets the wrappers below embed huma.Context: the interface has a
// method named Context, so it cannot be embedded under its own name.
type humaContext = huma.Context

// bufferedContext serves an already-read body.
type bufferedContext struct {
	humaContext
	body []byte
}

func (c *bufferedContext) BodyReader() io.Reader { return bytes.NewReader(c.body) }
