package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"time"

	"github.com/riskd/riskd/internal/loadgen"
)

// ServeBareFlag is the riskd bench flag that runs ServeBare instead of the
// harness; the harness starts the bare handler with it as its own process,
// so it competes for the cores exactly as riskd serve does.
const ServeBareFlag = "serve-bare"

var bareBody = []byte(`{"status":"ok","service":"bare"}`)

// ServeBare serves the bare handler riskd is compared against: the standard
// library's server answering every GET with a small JSON body, plus the
// allocation counter at /metrics that the harness reads from riskd too. It
// prints "bare handler listening on http://ADDR" and serves until ctx ends.
func ServeBare(ctx context.Context, addr string, stdout io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(bareBody)
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(w, "go_memstats_mallocs_total %d\n", ms.Mallocs)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "bare handler listening on http://%s\n", ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startBare starts the bare handler as a process of its own.
func startBare(ctx context.Context, cfg Config) (*process, error) {
	return startProcess(ctx, filepath.Join(cfg.OutDir, "bare.log"), cfg.Binary, "bench", "--"+ServeBareFlag, "127.0.0.1:0")
}

// bareLoad is the bare handler's workload: GET / again and again.
var bareLoad = workload{next: func(int) loadgen.Request { return loadgen.Request{Method: http.MethodGet, Path: "/"} }}

// measureBare starts the bare handler and load-tests it like a riskd
// scenario: its throughput is the ceiling riskd's is compared with.
func measureBare(ctx context.Context, cfg Config) (Row, error) {
	cfg.logf("bare handler: the machine's ceiling")
	r := Row{Scenario: "bare", What: "GET / of a bare net/http handler answering a small JSON body (the ceiling)"}
	if err := measureWithBare(ctx, cfg, &r); err != nil {
		return r, err
	}
	r.OfCeiling = 1
	cfg.logf("bare handler: %s", r.Summary())
	return r, nil
}

// measureWithBare starts the bare handler and measures it into bare, in
// turns with the other parts when there are any (measureInTurns). A
// failed request to it fails the measurement: a ceiling with errors is no
// ceiling.
func measureWithBare(ctx context.Context, cfg Config, bare *Row, others ...part) error {
	p, err := startBare(ctx, cfg)
	if err != nil {
		return err
	}
	err = measureInTurns(ctx, cfg, cfg.Concurrency, append([]part{{p, bareLoad, bare}}, others...))
	if err := errors.Join(err, p.stop()); err != nil {
		return err
	}
	if bare.Errors > 0 {
		return fmt.Errorf("%d requests failed, the first: %s", bare.Errors, bare.FirstError)
	}
	return nil
}
