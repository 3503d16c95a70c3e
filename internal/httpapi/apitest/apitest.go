// Package apitest runs the real riskd HTTP stack on a real database for
// tests: a server on a loopback port, and tokens of every role in two spaces
// (to prove isolation).
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/httpapi"
	"github.com/riskd/riskd/internal/jobs"
	"github.com/riskd/riskd/internal/metrics"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
	"github.com/riskd/riskd/internal/usecase"
	"github.com/riskd/riskd/internal/vendorrisk/source"
)

// Env is a running API with tokens.
type Env struct {
	T       testing.TB
	Backend storetest.Backend
	App     *usecase.App
	API     *httpapi.Server
	Server  *httptest.Server
	Runner  *jobs.Runner
	Logs    *Logs // everything the server logged
	// Tokens of space "default" (id 1) and of space "other", by role.
	Tokens      map[auth.Role]string
	OtherTokens map[auth.Role]string
}

// Options tune New.
type Options struct {
	Config httpapi.Config
	// Jobs starts a job runner beside the server.
	Jobs bool
	// GuardSources keeps the server's default source fetcher, which
	// refuses loopback addresses; without it the server may poll the
	// tests' fixture servers on loopback.
	GuardSources bool
}

// New starts the API on b.
func New(t testing.TB, b storetest.Backend, opt Options) *Env {
	t.Helper()
	logs := &Logs{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	app, err := usecase.NewApp(b.Store, log)
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	m.WatchJobBacklog(func(ctx context.Context) ([]metrics.JobCount, error) {
		return b.Store.JobBacklog(ctx, b.Store.Reader())
	})
	if opt.Config.RateLimit == 0 {
		opt.Config.RateLimit = 10000
	}
	if opt.Config.Fetcher == nil && !opt.GuardSources {
		opt.Config.Fetcher = source.NewFetcher(source.PublicClient(true), "test")
	}
	e := &Env{T: t, Backend: b, App: app, Logs: logs, Tokens: map[auth.Role]string{}, OtherTokens: map[auth.Role]string{}}
	if opt.Jobs {
		e.Runner = jobs.NewRunner(b.Store, app.Now, log, m, jobs.Options{PollInterval: 20 * time.Millisecond, Drain: 5 * time.Second})
		app.JobsEnqueued = e.Runner.Notify
	}
	// The limiter riskd serve uses: on PostgreSQL, the shared one.
	e.API = httpapi.New(app, opt.Config, log, m, store.NewLimiter(b.Store, time.Now))
	if e.Runner != nil {
		app.RegisterJobs(e.Runner)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { e.Runner.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	// As riskd serve does at start-up.
	if _, err := app.Bootstrap(context.Background()); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	e.Server = httptest.NewServer(e.API.Handler())
	t.Cleanup(e.Server.Close)
	for _, r := range auth.Roles() {
		e.Tokens[r] = e.Token("default", r)
		e.OtherTokens[r] = e.Token("other", r)
	}
	return e
}

// Token creates a token of role r in the space with the given slug.
func (e *Env) Token(space string, r auth.Role) string {
	e.T.Helper()
	secret, _, err := e.App.CreateToken(context.Background(), usecase.NewToken{SpaceSlug: space, Role: r})
	if err != nil {
		e.T.Fatalf("create token: %v", err)
	}
	return secret
}

// Response is a finished request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends a request with the token as a Bearer header. body may be nil, a
// string or []byte (sent as is) or any value (sent as JSON). headers are
// name, value pairs.
func (e *Env) Do(method, path, token string, body any, headers ...string) Response {
	e.T.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.T.Fatalf("encode body: %v", err)
		}
		r = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, e.Server.URL+path, r)
	if err != nil {
		e.T.Fatalf("new request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.Server.Client().Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		e.T.Fatalf("read body: %v", err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: data}
}

// JSON decodes the body into v.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Expect fails the test unless the status is want.
func (r Response) Expect(t testing.TB, want int) Response {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d; body: %s", r.Status, want, r.Body)
	}
	return r
}

// Envelope is the decoded error envelope.
type Envelope struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"details"`
	} `json:"error"`
}

// ExpectError checks status and code of an error response and returns it.
func (r Response) ExpectError(t testing.TB, status int, code string) Envelope {
	t.Helper()
	r.Expect(t, status)
	var env Envelope
	r.JSON(t, &env)
	if env.Error.Code != code {
		t.Fatalf("error code %q, want %q; body: %s", env.Error.Code, code, r.Body)
	}
	return env
}

// HasField reports whether the envelope names the field.
func (e Envelope) HasField(field string) bool {
	for _, d := range e.Error.Details {
		if d.Field == field {
			return true
		}
	}
	return false
}

// Logs collects the server's log lines; safe for concurrent use.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
