// Package bench is riskd's performance harness. On the machine at hand it
// runs every package's Go micro-benchmarks, then load-tests a freshly
// started `riskd serve` (a separate process on a fresh database: a temporary
// SQLite file, and a new PostgreSQL schema when a URL is given) scenario by
// scenario, and reports throughput, latency percentiles, allocations per
// request and peak memory against the targets, as Markdown.
//
// A bare net/http handler, also a separate process, is measured in the same
// run with the same load generator: riskd's throughput is reported as a
// share of it, the machine's ceiling, so results compare across machines.
//
// Each API family's scenarios, and the SQL that seeds their tables, live in
// the family's own file, so a family's schema change touches one file.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/riskd/riskd/internal/loadgen"
)

// Config is one harness run.
type Config struct {
	// Binary is the riskd executable started as the server and as the bare
	// handler (riskd bench --serve-bare).
	Binary string
	// ModuleDir is riskd's source tree, where the micro-benchmarks run; empty
	// when there is none, which skips them with a note.
	ModuleDir   string
	Duration    time.Duration // measured time per load scenario
	Concurrency int           // load generator clients
	Scenarios   []string      // names to run (see Scenarios); empty runs all
	Postgres    string        // a database to create a fresh schema in; empty: SQLite only
	OutDir      string        // where results.md, micro.txt and the server logs go
	SkipMicro   bool
	// Profile saves a CPU profile of riskd during each measured load run
	// in OutDir (cpu-BACKEND-SCENARIO-CLIENTS.pprof).
	Profile bool
	Command string    // the command line, recorded in the report
	Log     io.Writer // progress lines
}

// maxRequests bounds every load run's count; with the duration it bounds the
// memory the exact latency samples take (80 MB at most).
const maxRequests = 10_000_000

// warmUp precedes every measured load run: connections are opened, caches
// filled and the runtime's heap grown before the clock starts.
const warmUp = time.Second

// ResultsFile is the report's name inside OutDir.
const ResultsFile = "results.md"

// scenario is one measured workload against riskd.
type scenario struct {
	name string
	what string // one line for the report: the request and the data behind it
	// routes are the operations ("METHOD /path" as in /openapi.json) the
	// scenario needs; without one it is skipped, naming the route.
	routes []string
	// prepare seeds what the scenario reads and returns its workload; a
	// skipError says why it cannot run on this build.
	prepare func(ctx context.Context, e *env) (workload, error)
	targets []target
	// targetClients, when set, checks the targets on a second run with this
	// many clients. A latency target means the request's own cost: with
	// more clients than cores every request also waits for the others, and
	// latency is clients ÷ throughput whatever the request does.
	targetClients int
	// ceilingInTurns measures the bare handler again, in turns with the
	// scenario (measureInTurns), and its share of the ceiling is of that
	// figure: on a shared virtual machine the ceiling drifts by a sixth
	// within a minute and by a third from one minute to the next.
	ceilingInTurns bool
}

// workload is what prepare hands the harness: requests for a load test, or
// run for work that is timed as a whole (a job).
type workload struct {
	next    loadgen.Factory
	observe func(status int, body []byte)
	// run does the work once and returns how many unit items it handled.
	run  func(ctx context.Context) (items int, err error)
	unit string
}

// skipError marks a scenario that cannot run on this build, and why.
type skipError struct{ reason string }

func (e skipError) Error() string { return "skipped: " + e.reason }

func skipf(format string, args ...any) error { return skipError{fmt.Sprintf(format, args...)} }

// scenarios lists every scenario in the order they run: writes before the
// reads that use what they wrote.
func scenarios() []scenario {
	var all []scenario
	all = append(all, systemScenarios()...)
	all = append(all, textRiskScenarios()...)
	all = append(all, assessmentScenarios()...)
	all = append(all, vendorScenarios()...)
	all = append(all, customerScenarios()...)
	return all
}

// Scenarios returns the names --scenarios accepts, in run order.
func Scenarios() []string {
	var names []string
	for _, s := range scenarios() {
		names = append(names, s.name)
	}
	return names
}

// ParseScenarios turns a comma list into scenario names; "" and "all" mean
// every scenario.
func ParseScenarios(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" || list == "all" {
		return Scenarios(), nil
	}
	known := map[string]bool{}
	for _, n := range Scenarios() {
		known[n] = true
	}
	var names []string
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if !known[n] {
			return nil, fmt.Errorf("unknown scenario %q: want a comma list of %s", n, strings.Join(Scenarios(), ", "))
		}
		names = append(names, n)
	}
	return names, nil
}

// Check reports a configuration Run would refuse.
func (c *Config) Check() error {
	switch {
	case c.Binary == "":
		return errors.New("bench: no riskd binary to start")
	case c.Duration <= 0 || c.Duration > loadgen.MaxDuration:
		return fmt.Errorf("bench: duration %s is outside (0, %s]", c.Duration, loadgen.MaxDuration)
	case c.Concurrency < 1 || c.Concurrency > loadgen.MaxConcurrency:
		return fmt.Errorf("bench: concurrency %d is outside 1..%d", c.Concurrency, loadgen.MaxConcurrency)
	case c.OutDir == "":
		return errors.New("bench: no output directory")
	case c.Postgres != "" && !strings.HasPrefix(c.Postgres, "postgres://") && !strings.HasPrefix(c.Postgres, "postgresql://"):
		return fmt.Errorf("bench: --postgres wants a postgres:// URL")
	}
	_, err := ParseScenarios(strings.Join(c.Scenarios, ","))
	return err
}

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, "bench: "+format+"\n", args...)
	}
}

// Run runs the micro-benchmarks and the load test, writes the report to
// OutDir/results.md and returns it. Targets missed are reported, not errors;
// the error says what could not be measured (the report still lists the
// rest).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if len(cfg.Scenarios) == 0 {
		cfg.Scenarios = Scenarios()
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, err
	}
	rep := &Report{
		Started: time.Now().UTC(), Command: cfg.Command, Machine: ReadMachine(), LoadAvg: loadAvg(),
		Revision: revision(ctx, cfg.ModuleDir), Duration: cfg.Duration, Concurrency: cfg.Concurrency,
	}
	var failed []error
	if cfg.SkipMicro {
		rep.Micro.Skipped = "--skip-micro"
	} else {
		rep.Micro = runMicro(ctx, cfg)
		if rep.Micro.Err != "" {
			failed = append(failed, errors.New("micro-benchmarks: "+rep.Micro.Err))
		}
	}

	bare, err := measureBare(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("bare handler: %w", err)
	}
	rep.Rows = append(rep.Rows, bare)

	backends := []string{"sqlite"}
	if cfg.Postgres != "" {
		backends = append(backends, "postgres")
	}
	for _, b := range backends {
		rows, err := runBackend(ctx, cfg, b, bare.PerSecond)
		rep.Rows = append(rep.Rows, rows...)
		if err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", b, err))
		}
		if ctx.Err() != nil {
			break
		}
	}
	for _, r := range rep.Rows {
		if r.Err != "" {
			failed = append(failed, fmt.Errorf("%s %s: %s", r.Backend, r.Scenario, r.Err))
		}
	}
	out := filepath.Join(cfg.OutDir, ResultsFile)
	if err := os.WriteFile(out, []byte(rep.Markdown()), 0o644); err != nil {
		failed = append(failed, err)
	}
	cfg.logf("results written to %s", out)
	return rep, errors.Join(failed...)
}

// runBackend starts riskd on a fresh database of one backend and runs the
// selected scenarios against it in order.
func runBackend(ctx context.Context, cfg Config, backend string, ceiling float64) ([]Row, error) {
	e, err := newEnv(ctx, cfg, backend)
	if err != nil {
		return nil, err
	}
	defer e.close()
	selected := map[string]bool{}
	for _, n := range cfg.Scenarios {
		selected[n] = true
	}
	var rows []Row
	for _, sc := range scenarios() {
		if !selected[sc.name] || ctx.Err() != nil {
			continue
		}
		cfg.logf("%s %s: %s", backend, sc.name, sc.what)
		for _, r := range e.runScenario(ctx, sc, ceiling) {
			cfg.logf("%s %s: %s", backend, r.Scenario, r.Summary())
			rows = append(rows, r)
		}
	}
	return rows, ctx.Err()
}

// runScenario prepares and measures one scenario; a failure lands in its
// row so the scenarios after it still run. A scenario with targetClients
// gets a second row, measured with that many clients, that its targets are
// checked on.
func (e *env) runScenario(ctx context.Context, sc scenario, ceiling float64) []Row {
	r := Row{Backend: e.backend, Scenario: sc.name, What: sc.what}
	for _, op := range sc.routes {
		if !e.hasRoute(op) {
			r.Skipped = "this build of riskd has no " + op + " (its family is not there yet)"
			return []Row{r}
		}
	}
	wl, err := sc.prepare(ctx, e)
	var skip skipError
	switch {
	case errors.As(err, &skip):
		r.Skipped = skip.reason
		return []Row{r}
	case err != nil:
		r.Err = err.Error()
		return []Row{r}
	}
	var bare *Row
	switch {
	case wl.run != nil:
		err = e.srv.measureRun(ctx, wl, &r)
	case sc.ceilingInTurns:
		bare = &Row{Backend: e.backend, Scenario: "bare", What: "the bare handler again, in turns with " + sc.name + " (its ceiling)"}
		err = e.measureWithCeiling(ctx, sc.name, wl, &r, bare)
	default:
		err = e.srv.measureLoad(ctx, e.cfg, e.cfg.Concurrency, wl, &r)
	}
	if err != nil {
		r.Err = err.Error()
		return []Row{r}
	}
	rows := []Row{r}
	if bare != nil {
		rows, ceiling = []Row{*bare, r}, bare.PerSecond
	}
	if sc.targetClients > 0 {
		light := Row{Backend: e.backend, Scenario: sc.name, What: sc.what}
		if err := e.srv.measureLoad(ctx, e.cfg, sc.targetClients, wl, &light); err != nil {
			light.Err = err.Error()
		}
		rows = append(rows, light)
	}
	graded := &rows[len(rows)-1]
	// The ceiling was measured with --concurrency clients; a run with other
	// clients is not comparable with it.
	for i := range rows {
		if ceiling > 0 && rows[i].Unit == "req" && rows[i].Clients == e.cfg.Concurrency {
			rows[i].OfCeiling = rows[i].PerSecond / ceiling
		}
	}
	if graded.Err == "" {
		for _, t := range sc.targets {
			graded.Targets = append(graded.Targets, t.check(graded))
		}
	}
	return rows
}

// measureWithCeiling measures wl on riskd and the bare handler, started for
// it, in turns: bare gets the ceiling r is a share of.
func (e *env) measureWithCeiling(ctx context.Context, name string, wl workload, r, bare *Row) error {
	if err := measureWithBare(ctx, e.cfg, bare, part{e.srv, wl, r}); err != nil {
		return fmt.Errorf("bare handler and %s in turns: %w", name, err)
	}
	return nil
}

// measureLoad warms the server up, then runs the load test with clients
// clients and reads the server's allocation counter and peak memory around
// it.
func (p *process) measureLoad(ctx context.Context, cfg Config, clients int, wl workload, r *Row) error {
	return measureInTurns(ctx, cfg, clients, []part{{p, wl, r}})
}

// part is one server's share of a measurement: the server, its workload
// and the row its figures go to.
type part struct {
	p  *process
	wl workload
	r  *Row
}

// maxTurns is how many turns each part of a measurement in turns gets, and
// minTurn the shortest turn: every turn opens its clients' connections
// anew, which should stay a small part of it.
const (
	maxTurns = 4
	minTurn  = 250 * time.Millisecond
)

// turns is how many turns each of parts servers gets in a measurement of d
// per server.
func turns(d time.Duration, parts int) int {
	if parts < 2 {
		return 1
	}
	return min(maxTurns, max(1, int(d/minTurn)))
}

// turnOrder is the order in which the parts take turn t: forward, then
// backward (ABBA), so that a drift of the machine's speed during the
// measurement falls on every part alike.
func turnOrder(t, parts int) []int {
	order := make([]int, parts)
	for i := range order {
		order[i] = i
	}
	if t%2 == 1 {
		slices.Reverse(order)
	}
	return order
}

// measureInTurns warms each part's server up, then load-tests them in
// turns, each for cfg.Duration in all, and reads each server's allocation
// counter, CPU time and peak memory around it. With one part it is one
// run. With several, their throughputs are compared on the same stretch
// of time: on a shared virtual machine the speed drifts by a sixth within
// a minute (docs/benchmarks.md), and a ceiling measured before a scenario
// can be measured in another phase of the drift than the scenario.
func measureInTurns(ctx context.Context, cfg Config, clients int, parts []part) error {
	lg := loadgen.Config{Concurrency: clients, Duration: min(warmUp, cfg.Duration), MaxRequests: maxRequests}
	before := make([]float64, len(parts))
	cpuBefore := make([]time.Duration, len(parts))
	for i, m := range parts {
		lg.Target, lg.Observe = m.p.base, m.wl.observe
		if _, err := loadgen.Run(ctx, lg, m.wl.next); err != nil {
			return err
		}
		var err error
		if before[i], err = m.p.mallocs(ctx); err != nil {
			return err
		}
		m.p.resetPeakRSS()
		cpuBefore[i], _ = m.p.cpuTime()
	}
	n := turns(cfg.Duration, len(parts))
	lg.Duration = cfg.Duration / time.Duration(n)
	total := cfg.Duration * time.Duration(len(parts))
	var profiles []chan error
	for _, m := range parts {
		if cfg.Profile && m.p.debug != "" { // the bare handler has no profiles
			profiled := make(chan error, 1)
			path := filepath.Join(cfg.OutDir, fmt.Sprintf("cpu-%s-%s-%d.pprof", m.r.Backend, m.r.Scenario, clients))
			go func() { profiled <- m.p.cpuProfile(ctx, total, path) }()
			profiles = append(profiles, profiled)
		}
	}
	runs := make([][]*loadgen.Result, len(parts))
	for t := range n {
		for _, i := range turnOrder(t, len(parts)) {
			m := parts[i]
			lg.Target, lg.Observe = m.p.base, m.wl.observe
			res, err := loadgen.Run(ctx, lg, m.wl.next)
			if err != nil {
				return err
			}
			runs[i] = append(runs[i], res)
		}
	}
	for _, profiled := range profiles {
		if err := <-profiled; err != nil {
			return err
		}
	}
	for i, m := range parts {
		after, err := m.p.mallocs(ctx)
		if err != nil {
			return err
		}
		res, r := loadgen.Merge(runs[i]...), m.r
		r.Unit, r.Clients = "req", clients
		r.Requests, r.Errors, r.FirstError = res.Requests, res.Errors(), res.FirstError
		r.Elapsed, r.PerSecond = res.Elapsed, res.PerSecond()
		r.P50, r.P95, r.P99 = res.Percentile(50), res.Percentile(95), res.Percentile(99)
		if res.Requests > 0 {
			r.AllocsPerReq = (after - before[i]) / float64(res.Requests)
			if cpu, ok := m.p.cpuTime(); ok {
				r.CPUPerReq = (cpu - cpuBefore[i]) / time.Duration(res.Requests)
			}
		}
		r.PeakRSSKiB = m.p.peakRSS()
	}
	return nil
}

// measureRun times work done once, such as a job from start to success.
func (p *process) measureRun(ctx context.Context, wl workload, r *Row) error {
	p.resetPeakRSS()
	start := time.Now()
	n, err := wl.run(ctx)
	if err != nil {
		return err
	}
	r.Unit = wl.unit
	r.Requests, r.Elapsed = n, time.Since(start)
	r.PerSecond = float64(n) / r.Elapsed.Seconds()
	r.PeakRSSKiB = p.peakRSS()
	return nil
}
