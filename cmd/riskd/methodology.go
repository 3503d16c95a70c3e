package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/riskd/riskd/internal/customer"
	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/usecase"
)

// runMethodology manages the customer risk methodology from the command
// line: importing an operator's country table as a new draft version.
func runMethodology(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "import-countries":
		return importCountries(ctx, args, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, "Usage: riskd methodology import-countries [--space SLUG] [--as-of DATE] [--db URL] FILE.csv\n\n"+
			"  import-countries  makes a new draft methodology version whose country table has the file's rows\n"+
			"                    (header country,cpi,fsi,fatf,oecd; factors 0-1, empty when the source has no score);\n"+
			"                    dry-run and activate it through the API (docs/customer-risk.md)")
		return nil
	}
	fmt.Fprintln(stderr, "Usage: riskd methodology import-countries [flags] FILE.csv (see riskd methodology --help)")
	return errUsage
}

func importCountries(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("methodology import-countries", "methodology import-countries [--space SLUG] [--as-of DATE] [--db URL] FILE.csv", stderr)
	db := dbFlag(fs)
	space := fs.String("space", "default", "the space whose methodology gets the new draft")
	asOf := fs.String("as-of", time.Now().UTC().Format("2006-01-02"), "the date of the imported figures, recorded as countries_as_of")
	if err := parse(fs, args); err != nil {
		return err
	}
	// Flags may also follow the file name.
	rest := fs.Args()
	if len(rest) == 0 {
		fmt.Fprintln(stderr, "riskd methodology import-countries: name the CSV file")
		return errUsage
	}
	file := rest[0]
	if err := parse(fs, rest[1:]); err != nil {
		return err
	}
	if len(fs.Args()) > 0 {
		fmt.Fprintf(stderr, "riskd methodology import-countries: one file at a time (also got %q)\n", fs.Args())
		return errUsage
	}

	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := customer.ParseCountriesCSV(f)
	if err != nil {
		var e *errs.Error
		if errors.As(err, &e) {
			for _, d := range e.Details {
				fmt.Fprintf(stderr, "%s: %s: %s\n", file, d.Field, d.Message)
			}
			return fmt.Errorf("%s: %d problem(s); nothing was imported", file, len(e.Details))
		}
		return fmt.Errorf("%s: %w", file, err)
	}

	st, err := openMigrated(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	sp, err := st.SpaceBySlug(ctx, st.Reader(), *space)
	if err != nil {
		return err
	}
	app, err := usecase.NewApp(st, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	mv, err := app.ImportCountries(ctx, sp.ID, usecase.SystemActor, rows, *asOf)
	if err != nil {
		return err
	}
	v := mv.Methodology.Version
	fmt.Fprintf(stdout, "imported %d countries from %s as draft methodology version %d of space %s (id %d), countries as of %s\n",
		len(rows), file, v, sp.Slug, sp.ID, *asOf)
	fmt.Fprintf(stdout, "next: POST /api/risk-methodology/%d/dry-run, then POST /api/risk-methodology/%d/activate (an admin)\n", v, v)
	return nil
}
