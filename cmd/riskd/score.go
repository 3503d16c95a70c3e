package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/riskd/riskd/internal/textrisk"
	"github.com/riskd/riskd/internal/usecase"
)

// loadEngine builds the text engine from the built-in packs plus, when dir
// is set, the operator's packs, which add rules or override them by id.
func loadEngine(dir string) (*textrisk.Engine, error) {
	if dir == "" {
		return textrisk.Default()
	}
	packs, err := textrisk.Builtin()
	if err != nil {
		return nil, err
	}
	extra, err := textrisk.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("rule packs in %s: %w", dir, err)
	}
	engine, err := textrisk.New(append(packs, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("rule packs in %s: %w", dir, err)
	}
	return engine, nil
}

// runScore scores text offline, without a server or database.
func runScore(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("score", "score --scenario S [--json] [--rules DIR] [TEXT | -]", stderr)
	scenario := fs.String("scenario", "generic", "marketing_asset, dispute, debt_collection, complaint or generic")
	asJSON := fs.Bool("json", false, "print the screen analysis result as JSON")
	rules := fs.String("rules", "", "directory of extra rule packs")
	if err := parse(fs, args); err != nil {
		return err
	}
	sc, err := textrisk.ParseScenario(*scenario)
	if err != nil {
		fmt.Fprintf(stderr, "riskd score: --scenario: want one of %s\n", strings.Join(textrisk.Scenarios(), ", "))
		return errUsage
	}
	var text string
	switch rest := fs.Args(); {
	case len(rest) == 0 || (len(rest) == 1 && rest[0] == "-"):
		b, err := io.ReadAll(io.LimitReader(os.Stdin, 256<<10+1))
		if err != nil {
			return err
		}
		text = string(b)
	default:
		text = strings.Join(rest, " ")
	}
	if strings.TrimSpace(text) == "" {
		fmt.Fprintln(stderr, "riskd score: no text: pass it as arguments or on standard input")
		return errUsage
	}
	if len(text) > 256<<10 {
		return errors.New("text is larger than 256 KiB")
	}
	engine, err := loadEngine(*rules)
	if err != nil {
		return err
	}
	res := engine.Analyze(text, sc)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(usecase.NewScreenResult(res))
	}
	fmt.Fprintf(stdout, "score %d (%s), scenario %s, rules %s\n", res.RiskScore, res.Band, sc, res.PackVersion)
	for _, f := range res.Findings {
		fmt.Fprintf(stdout, "\n[%s] %s (rule %s, weight %.2f)\n  %s\n", f.Priority, f.Title, f.RuleID, f.Weight, f.Details)
		for _, c := range f.Citations {
			fmt.Fprintf(stdout, "  cites %s: %s\n", c.Regulation.ID, c.Regulation.Title)
			for _, ch := range c.Chunks {
				fmt.Fprintf(stdout, "    bytes %d-%d: %q\n", ch.StartOffset, ch.EndOffset, ch.Text)
			}
		}
		if f.Remediation != "" {
			fmt.Fprintf(stdout, "  fix: %s\n", f.Remediation)
		}
	}
	if len(res.Findings) == 0 {
		fmt.Fprintln(stdout, "no findings")
	}
	return nil
}
