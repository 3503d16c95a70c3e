package bench

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Report is what a run measured.
type Report struct {
	Started     time.Time
	Command     string
	Revision    string // git describe of the source tree, when there is one
	Machine     Machine
	LoadAvg     string // the machine's load average when the run started
	Duration    time.Duration
	Concurrency int
	Micro       Micro
	Rows        []Row // the bare handler first, then each backend's scenarios
}

// Row is one scenario's measurement on one backend.
type Row struct {
	Backend  string // sqlite or postgres; empty for the bare handler
	Scenario string
	What     string
	Skipped  string // why it did not run
	Err      string // what went wrong when it could not be measured

	Unit       string // "req" for a load test; what a timed job handles otherwise
	Clients    int    // load generator clients; 0 for a timed job
	Requests   int    // responses received, or units handled by a job
	Errors     int    // failed requests: transport errors and non-2xx answers
	FirstError string
	Elapsed    time.Duration
	PerSecond  float64
	// OfCeiling is the throughput as a share of the bare handler's.
	OfCeiling     float64
	P50, P95, P99 time.Duration
	AllocsPerReq  float64 // heap allocations in the server per request
	// CPUPerReq is the server's CPU time (user and system) per request,
	// counted over its turns and the others' in between, when it idles;
	// 0 when the system does not say.
	CPUPerReq  time.Duration
	PeakRSSKiB int64 // the server's peak resident memory; 0 when unknown
	Targets    []Verdict
}

// Verdict is a target checked against a row.
type Verdict struct {
	Target   string
	Measured string
	Pass     bool
}

// Summary is the row in one line, for progress output.
func (r *Row) Summary() string {
	switch {
	case r.Skipped != "":
		return "skipped: " + r.Skipped
	case r.Err != "":
		return "error: " + r.Err
	case r.Unit != "req":
		return fmt.Sprintf("%s %s in %s: %s %s/s", thousands(float64(r.Requests)), r.Unit, r.Elapsed.Round(time.Millisecond), thousands(r.PerSecond), r.Unit)
	}
	s := fmt.Sprintf("%s: %s req/s, p50 %s p95 %s p99 %s, %.0f allocs/req, %s CPU/req, %d errors",
		plural(r.Clients, "client"), thousands(r.PerSecond), ms(r.P50), ms(r.P95), ms(r.P99), r.AllocsPerReq, micros(r.CPUPerReq), r.Errors)
	for _, v := range r.Targets {
		s += fmt.Sprintf("; %s %s: %s", passMiss(v.Pass), v.Target, v.Measured)
	}
	return s
}

// target is a bound a scenario's figures must meet.
type target struct {
	label string
	value func(r *Row) (float64, string)
	ok    func(v float64) bool
}

// check grades the row. A run with failed requests is not evidence of
// anything, so it misses every target.
func (t target) check(r *Row) Verdict {
	v, text := t.value(r)
	if r.Errors > 0 {
		return Verdict{Target: t.label, Measured: fmt.Sprintf("%s with %d failed requests", text, r.Errors)}
	}
	return Verdict{Target: t.label, Measured: text, Pass: t.ok(v)}
}

func minOfCeiling(share float64) target {
	return target{
		label: fmt.Sprintf("≥ %.0f%% of the bare handler", share*100),
		value: func(r *Row) (float64, string) { return r.OfCeiling, fmt.Sprintf("%.1f%%", r.OfCeiling*100) },
		ok:    func(v float64) bool { return v >= share },
	}
}

// minRate bounds the throughput: requests per second for a load test, the
// job's units per second otherwise.
func minRate(perSecond float64, unit string) target {
	return target{
		label: fmt.Sprintf("≥ %s %s/s", thousands(perSecond), unit),
		value: func(r *Row) (float64, string) { return r.PerSecond, thousands(r.PerSecond) + " " + r.Unit + "/s" },
		ok:    func(v float64) bool { return v >= perSecond },
	}
}

func maxP99(d time.Duration) target {
	return target{
		label: fmt.Sprintf("p99 ≤ %g ms", float64(d)/float64(time.Millisecond)),
		value: func(r *Row) (float64, string) { return float64(r.P99), ms(r.P99) },
		ok:    func(v float64) bool { return time.Duration(v) <= d },
	}
}

// Markdown renders the report: the run, the machine, the load test table,
// the targets with PASS or MISS, and the micro-benchmarks.
func (rep *Report) Markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# riskd benchmark results\n\n")
	p("- run: %s, `%s`", rep.Started.Format("2006-01-02 15:04 MST"), rep.Command)
	if rep.Revision != "" {
		p(" at `%s`", rep.Revision)
	}
	p("\n- machine: %s\n", rep.Machine)
	p("- load: %d clients (--concurrency) unless the clients column says otherwise, %s measured after a %s warm-up;"+
		" the load generator runs on the same machine (load average %s when the run started)\n\n",
		rep.Concurrency, rep.Duration, min(warmUp, rep.Duration), rep.LoadAvg)

	p("## Load test\n\n")
	p("| backend | scenario | clients | requests | errors | throughput | of ceiling | p50 | p95 | p99 | allocs/req | CPU/req | peak RSS |\n")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range rep.Rows {
		name := fmt.Sprintf("**%s**: %s", r.Scenario, r.What)
		switch {
		case r.Skipped != "":
			p("| %s | %s | skipped: %s |||||||||||\n", backendName(&r), name, r.Skipped)
			continue
		case r.Err != "":
			p("| %s | %s | error: %s |||||||||||\n", backendName(&r), name, r.Err)
			continue
		}
		ceiling, p50, p95, p99, allocs, cpu := "—", "—", "—", "—", "—", "—"
		if r.Unit == "req" {
			p50, p95, p99, allocs, cpu = ms(r.P50), ms(r.P95), ms(r.P99), fmt.Sprintf("%.0f", r.AllocsPerReq), micros(r.CPUPerReq)
			if r.OfCeiling > 0 {
				ceiling = fmt.Sprintf("%.1f%%", r.OfCeiling*100)
			}
		}
		p("| %s | %s | %s | %s | %d | %s %s/s | %s | %s | %s | %s | %s | %s | %s |\n", backendName(&r), name, clients(r.Clients),
			thousands(float64(r.Requests)), r.Errors, thousands(r.PerSecond), r.Unit, ceiling, p50, p95, p99, allocs, cpu, mib(r.PeakRSSKiB))
	}
	if first := firstErrors(rep.Rows); first != "" {
		p("\nFirst failure per scenario:\n\n%s", first)
	}

	p("\n## Targets (2 cores)\n\n")
	p("| backend | scenario | clients | target | measured | result |\n|---|---|--:|---|---|---|\n")
	for _, r := range rep.Rows {
		for _, v := range r.Targets {
			p("| %s | %s | %s | %s | %s | %s |\n", backendName(&r), r.Scenario, clients(r.Clients), v.Target, v.Measured, passMiss(v.Pass))
		}
	}

	p("\n## Micro-benchmarks\n\n")
	switch {
	case rep.Micro.Skipped != "":
		p("Skipped: %s.\n", rep.Micro.Skipped)
	default:
		p("`%s` (full output: `%s`)", microCommand, rep.Micro.File)
		if rep.Micro.Err != "" {
			p(" — **failed: %s**", rep.Micro.Err)
		}
		p("\n\n```\n%s```\n", strings.Join(rep.Micro.Lines, ""))
	}
	return b.String()
}

func backendName(r *Row) string {
	if r.Backend == "" {
		return "—"
	}
	return r.Backend
}

func firstErrors(rows []Row) string {
	var b strings.Builder
	for _, r := range rows {
		if r.FirstError != "" {
			fmt.Fprintf(&b, "- %s %s: `%s`\n", backendName(&r), r.Scenario, strings.ReplaceAll(r.FirstError, "`", "'"))
		}
	}
	return b.String()
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func clients(n int) string {
	if n == 0 {
		return "—"
	}
	return strconv.Itoa(n)
}

func passMiss(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// ms formats a latency in milliseconds with two decimals: the targets are in
// milliseconds and sub-millisecond latencies are common.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
}

// micros is a CPU time per request in whole microseconds, or "—" when it
// is unknown.
func micros(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

func mib(kib int64) string {
	if kib <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}

// thousands formats a count or rate rounded to a whole number with
// thousands separators: 12,345.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
