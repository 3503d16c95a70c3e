package store

import "context"

// MigrateTo applies migrations up to version; tests use it to build the
// databases of earlier releases.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}

// Waiting returns how many requests of key wait for the statement in
// flight on this node, in the batch that runs next.
func (l *SharedLimiter) Waiting(key string, perSecond int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if q := l.queues[limitKey{key, perSecond}]; q != nil && q.next != nil {
		return q.next.n
	}
	return 0
}

// ReadyJobQueries returns the claim's inner query, which takes $1 (now) and
// $3 (a limit), and the backlog query: both must read jobs_ready.
func (s *Store) ReadyJobQueries() (claim, backlog string) {
	return s.runnableJobs(), backlogQuery
}

// PruneJobsStatement returns PruneJobs' statement, which takes $1 (an id
// floor), $2 (a time), $3 (a limit) and $4 (an id to start after): it must
// read the primary key between the two ids.
func (s *Store) PruneJobsStatement() string { return s.pruneJobsSQL() }

// GroupRun runs fns as one group run that defers rows, as GroupTx makes
// on PostgreSQL when no member fails, and reports whether the run began a
// transaction. It returns the run's error as it is (errStaleHead too).
func (s *Store) GroupRun(ctx context.Context, fns ...func(Q) error) (began bool, err error) {
	batch := make([]*groupOp, len(fns))
	for i, fn := range fns {
		batch[i] = &groupOp{ctx: ctx, fn: fn}
	}
	err = s.runTx(ctx, true, func(tx *writeTx) error {
		_, err := runGroup(tx, batch, false, true)
		began = tx.Tx != nil
		return err
	})
	for _, op := range batch {
		if err == nil && op.err != nil {
			err = op.err
		}
	}
	return began, err
}

// RemembersHead reports whether a group run would chain space's events
// from the head this node remembers.
func (s *Store) RemembersHead(space int64) bool {
	_, ok := s.heads.get(space)
	return ok
}

// ErrStaleHead is errStaleHead.
var ErrStaleHead = errStaleHead
