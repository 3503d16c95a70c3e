package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/usecase"
)

// env is one backend's run: a fresh database, the harness's own connection
// to it (for seeding), riskd serve on it, and a token.
type env struct {
	cfg     Config
	backend string
	st      *store.Store
	srv     *process
	space   auth.Space // the space the token belongs to, where seeded rows go
	actorID string     // the token's id, the author of seeded rows
	// header carries the token and the JSON content type; every request of
	// the run shares it.
	header  http.Header
	routes  map[string]bool // "METHOD /path/{}" of every operation in /openapi.json
	jobs    jobPool         // job ids the submit scenario created
	cleanup []func() error
}

// serveRateLimit is riskd serve's --rate-limit in the run: high enough that
// the limiter never answers 429, while it still runs on every write.
const serveRateLimit = "1000000"

func newEnv(ctx context.Context, cfg Config, backend string) (e *env, err error) {
	e = &env{cfg: cfg, backend: backend}
	defer func() {
		if err != nil {
			e.close()
			e = nil
		}
	}()
	var dbURL string
	if backend == "postgres" {
		dbURL, err = e.freshSchema(ctx, cfg.Postgres)
	} else {
		dbURL, err = e.freshSQLite()
	}
	if err != nil {
		return e, err
	}
	if e.st, err = store.Open(ctx, dbURL, store.Options{}); err != nil {
		return e, err
	}
	e.cleanup = append(e.cleanup, e.st.Close)
	if _, err = e.st.Migrate(ctx); err != nil {
		return e, err
	}
	// The token is made the way `riskd token create` makes it, before the
	// server starts, so the server's first start prints none.
	app, err := usecase.NewApp(e.st, slog.New(slog.DiscardHandler))
	if err != nil {
		return e, err
	}
	secret, tok, err := app.CreateToken(ctx, usecase.NewToken{SpaceSlug: "default", Role: auth.Admin, Name: "bench"})
	if err != nil {
		return e, err
	}
	e.space, e.actorID = tok.Space, tok.ID
	e.header = http.Header{"Authorization": {"Bearer " + secret}, "Content-Type": {"application/json"}}

	args := []string{"serve", "--db", dbURL, "--addr", "127.0.0.1:0", "--rate-limit", serveRateLimit, "--log-level", "warn"}
	if cfg.Profile {
		args = append(args, "--debug-addr", "127.0.0.1:0")
	}
	e.srv, err = startProcess(ctx, filepath.Join(cfg.OutDir, "riskd-"+backend+".log"), cfg.Binary, args...)
	if err != nil {
		return e, err
	}
	e.cleanup = append(e.cleanup, e.srv.stop)
	e.routes, err = e.fetchRoutes(ctx)
	return e, err
}

// close stops the server, then removes the database, in reverse order of
// creation.
func (e *env) close() {
	for i := len(e.cleanup) - 1; i >= 0; i-- {
		if err := e.cleanup[i](); err != nil {
			e.cfg.logf("%s: cleaning up: %v", e.backend, err)
		}
	}
}

func (e *env) freshSQLite() (string, error) {
	dir, err := os.MkdirTemp("", "riskd-bench-")
	if err != nil {
		return "", err
	}
	e.cleanup = append(e.cleanup, func() error { return os.RemoveAll(dir) })
	return "sqlite://" + filepath.Join(dir, "riskd.db"), nil
}

// freshSchema creates a new schema in the database at base, dropped when
// the run ends, and returns a URL whose connections use it.
func (e *env) freshSchema(ctx context.Context, base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("--postgres: %w", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "riskd_bench_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		return "", fmt.Errorf("create schema in %s: %w", u.Redacted(), err)
	}
	e.cleanup = append(e.cleanup, func() error {
		_, err := admin.ExecContext(context.WithoutCancel(ctx), `DROP SCHEMA `+schema+` CASCADE`)
		return errors.Join(err, admin.Close())
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// pathParam matches a path parameter, whatever a family names it.
var pathParam = regexp.MustCompile(`\{[^}]*\}`)

// routeKey is an operation as "METHOD /path/{}", so a scenario finds its
// route however the family names the path's parameters.
func routeKey(op string) string { return strings.ToUpper(pathParam.ReplaceAllString(op, "{}")) }

func (e *env) hasRoute(op string) bool { return e.routes[routeKey(op)] }

// fetchRoutes reads the running server's OpenAPI document: a family that is
// not in this build has no operations there.
func (e *env) fetchRoutes(ctx context.Context) (map[string]bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.base+"/openapi.json", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read /openapi.json: status %d, %v", resp.StatusCode, err)
	}
	routes := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			routes[routeKey(method+" "+path)] = true
		}
	}
	return routes, nil
}
