package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/ids"
	"github.com/riskd/riskd/internal/metrics"
)

// Job statuses as stored. The API shows "queued" as "running": the job is
// accepted and not finished.
const (
	JobQueued    = "queued"
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
)

// readyJobs is the predicate of the partial index jobs_ready (migration
// 00011), written out as it is there: SQLite uses a partial index only for
// a query that repeats its WHERE term, and PostgreSQL cannot prove it from
// parameters in a generic plan.
const readyJobs = `status IN ('queued', 'running')`

// Job is a row of the job queue, which is also the API's job resource.
type Job struct {
	ID           string
	SpaceID      int64
	Type         string
	Status       string
	Args         json.RawMessage
	Result       json.RawMessage // nil until there is one
	ErrorCode    string
	ErrorMessage string
	Attempts     int
	MaxAttempts  int
	RunAt        time.Time
	LeaseUntil   *time.Time
	UniqueKey    string // optional: a second insert with the same key is dropped
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

const jobColumns = `id, space_id, type, status, args, result, error_code, error_message, attempts, max_attempts, run_at, lease_until, unique_key, created_at, updated_at`

// times formats j's run, creation and update times for the store, each
// of which an inline job has at the same instant: that one is formatted
// once.
func (j Job) times() (runAt, created, updated string) {
	created = T(j.CreatedAt)
	runAt, updated = created, created
	if !j.RunAt.Equal(j.CreatedAt) {
		runAt = T(j.RunAt)
	}
	if !j.UpdatedAt.Equal(j.CreatedAt) {
		updated = T(j.UpdatedAt)
	}
	return runAt, created, updated
}

// InsertJob adds a job. With a UniqueKey that already exists nothing is
// inserted and inserted is false. In a PostgreSQL group run a job without a
// UniqueKey is inserted at the end of the run (laterRows): inserted is true
// at once, and a failure to insert it reaches the caller as GroupTx's error.
func (s *Store) InsertJob(ctx context.Context, q Q, j Job) (inserted bool, err error) {
	if deferJob(q, j) {
		return true, nil // inserted at the end of the group run (laterRows)
	}
	var unique any
	if j.UniqueKey != "" {
		unique = j.UniqueKey
	}
	var result any
	if j.Result != nil {
		result = string(j.Result)
	}
	runAt, created, updated := j.times()
	// The conflict target names the predicate of a partial unique index
	// over keyed jobs, which a whole constraint satisfies as well: a later
	// migration can then make the index partial without breaking this
	// release's nodes during a rolling upgrade.
	res, err := q.ExecContext(ctx, `INSERT INTO jobs (`+jobColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, $12, $13, $14)
		ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL DO NOTHING`,
		j.ID, j.SpaceID, j.Type, j.Status, string(j.Args), result, nullStr(j.ErrorCode), nullStr(j.ErrorMessage),
		j.Attempts, j.MaxAttempts, runAt, unique, created, updated)
	if err != nil {
		return false, fmt.Errorf("insert job: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// GetJob returns a job of the space.
func (s *Store) GetJob(ctx context.Context, q Q, spaceID int64, id string) (Job, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE space_id = $1 AND id = $2`, spaceID, id)
	if err != nil {
		return Job{}, err
	}
	list, err := scanJobs(rows)
	if err != nil {
		return Job{}, err
	}
	if len(list) == 0 {
		return Job{}, errs.NotFoundf("job %s not found", id)
	}
	return list[0], nil
}

// JobFilter selects jobs of a space, newest first.
type JobFilter struct {
	Type     string
	Start    *time.Time // created at or after
	End      *time.Time // created before
	BeforeID string     // cursor: only jobs with a smaller id
	Limit    int
}

// ListJobs returns one page of jobs and the number of jobs matching the filter
// (ignoring the cursor).
func (s *Store) ListJobs(ctx context.Context, q Q, spaceID int64, f JobFilter) ([]Job, int, error) {
	where := []string{"space_id = $1"}
	args := []any{spaceID}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if f.Type != "" {
		add("type = ?", f.Type)
	}
	if f.Start != nil {
		add("created_at >= ?", T(*f.Start))
	}
	if f.End != nil {
		add("created_at < ?", T(*f.End))
	}
	var total int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE `+strings.Join(where, " AND "), args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.BeforeID != "" {
		add("id < ?", f.BeforeID)
	}
	args = append(args, f.Limit)
	rows, err := q.QueryContext(ctx, fmt.Sprintf(`SELECT `+jobColumns+` FROM jobs WHERE %s ORDER BY id DESC LIMIT $%d`, strings.Join(where, " AND "), len(args)), args...)
	if err != nil {
		return nil, 0, err
	}
	list, err := scanJobs(rows)
	return list, total, err
}

// ClaimJobs marks up to limit runnable jobs running for this worker until
// leaseUntil and returns them. Runnable means queued and due, or running with
// an expired lease (its worker died): that is how jobs resume after a crash.
// On PostgreSQL, SKIP LOCKED lets several nodes claim without blocking.
func (s *Store) ClaimJobs(ctx context.Context, q Q, now, leaseUntil time.Time, limit int) ([]Job, error) {
	rows, err := q.QueryContext(ctx, `UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = $2, updated_at = $1
		WHERE id IN (`+s.runnableJobs()+`)
		RETURNING `+jobColumns, T(now), T(leaseUntil), limit)
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	return scanJobs(rows)
}

// runnableJobs selects the ids of up to $3 jobs runnable at $1.
func (s *Store) runnableJobs() string {
	return `SELECT id FROM jobs
		WHERE ` + readyJobs + ` AND ((status = 'queued' AND run_at <= $1) OR (status = 'running' AND lease_until < $1))
		ORDER BY run_at LIMIT $3` + s.skipLocked()
}

// skipLocked ends a selection of job rows to update or delete: on
// PostgreSQL it locks them and passes over rows another node holds, so that
// nodes working the queue at once do not wait for each other; SQLite has
// one writer and no row locks.
func (s *Store) skipLocked() string {
	if s.dialect == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// ExtendLease keeps a long job claimed by this worker.
func (s *Store) ExtendLease(ctx context.Context, q Q, id string, attempts int, until time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE jobs SET lease_until = $3 WHERE id = $1 AND attempts = $2 AND status = 'running'`, id, attempts, T(until))
	return err
}

// SaveJobProgress stores an intermediate result of a running job.
func (s *Store) SaveJobProgress(ctx context.Context, q Q, id string, result json.RawMessage, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE jobs SET result = $2, updated_at = $3 WHERE id = $1 AND status = 'running'`, id, string(result), T(now))
	return err
}

// FinishJob records a job's outcome. attempts guards against a worker whose
// lease expired finishing a job that another worker has claimed since.
func (s *Store) FinishJob(ctx context.Context, q Q, j Job) error {
	var result any
	if j.Result != nil {
		result = string(j.Result)
	}
	res, err := q.ExecContext(ctx, `UPDATE jobs SET status = $3, result = $4, error_code = $5, error_message = $6, run_at = $7, lease_until = NULL, updated_at = $8
		WHERE id = $1 AND attempts = $2 AND status = 'running'`,
		j.ID, j.Attempts, j.Status, result, nullStr(j.ErrorCode), nullStr(j.ErrorMessage), T(j.RunAt), T(j.UpdatedAt))
	if err != nil {
		return fmt.Errorf("finish job %s: %w", j.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("finish job %s: lease lost to another worker", j.ID)
	}
	return nil
}

func scanJobs(rows *sql.Rows) ([]Job, error) {
	defer rows.Close()
	var out []Job
	for rows.Next() {
		var (
			j                         Job
			args                      string
			result, code, msg, unique sql.NullString
			runAt, created, updated   string
			lease                     sql.NullString
		)
		if err := rows.Scan(&j.ID, &j.SpaceID, &j.Type, &j.Status, &args, &result, &code, &msg, &j.Attempts, &j.MaxAttempts,
			&runAt, &lease, &unique, &created, &updated); err != nil {
			return nil, err
		}
		j.Args = json.RawMessage(args)
		if result.Valid {
			j.Result = json.RawMessage(result.String)
		}
		j.ErrorCode, j.ErrorMessage, j.UniqueKey = code.String, msg.String, unique.String
		var err error
		if j.RunAt, err = ParseT(runAt); err != nil {
			return nil, err
		}
		if j.CreatedAt, err = ParseT(created); err != nil {
			return nil, err
		}
		if j.UpdatedAt, err = ParseT(updated); err != nil {
			return nil, err
		}
		if j.LeaseUntil, err = parseNullT(lease); err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// pruneJobsSQL deletes up to $3 finished jobs last updated before $2 whose
// ids lie above $4, in id order (oldest first), and returns their ids. It
// reads the primary key from $4 up to $1, the job id floor of $2's
// millisecond (ids.JobIDFloor): a job's id carries its creation time, which
// is not after its update (but for clock skew between nodes, which only
// delays a deletion), so every such job lies below the floor but those of
// $2's own millisecond, which the next run takes. Without that bound the
// query would need an index of finished jobs by time, an entry more for
// every inline job. The lower bound matters on PostgreSQL, whose index
// keeps a deleted row's entry until VACUUM: without it every batch would
// walk again over every entry the earlier batches of the run deleted.
func (s *Store) pruneJobsSQL() string {
	return `DELETE FROM jobs WHERE id IN (SELECT id FROM jobs
		WHERE id > $4 AND id < $1 AND status IN ('succeeded', 'failed') AND updated_at < $2
		ORDER BY id LIMIT $3` + s.skipLocked() + `) RETURNING id`
}

// PruneJobs deletes up to limit finished jobs (succeeded or failed) last
// updated before cutoff whose ids sort above after, oldest first, and
// returns how many it deleted and the largest of their ids. Queued and
// running jobs are never deleted. A pruning run deletes in batches, so that
// no one statement holds the writer long, each starting after the last id
// of the one before ("" for the first).
//
// Unlike the other writes it takes no executor: a batch is a transaction of
// its own, which on PostgreSQL commits without waiting for the WAL to reach
// the disk (the flush dominated a batch), and no other write may share that.
// A crash may undo the last batches of a run; the next run deletes them
// again, and nothing else depends on a deletion. On an error nothing is
// deleted.
func (s *Store) PruneJobs(ctx context.Context, cutoff time.Time, after string, limit int) (n int, last string, err error) {
	err = s.Tx(ctx, func(tx Q) error {
		n, last = 0, ""
		if s.dialect == Postgres {
			if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, s.pruneJobsSQL(), ids.JobIDFloor(cutoff), T(cutoff), limit, after)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			n++
			last = max(last, id)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, "", fmt.Errorf("prune jobs: %w", err)
	}
	return n, last, nil
}

const backlogQuery = `SELECT type, status, COUNT(*) FROM jobs WHERE ` + readyJobs + ` GROUP BY type, status ORDER BY type, status`

// JobBacklog counts the jobs queued or running, of every space, by type
// and status (jobs_ready's index holds them, so finished jobs are not read).
func (s *Store) JobBacklog(ctx context.Context, q Q) ([]metrics.JobCount, error) {
	rows, err := q.QueryContext(ctx, backlogQuery)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []metrics.JobCount
	for rows.Next() {
		var c metrics.JobCount
		if err := rows.Scan(&c.Type, &c.State, &c.Count); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
