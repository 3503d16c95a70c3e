package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/riskd/riskd/internal/httpapi"
	"github.com/riskd/riskd/internal/jobs"
	"github.com/riskd/riskd/internal/metrics"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/usecase"
	"github.com/riskd/riskd/internal/vendorrisk/source"
)

type serveConfig struct {
	addr         string
	db           string
	maxBody      int64
	rateLimit    int
	workers      int
	shutdownWait time.Duration
	logLevel     string
	logFormat    string
	rules        string
	pollInterval time.Duration
	contact      string
	allowPrivate bool
	debugAddr    string
	jobRetention time.Duration
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve [--addr 127.0.0.1:8080] [--db URL] [flags]", stderr)
	var c serveConfig
	fs.StringVar(&c.addr, "addr", envOr("RISKD_ADDR", "127.0.0.1:8080"), "listen address (env RISKD_ADDR)")
	db := dbFlag(fs)
	fs.Int64Var(&c.maxBody, "max-body", 1<<20, "largest accepted request body in bytes")
	fs.IntVar(&c.rateLimit, "rate-limit", 100, "write requests per second per token (burst the same); a token's own limit wins")
	fs.IntVar(&c.workers, "job-workers", 4, "jobs run at once on this node")
	fs.DurationVar(&c.shutdownWait, "shutdown-timeout", 20*time.Second, "how long shutdown waits for requests and jobs in flight")
	fs.StringVar(&c.rules, "rules", "", "directory of extra text-risk rule packs (*.yaml): they add to or override the built-in rules")
	fs.DurationVar(&c.pollInterval, "poll-interval", usecase.DefaultVendorPollInterval, "how often every vendor risk source (status page, feed, EDGAR) is polled")
	fs.StringVar(&c.contact, "source-contact", os.Getenv("RISKD_SOURCE_CONTACT"), "organisation and email added to the User-Agent of source polls, as SEC EDGAR asks (env RISKD_SOURCE_CONTACT)")
	fs.BoolVar(&c.allowPrivate, "allow-private-sources", false, "let source URLs reach loopback and private addresses (refused by default: API users set these URLs)")
	fs.StringVar(&c.debugAddr, "debug-addr", os.Getenv("RISKD_DEBUG_ADDR"), "serve Go's pprof profiles on this address, e.g. 127.0.0.1:6060 (off by default; no authentication: keep it on loopback) (env RISKD_DEBUG_ADDR)")
	fs.DurationVar(&c.jobRetention, "job-retention", 0, "delete finished jobs this long after they finished, e.g. 720h (at least 24h); 0 keeps them")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", "text", "text or json")
	if err := parse(fs, args); err != nil {
		return err
	}
	c.db = *db
	if c.maxBody <= 0 || c.rateLimit <= 0 || c.workers <= 0 || c.pollInterval <= 0 {
		fmt.Fprintln(stderr, "riskd serve: --max-body, --rate-limit, --job-workers and --poll-interval must be positive")
		return errUsage
	}
	if c.jobRetention != 0 && c.jobRetention < usecase.MinJobRetention {
		fmt.Fprintf(stderr, "riskd serve: --job-retention must be 0 (keep finished jobs) or at least %v\n", usecase.MinJobRetention)
		return errUsage
	}
	log, err := newLogger(stderr, c.logLevel, c.logFormat)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return serve(ctx, c, log, stdout)
}

// defaultGCPercent is the garbage collector's target when GOGC is not set.
// riskd's live heap is small (tens of MB) and its hot paths (text scoring,
// re-scoring a million customers) allocate briskly, so collecting at 4×
// the live heap instead of 2× trades a little memory for about a tenth
// less CPU. GOGC, when set, wins.
const defaultGCPercent = 400

func serve(ctx context.Context, c serveConfig, log *slog.Logger, stdout io.Writer) error {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	// A broken rule pack stops start-up before anything else, naming the file
	// and line.
	engine, err := loadEngine(c.rules)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, c.db, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		log.Info("migrations applied", "count", len(applied), "db", st.Target())
	}
	app, err := usecase.NewApp(st, log)
	if err != nil {
		return err
	}
	app.Text = engine
	app.JobRetention = c.jobRetention
	secret, err := app.Bootstrap(ctx)
	if err != nil {
		return fmt.Errorf("first start: %w", err)
	}
	if secret != "" {
		// Printed once, to stdout only: the log never carries it.
		fmt.Fprintf(stdout, "\n==================== riskd first start ====================\n"+
			"Admin token for space \"default\" (shown once, store it now):\n\n%s\n\n"+
			"Create more with: riskd token create --space SLUG --role ROLE\n"+
			"===========================================================\n\n", secret)
	}

	m := metrics.New()
	m.WatchJobBacklog(func(ctx context.Context) ([]metrics.JobCount, error) { return st.JobBacklog(ctx, st.Reader()) })
	runner := jobs.NewRunner(st, app.Now, log, m, jobs.Options{Concurrency: c.workers, Drain: c.shutdownWait})
	app.JobsEnqueued = runner.Notify
	app.RegisterJobs(runner)
	fetcher := source.NewFetcher(source.PublicClient(c.allowPrivate), version)
	fetcher.UserAgent = source.UserAgent(version, c.contact)
	app.RegisterVendorPolling(runner, fetcher, c.pollInterval)
	api := httpapi.New(app, httpapi.Config{Version: version, MaxBodyBytes: c.maxBody, RateLimit: c.rateLimit, Fetcher: fetcher}, log, m, store.NewLimiter(st, time.Now))

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second, // a half-sent request is dropped
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if c.debugAddr != "" {
		dln, err := net.Listen("tcp", c.debugAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--debug-addr: %w", err)
		}
		// Printed before the listening line, which tools wait for.
		fmt.Fprintf(stdout, "riskd debug (pprof) on http://%s/debug/pprof/\n", dln.Addr())
		dsrv := &http.Server{Handler: pprofHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = dsrv.Serve(dln) }()
		defer dsrv.Close()
	}
	log.Info("riskd serving", "addr", ln.Addr().String(), "db", st.Target(), "version", version)
	fmt.Fprintf(stdout, "riskd listening on http://%s (docs at /docs)\n", ln.Addr())

	var wg sync.WaitGroup
	runCtx, stopRunner := context.WithCancel(context.WithoutCancel(ctx))
	wg.Add(1)
	go func() { defer wg.Done(); runner.Run(runCtx) }()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		stopRunner()
		wg.Wait()
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests and jobs in flight", "timeout", c.shutdownWait.String())
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownWait)
	defer cancel()
	err = srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// The bound is the operator's choice: requests still running are
		// cut off (their clients see the connection close, and nothing
		// they did is acknowledged), and the stop is still a clean one.
		log.Warn("requests still in flight after the shutdown timeout were cut off", "timeout", c.shutdownWait.String())
		_ = srv.Close()
		err = nil
	}
	stopRunner()
	wg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// pprofHandler serves the runtime's profiles (net/http/pprof) on the
// separate debug listener, never on the API's.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
