package main

import (
	"context"
	"fmt"
	"io"
)

// runRules checks every rule's own examples: texts that must fire and texts
// that must not.
func runRules(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "test" {
		fmt.Fprintln(stderr, "Usage: riskd rules test [DIR]\n\nRuns the examples of the built-in rules, plus those of the packs in DIR, and exits 1 if any misbehaves.")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	fs := newFlags("rules test", "rules test [DIR]", stderr)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	dir := fs.Arg(0)
	engine, err := loadEngine(dir)
	if err != nil {
		return err
	}
	failures := engine.CheckExamples()
	for _, f := range failures {
		fmt.Fprintln(stdout, f.String())
	}
	rules := len(engine.Rules())
	if len(failures) > 0 {
		return fmt.Errorf("%d example(s) of %d rules misbehave", len(failures), rules)
	}
	fmt.Fprintf(stdout, "%d rules, all examples pass (%s)\n", rules, engine.PackVersion())
	return nil
}
