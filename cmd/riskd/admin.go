package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"github.com/riskd/riskd/internal/auth"
	"github.com/riskd/riskd/internal/store"
	"github.com/riskd/riskd/internal/usecase"
)

// openMigrated opens the database and applies pending migrations, so every
// command works on a fresh database as well as an existing one.
func openMigrated(ctx context.Context, url string) (*store.Store, error) {
	st, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "migrate [--db URL]", stderr)
	db := dbFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := store.Open(ctx, *db, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	for _, a := range applied {
		fmt.Fprintf(stdout, "applied %s\n", a)
	}
	fmt.Fprintf(stdout, "%s is up to date (%d migrations applied now)\n", st.Target(), len(applied))
	return nil
}

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "create":
		return tokenCreate(ctx, args, stdout, stderr)
	case "list":
		return tokenList(ctx, args, stdout, stderr)
	case "revoke":
		return tokenRevoke(ctx, args, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, "Usage: riskd token create|list|revoke [flags]\n\n"+
			"  create  --space SLUG --role ROLE [--name NAME] [--rate-limit N]   prints the new token alone on the last line\n"+
			"  list    [--space SLUG]                                            lists tokens (never their secrets)\n"+
			"  revoke  --token T | --id ID                                       takes effect at once on every node")
		return nil
	}
	fmt.Fprintln(stderr, "Usage: riskd token create|list|revoke [flags] (see riskd token --help)")
	return errUsage
}

func tokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token create", "token create --space SLUG --role ROLE [--name NAME] [--rate-limit N] [--db URL]", stderr)
	db := dbFlag(fs)
	space := fs.String("space", "", "space slug; created when missing (required)")
	role := fs.String("role", "", "viewer, assessor, reviewer or admin (required)")
	name := fs.String("name", "", "a name to recognise the token by")
	rate := fs.Int("rate-limit", 0, "write requests per second for this token (0: the server's --rate-limit)")
	if err := parse(fs, args); err != nil {
		return err
	}
	r, err := auth.ParseRole(*role)
	if *space == "" || err != nil {
		fmt.Fprintln(stderr, "riskd token create: --space and --role (viewer, assessor, reviewer or admin) are required")
		return errUsage
	}
	st, err := openMigrated(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	app, err := usecase.NewApp(st, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	secret, t, err := app.CreateToken(ctx, usecase.NewToken{SpaceSlug: *space, Role: r, Name: *name, RateLimit: *rate})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s token %s (%q) in space %s (id %d)\n", t.Role, t.ID, t.Name, t.Space.Slug, t.Space.ID)
	fmt.Fprintln(stdout, secret)
	return nil
}

func tokenList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token list", "token list [--space SLUG] [--db URL]", stderr)
	db := dbFlag(fs)
	space := fs.String("space", "", "only this space")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openMigrated(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	var spaceID int64
	if *space != "" {
		sp, err := st.SpaceBySlug(ctx, st.Reader(), *space)
		if err != nil {
			return err
		}
		spaceID = sp.ID
	}
	list, err := st.Tokens(ctx, st.Reader(), spaceID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSPACE\tROLE\tNAME\tRATE\tCREATED\tREVOKED")
	for _, t := range list {
		revoked := "-"
		if t.RevokedAt != nil {
			revoked = t.RevokedAt.Format("2006-01-02T15:04:05Z")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", t.ID, t.Space.Slug, t.Role, t.Name, t.RateLimit, t.CreatedAt.Format("2006-01-02T15:04:05Z"), revoked)
	}
	return tw.Flush()
}

func tokenRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token revoke", "token revoke --token T | --id ID [--db URL]", stderr)
	db := dbFlag(fs)
	tok := fs.String("token", "", "the token's secret")
	id := fs.String("id", "", "the token's id (from riskd token list)")
	if err := parse(fs, args); err != nil {
		return err
	}
	key := *tok
	if key == "" {
		key = *id
	}
	if key == "" || (*tok != "" && *id != "") {
		fmt.Fprintln(stderr, "riskd token revoke: give exactly one of --token or --id")
		return errUsage
	}
	st, err := openMigrated(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	app, err := usecase.NewApp(st, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	revoked, err := app.RevokeToken(ctx, usecase.SystemActor, 0, key)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked token %s\n", revoked)
	return nil
}

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, "Usage: riskd audit verify [--db URL]\n\nChecks every space's hash chain; exits 1 naming the first broken link.")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	fs := newFlags("audit verify", "audit verify [--db URL]", stderr)
	db := dbFlag(fs)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	st, err := openMigrated(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.VerifyAudit(ctx, st.Reader())
	if err != nil {
		return fmt.Errorf("audit chain broken after %d good events: %w", n, err)
	}
	fmt.Fprintf(stdout, "audit log intact: %d events verified\n", n)
	return nil
}
