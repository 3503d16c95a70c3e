//go:build unix

package usecase

import (
	"context"
	"encoding/json"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/store/storetest"
)

// rescoreBenchCustomers is how many customers BenchmarkRescore re-rates per
// iteration: enough for a few hundred batches, few enough to seed in
// seconds.
const rescoreBenchCustomers = 20_000

// BenchmarkRescore times the re-scoring job's handler end to end, as the
// job runner calls it after an activation: N customers with two related
// parties each, each with a latest assessment (a quarter of them decided),
// re-rated with a newly activated methodology version per iteration. It
// reports customers/s; the target is 20,000 on SQLite (docs/benchmarks.md).
func BenchmarkRescore(b *testing.B) {
	for _, backend := range []struct {
		name string
		open func(testing.TB) storetest.Backend
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(backend.name, func(b *testing.B) {
			ctx := context.Background()
			st := backend.open(b).Store
			a, err := NewApp(st, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			maker, checker := benchAdmin(b, a, "maker"), benchAdmin(b, a, "checker")
			seedRescoreCustomers(b, a, maker, rescoreBenchCustomers)

			b.ReportAllocs()
			var rated int
			var cpu time.Duration
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				j := activateBenchVersion(b, a, maker, checker, i)
				b.StartTimer()
				cpu0 := cpuTime()
				res, err := a.rescoreJob(ctx, j, func(v any) error {
					p, err := json.Marshal(v)
					if err != nil {
						return err
					}
					return st.SaveJobProgress(ctx, st.Writer(), j.ID, p, a.Now())
				})
				cpu += cpuTime() - cpu0
				if err != nil {
					b.Fatal(err)
				}
				out := res.(RescoreProgress)
				if out.Done != rescoreBenchCustomers || out.Total != rescoreBenchCustomers || out.Superseded {
					b.Fatalf("re-scoring result %+v, want %d done", out, rescoreBenchCustomers)
				}
				rated += out.Done
			}
			b.ReportMetric(float64(rated)/b.Elapsed().Seconds(), "customers/s")
			// On a shared machine the wall clock also counts other
			// processes' turns; the process's CPU time per customer does not.
			b.ReportMetric(float64(cpu.Microseconds())/float64(rated), "cpu-µs/customer")
			b.ReportMetric(0, "ns/op") // an iteration is N customers: customers/s is the figure
		})
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
