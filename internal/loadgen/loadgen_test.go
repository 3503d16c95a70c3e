package loadgen_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/loadgen"
)

// get returns a factory of GETs of /?i=<i>, so the server can tell which
// request it answers.
func get(i int) loadgen.Request {
	return loadgen.Request{Method: http.MethodGet, Path: "/?i=" + strconv.Itoa(i)}
}

func TestCountBoundSendsEachRequestOnce(t *testing.T) {
	var (
		mu   sync.Mutex
		seen = map[string]int{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Query().Get("i")]++
		mu.Unlock()
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	res, err := loadgen.Run(context.Background(), loadgen.Config{
		Target: srv.URL, Concurrency: 8, Duration: time.Minute, MaxRequests: 500,
	}, get)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 500 || res.Status[200] != 500 || res.Errors() != 0 || len(res.Latencies) != 500 {
		t.Fatalf("requests %d, status %v, errors %d, latencies %d; want 500 answered 200", res.Requests, res.Status, res.Errors(), len(res.Latencies))
	}
	if len(seen) != 500 {
		t.Fatalf("server saw %d distinct requests, want 500", len(seen))
	}
	for i := range 500 {
		if n := seen[strconv.Itoa(i)]; n != 1 {
			t.Fatalf("request %d arrived %d times", i, n)
		}
	}
	for i := 1; i < len(res.Latencies); i++ {
		if res.Latencies[i] < res.Latencies[i-1] {
			t.Fatal("latencies are not sorted")
		}
	}
}

func TestDurationBoundStopsSending(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(10 * time.Millisecond)
	}))
	defer srv.Close()
	res, err := loadgen.Run(context.Background(), loadgen.Config{
		Target: srv.URL, Concurrency: 4, Duration: 300 * time.Millisecond, MaxRequests: loadgen.MaxRequests,
	}, get)
	if err != nil {
		t.Fatal(err)
	}
	// 4 clients × 300 ms / 10 ms is at most 120 requests; a slow machine
	// sends fewer, but not none.
	if res.Requests < 4 || res.Requests > 124 {
		t.Fatalf("%d requests in 300 ms with 4 clients of 10 ms requests", res.Requests)
	}
	if res.Elapsed < 300*time.Millisecond || res.Elapsed > 2*time.Second {
		t.Fatalf("elapsed %s, want a little over 300ms", res.Elapsed)
	}
	if p := res.Percentile(50); p < 10*time.Millisecond {
		t.Fatalf("p50 %s is below the handler's 10ms", p)
	}
}

func TestErrorsAreCountedByStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(r.URL.Query().Get("i"))
		if i%4 == 3 {
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"error":{"code":"rate_limit_exceeded"}}`))
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	var observed atomic.Int64
	res, err := loadgen.Run(context.Background(), loadgen.Config{
		Target: srv.URL, Concurrency: 3, Duration: time.Minute, MaxRequests: 100,
		Observe: func(status int, body []byte) { observed.Add(1) },
	}, get)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status[201] != 75 || res.Status[429] != 25 || res.Errors() != 25 || res.TransportErrors != 0 {
		t.Fatalf("status %v, errors %d, transport errors %d", res.Status, res.Errors(), res.TransportErrors)
	}
	if !strings.Contains(res.FirstError, "429") || !strings.Contains(res.FirstError, "rate_limit_exceeded") {
		t.Fatalf("first error %q does not show the status and the body", res.FirstError)
	}
	if observed.Load() != 100 {
		t.Fatalf("Observe saw %d responses, want 100", observed.Load())
	}
}

func TestObserveSeesBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"id":"` + r.URL.Query().Get("i") + `"}`))
	}))
	defer srv.Close()
	var (
		mu   sync.Mutex
		ids  = map[string]bool{}
		body = []byte(`{"a":1}`)
	)
	res, err := loadgen.Run(context.Background(), loadgen.Config{
		Target: srv.URL, Concurrency: 2, Duration: time.Minute, MaxRequests: 10,
		Observe: func(status int, b []byte) {
			mu.Lock()
			ids[string(b)] = true
			mu.Unlock()
		},
	}, func(i int) loadgen.Request {
		return loadgen.Request{Method: http.MethodPost, Path: "/?i=" + strconv.Itoa(i), Body: body,
			Header: http.Header{"Content-Type": {"application/json"}}}
	})
	if err != nil || res.Requests != 10 {
		t.Fatalf("run: %v, %d requests", err, res.Requests)
	}
	if len(ids) != 10 || !ids[`{"id":"7"}`] {
		t.Fatalf("observed bodies %v", ids)
	}
}

func TestConnectionsAreKeptAlive(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	res, err := loadgen.Run(context.Background(), loadgen.Config{
		Target: srv.URL, Concurrency: 6, Duration: time.Minute, MaxRequests: 600,
	}, get)
	if err != nil || res.Requests != 600 {
		t.Fatalf("run: %v, %d requests", err, res.Requests)
	}
	if n := conns.Load(); n > 6 {
		t.Fatalf("%d connections for 6 clients: keep-alive is not working", n)
	}
}

func TestTransportErrorsAreCounted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	target := srv.URL
	srv.Close()
	res, err := loadgen.Run(context.Background(), loadgen.Config{
		Target: target, Concurrency: 2, Duration: time.Minute, MaxRequests: 10,
	}, get)
	if err != nil {
		t.Fatal(err)
	}
	if res.TransportErrors != 10 || res.Requests != 0 || res.Errors() != 10 || res.FirstError == "" {
		t.Fatalf("transport errors %d, requests %d, first error %q", res.TransportErrors, res.Requests, res.FirstError)
	}
}

func TestOnlyLoopbackIsReached(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ok := loadgen.Config{Target: srv.URL, Concurrency: 1, Duration: time.Second, MaxRequests: 1}
	for _, tc := range []struct {
		name string
		edit func(*loadgen.Config)
	}{
		{"private address", func(c *loadgen.Config) { c.Target = "http://10.0.0.1:80" }},
		{"public address", func(c *loadgen.Config) { c.Target = "http://192.0.2.1:80" }},
		{"host name", func(c *loadgen.Config) { c.Target = "http://localhost:80" }},
		{"https", func(c *loadgen.Config) { c.Target = strings.Replace(srv.URL, "http:", "https:", 1) }},
		{"user info", func(c *loadgen.Config) { c.Target = "http://u@127.0.0.1:80" }},
		{"no concurrency", func(c *loadgen.Config) { c.Concurrency = 0 }},
		{"too many clients", func(c *loadgen.Config) { c.Concurrency = loadgen.MaxConcurrency + 1 }},
		{"no duration", func(c *loadgen.Config) { c.Duration = 0 }},
		{"too long", func(c *loadgen.Config) { c.Duration = loadgen.MaxDuration + time.Second }},
		{"no count bound", func(c *loadgen.Config) { c.MaxRequests = 0 }},
		{"count over the bound", func(c *loadgen.Config) { c.MaxRequests = loadgen.MaxRequests + 1 }},
		{"negative timeout", func(c *loadgen.Config) { c.Timeout = -time.Second }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.edit(&cfg)
			called := false
			_, err := loadgen.Run(context.Background(), cfg, func(i int) loadgen.Request { called = true; return get(i) })
			if err == nil || called {
				t.Fatalf("Run accepted %+v (factory called: %v)", cfg, called)
			}
		})
	}

	t.Run("path naming another host", func(t *testing.T) {
		// "http://127.0.0.1:port" + "@192.0.2.1/" parses as user info and a
		// foreign host; the dialer must refuse it.
		res, err := loadgen.Run(context.Background(), ok, func(int) loadgen.Request {
			return loadgen.Request{Method: http.MethodGet, Path: "@192.0.2.1/"}
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.TransportErrors != 1 || !strings.Contains(res.FirstError, "only loopback") {
			t.Fatalf("transport errors %d, first error %q", res.TransportErrors, res.FirstError)
		}
	})
}

func TestCancelStopsTheRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := loadgen.Run(ctx, loadgen.Config{
		Target: srv.URL, Concurrency: 2, Duration: time.Minute, MaxRequests: loadgen.MaxRequests,
	}, get)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("err %v after %s; want the context's error soon after 100ms", err, time.Since(start))
	}
}

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, tc := range []struct {
		name string
		lat  []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 99, 0},
		{"one sample", []time.Duration{7}, 50, 7},
		{"median of 100", hundred, 50, 50 * time.Millisecond},
		{"p95 of 100", hundred, 95, 95 * time.Millisecond},
		{"p99 of 100", hundred, 99, 99 * time.Millisecond},
		{"p99.9 of 100 is the maximum", hundred, 99.9, 100 * time.Millisecond},
		{"p100", hundred, 100, 100 * time.Millisecond},
		{"p0 is the minimum", hundred, 0, time.Millisecond},
		{"median of 3", []time.Duration{1, 2, 3}, 50, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := loadgen.Result{Latencies: tc.lat}
			if got := r.Percentile(tc.p); got != tc.want {
				t.Fatalf("Percentile(%v) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
}

func TestPerSecond(t *testing.T) {
	r := loadgen.Result{Requests: 500, Elapsed: 250 * time.Millisecond}
	if got := r.PerSecond(); got != 2000 {
		t.Fatalf("PerSecond = %v, want 2000", got)
	}
	if got := (&loadgen.Result{}).PerSecond(); got != 0 {
		t.Fatalf("PerSecond of nothing = %v", got)
	}
}

func TestMergeAddsTurnsUp(t *testing.T) {
	a := &loadgen.Result{
		Requests: 3, Status: map[int]int{200: 2, 500: 1}, FirstError: "GET /: 500 boom",
		Elapsed: time.Second, Latencies: []time.Duration{1, 4, 9},
	}
	b := &loadgen.Result{Requests: 2, Status: map[int]int{200: 2}, Elapsed: time.Second, Latencies: []time.Duration{2, 3}}
	c := &loadgen.Result{TransportErrors: 1, FirstError: "dial: refused", Status: map[int]int{}, Elapsed: 2 * time.Second}

	m := loadgen.Merge(b, a, c)
	if m.Requests != 5 || m.Status[200] != 4 || m.Status[500] != 1 || m.TransportErrors != 1 || m.Errors() != 2 {
		t.Fatalf("counts %+v", m)
	}
	if m.Elapsed != 4*time.Second || m.PerSecond() != 1.25 {
		t.Fatalf("elapsed %v, %v/s", m.Elapsed, m.PerSecond())
	}
	if want := []time.Duration{1, 2, 3, 4, 9}; !slices.Equal(m.Latencies, want) {
		t.Fatalf("latencies %v, want %v (sorted, all of them)", m.Latencies, want)
	}
	if m.FirstError != "GET /: 500 boom" {
		t.Fatalf("first error %q, want the first run's that had one", m.FirstError)
	}
	if len(a.Latencies) != 3 || a.Status[200] != 2 {
		t.Fatalf("a run merged was changed: %+v", a)
	}
	if loadgen.Merge(a) != a {
		t.Fatal("one run's merge is not the run itself")
	}
}
