package store_test

import (
	"context"
	"database/sql"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskd/riskd/internal/audit"
	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/riskmodel"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/store/storetest"
)

// The fixtures are databases written by release 0.1.0 (migrations 1–3:
// spaces, tokens, audit log, jobs, idempotency keys, rate limits, risk
// models) holding a token, a risk model with two versions and an audit
// chain. RISKD_WRITE_UPGRADE_FIXTURES=1 rewrites them (SQLite file, and a
// plain-SQL dump of the PostgreSQL schema when RISKD_TEST_POSTGRES_URL is set).
const (
	fixtureSQLite   = "testdata/upgrade/v0.1.0.sqlite"
	fixturePostgres = "testdata/upgrade/v0.1.0.postgres.sql"
	fixtureVersion  = 3
	fixtureModelID  = "01a20600-0000-7000-8000-000000000001"
)

func TestWriteUpgradeFixtures(t *testing.T) {
	if os.Getenv("RISKD_WRITE_UPGRADE_FIXTURES") == "" {
		t.Skip("set RISKD_WRITE_UPGRADE_FIXTURES=1 to rewrite the 0.1.0 fixtures")
	}
	ctx := context.Background()
	path, _ := filepath.Abs(fixtureSQLite)
	_ = os.Remove(path)
	s, err := store.Open(ctx, "sqlite://"+path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fillFixture(t, s)
	// One file, no WAL beside it.
	if _, err := s.Writer().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_ = os.Remove(path + "-wal")
	_ = os.Remove(path + "-shm")

	if base := os.Getenv(storetest.EnvPostgres); base != "" {
		u := storetest.NewSchemaURL(t, base)
		pg, err := store.Open(ctx, u, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer pg.Close()
		fillFixture(t, pg)
		parsed, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		schema := parsed.Query().Get("search_path")
		cmd := exec.Command("pg_dump", "--no-owner", "--no-privileges", "--inserts", "--schema="+schema, strings.Split(base, "?")[0])
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("pg_dump: %v", err)
		}
		dump := strings.ReplaceAll(string(out), schema+".", "")
		dump = strings.ReplaceAll(dump, "CREATE SCHEMA "+schema+";", "")
		dump = strings.ReplaceAll(dump, schema, "riskd") // only comments still name it
		var keep []string
		for _, l := range strings.Split(dump, "\n") {
			if strings.HasPrefix(l, "SELECT pg_catalog.set_config('search_path'") || strings.HasPrefix(l, "\\") {
				continue
			}
			keep = append(keep, l)
		}
		if err := os.WriteFile(fixturePostgres, []byte(strings.Join(keep, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func fillFixture(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	if err := s.MigrateTo(ctx, fixtureVersion); err != nil {
		t.Fatal(err)
	}
	err := s.Tx(ctx, func(tx store.Q) error {
		if err := s.InsertToken(ctx, tx, store.Token{ID: "01a20600-0000-7000-8000-0000000000aa", Space: auth.Space{ID: 1, Slug: "default"},
			Name: "fixture", Role: auth.Admin, Hash: auth.HashToken("rk_fixturefixturefixturefixturefixturefixturefi"), CreatedAt: t0}); err != nil {
			return err
		}
		m := riskmodel.BuiltinAISystemRisk(t0, "fixture")
		m.ID = fixtureModelID
		if err := s.InsertRiskModel(ctx, tx, 1, m, ""); err != nil {
			return err
		}
		v2, err := riskmodel.NewVersion(m, riskmodel.Input{Name: map[string]string{"en": "v2"}, NumberOfDimensions: 3, NumberOfScales: 5, Dimensions: m.Dimensions}, t0, "fixture")
		if err != nil {
			return err
		}
		if err := s.InsertRiskModelVersion(ctx, tx, 1, v2); err != nil {
			return err
		}
		for _, action := range []string{"token.create", "riskmodel.create", "riskmodel.version"} {
			if _, err := s.AppendAudit(ctx, tx, auditEvent(action)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUpgradeFromPreviousRelease migrates the 0.1.0 databases forward and
// checks that nothing was lost.
func TestUpgradeFromPreviousRelease(t *testing.T) {
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "old.db")
		copyFile(t, fixtureSQLite, dst)
		s, err := store.Open(ctx, "sqlite://"+dst, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		checkUpgrade(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv(storetest.EnvPostgres)
		if base == "" {
			t.Skip("PostgreSQL parity test skipped: set " + storetest.EnvPostgres)
		}
		u := storetest.NewSchemaURL(t, base)
		dump, err := os.ReadFile(fixturePostgres)
		if err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("pgx", u)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, string(dump)); err != nil {
			t.Fatalf("load dump: %v", err)
		}
		s, err := store.Open(ctx, u, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		checkUpgrade(t, s)
	})
}

func checkUpgrade(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate forward: %v", err)
	}
	if err := s.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	p, _, err := s.PrincipalByTokenHash(ctx, s.Reader(), auth.HashToken("rk_fixturefixturefixturefixturefixturefixturefi"))
	if err != nil || p.Name != "fixture" || p.Role != auth.Admin {
		t.Fatalf("token after upgrade: %+v %v", p, err)
	}
	versions, err := s.RiskModelVersions(ctx, s.Reader(), 1, fixtureModelID)
	if err != nil || len(versions) != 2 || versions[0].Name["en"] != "v2" {
		t.Fatalf("risk model after upgrade: %d versions, %v", len(versions), err)
	}
	if n, err := s.VerifyAudit(ctx, s.Reader()); err != nil || n != 3 {
		t.Fatalf("audit after upgrade: %d events, %v", n, err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
}

func auditEvent(action string) audit.Event {
	return audit.Event{SpaceID: 1, ActorID: "fixture", Action: action, ResourceType: "fixture", ResourceID: "1", At: t0, StateHash: "h"}
}
