package textrisk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The stage benchmarks isolate the two per-byte passes that bound
// Analyze's throughput, on the compliant testdata repeated to 64 KiB.

func stageText(b *testing.B) string {
	files, _ := filepath.Glob("testdata/compliant/*.txt")
	if len(files) == 0 {
		// A test binary run outside its package directory finds none.
		b.Fatal("no testdata/compliant/*.txt in the working directory")
	}
	var sb strings.Builder
	for sb.Len() < 64<<10 {
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			sb.Write(data)
		}
	}
	return sb.String()[:64<<10]
}

func BenchmarkStageNormalize(b *testing.B) {
	text := stageText(b)
	var nt normText
	b.SetBytes(int64(len(text)))
	done := startCPUMeter(b, len(text))
	for b.Loop() {
		normalize(&nt, text)
	}
	done()
}

func BenchmarkStageScan(b *testing.B) {
	e, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	var nt normText
	normalize(&nt, stageText(b))
	var hits []rawHit
	var lanes [streams][]uint64
	b.SetBytes(int64(len(nt.b)))
	done := startCPUMeter(b, len(nt.b))
	for b.Loop() {
		hits = e.ac[Generic].scan(nt.b, hits[:0], &lanes)
	}
	done()
}
