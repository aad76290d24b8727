package testdeps

import (
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// A RulesReport is what `promtool test rules` reported for one test file.
type RulesReport struct {
	// File is the test file as given to promtool.
	File string
	// Output is what promtool printed under the file's name: SUCCESS, or
	// FAILED and each failing test with what it got.
	Output string
	// Passed reports whether every test of the file passed.
	Passed bool
}

// fileHeader matches the line promtool prints before replaying a test
// file: "Unit Testing:  f" (Prometheus 2), "Processing test file: f" (3).
var fileHeader = regexp.MustCompile(`(?m)^(?:Unit Testing:|Processing test file:)[ \t]+(.+)$`)

// TestRules runs `promtool test rules` of engine e in dir once on every
// test file and returns its report of each file, in the order of files.
// One promtool replays the files one after another, which saves starting
// it per file; each file's report is the part of the output under its
// name. A file promtool printed nothing about is reported as failed, with
// the whole output. Output that contradicts promtool's exit status fails
// the test.
func (e Engine) TestRules(t testing.TB, dir string, files ...string) []RulesReport {
	t.Helper()
	cmd := exec.Command(e.Promtool(t), append([]string{"test", "rules"}, files...)...)
	cmd.Dir = dir
	// One writer for both streams: promtool prints the file names on
	// standard output and the failures on standard error, and the reports
	// need them in the order printed.
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running %s: %v", cmd, err)
	}
	sections := map[string]string{}
	heads := fileHeader.FindAllSubmatchIndex(out, -1)
	for i, h := range heads {
		end := len(out)
		if i+1 < len(heads) {
			end = heads[i+1][0]
		}
		sections[string(out[h[2]:h[3]])] = string(out[h[0]:end])
	}
	reports := make([]RulesReport, len(files))
	allPassed := true
	for i, f := range files {
		section, ok := sections[f]
		if !ok {
			section = "promtool printed nothing about " + f + ":\n" + string(out)
		}
		reports[i] = RulesReport{File: f, Output: section, Passed: ok && strings.Contains(section, "\n  SUCCESS\n")}
		allPassed = allPassed && reports[i].Passed
	}
	if allPassed != (err == nil) {
		t.Fatalf("%s: every file passed: %v, but promtool exited with %v:\n%s", cmd, allPassed, err, out)
	}
	return reports
}
