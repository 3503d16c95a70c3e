package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/riskd/riskd/internal/bench"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "bench [--duration 10s] [--concurrency 64] [--scenarios LIST] [--postgres URL] [--out DIR] [--skip-micro] [--profile]", stderr)
	duration := fs.Duration("duration", 10*time.Second, "measured time per load scenario, after a 1s warm-up")
	concurrency := fs.Int("concurrency", 64, "load generator clients")
	list := fs.String("scenarios", "all", "comma list of scenarios to run: "+strings.Join(bench.Scenarios(), ", ")+
		" (the bare handler always runs: it is the ceiling)")
	pg := fs.String("postgres", envOr("RISKD_BENCH_POSTGRES", ""),
		"also run on PostgreSQL: a database URL in which a fresh schema is created and dropped afterwards (env RISKD_BENCH_POSTGRES)")
	out := fs.String("out", "bench-out", "directory for results.md, micro.txt and the servers' logs")
	skipMicro := fs.Bool("skip-micro", false, "skip the Go micro-benchmarks")
	profile := fs.Bool("profile", false, "save a CPU profile of riskd during each measured load run in the --out directory (go tool pprof)")
	bare := fs.String(bench.ServeBareFlag, "", "internal: serve the bare handler on this address instead (the harness starts itself so)")
	if err := parse(fs, args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if *bare != "" {
		return bench.ServeBare(ctx, *bare, stdout)
	}
	names, err := bench.ParseScenarios(*list)
	if err != nil {
		fmt.Fprintln(stderr, "riskd bench:", err)
		return errUsage
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the riskd binary to start: %w", err)
	}
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	cfg := bench.Config{
		Binary: bin, ModuleDir: bench.FindModule(cwd), Duration: *duration, Concurrency: *concurrency,
		Scenarios: names, Postgres: *pg, OutDir: *out, SkipMicro: *skipMicro, Profile: *profile,
		Command: benchCommand(fs), Log: stderr,
	}
	if err := cfg.Check(); err != nil {
		fmt.Fprintln(stderr, "riskd bench:", err)
		return errUsage
	}
	rep, err := bench.Run(ctx, cfg)
	if rep != nil {
		fmt.Fprint(stdout, rep.Markdown())
	}
	return err
}

// benchCommand is the command line for the report, with the flags as
// parsed and the PostgreSQL password removed: the report is meant to be
// shared.
func benchCommand(fs *flag.FlagSet) string {
	cmd := "riskd bench"
	fs.Visit(func(f *flag.Flag) {
		v := f.Value.String()
		if u, err := url.Parse(v); err == nil && u.User != nil {
			v = u.Redacted()
		}
		cmd += " --" + f.Name + " " + v
	})
	return cmd
}
