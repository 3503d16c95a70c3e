package textrisk

import "testing"

// startCPUMeter is called right before a benchmark's loop; the function it
// returns, called right after, reports throughput per CPU second
// ("cpu-MB/s") besides the wall-clock MB/s of SetBytes. On a machine other
// work shares, the benchmark's goroutine waits for a core part of the time
// and wall-clock figures drop with the load; the CPU time the process used
// does not, so cpu-MB/s is the per-core figure (run with -cpu=1: the
// process then uses one core for the engine, plus the runtime's own
// threads, which are counted too).
func startCPUMeter(b *testing.B, bytes int) func() {
	start := cpuNow()
	return func() {
		d := cpuNow() - start
		if d <= 0 || b.N == 0 {
			return
		}
		b.ReportMetric(float64(bytes)*float64(b.N)/d.Seconds()/1e6, "cpu-MB/s")
	}
}

// StartCPUMeter is startCPUMeter for the external test package.
var StartCPUMeter = startCPUMeter
