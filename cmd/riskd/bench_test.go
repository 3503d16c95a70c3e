package main

import (
	"strings"
	"testing"
)

func TestBenchCommandLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"help", []string{"bench", "--help"}, 0, "Usage: riskd bench"},
		{"help names the scenarios", []string{"bench", "--help"}, 0, "submit, job-get"},
		{"unknown scenario", []string{"bench", "--scenarios", "submit,nope"}, 2, `unknown scenario "nope"`},
		{"no duration", []string{"bench", "--duration", "0s"}, 2, "duration"},
		{"no clients", []string{"bench", "--concurrency", "0"}, 2, "concurrency"},
		{"not a postgres URL", []string{"bench", "--postgres", "mysql://db"}, 2, "postgres://"},
		{"unknown flag", []string{"bench", "--nope"}, 2, "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := cli(t, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Fatalf("riskd %v = %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
			}
		})
	}
}

func TestBenchCommandRedactsThePassword(t *testing.T) {
	fs := newFlags("bench", "bench", nil)
	fs.String("postgres", "", "")
	fs.Duration("duration", 0, "")
	if err := fs.Parse([]string{"--postgres", "postgres://u:secret@127.0.0.1/db", "--duration", "5s"}); err != nil {
		t.Fatal(err)
	}
	got := benchCommand(fs)
	if strings.Contains(got, "secret") || got != "riskd bench --duration 5s --postgres postgres://u:xxxxx@127.0.0.1/db" {
		t.Fatalf("benchCommand = %q", got)
	}
}
