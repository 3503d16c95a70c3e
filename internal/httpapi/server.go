// Package httpapi maps HTTP to riskd's use cases: routes, authentication,
// the error envelope, limits and the OpenAPI document. One file per API
// family; each maps its documented wire shapes to domain types and back.
package httpapi

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/metrics"
	"github.com/riskd/riskd/internal/usecase"
	"github.com/riskd/riskd/internal/vendorrisk/source"
)

func init() { hookHumaErrors() }

// Config holds the server's limits and defaults.
type Config struct {
	Version      string
	MaxBodyBytes int64 // request body limit (default 1 MiB)
	RateLimit    int   // default write requests per second per token (burst the same)
	// Fetcher polls vendor sources when a client asks for a poll now; serve
	// passes the one its poll jobs use (guard, User-Agent). Nil: a fetcher
	// that refuses loopback and private addresses.
	Fetcher *source.Fetcher
}

// Server is riskd's HTTP API.
type Server struct {
	app     *usecase.App
	cfg     Config
	log     *slog.Logger
	metrics *metrics.Metrics
	limiter auth.Limiter
	mux     *http.ServeMux
	api     huma.API
	handler http.Handler
}

// New builds the API on app. limiter enforces per-token write rates.
func New(app *usecase.App, cfg Config, log *slog.Logger, m *metrics.Metrics, limiter auth.Limiter) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.RateLimit <= 0 {
		cfg.RateLimit = 100
	}
	if cfg.Fetcher == nil {
		cfg.Fetcher = source.NewFetcher(source.PublicClient(false), cmp.Or(cfg.Version, "dev"))
	}
	s := &Server{app: app, cfg: cfg, log: log, metrics: m, limiter: limiter, mux: http.NewServeMux()}

	hc := huma.DefaultConfig("riskd", cfg.Version)
	hc.CreateHooks = nil // no $schema links in bodies: clients expect the documented shapes only
	hc.DocsPath = ""     // /docs is served from the binary below, not from a CDN
	hc.Formats = map[string]huma.Format{"application/json": jsonFormat, "json": jsonFormat}
	hc.Info.Description = "Self-hosted risk assessment engine: risk models, AI product risk assessments, " +
		"text compliance risk, vendor risk events and customer risk rating. Every error uses the envelope " +
		"{\"error\":{\"code\",\"message\",\"details\"}}."
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer":    {Type: "http", Scheme: "bearer", Description: "Authorization: Bearer <token>"},
		"apiKey":    {Type: "apiKey", In: "header", Name: "x-api-key"},
		"authToken": {Type: "apiKey", In: "header", Name: "auth-token"},
	}
	s.api = humago.New(s.mux, hc)

	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	s.mountDocs()
	s.mux.HandleFunc("/", noRoute)

	s.registerSystem()
	s.registerTokens()
	s.registerJobs()
	s.registerRiskModels()
	s.registerAssessments()
	s.registerTextRisk()
	s.registerVendors()
	s.registerCustomers()

	s.handler = s.middleware(s.mux)
	return s
}

// noRoute answers a request that matches no route with the envelope.
func noRoute(w http.ResponseWriter, r *http.Request) {
	writeError(w, newAPIError(http.StatusNotFound, errs.NotFound, "no route for "+r.Method+" "+r.URL.Path, nil))
}

// Handler is the whole API with its middleware.
func (s *Server) Handler() http.Handler { return s.handler }

// OpenAPI returns the API description (used by tests that walk every route).
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}`))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.app.Store.Ready(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", "err", err)
		writeError(w, newAPIError(http.StatusServiceUnavailable, errs.Unavailable, "not ready: "+err.Error(), nil))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ready"}`))
}

type ctxKey int

const requestIDKey ctxKey = iota

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// statusRecorder remembers the status for logs and metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// middleware adds a request id, recovers panics into the envelope, and
// records a log line and metrics per request. Headers (and so tokens) are
// never logged.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		r = r.WithContext(ctx)
		// Keys already canonical and values shared: Set would canonicalise
		// each key and allocate each value on every request.
		h := w.Header()
		h["X-Request-Id"] = []string{id}
		h["X-Content-Type-Options"] = nosniff
		h["X-Frame-Options"] = deny
		h["Referrer-Policy"] = noReferrer
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(ctx, "panic", "request_id", id, "panic", p, "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeError(rec, internalError())
				}
			}
			route := r.Pattern
			if route == "" || route == "/" {
				route = "unmatched"
			}
			elapsed := time.Since(start)
			s.metrics.Requests.WithLabelValues(route, r.Method, strconv.Itoa(rec.status)).Inc()
			s.metrics.RequestDuration.WithLabelValues(route, r.Method).Observe(elapsed.Seconds())
			level := slog.LevelDebug
			if rec.status >= 500 {
				level = slog.LevelError
			}
			if s.log.Enabled(ctx, level) { // the arguments cost allocations even when not logged
				s.log.Log(ctx, level, "request", "request_id", id, "method", r.Method, "route", route,
					"status", rec.status, "duration_ms", float64(elapsed.Microseconds())/1000)
			}
		}()
		if err := nulInURL(r); err != nil {
			writeError(rec, err)
			return
		}
		next.ServeHTTP(rec, r)
	})
}

// The security headers every response carries. The slices are shared by
// all responses: net/http only reads them, and Header.Set and Add replace
// or reallocate a value rather than write into it.
var (
	nosniff    = []string{"nosniff"}
	deny       = []string{"DENY"}
	noReferrer = []string{"no-referrer"}
)

// validRequestID accepts a caller's id only when it is short and plain, so
// it is safe to echo and log.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// nulInURL refuses a NUL character in the path (no resource has one: 404)
// or in a query parameter (422 naming it) before any handler sees it:
// PostgreSQL's text cannot hold NUL, so it would otherwise fail there.
func nulInURL(r *http.Request) *apiError {
	if strings.IndexByte(r.URL.Path, 0) >= 0 {
		return newAPIError(http.StatusNotFound, errs.NotFound, "no resource has a NUL character in its path", nil)
	}
	if !strings.Contains(r.URL.RawQuery, "%00") {
		return nil
	}
	for k, vs := range r.URL.Query() {
		for _, v := range vs {
			if strings.IndexByte(k, 0) >= 0 || strings.IndexByte(v, 0) >= 0 {
				return newAPIError(http.StatusUnprocessableEntity, errs.ValidationFailed, "validation failed",
					[]errs.FieldError{{Field: strings.ReplaceAll(k, "\x00", ""), Message: "must not contain the NUL character"}})
			}
		}
	}
	return nil
}
