package bench_test

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/bench"
	"github.com/riskd/riskd/internal/store/storetest"
)

func TestParseScenarios(t *testing.T) {
	all := bench.Scenarios()
	for _, tc := range []struct {
		name, list string
		want       []string
		bad        bool
	}{
		{"empty means all", "", all, false},
		{"all", "all", all, false},
		{"a list, spaces trimmed", "submit, job-get", []string{"submit", "job-get"}, false},
		{"unknown", "submit,nope", nil, true},
		{"empty item", "submit,", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := bench.ParseScenarios(tc.list)
			if (err != nil) != tc.bad || !slices.Equal(got, tc.want) {
				t.Fatalf("ParseScenarios(%q) = %v, %v", tc.list, got, err)
			}
		})
	}
	for _, want := range []string{"whoami", "submit", "job-get", "assessment-create", "assessment-list", "risk-event-list", "customer-rescore"} {
		if !slices.Contains(all, want) {
			t.Errorf("scenario %s is missing from %v", want, all)
		}
	}
}

func TestConfigCheck(t *testing.T) {
	ok := bench.Config{Binary: "riskd", Duration: time.Second, Concurrency: 64, OutDir: "out"}
	if err := ok.Check(); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*bench.Config)
	}{
		{"no binary", func(c *bench.Config) { c.Binary = "" }},
		{"no duration", func(c *bench.Config) { c.Duration = 0 }},
		{"duration over the bound", func(c *bench.Config) { c.Duration = 2 * time.Hour }},
		{"no clients", func(c *bench.Config) { c.Concurrency = 0 }},
		{"too many clients", func(c *bench.Config) { c.Concurrency = 1 << 20 }},
		{"no output directory", func(c *bench.Config) { c.OutDir = "" }},
		{"not a postgres URL", func(c *bench.Config) { c.Postgres = "mysql://x" }},
		{"unknown scenario", func(c *bench.Config) { c.Scenarios = []string{"nope"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			if err := c.Check(); err == nil {
				t.Fatalf("Check accepted %+v", c)
			}
		})
	}
}

func TestMarkdown(t *testing.T) {
	rep := bench.Report{
		Started: time.Date(2026, 11, 22, 21, 0, 0, 0, time.UTC), Command: "riskd bench --duration 10s",
		Machine: bench.Machine{CPUs: 2, CPUModel: "Test CPU", MemKiB: 4 << 20, OS: "TestOS", Go: "go1.26"},
		LoadAvg: "0.10 0.20 0.30", Duration: 10 * time.Second, Concurrency: 64,
		Micro: bench.Micro{File: "bench-out/micro.txt", Lines: []string{"pkg: x\n", "BenchmarkX-2 \t 10 \t 5 ns/op\n"}},
		Rows: []bench.Row{
			{Scenario: "bare", What: "the ceiling", Unit: "req", Clients: 64, Requests: 400000, PerSecond: 40000, OfCeiling: 1,
				P50: time.Millisecond, P95: 2 * time.Millisecond, P99: 3 * time.Millisecond, AllocsPerReq: 19, CPUPerReq: 14 * time.Microsecond, PeakRSSKiB: 20480},
			{Backend: "sqlite", Scenario: "submit", What: "inline", Unit: "req", Clients: 64, Requests: 60000, PerSecond: 6000.4, OfCeiling: 0.15,
				P99: 20 * time.Millisecond, AllocsPerReq: 300, PeakRSSKiB: 51200, Targets: []bench.Verdict{
					{Target: "≥ 25% of the bare handler", Measured: "15.0%"},
					{Target: "≥ 5,000 req/s", Measured: "6,000 req/s", Pass: true},
				}},
			{Backend: "sqlite", Scenario: "job-get", What: "reads", Unit: "req", Clients: 64, Requests: 10, Errors: 2, PerSecond: 1,
				FirstError: "GET /api/v1/jobs/x: 500 `oops`"},
			{Backend: "sqlite", Scenario: "risk-event-list", What: "list", Skipped: "no GET /v1/risk-events"},
			{Backend: "postgres", Scenario: "customer-rescore", What: "job", Unit: "customers", Requests: 1000000,
				PerSecond: 25000, Elapsed: 40 * time.Second, Targets: []bench.Verdict{{Target: "≥ 20,000 customers/s", Measured: "25,000 customers/s", Pass: true}}},
			{Backend: "postgres", Scenario: "whoami", What: "auth", Err: "connection refused"},
		},
	}
	md := rep.Markdown()
	for _, want := range []string{
		"`riskd bench --duration 10s`",
		"2 CPUs (Test CPU), 4.0 GiB RAM, TestOS, go1.26",
		"64 clients (--concurrency) unless the clients column says otherwise",
		"load average 0.10 0.20 0.30",
		"| — | **bare**: the ceiling | 64 | 400,000 | 0 | 40,000 req/s | 100.0% | 1.00 ms | 2.00 ms | 3.00 ms | 19 | 14 µs | 20.0 MiB |",
		"| sqlite | **submit**: inline | 64 | 60,000 | 0 | 6,000 req/s | 15.0% |",
		"| sqlite | submit | 64 | ≥ 25% of the bare handler | 15.0% | MISS |",
		"| sqlite | submit | 64 | ≥ 5,000 req/s | 6,000 req/s | PASS |",
		"| sqlite | **risk-event-list**: list | skipped: no GET /v1/risk-events |",
		"| postgres | **customer-rescore**: job | — | 1,000,000 | 0 | 25,000 customers/s | — | — | — | — | — | — | — |",
		"| postgres | customer-rescore | — | ≥ 20,000 customers/s | 25,000 customers/s | PASS |",
		"| postgres | **whoami**: auth | error: connection refused |",
		"- sqlite job-get: `GET /api/v1/jobs/x: 500 'oops'`",
		"BenchmarkX-2",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	// Every row of a table has as many cells as its header, or Markdown
	// renders it wrong.
	var cells int
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cells = 0
			continue
		}
		n := strings.Count(line, "|")
		if cells == 0 {
			cells = n
		} else if n != cells {
			t.Errorf("row has %d cell borders, its header %d: %s", n, cells, line)
		}
	}
}

func TestServeBare(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- bench.ServeBare(ctx, "127.0.0.1:0", w) }()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	_, base, ok := strings.Cut(strings.TrimSpace(line), "listening on ")
	if !ok {
		t.Fatalf("no address in %q", line)
	}
	for _, tc := range []struct{ path, want string }{
		{"/", `{"status":"ok","service":"bare"}`},
		{"/anything", `{"status":"ok","service":"bare"}`},
		{"/metrics", "go_memstats_mallocs_total "},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(base + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), tc.want) {
				t.Fatalf("GET %s = %d %q", tc.path, resp.StatusCode, b)
			}
		})
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ServeBare returned %v after cancel", err)
	}
}

func TestFindModule(t *testing.T) {
	root := t.TempDir()
	riskd := filepath.Join(root, "riskd")
	other := filepath.Join(root, "other")
	for dir, mod := range map[string]string{riskd: "module github.com/riskd/riskd\n\ngo 1.26\n", other: "module example.com/other\n"} {
		if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ name, dir, want string }{
		{"the root", riskd, riskd},
		{"below the root", filepath.Join(riskd, "a", "b"), riskd},
		{"another module", filepath.Join(other, "a"), ""},
		{"no module", root, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := bench.FindModule(tc.dir); got != tc.want {
				t.Fatalf("FindModule(%s) = %q, want %q", tc.dir, got, tc.want)
			}
		})
	}
}

// TestRun runs the whole harness briefly against a freshly built riskd:
// micro-benchmarks (of a one-benchmark module, to stay quick), the bare
// handler and the text risk scenarios, on SQLite and, when configured,
// PostgreSQL.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds riskd and load-tests it")
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "riskd")
	build := exec.Command("go", "build", "-o", bin, "./cmd/riskd")
	build.Dir = bench.FindModule(wd)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	micro := t.TempDir()
	for name, text := range map[string]string{
		"go.mod":      "module example.com/micro\n\ngo 1.26\n",
		"nop_test.go": "package micro\n\nimport \"testing\"\n\nfunc BenchmarkNothing(b *testing.B) {\n\tfor b.Loop() {\n\t}\n}\n",
		"doc.go":      "// Package micro is one benchmark for the harness's test.\npackage micro\n",
	} {
		if err := os.WriteFile(filepath.Join(micro, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pg := os.Getenv(storetest.EnvPostgres)
	out := t.TempDir()
	const duration = 500 * time.Millisecond // two turns of the ceiling measurement
	rep, err := bench.Run(context.Background(), bench.Config{
		Binary: bin, ModuleDir: micro, Duration: duration, Concurrency: 4,
		Scenarios: []string{"whoami", "submit", "job-get"}, Postgres: pg, OutDir: out, Command: "test",
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	backends := []string{"sqlite"}
	if pg != "" {
		backends = append(backends, "postgres")
	} else {
		t.Log("PostgreSQL part skipped: " + storetest.EnvPostgres + " is not set")
	}
	// The bare handler first, then per backend: whoami, the bare handler
	// again (submit's ceiling, measured in turns with it), submit, job-get.
	if want := 1 + 4*len(backends); len(rep.Rows) != want {
		t.Fatalf("%d rows, want %d: %+v", len(rep.Rows), want, rep.Rows)
	}
	if bare := rep.Rows[0]; bare.Scenario != "bare" || bare.PerSecond <= 0 || bare.OfCeiling != 1 {
		t.Fatalf("bare row %+v", bare)
	}
	for i, r := range rep.Rows {
		if r.Scenario != "submit" {
			continue
		}
		ceiling := rep.Rows[i-1]
		if ceiling.Scenario != "bare" || ceiling.Backend != r.Backend || ceiling.PerSecond <= 0 {
			t.Fatalf("the row before %s submit is %+v, want its bare handler", r.Backend, ceiling)
		}
		if got, want := r.OfCeiling, r.PerSecond/ceiling.PerSecond; got != want {
			t.Fatalf("%s submit: %.4f of the ceiling, want %.4f (of its bare handler run)", r.Backend, got, want)
		}
		// Two turns each (bare, submit, submit, bare): each got its whole
		// measured time, in two runs.
		for _, row := range []bench.Row{ceiling, r} {
			if row.Elapsed < duration || row.Elapsed > duration+duration/2 {
				t.Fatalf("%s %s measured for %s, want about %s", row.Backend, row.Scenario, row.Elapsed, duration)
			}
		}
	}
	for _, r := range rep.Rows {
		t.Run(r.Backend+"/"+r.Scenario, func(t *testing.T) {
			if r.Skipped != "" || r.Err != "" || r.Errors != 0 || r.Requests == 0 || r.Unit != "req" {
				t.Fatalf("not measured cleanly: %+v", r)
			}
			if r.Clients != 4 || r.P50 <= 0 || r.P99 < r.P95 || r.P95 < r.P50 || r.AllocsPerReq <= 0 || r.OfCeiling <= 0 {
				t.Fatalf("implausible figures: %+v", r)
			}
			if _, err := os.Stat("/proc/self/status"); err == nil && r.PeakRSSKiB <= 0 {
				t.Fatalf("no peak RSS: %+v", r)
			}
			// A request costs a server between a microsecond and a second.
			if _, err := os.Stat("/proc/self/stat"); err == nil && (r.CPUPerReq < time.Microsecond || r.CPUPerReq > time.Second) {
				t.Fatalf("CPU per request %s: %+v", r.CPUPerReq, r)
			}
			if r.Scenario == "submit" && len(r.Targets) != 3 {
				t.Fatalf("submit has targets %+v", r.Targets)
			}
		})
	}
	if !slices.ContainsFunc(rep.Micro.Lines, func(l string) bool { return strings.HasPrefix(l, "BenchmarkNothing") }) || rep.Micro.Err != "" {
		t.Fatalf("micro-benchmarks: %+v", rep.Micro)
	}
	md, err := os.ReadFile(filepath.Join(out, bench.ResultsFile))
	if err != nil || !strings.Contains(string(md), "## Targets") || !strings.Contains(string(md), "**job-get**") {
		t.Fatalf("results.md: %v\n%s", err, md)
	}
	for _, name := range []string{"micro.txt", "bare.log", "riskd-sqlite.log"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("%s was not written: %v", name, err)
		}
	}
	if pg != "" {
		db, err := sql.Open("pgx", pg)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var left int
		if err := db.QueryRow(`SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'riskd_bench_%'`).Scan(&left); err != nil || left != 0 {
			t.Fatalf("%d bench schemas left behind (%v)", left, err)
		}
	}
}
