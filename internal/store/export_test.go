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
