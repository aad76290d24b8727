package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeSpec writes smallSpec to dir/name, for the service named after the
// file, and returns its path: files written by one test can be validated and
// generated together, as service and SLO names must be unique across them.
func writeSpec(t *testing.T, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	service := strings.TrimSuffix(name, filepath.Ext(name))
	data := strings.Replace(smallSpec, "service: shop\n", "service: "+service+"\n", 1)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFlagsAnywhere runs every command with flags before, after and between
// its arguments, in both -flag and --flag forms, with and without "=".
func TestFlagsAnywhere(t *testing.T) {
	dir := t.TempDir()
	spec := writeSpec(t, dir, "shop.yaml")
	spec2 := writeSpec(t, dir, "shop2.yaml")
	rules, tests := filepath.Join(dir, "rules.yml"), filepath.Join(dir, "rules.tests.yml")
	u := sloServer(t).URL + "/slo"
	for _, tc := range []struct {
		name string
		cliCase
		files []string // written by the command
	}{
		{"validate: --flag=value before", cliCase{[]string{"validate", "--q=false", spec}, exitOK, "shop.yaml: 1 SLOs", ""}, nil},
		{"generate: flags after the file", cliCase{[]string{"generate", spec, "-o", rules, "-tests", tests}, exitOK, "", ""}, []string{rules, tests}},
		{"generate: mixed forms", cliCase{[]string{"generate", "--method=ratio-average", spec, "--o", rules}, exitOK, "", ""}, []string{rules}},
		{"generate: -h after the file", cliCase{[]string{"generate", spec, "-h"}, exitOK, "", "usage: slo generate"}, nil},
		{"budget: --flag=value", cliCase{[]string{"budget", "--objective=99.9", "--window", "7d"}, exitOK, "99.9% over 7d", ""}, nil},
		{"budget: only the argument is unexpected", cliCase{[]string{"budget", "extra", "--objective", "99.9"}, exitUsage, "", `unexpected arguments ["extra"]`}, nil},
		{"gate: flags in both forms", cliCase{[]string{"gate", "--url=" + u, "-slo", "half", "--min-remaining", "40%"}, exitOK, "half", ""}, nil},
		{"gate: only the argument is unexpected", cliCase{[]string{"gate", "extra", "--url", u}, exitUsage, "", `unexpected arguments ["extra"]`}, nil},
		{"demo: only the argument is unexpected", cliCase{[]string{"demo", "extra", "--speed", "2"}, exitUsage, "", `unexpected arguments ["extra"]`}, nil},
		{"demo: --flag=value", cliCase{[]string{"demo", "--speed=0"}, exitUsage, "", "-speed must be positive"}, nil},
		{"version: -h after nothing", cliCase{[]string{"version", "--help"}, exitOK, "", "usage: slo version"}, nil},
		{"version: an argument before a flag", cliCase{[]string{"version", "x", "-h"}, exitOK, "", "usage: slo version"}, nil},
		{"help: a command", cliCase{[]string{"help", "gate"}, exitOK, "usage: slo gate", ""}, nil},
		{"help: a flag after the command", cliCase{[]string{"help", "gate", "-h"}, exitOK, "", "usage: slo help"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range tc.files {
				os.Remove(f)
			}
			tc.check(t)
			for _, f := range tc.files {
				if _, err := os.Stat(f); err != nil {
					t.Errorf("slo %q did not write %s: %v", tc.args, f, err)
				}
			}
		})
	}
	// -q after or between the files keeps validate quiet.
	for _, args := range [][]string{{"validate", spec, "-q"}, {"validate", spec, "--q", spec2}} {
		if code, out, errOut := cli(t, args...); code != exitOK || out != "" {
			t.Errorf("slo %q: code %d, stdout %q, stderr %q; want 0 and a quiet stdout", args, code, out, errOut)
		}
	}
}

// TestUnknownFlagIsOneLine: a flag a command does not know, anywhere on the
// line, gets one line naming it and pointing at the help, and exit 2.
func TestUnknownFlagIsOneLine(t *testing.T) {
	spec := writeSpec(t, t.TempDir(), "shop.yaml")
	for _, c := range commands() {
		for _, args := range [][]string{{"--nope"}, {spec, "-nope=1"}} {
			code, out, errOut := cli(t, append([]string{c.name}, args...)...)
			want := `slo ` + c.name + `: flag provided but not defined: -nope; see "slo help ` + c.name + `"` + "\n"
			if code != exitUsage || out != "" || errOut != want {
				t.Errorf("slo %s %q: code %d, stdout %q\nstderr %q\nwant %q", c.name, args, code, out, errOut, want)
			}
		}
	}
	for _, args := range [][]string{
		{"generate", "-o"},                        // no value
		{"budget", "-objective", "99", "-window"}, // no value after a valid flag
		{"gate", "-timeout", "soon"},              // a bad value
		{"deploy"},                                // not a command
		{"help", "deploy"},                        // not a command either
	} {
		code, _, errOut := cli(t, args...)
		if code != exitUsage || strings.Count(errOut, "\n") != 1 {
			t.Errorf("slo %q: code %d, want %d and one line:\n%s", args, code, exitUsage, errOut)
		}
	}
}

// TestMissingFileIsOneLine: a spec file that cannot be read gets one line
// naming it, and exit 2, before anything is loaded or written.
func TestMissingFileIsOneLine(t *testing.T) {
	dir := t.TempDir()
	spec := writeSpec(t, dir, "shop.yaml")
	missing := filepath.Join(dir, "missing.yaml")
	rules := filepath.Join(dir, "rules.yml")
	for _, args := range [][]string{
		{"validate", missing},
		{"validate", spec, missing},
		{"generate", spec, missing, "-o", rules},
		{"generate", dir},
		{"demo", "-spec", missing},
	} {
		code, out, errOut := cli(t, args...)
		if code != exitUsage || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "slo "+args[0]+": ") ||
			!(strings.Contains(errOut, missing+": no such file") || strings.Contains(errOut, dir+": is a directory")) {
			t.Errorf("slo %q: code %d, want %d and one line naming the file:\n%s", args, code, exitUsage, errOut)
		}
		if out != "" {
			t.Errorf("slo %q wrote %q", args, out)
		}
	}
	if _, err := os.Stat(rules); err == nil {
		t.Errorf("generate wrote %s although an input is missing", rules)
	}
}

// TestDoubleDashEndsFlags: after "--" every word is an argument, even one
// that starts with a dash.
func TestDoubleDashEndsFlags(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeSpec(t, dir, "-q")
	for _, tc := range []cliCase{
		{[]string{"validate", "--", "-q"}, exitOK, "-q: 1 SLOs", ""},
		{[]string{"validate", "-q", "--", "-q"}, exitOK, "", ""},
		{[]string{"validate", "-q", "--", "-q", "--"}, exitUsage, "", "slo validate: --: no such file"},
		{[]string{"generate", "-o", "rules.yml", "--", "-q"}, exitOK, "", ""},
		{[]string{"generate", "-o", "--", "--", "-q"}, exitOK, "", ""}, // the first "--" is -o's value
		{[]string{"budget", "--objective", "99.9", "--", "-o", "json"}, exitUsage, "", `unexpected arguments ["-o" "json"]`},
		{[]string{"help", "--", "budget"}, exitOK, "usage: slo budget", ""},
		{[]string{"version", "--", "-h"}, exitUsage, "", "slo version: takes no arguments"},
	} {
		tc.check(t)
	}
	for _, f := range []string{"rules.yml", "--"} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("generate did not write %s: %v", f, err)
		}
	}
}
