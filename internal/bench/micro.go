package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Micro is the outcome of the packages' Go benchmarks.
type Micro struct {
	File    string   // the full go test output
	Lines   []string // its package, benchmark and failure lines, each with its newline
	Skipped string   // why they did not run
	Err     string
}

// microCommand is how the micro-benchmarks run: every benchmark of every
// package, no tests, with allocations.
const microCommand = "go test -run '^$' -bench . -benchmem ./..."

const modulePath = "github.com/riskd/riskd"

// envTestPostgres is storetest.EnvPostgres, the database the store's tests
// and benchmarks use; storetest is not imported because it brings the
// testing package into the binary.
const envTestPostgres = "RISKD_TEST_POSTGRES_URL"

// FindModule returns the riskd source tree that holds dir, or "" when dir is
// not inside one (a deployed binary has no benchmarks to run).
func FindModule(dir string) string {
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			first, _, _ := bytes.Cut(b, []byte("\n"))
			if strings.TrimSpace(string(first)) == "module "+modulePath {
				return dir
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// runMicro runs the micro-benchmarks in the source tree, before any server
// starts so nothing else competes for the cores, and keeps their output.
func runMicro(ctx context.Context, cfg Config) Micro {
	if cfg.ModuleDir == "" {
		return Micro{Skipped: "not run from riskd's source tree"}
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return Micro{Skipped: "no go command on PATH"}
	}
	m := Micro{File: filepath.Join(cfg.OutDir, "micro.txt")}
	f, err := os.Create(m.File)
	if err != nil {
		m.Err = err.Error()
		return m
	}
	cfg.logf("micro-benchmarks: %s (output in %s)", microCommand, m.File)
	cmd := exec.CommandContext(ctx, goBin, "test", "-run", "^$", "-bench", ".", "-benchmem", "./...")
	cmd.Dir = cfg.ModuleDir
	cmd.Stdout, cmd.Stderr = f, f
	if cfg.Postgres != "" && os.Getenv(envTestPostgres) == "" {
		// The store's benchmarks then run on PostgreSQL too, in schemas of
		// their own that they drop.
		cmd.Env = append(os.Environ(), envTestPostgres+"="+cfg.Postgres)
	}
	runErr := cmd.Run()
	if err := f.Close(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		m.Err = fmt.Sprintf("%v (see %s)", runErr, m.File)
	}
	out, err := os.ReadFile(m.File)
	if err != nil {
		m.Err = err.Error()
		return m
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		for _, prefix := range []string{"pkg: ", "Benchmark", "FAIL", "--- FAIL", "panic:"} {
			if strings.HasPrefix(line, prefix) {
				m.Lines = append(m.Lines, line+"\n")
				break
			}
		}
	}
	return m
}
