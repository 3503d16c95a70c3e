package store

import (
	"context"
	"fmt"
	"sync"
)

// GroupTx runs fn in a transaction like Tx, but on SQLite it may share the
// transaction, and so the commit's fsync, with other GroupTx calls waiting at
// the same moment. Each fn runs inside its own savepoint, so one failing fn
// rolls back only its own writes. It returns once the shared commit is
// durable. Use it on hot write paths (inline text-risk jobs); on PostgreSQL,
// where commits from many connections already overlap, it is plain Tx.
func (s *Store) GroupTx(ctx context.Context, fn func(tx Q) error) error {
	if s.dialect != SQLite {
		return s.Tx(ctx, fn)
	}
	s.groupOnce.Do(func() {
		s.group = make(chan *groupOp, 1024)
		go s.groupCommitLoop()
	})
	op := &groupOp{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.group <- op:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-op.done
}

type groupOp struct {
	ctx  context.Context
	fn   func(tx Q) error
	done chan error
}

// groupState is embedded in Store.
type groupState struct {
	groupOnce sync.Once
	group     chan *groupOp
}

// maxGroup bounds one shared transaction so a burst does not delay the
// first caller's commit for long.
const maxGroup = 256

func (s *Store) groupCommitLoop() {
	batch := make([]*groupOp, 0, maxGroup)
	for first := range s.group {
		batch = append(batch[:0], first)
	drain:
		for len(batch) < maxGroup {
			select {
			case op := <-s.group:
				batch = append(batch, op)
			default:
				break drain
			}
		}
		s.commitGroup(batch)
	}
}

func (s *Store) commitGroup(batch []*groupOp) {
	results := make([]error, len(batch))
	err := s.tx(context.Background(), func(tx Q) error {
		for i, op := range batch {
			if err := op.ctx.Err(); err != nil {
				results[i] = err
				continue
			}
			if _, err := tx.ExecContext(op.ctx, "SAVEPOINT g"); err != nil {
				return fmt.Errorf("savepoint: %w", err)
			}
			if err := op.fn(tx); err != nil {
				results[i] = err
				if _, rerr := tx.ExecContext(context.Background(), "ROLLBACK TO g"); rerr != nil {
					return fmt.Errorf("rollback to savepoint: %w", rerr)
				}
			}
			if _, err := tx.ExecContext(context.Background(), "RELEASE g"); err != nil {
				return fmt.Errorf("release savepoint: %w", err)
			}
		}
		return nil
	})
	for i, op := range batch {
		if err != nil {
			op.done <- err // the whole transaction failed: nothing was written
			continue
		}
		op.done <- results[i]
	}
}
