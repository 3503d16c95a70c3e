// The tests of this package are internal (package source) only because Go
// refuses to import any path below a directory named "vendor"
// (".../internal/vendor/source must be imported as source"), so an external
// test package cannot exist here. They use the exported API alone: once the
// package moves to an importable path, making them external is a change of
// package clause, one import and "source." qualifiers.
package source

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// serve starts a server answering each path with its handler; others 404.
func serve(t *testing.T, routes map[string]http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := routes[r.URL.Path]; ok {
			h(w, r)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func body(b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { w.Write(b) }
}

func TestGet(t *testing.T) {
	clock := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	var seenUA, seenAccept string
	srv := serve(t, map[string]http.HandlerFunc{
		"/ok": func(w http.ResponseWriter, r *http.Request) {
			seenUA, seenAccept = r.Header.Get("User-Agent"), r.Header.Get("Accept")
			w.Write([]byte(`{"ok":true}`))
		},
		"/slow": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		},
		"/slow-body": func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("{"))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		},
		"/declared-big": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "101")
			w.Write([]byte(strings.Repeat("x", 101)))
		},
		"/chunked-big": func(w http.ResponseWriter, _ *http.Request) {
			for range 5 {
				w.Write([]byte(strings.Repeat("x", 30)))
				w.(http.Flusher).Flush() // no Content-Length: only reading finds the size
			}
		},
		"/exactly-limit": func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(strings.Repeat("x", 100))) },
		"/429-seconds": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		},
		"/503-date": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", clock.Add(90*time.Second).Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
		},
		"/429-none": func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTooManyRequests) },
		"/429-past": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", clock.Add(-time.Hour).Format(http.TimeFormat))
			w.WriteHeader(http.StatusTooManyRequests)
		},
		"/429-huge": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "99999999999999999")
			w.WriteHeader(http.StatusTooManyRequests)
		},
		"/429-garbage": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "soon")
			w.WriteHeader(http.StatusTooManyRequests)
		},
		"/500": func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) },
		"/redirect-loop": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/redirect-loop", http.StatusFound)
		},
	})
	f := NewFetcher(srv.Client(), "1.2.3")
	f.Timeout = 200 * time.Millisecond
	f.MaxBytes = 100
	f.Now = func() time.Time { return clock }

	type want struct {
		body       string
		status     int           // a *StatusError with this code
		retryAfter time.Duration // with status 429/503: a *RetryAfterError with this delay
		tooLarge   bool
		timeout    bool
		errText    string
	}
	tests := []struct {
		name string
		url  string
		want want
	}{
		{"ok", srv.URL + "/ok", want{body: `{"ok":true}`}},
		{"exactly the limit", srv.URL + "/exactly-limit", want{body: strings.Repeat("x", 100)}},
		{"timeout before headers", srv.URL + "/slow", want{timeout: true}},
		{"timeout while reading the body", srv.URL + "/slow-body", want{timeout: true}},
		{"declared length over the limit", srv.URL + "/declared-big", want{tooLarge: true}},
		{"streamed body over the limit", srv.URL + "/chunked-big", want{tooLarge: true}},
		{"429 with seconds", srv.URL + "/429-seconds", want{status: 429, retryAfter: 120 * time.Second}},
		{"503 with a date", srv.URL + "/503-date", want{status: 503, retryAfter: 90 * time.Second}},
		{"429 without Retry-After", srv.URL + "/429-none", want{status: 429}},
		{"429 with a past date", srv.URL + "/429-past", want{status: 429}},
		{"429 with a huge delay", srv.URL + "/429-huge", want{status: 429, retryAfter: 24 * time.Hour}},
		{"429 with garbage", srv.URL + "/429-garbage", want{status: 429}},
		{"404", srv.URL + "/missing", want{status: 404}},
		{"500", srv.URL + "/500", want{status: 500}},
		{"redirect loop", srv.URL + "/redirect-loop", want{errText: "stopped after 10 redirects"}},
		{"file scheme", "file:///etc/passwd", want{errText: "not an absolute http or https URL"}},
		{"relative", "/ok", want{errText: "not an absolute http or https URL"}},
		{"credentials are not echoed", "http://user:secret@127.0.0.1:1/x", want{errText: "user:xxxxx@"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.Get(context.Background(), tt.url, "application/json")
			w := tt.want
			switch {
			case w.body != "":
				if err != nil || string(got) != w.body {
					t.Fatalf("got %q, %v", got, err)
				}
			case w.timeout:
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("want a deadline error, got %v", err)
				}
			case w.tooLarge:
				if !errors.Is(err, ErrTooLarge) {
					t.Fatalf("want ErrTooLarge, got %v", err)
				}
			case w.status != 0:
				var se *StatusError
				if !errors.As(err, &se) || se.StatusCode != w.status {
					t.Fatalf("want status %d, got %v", w.status, err)
				}
				var ra *RetryAfterError
				isRetry := errors.As(err, &ra)
				if wantRetry := w.status == 429 || w.status == 503; isRetry != wantRetry {
					t.Fatalf("RetryAfterError = %v for status %d", isRetry, w.status)
				}
				if isRetry && ra.RetryAfter != w.retryAfter {
					t.Fatalf("retry after %s, want %s", ra.RetryAfter, w.retryAfter)
				}
				if !strings.Contains(err.Error(), strconv.Itoa(w.status)) {
					t.Errorf("error %q does not name the status", err)
				}
			default:
				if err == nil || !strings.Contains(err.Error(), w.errText) {
					t.Fatalf("got %v, want an error containing %q", err, w.errText)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Fatalf("error leaks the password: %v", err)
				}
			}
		})
	}
	if seenUA != "riskd/1.2.3 (+vendor risk monitor)" || seenAccept != "application/json" {
		t.Errorf("sent User-Agent %q, Accept %q", seenUA, seenAccept)
	}
}

func TestGetHonoursTheCallersContext(t *testing.T) {
	srv := serve(t, map[string]http.HandlerFunc{"/slow": func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }})
	f := NewFetcher(srv.Client(), "dev")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Get(ctx, srv.URL+"/slow", "*/*"); !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

func TestNewFetcherDefaults(t *testing.T) {
	f := NewFetcher(nil, "dev")
	if f.Timeout != 15*time.Second || f.MaxBytes != 5<<20 || f.UserAgent != "riskd/dev (+vendor risk monitor)" {
		t.Fatalf("defaults %+v", f)
	}
}

func TestUserAgentContact(t *testing.T) {
	if got, want := UserAgent("1.2.0", "  Acme Corp   grc@acme.example \n"), "riskd/1.2.0 (+vendor risk monitor) Acme Corp grc@acme.example"; got != want {
		t.Errorf("UserAgent with contact = %q, want %q", got, want)
	}
	if got, want := UserAgent("1.2.0", " "), "riskd/1.2.0 (+vendor risk monitor)"; got != want {
		t.Errorf("UserAgent without contact = %q, want %q", got, want)
	}
}
