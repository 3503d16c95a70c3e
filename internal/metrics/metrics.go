// Package metrics holds riskd's Prometheus collectors in one registry, so
// /metrics shows exactly what riskd measures and tests can read it back.
package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the collectors of one riskd process.
type Metrics struct {
	Registry        *prometheus.Registry
	Requests        *prometheus.CounterVec
	RequestDuration *prometheus.HistogramVec
	JobsFinished    *prometheus.CounterVec
	JobDuration     *prometheus.HistogramVec
}

// New registers riskd's collectors and the Go runtime's.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "riskd_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		RequestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "riskd_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route", "method"}),
		JobsFinished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "riskd_jobs_total", Help: "Jobs that reached a state, by job type and state (succeeded, failed, retried).",
		}, []string{"type", "state"}),
		JobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "riskd_job_duration_seconds", Help: "Job run time by job type.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
		}, []string{"type"}),
	}
	m.Registry.MustRegister(m.Requests, m.RequestDuration, m.JobsFinished, m.JobDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// JobCount is how many jobs of a type are in a state.
type JobCount struct {
	Type, State string
	Count       int
}

// backlog reports the jobs waiting or running, read at every scrape: the
// queue is the database, so every node reports the whole backlog.
type backlog struct {
	desc *prometheus.Desc
	read func(ctx context.Context) ([]JobCount, error)
}

func (b backlog) Describe(ch chan<- *prometheus.Desc) { ch <- b.desc }

func (b backlog) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := b.read(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(b.desc, err)
		return
	}
	for _, c := range counts {
		ch <- prometheus.MustNewConstMetric(b.desc, prometheus.GaugeValue, float64(c.Count), c.Type, c.State)
	}
}

// WatchJobBacklog adds the gauge riskd_jobs{type,state} of jobs queued or
// running, read by read at each scrape.
func (m *Metrics) WatchJobBacklog(read func(ctx context.Context) ([]JobCount, error)) {
	m.Registry.MustRegister(backlog{
		desc: prometheus.NewDesc("riskd_jobs", "Jobs queued or running now, by job type and state (every node's, from the database).",
			[]string{"type", "state"}, nil),
		read: read,
	})
}
