package httpapi

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/riskd/riskd/internal/jsonlex"
)

// jsonAppender is a response body that writes its own JSON, byte for byte
// what huma's encoder (encoding/json without HTML escaping) would write:
// the bodies of the hottest routes skip encoding/json's reflection.
type jsonAppender interface {
	AppendJSON(dst []byte) []byte
}

// jsonFormat is huma's JSON format with that shortcut.
var jsonFormat = huma.Format{
	Marshal: func(w io.Writer, v any) error {
		a, ok := v.(jsonAppender)
		if !ok {
			return huma.DefaultJSONFormat.Marshal(w, v)
		}
		bp := bodyBuffers.Get().(*[]byte)
		// The encoder ends each value with a newline.
		b := append(a.AppendJSON((*bp)[:0]), '\n')
		_, err := w.Write(b)
		if cap(b) <= maxPooledBody {
			*bp = b[:0]
			bodyBuffers.Put(bp)
		}
		return err
	},
	Unmarshal: json.Unmarshal,
}

// bodyBuffers holds the buffers jsonFormat writes bodies into. One that
// grew past maxPooledBody is let go rather than kept for every request.
var bodyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

const maxPooledBody = 64 << 10

// AppendJSON implements jsonAppender. Result is written as it is: every
// job result is stored as json.Marshal wrote it, compact and valid, which
// is what encoding/json's compaction of it would give.
func (e JobEnvelope) AppendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = jsonlex.AppendString(b, e.ID)
	b = append(b, `,"type":`...)
	b = jsonlex.AppendString(b, e.Type)
	b = append(b, `,"status":`...)
	b = jsonlex.AppendString(b, e.Status)
	b = append(b, `,"result":`...)
	if e.Result == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, e.Result...)
	}
	b = append(b, `,"error":`...)
	if e.Error == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"code":`...)
		b = jsonlex.AppendString(b, e.Error.Code)
		b = append(b, `,"message":`...)
		b = jsonlex.AppendString(b, e.Error.Message)
		b = append(b, '}')
	}
	b = append(b, `,"createdAt":`...)
	b = appendTime(b, e.CreatedAt)
	b = append(b, `,"updatedAt":`...)
	b = appendTime(b, e.UpdatedAt)
	return append(b, '}')
}

// appendTime writes t as time.Time's MarshalJSON does (for the years
// 0–9999 it accepts; a job's times are its store's).
func appendTime(b []byte, t time.Time) []byte {
	return t.AppendFormat(b, `"`+time.RFC3339Nano+`"`)
}
