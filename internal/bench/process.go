package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is a server the harness started: riskd serve or the bare handler.
type process struct {
	cmd   *exec.Cmd
	base  string // http://127.0.0.1:port
	debug string // riskd's pprof listener, http://127.0.0.1:port, when started with --debug-addr
	log   *os.File
	done  chan error
}

// startTimeout bounds a server's start-up (migrations on a fresh database
// included).
const startTimeout = time.Minute

// startProcess runs bin with args, its output going to logPath, and waits
// for the line "… listening on http://ADDR" that riskd serve and the bare
// handler both print once they accept connections.
func startProcess(ctx context.Context, logPath, bin string, args ...string) (*process, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	// Not CommandContext: a cancelled run stops the server with SIGTERM in
	// stop, like an operator would, rather than SIGKILL.
	cmd := exec.Command(bin, args...)
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &process{cmd: cmd, log: logf, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		// Keep reading after the address so the server never blocks on a
		// full pipe.
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			// riskd serve prints its debug listener before the listening
			// line, so p.debug is set before p.base is handed over.
			if _, after, ok := strings.Cut(line, "debug (pprof) on http://"); ok {
				hostPort, _, _ := strings.Cut(after, "/")
				p.debug = "http://" + hostPort
			}
			if _, after, ok := strings.Cut(line, "listening on http://"); ok {
				hostPort, _, _ := strings.Cut(after, " ")
				select {
				case addr <- "http://" + hostPort:
				default:
				}
			}
		}
		p.done <- cmd.Wait()
	}()
	select {
	case p.base = <-addr:
		return p, nil
	case err := <-p.done:
		logf.Close()
		return nil, fmt.Errorf("%s exited before listening (%v); see %s", bin, err, logPath)
	case <-time.After(startTimeout):
	case <-ctx.Done():
	}
	_ = cmd.Process.Kill()
	<-p.done
	logf.Close()
	return nil, fmt.Errorf("%s did not start listening within %s; see %s", bin, startTimeout, logPath)
}

// stop asks the server to shut down (SIGTERM) and kills it if it has not
// exited within 30 seconds.
func (p *process) stop() error {
	defer p.log.Close()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		return err
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		return errors.New("server did not stop within 30s of SIGTERM; killed")
	}
}

// mallocs reads the server's cumulative heap allocation count from its
// /metrics (go_memstats_mallocs_total, which the bare handler serves too).
func (p *process) mallocs(ctx context.Context) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("read /metrics: %w", err)
	}
	defer resp.Body.Close()
	return parseMallocs(resp.Body)
}

func parseMallocs(r io.Reader) (float64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_mallocs_total "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("/metrics has no go_memstats_mallocs_total")
}

// resetPeakRSS starts a new peak-memory measurement: writing 5 to
// clear_refs resets the kernel's VmHWM to the current RSS. Where that is not
// allowed the peak counts from the process's start, which can only
// overstate a scenario's peak.
func (p *process) resetPeakRSS() {
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid), []byte("5"), 0)
}

// peakRSS is the server's peak resident memory (VmHWM) in KiB, or 0 when
// the system does not say.
func (p *process) peakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(string(v)), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// cpuTime is the CPU time the server has used so far, user and system,
// in all its threads; ok is false where the system does not say (Linux's
// /proc does).
func (p *process) cpuTime() (d time.Duration, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, false
	}
	return parseCPUTime(b)
}

// parseCPUTime reads utime and stime, fields 14 and 15 of /proc/PID/stat,
// counted in USER_HZ ticks, which Linux fixes at 100 a second for /proc.
// Field 2, the command name in parentheses, may hold spaces and
// parentheses: fields are counted from its last ")".
func parseCPUTime(stat []byte) (time.Duration, bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(stat[i+1:])) // f[0] is field 3
	if len(f) < 13 {
		return 0, false
	}
	user, err := strconv.ParseInt(f[11], 10, 64)
	if err != nil {
		return 0, false
	}
	sys, err := strconv.ParseInt(f[12], 10, 64)
	if err != nil {
		return 0, false
	}
	return time.Duration(user+sys) * (time.Second / 100), true
}

// cpuProfile saves a CPU profile of the server taken over d to path.
func (p *process) cpuProfile(ctx context.Context, d time.Duration, path string) error {
	secs := max(1, int(d.Round(time.Second)/time.Second))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", p.debug, secs), nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("profile: HTTP %d", res.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return fmt.Errorf("profile: %w", err)
	}
	return f.Close()
}
