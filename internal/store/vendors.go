package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/vendorrisk"
)

// Vendors are stored as columns (lists sort by name and embed a summary in
// every risk event). A risk event is stored as its JSON document, with the
// columns its list filters on beside it.

const vendorColumns = `urn, name, description, lifecycle_stage, website, metadata, created_at, updated_at`

// InsertVendor stores a new vendor.
func (s *Store) InsertVendor(ctx context.Context, q Q, spaceID int64, v vendorrisk.Vendor) error {
	meta, err := json.Marshal(v.Metadata)
	if err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO vendors (space_id, name_key, `+vendorColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		spaceID, nameKey(v.Name), v.URN, v.Name, v.Description, string(v.LifecycleStage), v.Website, string(meta),
		T(v.CreatedAt), T(v.UpdatedAt)); err != nil {
		return fmt.Errorf("insert vendor: %w", err)
	}
	return nil
}

// UpdateVendor stores the changed fields of an existing vendor.
func (s *Store) UpdateVendor(ctx context.Context, q Q, spaceID int64, v vendorrisk.Vendor) error {
	meta, err := json.Marshal(v.Metadata)
	if err != nil {
		return err
	}
	res, err := q.ExecContext(ctx, `UPDATE vendors SET name = $3, name_key = $4, description = $5, lifecycle_stage = $6,
		website = $7, metadata = $8, updated_at = $9 WHERE space_id = $1 AND urn = $2`,
		spaceID, v.URN, v.Name, nameKey(v.Name), v.Description, string(v.LifecycleStage), v.Website, string(meta), T(v.UpdatedAt))
	if err != nil {
		return fmt.Errorf("update vendor: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.NotFoundf("vendor %s not found", v.URN)
	}
	return nil
}

// nameKey is what vendor lists sort by first: vendorrisk.SortByName
// compares lower-cased names, and computing the key in Go (not with SQL's
// lower()) makes both databases agree with it for every script.
func nameKey(name string) string { return strings.ToLower(name) }

// Vendor returns a vendor of the space. With lock, on PostgreSQL, the row
// stays locked until the transaction ends.
func (s *Store) Vendor(ctx context.Context, q Q, spaceID int64, urn string, lock bool) (vendorrisk.Vendor, error) {
	suffix := ""
	if lock {
		suffix = s.ForUpdate()
	}
	rows, err := q.QueryContext(ctx, `SELECT `+vendorColumns+` FROM vendors WHERE space_id = $1 AND urn = $2`+suffix, spaceID, urn)
	if err != nil {
		return vendorrisk.Vendor{}, err
	}
	list, err := scanVendors(rows)
	if err != nil {
		return vendorrisk.Vendor{}, err
	}
	if len(list) == 0 {
		return vendorrisk.Vendor{}, errs.NotFoundf("vendor %s not found", urn)
	}
	return list[0], nil
}

// ListVendors returns the space's vendors in vendorrisk.SortByName order,
// only those at stage when it is not empty.
func (s *Store) ListVendors(ctx context.Context, q Q, spaceID int64, stage vendorrisk.LifecycleStage) ([]vendorrisk.Vendor, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+vendorColumns+` FROM vendors
		WHERE space_id = $1 AND ($2 = '' OR lifecycle_stage = $2) ORDER BY name_key, name, urn`, spaceID, string(stage))
	if err != nil {
		return nil, err
	}
	return scanVendors(rows)
}

func scanVendors(rows *sql.Rows) ([]vendorrisk.Vendor, error) {
	defer rows.Close()
	out := []vendorrisk.Vendor{}
	for rows.Next() {
		var (
			v                vendorrisk.Vendor
			stage, meta      string
			created, updated string
		)
		if err := rows.Scan(&v.URN, &v.Name, &v.Description, &stage, &v.Website, &meta, &created, &updated); err != nil {
			return nil, err
		}
		v.LifecycleStage = vendorrisk.LifecycleStage(stage)
		if err := json.Unmarshal([]byte(meta), &v.Metadata); err != nil {
			return nil, fmt.Errorf("stored vendor %s metadata: %w", v.URN, err)
		}
		var err error
		if v.CreatedAt, err = ParseT(created); err != nil {
			return nil, err
		}
		if v.UpdatedAt, err = ParseT(updated); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// InsertRiskEvent stores a new risk event. A second event with the same
// upstream item (vendor, source type and external id) is a conflict.
func (s *Store) InsertRiskEvent(ctx context.Context, q Q, spaceID int64, ev vendorrisk.RiskEvent) error {
	doc, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `INSERT INTO risk_events
		(space_id, urn, vendor_urn, source_type, review_status, level_rank, external_id, created_at, updated_at, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		spaceID, ev.URN, ev.VendorURN, string(ev.SourceType), string(ev.ReviewStatus), ev.RiskLevel.Rank(),
		nullStr(ev.ExternalID), T(ev.CreatedAt), T(ev.UpdatedAt), string(doc))
	if IsUniqueViolation(err) {
		return errs.Conflictf("an event for upstream item %q of vendor %s already exists", ev.ExternalID, ev.VendorURN)
	}
	if err != nil {
		return fmt.Errorf("insert risk event: %w", err)
	}
	return nil
}

// UpdateRiskEvent stores a changed risk event. Its vendor, source type and
// external id never change.
func (s *Store) UpdateRiskEvent(ctx context.Context, q Q, spaceID int64, ev vendorrisk.RiskEvent) error {
	doc, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	res, err := q.ExecContext(ctx, `UPDATE risk_events SET review_status = $3, level_rank = $4, updated_at = $5, doc = $6
		WHERE space_id = $1 AND urn = $2`,
		spaceID, ev.URN, string(ev.ReviewStatus), ev.RiskLevel.Rank(), T(ev.UpdatedAt), string(doc))
	if err != nil {
		return fmt.Errorf("update risk event: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.NotFoundf("risk event %s not found", ev.URN)
	}
	return nil
}

// RiskEvent returns a risk event of the space. With lock, on PostgreSQL,
// the row stays locked until the transaction ends.
func (s *Store) RiskEvent(ctx context.Context, q Q, spaceID int64, urn string, lock bool) (vendorrisk.RiskEvent, error) {
	suffix := ""
	if lock {
		suffix = s.ForUpdate()
	}
	ev, found, err := s.oneRiskEvent(ctx, q, `SELECT doc FROM risk_events WHERE space_id = $1 AND urn = $2`+suffix, spaceID, urn)
	if err == nil && !found {
		err = errs.NotFoundf("risk event %s not found", urn)
	}
	return ev, err
}

// ObservedRiskEvent returns the event made from an upstream item, found by
// its upsert key, and whether there is one. With lock, on PostgreSQL, the
// row stays locked until the transaction ends.
func (s *Store) ObservedRiskEvent(ctx context.Context, q Q, spaceID int64, vendorURN string, st vendorrisk.SourceType, externalID string, lock bool) (vendorrisk.RiskEvent, bool, error) {
	suffix := ""
	if lock {
		suffix = s.ForUpdate()
	}
	return s.oneRiskEvent(ctx, q, `SELECT doc FROM risk_events
		WHERE space_id = $1 AND vendor_urn = $2 AND source_type = $3 AND external_id = $4`+suffix,
		spaceID, vendorURN, string(st), externalID)
}

func (s *Store) oneRiskEvent(ctx context.Context, q Q, query string, args ...any) (vendorrisk.RiskEvent, bool, error) {
	var doc []byte
	err := q.QueryRowContext(ctx, query, args...).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return vendorrisk.RiskEvent{}, false, nil
	}
	if err != nil {
		return vendorrisk.RiskEvent{}, false, err
	}
	ev, err := decodeEvent(doc)
	return ev, err == nil, err
}

// decodeEvent decodes a stored risk event: vendorrisk.DecodeEvent takes
// what the store writes, encoding/json anything else.
func decodeEvent(doc []byte) (vendorrisk.RiskEvent, error) {
	if ev, ok := vendorrisk.DecodeEvent(doc); ok {
		return ev, nil
	}
	var ev vendorrisk.RiskEvent
	if err := json.Unmarshal(doc, &ev); err != nil {
		return ev, fmt.Errorf("stored risk event: %w", err)
	}
	return ev, nil
}

// RiskEventFilter selects risk events for a list, oldest first. Empty
// fields do not filter.
type RiskEventFilter struct {
	VendorURN    string
	MinLevel     vendorrisk.RiskLevel // the level and every more severe one
	ReviewStatus vendorrisk.ReviewStatus
	SourceType   vendorrisk.SourceType
	AfterURN     string // cursor: only events after this one
	Limit        int
}

// withVendor selects events (a row source p with urn, vendor_urn and doc)
// with the vendor summary every response embeds, in URN order.
func withVendor(events string) string {
	return `SELECT p.doc, v.name, v.description, v.created_at FROM (` + events + `) p
		JOIN vendors v ON v.space_id = $1 AND v.urn = p.vendor_urn ORDER BY p.urn`
}

// RiskEventView returns a risk event of the space as the API shows it.
func (s *Store) RiskEventView(ctx context.Context, q Q, spaceID int64, urn string) (vendorrisk.RiskEventResponse, error) {
	rows, err := q.QueryContext(ctx, withVendor(`SELECT urn, vendor_urn, doc FROM risk_events WHERE space_id = $1 AND urn = $2`), spaceID, urn)
	if err != nil {
		return vendorrisk.RiskEventResponse{}, err
	}
	list, err := scanRiskEventViews(rows, 1)
	if err != nil {
		return vendorrisk.RiskEventResponse{}, err
	}
	if len(list) == 0 {
		return vendorrisk.RiskEventResponse{}, errs.NotFoundf("risk event %s not found", urn)
	}
	return list[0], nil
}

// ListRiskEvents returns up to f.Limit events of the space, oldest first,
// as the API shows them. Pages are keyset pages: the next one starts after
// the last URN of this one, so it costs an index seek however deep it is.
//
// The page is chosen from risk_events alone and only then joined to its
// vendors. Written as one join, a planner that misjudges how many rows
// match (PostgreSQL before its first ANALYZE of a bulk-loaded table, say)
// may join every event and sort them all to keep fifty.
func (s *Store) ListRiskEvents(ctx context.Context, q Q, spaceID int64, f RiskEventFilter) ([]vendorrisk.RiskEventResponse, error) {
	where := []string{"space_id = $1"}
	args := []any{spaceID}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.AfterURN != "" {
		add("urn > $%d", f.AfterURN)
	}
	if f.VendorURN != "" {
		add("vendor_urn = $%d", f.VendorURN)
	}
	if f.ReviewStatus != "" {
		add("review_status = $%d", string(f.ReviewStatus))
	}
	if f.SourceType != "" {
		add("source_type = $%d", string(f.SourceType))
	}
	args = append(args, f.Limit)
	limit := fmt.Sprintf(" ORDER BY urn LIMIT $%d", len(args))
	page := func(where []string) string {
		return `SELECT urn, vendor_urn, doc FROM risk_events WHERE ` + strings.Join(where, " AND ") + limit
	}
	events := page(where)
	if lowest := f.MinLevel.Rank(); lowest > vendorrisk.LevelUnassigned.Rank() {
		// A threshold is a range of ranks, and a range cannot walk the
		// (space_id, level_rank, urn) index in URN order: a planner
		// without statistics (SQLite is never analysed) scans and sorts
		// every matching row. One page per rank, each an index seek in URN
		// order, merged and cut to the limit, costs the same for a rare
		// level as for a common one.
		branches := make([]string, 0, vendorrisk.LevelCritical.Rank()-lowest+1)
		for rank := lowest; rank <= vendorrisk.LevelCritical.Rank(); rank++ {
			branch := page(append(slices.Clone(where), fmt.Sprintf("level_rank = %d", rank)))
			branches = append(branches, fmt.Sprintf("SELECT * FROM (%s) r%d", branch, rank))
		}
		events = strings.Join(branches, " UNION ALL ") + limit
	}
	rows, err := q.QueryContext(ctx, withVendor(events), args...)
	if err != nil {
		return nil, err
	}
	return scanRiskEventViews(rows, f.Limit)
}

func scanRiskEventViews(rows *sql.Rows, capacity int) ([]vendorrisk.RiskEventResponse, error) {
	defer rows.Close()
	out := make([]vendorrisk.RiskEventResponse, 0, capacity)
	for rows.Next() {
		var (
			doc     []byte
			created string
			v       vendorrisk.VendorSummary
		)
		if err := rows.Scan(&doc, &v.Name, &v.Description, &created); err != nil {
			return nil, err
		}
		ev, err := decodeEvent(doc)
		if err != nil {
			return nil, err
		}
		if v.CreatedAt, err = ParseT(created); err != nil {
			return nil, err
		}
		v.URN = ev.VendorURN
		out = append(out, ev.Response(v))
	}
	return out, rows.Err()
}

// AppendRiskEventHistory records a change of an event's status or level: a
// reviewer's triage, or a recommendation that set the level.
func (s *Store) AppendRiskEventHistory(ctx context.Context, q Q, spaceID int64, eventURN string, h vendorrisk.HistoryEntry) error {
	_, err := q.ExecContext(ctx, `INSERT INTO risk_event_history
		(space_id, event_urn, at, actor_id, from_status, to_status, from_level, to_level, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		spaceID, eventURN, T(h.At), h.ActorID, string(h.FromStatus), string(h.ToStatus), string(h.FromLevel), string(h.ToLevel), h.Note)
	if err != nil {
		return fmt.Errorf("insert risk event history: %w", err)
	}
	return nil
}

// RiskEventHistory returns an event's changes, oldest first.
func (s *Store) RiskEventHistory(ctx context.Context, q Q, spaceID int64, eventURN string) ([]vendorrisk.HistoryEntry, error) {
	rows, err := q.QueryContext(ctx, `SELECT at, actor_id, from_status, to_status, from_level, to_level, note
		FROM risk_event_history WHERE space_id = $1 AND event_urn = $2 ORDER BY id`, spaceID, eventURN)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []vendorrisk.HistoryEntry{}
	for rows.Next() {
		var (
			h                                    vendorrisk.HistoryEntry
			at, fromStatus, toStatus, fromL, toL string
		)
		if err := rows.Scan(&at, &h.ActorID, &fromStatus, &toStatus, &fromL, &toL, &h.Note); err != nil {
			return nil, err
		}
		var err error
		if h.At, err = ParseT(at); err != nil {
			return nil, err
		}
		h.FromStatus, h.ToStatus = vendorrisk.ReviewStatus(fromStatus), vendorrisk.ReviewStatus(toStatus)
		h.FromLevel, h.ToLevel = vendorrisk.RiskLevel(fromL), vendorrisk.RiskLevel(toL)
		out = append(out, h)
	}
	return out, rows.Err()
}

// VendorSource is an upstream source of a vendor's risk events and the
// outcome of its last poll.
type VendorSource struct {
	ID        int64
	SpaceID   int64
	VendorURN string
	Type      vendorrisk.SourceType
	URL       string
	// Keywords filter NEWS items; nil means the built-in keyword phrases.
	Keywords     []string
	CreatedAt    time.Time
	LastPolledAt *time.Time // the last attempt, successful or not
	LastError    string     // empty when the last attempt succeeded
	// RetryAt is when the upstream, answering 429 or 503 with Retry-After,
	// allows the next request; nil when it asked for nothing.
	RetryAt *time.Time
}

const vendorSourceColumns = `id, space_id, vendor_urn, type, url, keywords, created_at, last_polled_at, last_error, retry_at`

// InsertVendorSource stores a new source and returns it with its id. The
// same URL twice for one vendor and type is a conflict.
func (s *Store) InsertVendorSource(ctx context.Context, q Q, spaceID int64, src VendorSource) (VendorSource, error) {
	var keywords any
	if src.Keywords != nil {
		b, err := json.Marshal(src.Keywords)
		if err != nil {
			return src, err
		}
		keywords = string(b)
	}
	err := q.QueryRowContext(ctx, `INSERT INTO vendor_sources (space_id, vendor_urn, type, url, keywords, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		spaceID, src.VendorURN, string(src.Type), src.URL, keywords, T(src.CreatedAt)).Scan(&src.ID)
	if IsUniqueViolation(err) {
		return src, errs.Conflictf("vendor %s already has a %s source for %s", src.VendorURN, src.Type, src.URL)
	}
	if err != nil {
		return src, fmt.Errorf("insert vendor source: %w", err)
	}
	src.SpaceID = spaceID
	return src, nil
}

// GetVendorSource returns one source of a vendor of the space.
func (s *Store) GetVendorSource(ctx context.Context, q Q, spaceID int64, vendorURN string, id int64) (VendorSource, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+vendorSourceColumns+` FROM vendor_sources
		WHERE space_id = $1 AND vendor_urn = $2 AND id = $3`, spaceID, vendorURN, id)
	if err != nil {
		return VendorSource{}, err
	}
	list, err := scanVendorSources(rows)
	if err != nil {
		return VendorSource{}, err
	}
	if len(list) == 0 {
		return VendorSource{}, errs.NotFoundf("vendor %s has no source %d", vendorURN, id)
	}
	return list[0], nil
}

// VendorSources returns a vendor's sources, oldest first.
func (s *Store) VendorSources(ctx context.Context, q Q, spaceID int64, vendorURN string) ([]VendorSource, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+vendorSourceColumns+` FROM vendor_sources
		WHERE space_id = $1 AND vendor_urn = $2 ORDER BY id`, spaceID, vendorURN)
	if err != nil {
		return nil, err
	}
	return scanVendorSources(rows)
}

// RecordVendorSourcePoll stores the outcome of a poll attempt at time at:
// lastError is empty on success; retryAt is when the upstream allows the
// next request, nil when it asked for nothing.
func (s *Store) RecordVendorSourcePoll(ctx context.Context, q Q, spaceID, id int64, at time.Time, lastError string, retryAt *time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE vendor_sources SET last_polled_at = $3, last_error = $4, retry_at = $5
		WHERE space_id = $1 AND id = $2`, spaceID, id, T(at), nullStr(lastError), NullT(retryAt))
	return err
}

// DueVendorSources returns the sources of EVERY space that may be polled at
// now: all but those whose upstream asked to be left alone until later.
//
// It is the one vendor query without a space: the periodic poll is a system
// job (space 0) that fans out to one poll job per source, each in the
// source's own space, where it runs, fails and is shown like any job of
// that space. Nothing else may call it on behalf of a request.
func (s *Store) DueVendorSources(ctx context.Context, q Q, now time.Time) ([]VendorSource, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+vendorSourceColumns+` FROM vendor_sources
		WHERE retry_at IS NULL OR retry_at <= $1 ORDER BY id`, T(now))
	if err != nil {
		return nil, err
	}
	return scanVendorSources(rows)
}

func scanVendorSources(rows *sql.Rows) ([]VendorSource, error) {
	defer rows.Close()
	out := []VendorSource{}
	for rows.Next() {
		var (
			src                                  VendorSource
			typ, created                         string
			keywords, polled, lastError, retryAt sql.NullString
		)
		if err := rows.Scan(&src.ID, &src.SpaceID, &src.VendorURN, &typ, &src.URL, &keywords, &created, &polled, &lastError, &retryAt); err != nil {
			return nil, err
		}
		src.Type = vendorrisk.SourceType(typ)
		if keywords.Valid {
			if err := json.Unmarshal([]byte(keywords.String), &src.Keywords); err != nil {
				return nil, fmt.Errorf("stored vendor source %d keywords: %w", src.ID, err)
			}
		}
		src.LastError = lastError.String
		var err error
		if src.CreatedAt, err = ParseT(created); err != nil {
			return nil, err
		}
		if src.LastPolledAt, err = parseNullT(polled); err != nil {
			return nil, err
		}
		if src.RetryAt, err = parseNullT(retryAt); err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	return out, rows.Err()
}
