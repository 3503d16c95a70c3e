package usecase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/jobs"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/vendorrisk"
	"github.com/riskd/riskd/internal/vendorrisk/source"
)

// Job types of the vendor risk family, as the jobs API shows them.
const (
	// JobVendorRiskRecommendation recommends a level for one event.
	JobVendorRiskRecommendation = "vendor_risk_recommendation"
	// JobVendorSourcePoll polls one source, in the source's space.
	JobVendorSourcePoll = "vendor_source_poll"
	// JobVendorSourcesPoll is the periodic system job (space 0) that
	// enqueues one JobVendorSourcePoll per source that may be polled.
	JobVendorSourcesPoll = "vendor_sources_poll"
)

// DefaultVendorPollInterval is how often every source is polled when the
// operator does not say.
const DefaultVendorPollInterval = 10 * time.Minute

// Actors of the changes jobs make, as the audit log shows them.
const (
	vendorPollerActor = "system:vendor-poller"
	recommenderActor  = "system:recommender"
)

// registerVendorJobs registers the recommendation worker. Its keyword
// signals come from the vendor-event rules of a.Text, the engine serve
// already compiled (built-in packs plus --rules), so nothing is compiled
// twice and an operator's vendor-event rules apply. Another Recommender
// (an external model) plugs in here. The connector jobs need a fetcher and
// an interval from the operator, so serve registers them with
// RegisterVendorPolling.
func (a *App) registerVendorJobs(r *jobs.Runner) {
	r.Handle(JobVendorRiskRecommendation, a.recommendationJob(vendorrisk.NewRecommender(a.Text)))
}

// RegisterVendorPolling registers the connector jobs on r: f fetches every
// upstream source, and every source is polled each interval
// (DefaultVendorPollInterval when interval is not positive). Call it once
// per runner, before the runner starts.
func (a *App) RegisterVendorPolling(r *jobs.Runner, f *source.Fetcher, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultVendorPollInterval
	}
	r.Handle(JobVendorSourcePoll, a.pollSourceJob(f))
	r.Handle(JobVendorSourcesPoll, a.pollAllSourcesJob)
	r.Every(JobVendorSourcesPoll, interval)
}

// CreateVendor validates and stores a new vendor.
func (a *App) CreateVendor(ctx context.Context, p auth.Principal, in vendorrisk.VendorCreate) (vendorrisk.Vendor, error) {
	v, err := vendorrisk.NewVendor(in, a.storeNow())
	if err != nil {
		return v, err
	}
	err = a.Store.Tx(ctx, func(tx store.Q) error {
		if err := a.Store.InsertVendor(ctx, tx, p.Space.ID, v); err != nil {
			return err
		}
		return a.AuditAs(ctx, tx, p, "vendor.create", "vendor", v.URN, v)
	})
	return v, err
}

// UpdateVendor applies a partial update. A patch that changes nothing
// writes nothing and records nothing.
func (a *App) UpdateVendor(ctx context.Context, p auth.Principal, urn string, patch vendorrisk.VendorPatch) (vendorrisk.Vendor, error) {
	var v vendorrisk.Vendor
	err := a.Store.Tx(ctx, func(tx store.Q) error {
		cur, err := a.Store.Vendor(ctx, tx, p.Space.ID, urn, true)
		if err != nil {
			return err
		}
		if v, err = vendorrisk.PatchVendor(cur, patch, a.storeNow()); err != nil {
			return err
		}
		if v.UpdatedAt.Equal(cur.UpdatedAt) {
			return nil
		}
		if err := a.Store.UpdateVendor(ctx, tx, p.Space.ID, v); err != nil {
			return err
		}
		return a.AuditAs(ctx, tx, p, "vendor.update", "vendor", v.URN, v)
	})
	return v, err
}

// recommendationArgs names the event a recommendation job looks at; the
// job reads the event as it is when it runs.
type recommendationArgs struct {
	URN string `json:"urn"`
}

// enqueueRecommendation adds a recommendation job for ev in the caller's
// transaction, so an event is never stored without one on its way.
func (a *App) enqueueRecommendation(ctx context.Context, tx store.Q, spaceID int64, urn string) error {
	j, err := jobs.New(a.Now(), spaceID, JobVendorRiskRecommendation, recommendationArgs{URN: urn})
	if err != nil {
		return err
	}
	return a.Enqueue(ctx, tx, j)
}

// CreateRiskEvent stores an event raised through the API and enqueues its
// recommendation. An unknown vendor is not_found.
func (a *App) CreateRiskEvent(ctx context.Context, p auth.Principal, in vendorrisk.RiskEventCreate) (vendorrisk.RiskEventResponse, error) {
	ev, err := vendorrisk.NewRiskEvent(in, a.storeNow())
	if err != nil {
		return vendorrisk.RiskEventResponse{}, err
	}
	var v vendorrisk.Vendor
	err = a.Store.Tx(ctx, func(tx store.Q) error {
		var err error
		if v, err = a.Store.Vendor(ctx, tx, p.Space.ID, ev.VendorURN, false); err != nil {
			return err
		}
		if err := a.Store.InsertRiskEvent(ctx, tx, p.Space.ID, ev); err != nil {
			return err
		}
		if err := a.enqueueRecommendation(ctx, tx, p.Space.ID, ev.URN); err != nil {
			return err
		}
		return a.AuditAs(ctx, tx, p, "risk_event.create", "risk_event", ev.URN, ev)
	})
	if err != nil {
		return vendorrisk.RiskEventResponse{}, err
	}
	a.JobsEnqueued()
	return ev.Response(v.Summary()), nil
}

// TriageRiskEvent applies a reviewer's change and records it in the
// event's history. A change that changes nothing records nothing.
// Triage does not enqueue a recommendation: the recommender reads the
// event's text and signals, which triage never changes.
func (a *App) TriageRiskEvent(ctx context.Context, p auth.Principal, urn string, patch vendorrisk.TriagePatch) (vendorrisk.RiskEventResponse, error) {
	var (
		ev vendorrisk.RiskEvent
		v  vendorrisk.Vendor
	)
	err := a.Store.Tx(ctx, func(tx store.Q) error {
		cur, err := a.Store.RiskEvent(ctx, tx, p.Space.ID, urn, true)
		if err != nil {
			return err
		}
		if v, err = a.Store.Vendor(ctx, tx, p.Space.ID, cur.VendorURN, false); err != nil {
			return err
		}
		var entry *vendorrisk.HistoryEntry
		if ev, entry, err = vendorrisk.Triage(cur, patch, p.ID, a.storeNow()); err != nil || entry == nil {
			return err
		}
		if err := a.Store.UpdateRiskEvent(ctx, tx, p.Space.ID, ev); err != nil {
			return err
		}
		if err := a.Store.AppendRiskEventHistory(ctx, tx, p.Space.ID, ev.URN, *entry); err != nil {
			return err
		}
		return a.AuditAs(ctx, tx, p, "risk_event.triage", "risk_event", ev.URN, map[string]any{"event": ev, "change": entry})
	})
	if err != nil {
		return vendorrisk.RiskEventResponse{}, err
	}
	return ev.Response(v.Summary()), nil
}

// RecommendationResult is the result of a recommendation job.
type RecommendationResult struct {
	URN                  string               `json:"urn"`
	RecommendedRiskLevel vendorrisk.RiskLevel `json:"recommended_risk_level"`
	Explanation          string               `json:"explanation"`
	// RiskLevel is the event's level afterwards: the recommended one unless
	// a reviewer has set their own.
	RiskLevel vendorrisk.RiskLevel `json:"risk_level"`
}

// recommendationJob runs rec on an event. rec may be slow (an external
// model), so it runs outside the transaction; the result is applied only if
// the event's text and signals are still the ones it read, since a change
// since then has enqueued a newer job that will judge the new content.
// A recommendation that moves the event's level is also recorded in the
// event's history, by the recommender's actor.
func (a *App) recommendationJob(rec vendorrisk.Recommender) jobs.Handler {
	return func(ctx context.Context, j store.Job, _ func(any) error) (any, error) {
		var args recommendationArgs
		if err := json.Unmarshal(j.Args, &args); err != nil {
			return nil, jobs.Fail("invalid_args", "recommendation job arguments are not readable")
		}
		ev, err := a.Store.RiskEvent(ctx, a.Store.Reader(), j.SpaceID, args.URN, false)
		if errs.Is(err, errs.NotFound) {
			return nil, jobs.Fail("not_found", "risk event %s not found", args.URN)
		}
		if err != nil {
			return nil, err
		}
		in := ev.Input()
		r := rec.Recommend(in)
		var out vendorrisk.RiskEvent
		err = a.Store.Tx(ctx, func(tx store.Q) error {
			cur, err := a.Store.RiskEvent(ctx, tx, j.SpaceID, args.URN, true)
			if err != nil {
				return err
			}
			if out = cur; !sameInput(cur.Input(), in) {
				return nil
			}
			if out, err = vendorrisk.ApplyRecommendation(cur, r, a.storeNow()); err != nil {
				return jobs.Fail("invalid_recommendation", "%v", err)
			}
			if out.UpdatedAt.Equal(cur.UpdatedAt) {
				return nil
			}
			if err := a.Store.UpdateRiskEvent(ctx, tx, j.SpaceID, out); err != nil {
				return err
			}
			if entry := vendorrisk.RecommendationHistory(cur, out, recommenderActor); entry != nil {
				if err := a.Store.AppendRiskEventHistory(ctx, tx, j.SpaceID, out.URN, *entry); err != nil {
					return err
				}
			}
			return a.Audit(ctx, tx, j.SpaceID, recommenderActor, "risk_event.recommend", "risk_event", out.URN, out)
		})
		if err != nil {
			return nil, err
		}
		return RecommendationResult{URN: out.URN, RecommendedRiskLevel: r.Level, Explanation: r.Explanation, RiskLevel: out.RiskLevel}, nil
	}
}

func sameInput(a, b vendorrisk.EventInput) bool {
	return a.SourceType == b.SourceType && a.Name == b.Name && a.Description == b.Description && slices.Equal(a.Signals, b.Signals)
}

// Limits on a source's configuration.
const (
	maxSourceURLLen     = 2048
	maxSourceKeywords   = 50
	maxSourceKeywordLen = 100
)

// VendorSourceInput is the body of a source create request. Keywords apply
// to NEWS only: absent (or null) means the built-in keyword phrases, an
// empty list keeps every item of the feed, and a list keeps the items that
// mention the vendor's name or one of its phrases.
type VendorSourceInput struct {
	Type     vendorrisk.SourceType `json:"type"`
	URL      string                `json:"url"`
	Keywords []string              `json:"keywords,omitempty"`
}

// newVendorSource validates a source create request, naming every bad
// field.
func newVendorSource(vendorURN string, in VendorSourceInput, now time.Time) (store.VendorSource, error) {
	var f errs.Fields
	f.Check(in.Type == vendorrisk.SourceStatusPage || in.Type == vendorrisk.SourceNews || in.Type == vendorrisk.SourceSECFiling,
		"type", "must be one of STATUS_PAGE, NEWS, SEC_FILING")
	rawURL := strings.TrimSpace(in.URL)
	u, err := url.Parse(rawURL)
	f.Check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && len(rawURL) <= maxSourceURLLen,
		"url", "must be an absolute http or https URL of at most %d characters", maxSourceURLLen)
	var keywords []string
	if in.Keywords != nil {
		keywords = make([]string, 0, len(in.Keywords))
		f.Check(in.Type == vendorrisk.SourceNews, "keywords", "only NEWS sources filter by keywords")
		f.Check(len(in.Keywords) <= maxSourceKeywords, "keywords", "must have at most %d entries", maxSourceKeywords)
		for i, k := range in.Keywords {
			k = strings.TrimSpace(k)
			field := "keywords[" + strconv.Itoa(i) + "]"
			// A phrase that does not match itself has no words and could
			// never match anything.
			if f.Check(vendorrisk.NewPhraseIndex([]string{k}).Contains(k), field, "must contain a word") &&
				f.Check(utf8.RuneCountInString(k) <= maxSourceKeywordLen, field, "must be at most %d characters", maxSourceKeywordLen) {
				keywords = append(keywords, k)
			}
		}
	}
	if err := f.Err(); err != nil {
		return store.VendorSource{}, err
	}
	return store.VendorSource{VendorURN: vendorURN, Type: in.Type, URL: rawURL, Keywords: keywords, CreatedAt: now}, nil
}

// AddVendorSource adds an upstream source to a vendor. An unknown vendor is
// not_found; the same URL twice for one vendor and type is a conflict.
func (a *App) AddVendorSource(ctx context.Context, p auth.Principal, vendorURN string, in VendorSourceInput) (store.VendorSource, error) {
	src, err := newVendorSource(vendorURN, in, a.storeNow())
	if err != nil {
		return src, err
	}
	err = a.Store.Tx(ctx, func(tx store.Q) error {
		if _, err := a.Store.Vendor(ctx, tx, p.Space.ID, vendorURN, false); err != nil {
			return err
		}
		if src, err = a.Store.InsertVendorSource(ctx, tx, p.Space.ID, src); err != nil {
			return err
		}
		return a.AuditAs(ctx, tx, p, "vendor_source.create", "vendor_source", strconv.FormatInt(src.ID, 10), src)
	})
	return src, err
}

// PollResult counts the events a poll created and updated; upstream items
// that did not change since the last poll are in neither.
type PollResult struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
}

// PollError is a poll that failed upstream: the source could not be
// fetched or parsed, or the upstream asked riskd to wait. It is recorded on
// the source as its last_error.
type PollError struct {
	Err error
	// Throttled is true when the upstream answered 429 or 503, or asked
	// earlier for a wait that has not passed; RetryAt is when it allows the
	// next request, nil when it did not say.
	Throttled bool
	RetryAt   *time.Time
}

func (e *PollError) Error() string { return e.Err.Error() }
func (e *PollError) Unwrap() error { return e.Err }

// PollVendorSource polls one source now, for the caller.
func (a *App) PollVendorSource(ctx context.Context, p auth.Principal, f *source.Fetcher, vendorURN string, id int64) (PollResult, error) {
	return a.pollSource(ctx, f, p.Space.ID, p.ID, vendorURN, id)
}

// pollSource fetches a source (outside any transaction: the network is
// slow) and then, in one transaction, creates an event for each new
// upstream item, updates the event of each changed one, enqueues their
// recommendations and records the poll on the source. Items whose
// fingerprint has not changed are skipped, so a re-poll of unchanged data
// writes nothing but the poll time. Events are audited as actor; the poll
// time and error are not, being the source's operational state rather
// than anyone's decision (auditing them would add an entry per source
// every interval).
func (a *App) pollSource(ctx context.Context, f *source.Fetcher, spaceID int64, actor, vendorURN string, id int64) (PollResult, error) {
	var res PollResult
	src, err := a.Store.GetVendorSource(ctx, a.Store.Reader(), spaceID, vendorURN, id)
	if err != nil {
		return res, err
	}
	now := a.storeNow()
	if src.RetryAt != nil && now.Before(*src.RetryAt) {
		return res, &PollError{Throttled: true, RetryAt: src.RetryAt,
			Err: fmt.Errorf("the upstream asked riskd to wait until %s (Retry-After); not polled before then", src.RetryAt.Format(time.RFC3339))}
	}
	v, err := a.Store.Vendor(ctx, a.Store.Reader(), spaceID, vendorURN, false)
	if err != nil {
		return res, err
	}
	cfg := source.Source{Type: src.Type, URL: src.URL, VendorName: v.Name, Keywords: src.Keywords}
	switch {
	case src.Keywords == nil:
		// The phrases of the engine's vendor-event rules, --rules included.
		cfg.Keywords = vendorrisk.FeedKeywords(a.Text)
	case len(src.Keywords) == 0:
		cfg.VendorName = "" // an empty keyword list keeps every item: the feed is about the vendor already
	}
	items, err := f.Poll(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return res, err // shutdown or a client gone, not the source's fault
		}
		pe := &PollError{Err: err}
		var ra *source.RetryAfterError
		if errors.As(err, &ra) {
			pe.Throttled = true
			if ra.RetryAfter > 0 {
				at := now.Add(ra.RetryAfter)
				pe.RetryAt = &at
			}
		}
		if err := a.Store.RecordVendorSourcePoll(ctx, a.Store.Writer(), spaceID, src.ID, now, err.Error(), pe.RetryAt); err != nil {
			return res, err
		}
		return res, pe
	}
	err = a.Store.Tx(ctx, func(tx store.Q) error {
		res = PollResult{}
		// Locking the vendor serialises polls of its sources across nodes,
		// so two polls cannot both insert the same upstream item.
		if _, err := a.Store.Vendor(ctx, tx, spaceID, vendorURN, true); err != nil {
			return err
		}
		for _, it := range items {
			action, ev, err := a.observe(ctx, tx, spaceID, vendorURN, src.Type, it, now)
			if err != nil {
				return err
			}
			switch action {
			case "":
				continue
			case "risk_event.observe":
				res.Created++
			default:
				res.Updated++
			}
			if err := a.enqueueRecommendation(ctx, tx, spaceID, ev.URN); err != nil {
				return err
			}
			if err := a.Audit(ctx, tx, spaceID, actor, action, "risk_event", ev.URN, ev); err != nil {
				return err
			}
		}
		return a.Store.RecordVendorSourcePoll(ctx, tx, spaceID, src.ID, now, "", nil)
	})
	if err != nil {
		return PollResult{}, err
	}
	if res.Created+res.Updated > 0 {
		a.JobsEnqueued()
	}
	return res, nil
}

// observe stores one upstream item: a new event (action
// "risk_event.observe"), an update of its event ("risk_event.refresh"), or
// nothing when the item is unchanged or unusable (action "").
func (a *App) observe(ctx context.Context, tx store.Q, spaceID int64, vendorURN string, st vendorrisk.SourceType, it source.Item, now time.Time) (string, vendorrisk.RiskEvent, error) {
	cur, found, err := a.Store.ObservedRiskEvent(ctx, tx, spaceID, vendorURN, st, it.ExternalID, false)
	if err != nil {
		return "", cur, err
	}
	if found {
		ev, changed := vendorrisk.RefreshObservedEvent(cur, it, now)
		if !changed {
			return "", ev, nil
		}
		return "risk_event.refresh", ev, a.Store.UpdateRiskEvent(ctx, tx, spaceID, ev)
	}
	ev, err := vendorrisk.NewObservedEvent(vendorURN, st, it, now)
	if err != nil {
		// Connectors only return items with an id and a name; one without
		// is skipped rather than failing the whole poll.
		a.Log.Warn("vendor source item skipped", "vendor", vendorURN, "external_id", it.ExternalID, "err", err)
		return "", ev, nil
	}
	return "risk_event.observe", ev, a.Store.InsertRiskEvent(ctx, tx, spaceID, ev)
}

// pollArgs names the source a poll job polls.
type pollArgs struct {
	VendorURN string `json:"vendor_urn"`
	SourceID  int64  `json:"source_id"`
}

// pollSourceJob polls one source in the job's space. An upstream failure
// ends the job at once, failed with the reason (visible in the space's jobs
// and the source's last_error): the next periodic poll is the retry, and
// retrying sooner would press an upstream that is failing or asked to wait.
func (a *App) pollSourceJob(f *source.Fetcher) jobs.Handler {
	return func(ctx context.Context, j store.Job, _ func(any) error) (any, error) {
		var args pollArgs
		if err := json.Unmarshal(j.Args, &args); err != nil {
			return nil, jobs.Fail("invalid_args", "poll job arguments are not readable")
		}
		res, err := a.pollSource(ctx, f, j.SpaceID, vendorPollerActor, args.VendorURN, args.SourceID)
		var pe *PollError
		switch {
		case errors.As(err, &pe) && pe.Throttled:
			return nil, jobs.Fail("source_throttled", "%v", pe.Err)
		case errors.As(err, &pe):
			return nil, jobs.Fail("source_failed", "%v", pe.Err)
		case errs.Is(err, errs.NotFound):
			return nil, jobs.Fail("not_found", "%v", err)
		case err != nil:
			return nil, err
		}
		return res, nil
	}
}

// pollAllSourcesJob is the periodic system job: it enqueues one poll job
// per source that may be polled now, each in its source's space. The
// unique key ties each to this run, so a retried run does not enqueue a
// source twice.
func (a *App) pollAllSourcesJob(ctx context.Context, j store.Job, _ func(any) error) (any, error) {
	now := a.Now()
	due, err := a.Store.DueVendorSources(ctx, a.Store.Reader(), now)
	if err != nil {
		return nil, err
	}
	err = a.Store.Tx(ctx, func(tx store.Q) error {
		for _, src := range due {
			pj, err := jobs.New(now, src.SpaceID, JobVendorSourcePoll, pollArgs{VendorURN: src.VendorURN, SourceID: src.ID})
			if err != nil {
				return err
			}
			pj.MaxAttempts = 3
			pj.UniqueKey = fmt.Sprintf("%s:%d:%d@%s", JobVendorSourcePoll, src.SpaceID, src.ID, j.ID)
			if err := a.Enqueue(ctx, tx, pj); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(due) > 0 {
		a.JobsEnqueued()
	}
	return map[string]int{"enqueued": len(due)}, nil
}
