package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/riskd/riskd/internal/loadgen"
	"github.com/riskd/riskd/internal/textrisk/textrisktest"
)

// textRiskScenarios measure the text compliance family: the inline submit
// (score, then store the finished job and its audit event durably) and
// reading those jobs back.
func textRiskScenarios() []scenario {
	return []scenario{{
		name:    "submit",
		what:    "POST /api/v1/analysis/risk: 1 KiB dispute texts scored inline, job stored",
		routes:  []string{"POST /api/v1/analysis/risk"},
		prepare: prepareSubmit,
		targets: []target{minOfCeiling(0.25), minRate(5000, "req"), maxP99(25 * time.Millisecond)},
		// The one target that is a share of the ceiling: measured in turns with
		// the bare handler.
		ceilingInTurns: true,
	}, {
		name:    "job-get",
		what:    "GET /api/v1/jobs/{id} of the jobs submit created",
		routes:  []string{"GET /api/v1/jobs/{id}", "POST /api/v1/analysis/risk"},
		prepare: prepareJobGet,
	}}
}

// disputeBodies returns n submit bodies of the engine benchmarks' dispute
// texts (textrisktest.DisputeTexts), each different, each 1 KiB.
func disputeBodies(n int) [][]byte {
	bodies := make([][]byte, n)
	for i, text := range textrisktest.DisputeTexts(n) {
		body, err := json.Marshal(map[string]any{
			"content":  map[string]string{"type": "text", "text": text},
			"scenario": "dispute",
		})
		if err != nil {
			panic(err) // strings and maps always marshal
		}
		bodies[i] = body
	}
	return bodies
}

func submitRequests(e *env) loadgen.Factory {
	bodies := disputeBodies(64)
	return func(i int) loadgen.Request {
		return loadgen.Request{Method: http.MethodPost, Path: "/api/v1/analysis/risk", Header: e.header, Body: bodies[i%len(bodies)]}
	}
}

func prepareSubmit(_ context.Context, e *env) (workload, error) {
	return workload{next: submitRequests(e), observe: e.jobs.observe}, nil
}

// primeJobs is how many jobs job-get creates for itself when submit did
// not run before it.
const primeJobs = 10_000

func prepareJobGet(ctx context.Context, e *env) (workload, error) {
	if e.jobs.len() == 0 {
		res, err := loadgen.Run(ctx, loadgen.Config{
			Target: e.srv.base, Concurrency: e.cfg.Concurrency, Duration: time.Minute, MaxRequests: primeJobs, Observe: e.jobs.observe,
		}, submitRequests(e))
		if err != nil {
			return workload{}, err
		}
		if res.Errors() > 0 {
			return workload{}, fmt.Errorf("creating jobs to read: %d requests failed, the first: %s", res.Errors(), res.FirstError)
		}
	}
	ids := e.jobs.shuffled()
	if len(ids) == 0 {
		return workload{}, fmt.Errorf("no job ids in the submit responses")
	}
	reqs := make([]loadgen.Request, len(ids))
	for i, id := range ids {
		reqs[i] = loadgen.Request{Method: http.MethodGet, Path: "/api/v1/jobs/" + id, Header: e.header}
	}
	return workload{next: func(i int) loadgen.Request { return reqs[i%len(reqs)] }}, nil
}

// maxJobIDs bounds the ids kept for job-get.
const maxJobIDs = 100_000

// jobPool collects the ids of the jobs submit created. Observe runs on the
// load generator's clients, so it is locked.
type jobPool struct {
	mu  sync.Mutex
	ids []string
}

var idPrefix = []byte(`"id":"`)

func (p *jobPool) observe(status int, body []byte) {
	if status != http.StatusOK {
		return
	}
	// A scan rather than json.Unmarshal: this runs on the load generator's
	// clients, which share the cores with the server being measured.
	_, rest, ok := bytes.Cut(body, idPrefix)
	if !ok {
		return
	}
	id, _, ok := bytes.Cut(rest, []byte(`"`))
	if !ok || !bytes.HasPrefix(id, []byte("job_")) {
		return
	}
	p.mu.Lock()
	if len(p.ids) < maxJobIDs {
		p.ids = append(p.ids, string(id))
	}
	p.mu.Unlock()
}

func (p *jobPool) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ids)
}

// shuffled returns the ids in a fixed random order: in creation order the
// reads would walk the jobs index page by page, which flatters the cache.
func (p *jobPool) shuffled() []string {
	p.mu.Lock()
	ids := slices.Clone(p.ids)
	p.mu.Unlock()
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return ids
}
