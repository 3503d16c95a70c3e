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
