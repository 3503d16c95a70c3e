package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
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
	fs := newFlags("score", "score --scenario S [--json] [--rules DIR] [TEXT... | -]", stderr)
	scenario := fs.String("scenario", "", "required: marketing_asset, dispute, debt_collection, complaint or generic\n"+
		"(as in the API; rules differ per scenario, so there is no default)")
	asJSON := fs.Bool("json", false, "print the screen analysis result as JSON")
	rules := fs.String("rules", "", "directory of extra rule packs")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: riskd score --scenario S [--json] [--rules DIR] [TEXT... | -]

Scores TEXT (the words are joined with spaces) or, with - or no TEXT,
standard input. Flags may also follow the text; after -- everything is text.

Flags:
`)
		fs.PrintDefaults()
	}
	words, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *scenario == "" {
		fmt.Fprintf(stderr, "riskd score: --scenario is required: one of %s\n", strings.Join(textrisk.Scenarios(), ", "))
		return errUsage
	}
	sc, err := textrisk.ParseScenario(*scenario)
	if err != nil {
		fmt.Fprintf(stderr, "riskd score: --scenario: want one of %s\n", strings.Join(textrisk.Scenarios(), ", "))
		return errUsage
	}
	var text string
	switch {
	case len(words) == 0 || (len(words) == 1 && words[0] == "-"):
		b, err := io.ReadAll(io.LimitReader(os.Stdin, 256<<10+1))
		if err != nil {
			return err
		}
		text = string(b)
	default:
		text = strings.Join(words, " ")
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

// parseInterspersed parses flags wherever they stand among the positional
// arguments (the flag package stops at the first one): it parses again after
// each positional argument and returns the positional ones in order.
// Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var words []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return words, nil
		}
		if i := len(args) - len(rest); i > 0 && args[i-1] == "--" {
			return append(words, rest...), nil
		}
		words = append(words, rest[0])
		args = rest[1:]
	}
}
