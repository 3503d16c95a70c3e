// Package loadgen is the closed-loop HTTP load generator behind riskd's
// benchmarks: a fixed number of clients each send one request at a time over
// keep-alive connections until a time or a count bound is reached. Every
// latency is kept, so percentiles are exact, and the count bound also bounds
// the memory they take.
//
// It only ever connects to loopback addresses: it measures a server on the
// machine at hand and cannot be pointed at anyone else's.
package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds every run must stay within.
const (
	MaxConcurrency = 4096
	MaxDuration    = time.Hour
	// MaxRequests caps a run's count; at 8 bytes a latency the samples of
	// the largest run take 160 MB.
	MaxRequests = 20_000_000
)

// Request is one request to send. Header is shared by every request the
// factory returns it for, so it must not be changed once returned.
type Request struct {
	Method string
	Path   string // path and query, appended to Config.Target
	Header http.Header
	Body   []byte
}

// Factory returns the i-th request of a run (i counts from 0 across all
// clients). It is called from several goroutines at once.
type Factory func(i int) Request

// Config bounds and shapes a run.
type Config struct {
	// Target is the server's base URL, such as http://127.0.0.1:8080; its host
	// must be a loopback IP address.
	Target      string
	Concurrency int           // clients sending at once
	Duration    time.Duration // no request starts after this much time
	MaxRequests int           // no more than this many requests are sent
	Timeout     time.Duration // per request; 0 means 10s
	// Observe, when set, sees every response's status and body. It is called
	// from the clients' goroutines, and body is reused after it returns.
	Observe func(status int, body []byte)
}

// Result is what a run measured.
type Result struct {
	Requests        int         // responses received, whatever their status
	Status          map[int]int // responses by status code
	TransportErrors int         // requests that got no response
	// FirstError describes the first failure (a transport error or a non-2xx
	// status with the start of its body), so a report can say what went wrong.
	FirstError string
	Elapsed    time.Duration   // from the first request to the last response
	Latencies  []time.Duration // one per response, sorted ascending
}

// Errors counts the requests that failed: transport errors and non-2xx answers.
func (r *Result) Errors() int {
	n := r.TransportErrors
	for code, c := range r.Status {
		if code < 200 || code > 299 {
			n += c
		}
	}
	return n
}

// PerSecond is the throughput in responses per second.
func (r *Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Percentile returns the latency that p percent of responses did not exceed
// (nearest rank, so it is always a measured latency), or 0 without samples.
func (r *Result) Percentile(p float64) time.Duration {
	n := len(r.Latencies)
	if n == 0 {
		return 0
	}
	// The epsilon keeps a rank that is whole in decimal (95% of 100) from
	// being pushed up by binary rounding.
	rank := int(math.Ceil(float64(n)*p/100 - 1e-9))
	return r.Latencies[min(max(rank, 1), n)-1]
}

func (c *Config) check() (*url.URL, error) {
	switch {
	case c.Concurrency < 1 || c.Concurrency > MaxConcurrency:
		return nil, fmt.Errorf("loadgen: concurrency %d is outside 1..%d", c.Concurrency, MaxConcurrency)
	case c.Duration <= 0 || c.Duration > MaxDuration:
		return nil, fmt.Errorf("loadgen: duration %s is outside (0, %s]", c.Duration, MaxDuration)
	case c.MaxRequests < 1 || c.MaxRequests > MaxRequests:
		return nil, fmt.Errorf("loadgen: max requests %d is outside 1..%d", c.MaxRequests, MaxRequests)
	case c.Timeout < 0:
		return nil, fmt.Errorf("loadgen: negative timeout %s", c.Timeout)
	}
	u, err := url.Parse(c.Target)
	if err != nil {
		return nil, fmt.Errorf("loadgen: target: %w", err)
	}
	if u.Scheme != "http" || u.User != nil || u.RawQuery != "" || !loopback(u.Hostname()) {
		return nil, fmt.Errorf("loadgen: target %q: want http://<loopback IP>:<port>", c.Target)
	}
	return u, nil
}

// loopback reports whether host is a loopback IP address. Names are refused:
// what they resolve to is not ours to vouch for.
func loopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// dialLoopback refuses every address that is not a loopback IP. The target
// is checked up front too; this also covers a request path that would turn
// the URL into another host's.
func dialLoopback(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if !loopback(host) {
			return nil, fmt.Errorf("loadgen: refusing to connect to %s: only loopback addresses are allowed", addr)
		}
		return d.DialContext(ctx, network, addr)
	}
}

// Run sends requests from next until the duration or the count bound is
// reached, or ctx ends, and reports what it measured. Requests in flight
// when the duration ends are finished and counted.
func Run(ctx context.Context, cfg Config, next Factory) (*Result, error) {
	target, err := cfg.check()
	if err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	tr := &http.Transport{
		Proxy:       nil, // a proxy would be another host
		DialContext: dialLoopback(&net.Dialer{Timeout: 5 * time.Second}),
		// Every client keeps its connection between requests; fewer idle
		// slots than clients would close and reopen connections mid-run and
		// measure TCP set-up instead of the server. The cap matters too: a
		// client's next request can start before the transport has put its
		// last connection back, and would otherwise dial a new one.
		MaxIdleConns:        cfg.Concurrency,
		MaxIdleConnsPerHost: cfg.Concurrency,
		MaxConnsPerHost:     cfg.Concurrency,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	base := strings.TrimSuffix(target.String(), "/")

	var (
		issued   atomic.Int64
		start    = time.Now()
		deadline = start.Add(cfg.Duration)
		clients  = make([]*clientState, cfg.Concurrency)
		wg       sync.WaitGroup
	)
	for c := range clients {
		st := &clientState{status: map[int]int{}}
		clients[c] = st
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i := int(issued.Add(1) - 1)
				if i >= cfg.MaxRequests {
					return
				}
				st.do(ctx, client, base, next(i), cfg.Observe)
			}
		})
	}
	wg.Wait()
	res := &Result{Elapsed: time.Since(start), Status: map[int]int{}}
	var first time.Time
	for _, st := range clients {
		res.Latencies = append(res.Latencies, st.latencies...)
		res.TransportErrors += st.transportErrors
		for code, n := range st.status {
			res.Status[code] += n
		}
		if st.firstError != "" && (first.IsZero() || st.firstAt.Before(first)) {
			res.FirstError, first = st.firstError, st.firstAt
		}
	}
	res.Requests = len(res.Latencies)
	slices.Sort(res.Latencies)
	return res, ctx.Err()
}

// Merge combines the results of several runs, such as the turns of a
// measurement taken in turns with another server's: their responses and
// their elapsed times add up, and the first error is the first run's that
// had one. A single run is its own merge, returned as it is: its latencies
// (up to MaxRequests of them) are neither copied nor sorted again.
func Merge(runs ...*Result) *Result {
	if len(runs) == 1 {
		return runs[0]
	}
	n := 0
	for _, r := range runs {
		n += len(r.Latencies)
	}
	res := &Result{Status: map[int]int{}, Latencies: make([]time.Duration, 0, n)}
	for _, r := range runs {
		res.Requests += r.Requests
		res.TransportErrors += r.TransportErrors
		for code, n := range r.Status {
			res.Status[code] += n
		}
		if res.FirstError == "" {
			res.FirstError = r.FirstError
		}
		res.Elapsed += r.Elapsed
		res.Latencies = append(res.Latencies, r.Latencies...)
	}
	slices.Sort(res.Latencies)
	return res
}

// clientState is one client's share of the measurements; clients never
// share one, so recording needs no lock.
type clientState struct {
	latencies       []time.Duration
	status          map[int]int
	transportErrors int
	firstError      string
	firstAt         time.Time
	body            bytes.Buffer
}

func (st *clientState) fail(msg string) {
	if st.firstError == "" {
		st.firstError, st.firstAt = msg, time.Now()
	}
}

func (st *clientState) do(ctx context.Context, client *http.Client, base string, r Request, observe func(int, []byte)) {
	req, err := http.NewRequestWithContext(ctx, r.Method, base+r.Path, bytes.NewReader(r.Body))
	if err != nil {
		st.transportErrors++
		st.fail(err.Error())
		return
	}
	if r.Header != nil {
		req.Header = r.Header
	}
	begin := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			st.transportErrors++
			st.fail(err.Error())
		}
		return
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	// The body is read to the end before the clock stops (the response is
	// not complete before) and so the connection can be reused.
	if observe != nil || !ok {
		st.body.Reset()
		_, err = st.body.ReadFrom(resp.Body)
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
	elapsed := time.Since(begin)
	if err != nil {
		if ctx.Err() == nil {
			st.transportErrors++
			st.fail("reading the body: " + err.Error())
		}
		return
	}
	st.latencies = append(st.latencies, elapsed)
	st.status[resp.StatusCode]++
	if !ok {
		st.fail(fmt.Sprintf("%s %s: %d %s", r.Method, r.Path, resp.StatusCode, snippet(st.body.Bytes())))
	}
	if observe != nil {
		observe(resp.StatusCode, st.body.Bytes())
	}
}

// snippet is the start of a body, enough to show an error envelope's code.
func snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		b = b[:n]
	}
	return string(bytes.TrimSpace(b))
}
