package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// provider builds the migration provider once per Store.
func (s *Store) provider() (*goose.Provider, error) {
	s.migOnce.Do(func() { s.mig, s.migErr = s.newProvider() })
	return s.mig, s.migErr
}

func (s *Store) newProvider() (*goose.Provider, error) {
	dir, err := fs.Sub(migrations, "migrations/"+string(s.dialect))
	if err != nil {
		return nil, err
	}
	var opts []goose.ProviderOption
	dialect := goose.DialectSQLite3
	if s.dialect == Postgres {
		dialect = goose.DialectPostgres
		// Several nodes may start at once: one migrates, the others wait.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, s.w, dir, opts...)
}

// Migrate applies every pending migration; each runs in its own transaction.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	p, err := s.provider()
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", s.target, err)
	}
	applied := make([]string, len(results))
	for i, r := range results {
		applied[i] = r.Source.Path
	}
	return applied, nil
}

// Ready reports an error unless the database answers and every migration
// this binary knows has been applied.
func (s *Store) Ready(ctx context.Context) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	// GetVersions takes no migration lock, so a node mid-migration does not
	// block the others' health checks.
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	if current < target {
		return fmt.Errorf("migrations pending: database at version %d, binary needs %d", current, target)
	}
	return nil
}
