package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes where the figures were measured: they mean little
// without it.
type Machine struct {
	CPUs     int
	CPUModel string
	MemKiB   int64
	OS       string // distribution and kernel
	Go       string // the toolchain that built the harness and the server
}

// ReadMachine reads the machine's description from the system; what it
// cannot read stays empty.
func ReadMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH, OS: runtime.GOOS}
	m.CPUModel = procField("/proc/cpuinfo", "model name", ":")
	if kb := procField("/proc/meminfo", "MemTotal", ":"); kb != "" {
		m.MemKiB, _ = strconv.ParseInt(strings.TrimSuffix(kb, " kB"), 10, 64)
	}
	if name := procField("/etc/os-release", "PRETTY_NAME", "="); name != "" {
		m.OS = strings.Trim(name, `"`)
	}
	if kernel, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.OS += ", kernel " + string(bytes.TrimSpace(kernel))
	}
	return m
}

// procField returns the value of the first "key<sep>value" line of a file.
func procField(path, key, sep string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), sep)
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func (m Machine) String() string {
	model := m.CPUModel
	if model == "" {
		model = "unknown model"
	}
	return fmt.Sprintf("%d CPUs (%s), %.1f GiB RAM, %s, %s", m.CPUs, model, float64(m.MemKiB)/(1<<20), m.OS, m.Go)
}

// loadAvg is the 1, 5 and 15 minute load average: other work on the
// machine during a run lowers every figure, and this shows whether there was.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// revision names the source tree's commit, marked dirty when it has
// uncommitted changes, so a report says what code it measured.
func revision(ctx context.Context, dir string) string {
	if dir == "" {
		return ""
	}
	cmd := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return string(bytes.TrimSpace(out))
}
