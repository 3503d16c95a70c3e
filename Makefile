# make bench runs the packages' Go micro-benchmarks and the load test of a
# freshly started riskd serve (docs/benchmarks.md). Pass the harness's flags
# in BENCHFLAGS, for example:
#   make bench BENCHFLAGS="--duration 30s --postgres postgres://user:pass@127.0.0.1:5432/riskd_bench"
BENCHFLAGS ?=

.PHONY: bench
bench:
	go run ./cmd/riskd bench $(BENCHFLAGS)
