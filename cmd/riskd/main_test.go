package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
	"github.com/riskd/riskd/internal/usecase"
)

func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

var tokenRE = regexp.MustCompile(`^rk_[A-Za-z0-9_-]{43}$`)

func TestTokenCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		db := b.URL
		code, out, errOut := cli(t, "token", "create", "--db", db, "--space", "acme", "--role", "reviewer", "--name", "ci", "--rate-limit", "5")
		if code != 0 || !tokenRE.MatchString(lastLine(out)) {
			t.Fatalf("token create = %d %q %q", code, out, errOut)
		}
		secret := lastLine(out)
		code, out, _ = cli(t, "token", "list", "--db", db)
		if code != 0 || !strings.Contains(out, "acme") || !strings.Contains(out, "reviewer") || strings.Contains(out, secret) {
			t.Fatalf("token list = %d %q", code, out)
		}
		if code, out, _ = cli(t, "token", "revoke", "--db", db, "--token", secret); code != 0 || !strings.Contains(out, "revoked") {
			t.Fatalf("revoke = %d %q", code, out)
		}
		if code, _, _ = cli(t, "token", "revoke", "--db", db, "--id", "no-such-id"); code != 1 {
			t.Fatalf("revoking an unknown token exited %d", code)
		}
		for _, args := range [][]string{
			{"token", "create", "--db", db, "--space", "acme"},
			{"token", "create", "--db", db, "--space", "acme", "--role", "root"},
			{"token", "revoke", "--db", db},
			{"token"},
			{"nonsense"},
		} {
			if code, _, _ := cli(t, args...); code != 2 {
				t.Errorf("%v exited %d, want 2", args, code)
			}
		}
		if code, out, _ := cli(t, "audit", "verify", "--db", db); code != 0 || !strings.Contains(out, "intact") {
			t.Fatalf("audit verify = %d %q", code, out)
		}
		storetest.MustExec(t, b.Store.Writer(), `UPDATE audit_events SET action = 'token.delete' WHERE seq = 2`)
		if code, _, errOut := cli(t, "audit", "verify", "--db", db); code != 1 || !strings.Contains(errOut, "seq 2") {
			t.Fatalf("tampered audit verify = %d %q", code, errOut)
		}
	})
}

func TestHelp(t *testing.T) {
	for _, c := range []string{"serve", "migrate", "token create", "token list", "token revoke", "version"} {
		args := append(strings.Fields(c), "--help")
		code, _, errOut := cli(t, args...)
		if code != 0 || !strings.Contains(errOut, "Usage: riskd "+strings.Fields(c)[0]) {
			t.Errorf("%s --help = %d %q", c, code, errOut)
		}
	}
	if code, out, _ := cli(t, "--help"); code != 0 || !strings.Contains(out, "serve") {
		t.Fatalf("riskd --help = %d %q", code, out)
	}
}

// buildBinary compiles riskd once for the tests that run it as a process.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "riskd")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build: %v", err)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServe runs riskd serve (with any extra flags) and returns its stdout
// up to the listening line.
func startServe(t *testing.T, bin, db, addr string, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--db", db, "--addr", addr}, extra...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var seen strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		seen.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "listening on") {
			go io.Copy(io.Discard, stdout)
			return cmd, seen.String()
		}
	}
	t.Fatalf("serve exited early: %s", seen.String())
	return nil, ""
}

func TestServePrintsTheFirstTokenOnceAndStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	storetest.Each(t, func(t *testing.T, b storetest.Backend) { firstStartAndStop(t, bin, b.URL) })
}

// firstStartAndStop starts serve on an empty database: it prints an admin
// token that works, exits 0 on SIGTERM, and prints no token on the next
// start, which SIGINT stops.
func firstStartAndStop(t *testing.T, bin, db string) {
	addr := freeAddr(t)
	cmd, out := startServe(t, bin, db, addr)
	token := printedToken(t, out)
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("whoami: %v %v", res, err)
	}
	res.Body.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := waitExit(cmd, 10*time.Second); err != nil {
		t.Fatalf("serve did not exit 0 on SIGTERM: %v", err)
	}
	cmd, out = startServe(t, bin, db, addr)
	defer cmd.Process.Kill()
	if strings.Contains(out, "rk_") {
		t.Fatalf("second start printed a token again: %s", out)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	if err := waitExit(cmd, 10*time.Second); err != nil {
		t.Fatalf("serve did not exit 0 on SIGINT: %v", err)
	}
}

// printedToken returns the admin token a first start printed.
func printedToken(t *testing.T, out string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if tokenRE.MatchString(l) {
			return l
		}
	}
	t.Fatalf("no admin token printed: %s", out)
	return ""
}

// TestServeJobRetention: with --job-retention, the maintenance job (which
// runs at start) deletes the finished jobs older than the retention, and
// GET answers 404 for them; younger ones stay.
func TestServeJobRetention(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		now := time.Now().UTC()
		job := func(age time.Duration) string {
			at := now.Add(-age)
			j := store.Job{ID: ids.JobID(at), SpaceID: 1, Type: usecase.JobRiskAssessment, Status: store.JobSucceeded,
				Args: json.RawMessage(`{"scenario":"dispute"}`), Result: json.RawMessage(`{"type":"analysis.risk.result","riskScore":0}`),
				MaxAttempts: 1, RunAt: at, CreatedAt: at, UpdatedAt: at}
			if _, err := b.Store.InsertJob(ctx, b.Store.Writer(), j); err != nil {
				t.Fatal(err)
			}
			return j.ID
		}
		old, young := job(31*24*time.Hour), job(29*24*time.Hour)
		addr := freeAddr(t)
		cmd, out := startServe(t, bin, b.URL, addr, "--job-retention", "720h")
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		token := printedToken(t, out)
		get := func(id string) int {
			req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/jobs/"+id, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		for deadline := time.Now().Add(20 * time.Second); get(old) != http.StatusNotFound; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the job older than the retention was not deleted within 20 s of start")
			}
		}
		if code := get(young); code != http.StatusOK {
			t.Fatalf("GET of the job younger than the retention = %d", code)
		}
	})
}

func waitExit(cmd *exec.Cmd, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		_ = cmd.Process.Kill()
		return context.DeadlineExceeded
	}
}

func TestScoreAndRulesCommands(t *testing.T) {
	code, out, errOut := cli(t, "score", "--scenario", "dispute", "we can't provide a provisional dispute credit until the investigation is completed")
	if code != 0 || !strings.Contains(out, "(High)") || !strings.Contains(out, "12-cfr-1005.11") {
		t.Fatalf("score = %d %q %q", code, out, errOut)
	}
	code, out, _ = cli(t, "score", "--scenario", "marketing_asset", "--json", "Guaranteed approval with no credit check!")
	var res struct {
		Type      string
		RiskScore int
		Findings  []struct{ RuleID string }
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Type != "analysis.screen.result" || len(res.Findings) == 0 {
		t.Fatalf("score --json = %d %q", code, out)
	}
	if code, _, _ := cli(t, "score", "--scenario", "mortgage", "text"); code != 2 {
		t.Fatalf("unknown scenario exited %d", code)
	}
	// --scenario is required, as in the API: rules differ per scenario.
	if code, _, errOut := cli(t, "score", "Guaranteed approval!"); code != 2 || !strings.Contains(errOut, "--scenario is required") {
		t.Fatalf("score without --scenario = %d %q", code, errOut)
	}
	if code, _, errOut := cli(t, "score", "--help"); code != 0 || !strings.Contains(errOut, "--scenario") || !strings.Contains(errOut, "required") {
		t.Fatalf("score --help = %d %q", code, errOut)
	}
	// Flags after the text are flags, not words of the text; words are
	// joined; after -- everything is text.
	for _, args := range [][]string{
		{"score", "Guaranteed approval with no credit check!", "--scenario", "marketing_asset", "--json"},
		{"score", "--json", "Guaranteed", "approval", "--scenario=marketing_asset", "with", "no", "credit", "check!"},
	} {
		code, out, errOut = cli(t, args...)
		res.Findings = nil
		if code != 0 || json.Unmarshal([]byte(out), &res) != nil || len(res.Findings) == 0 {
			t.Fatalf("%q = %d %q %q", args, code, out, errOut)
		}
		if strings.Contains(out, "--") || !strings.Contains(out, `"Guaranteed approval"`) {
			t.Fatalf("%q: the flags became text, or the words were not joined: %s", args, out)
		}
	}
	code, out, errOut = cli(t, "score", "--scenario", "generic", "--", "--json", "Guaranteed", "approval")
	if code != 0 || !strings.HasPrefix(out, "score ") || !strings.Contains(out, `bytes 7-26: "Guaranteed approval"`) { // after "--json "
		t.Fatalf("score -- --json … = %d %q %q", code, out, errOut)
	}
	if code, out, _ := cli(t, "rules", "test"); code != 0 || !strings.Contains(out, "all examples pass") {
		t.Fatalf("rules test = %d %q", code, out)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte("rules:\n  - id: x\n    title: [unclosed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = cli(t, "rules", "test", dir)
	if code != 1 || !strings.Contains(errOut, "broken.yaml:") {
		t.Fatalf("broken pack: rules test = %d %q", code, errOut)
	}
	code, _, errOut = cli(t, "serve", "--rules", dir, "--db", "sqlite://"+filepath.Join(t.TempDir(), "x.db"), "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "broken.yaml:") {
		t.Fatalf("serve with a broken pack = %d %q", code, errOut)
	}
}

// A job retention shorter than a day, or negative, is refused before
// anything starts; 0 and a day are taken.
func TestServeJobRetentionFlag(t *testing.T) {
	// Cancelled, so that a serve past the flags stops at once (opening the
	// database fails with the context: exit 1, not a usage error).
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, v := range []string{"0", "24h"} {
		var errBuf bytes.Buffer
		if code := run(ctx, []string{"serve", "--job-retention", v, "--db", "sqlite://" + filepath.Join(t.TempDir(), "x.db"), "--addr", "127.0.0.1:0"}, io.Discard, &errBuf); code == 2 || strings.Contains(errBuf.String(), "--job-retention") {
			t.Errorf("serve --job-retention %s = %d %q; want it taken", v, code, errBuf.String())
		}
	}
	for _, v := range []string{"1h", "-720h", "23h59m"} {
		var errBuf bytes.Buffer
		code := run(ctx, []string{"serve", "--job-retention", v, "--db", "sqlite://" + filepath.Join(t.TempDir(), "x.db"), "--addr", "127.0.0.1:0"}, io.Discard, &errBuf)
		errOut := errBuf.String()
		if code != 2 || !strings.Contains(errOut, "--job-retention") {
			t.Errorf("serve --job-retention %s = %d %q; want usage error 2", v, code, errOut)
		}
	}
}
