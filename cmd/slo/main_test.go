package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cli runs slo with args and returns its exit code and output.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// A cliCase is a command line and what slo must answer: the exit code and
// text that stdout and stderr contain.
type cliCase struct {
	args     []string
	wantCode int
	inStdout string
	inStderr string
}

// check runs the command line and reports where the answer differs.
func (tc cliCase) check(t *testing.T) {
	t.Helper()
	code, out, errOut := cli(t, tc.args...)
	if code != tc.wantCode || !strings.Contains(out, tc.inStdout) || !strings.Contains(errOut, tc.inStderr) {
		t.Errorf("slo %q: code %d (want %d)\nstdout: %s\nstderr: %s", tc.args, code, tc.wantCode, out, errOut)
	}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		cliCase
	}{
		{"no command", cliCase{nil, exitUsage, "", "The commands are:"}},
		{"unknown command", cliCase{[]string{"deploy"}, exitUsage, "", `unknown command "deploy"`}},
		{"help lists every command", cliCase{[]string{"help"}, exitOK, "validate", ""}},
		{"help of a command", cliCase{[]string{"help", "budget"}, exitOK, "usage: slo budget", ""}},
		{"help of an unknown command", cliCase{[]string{"help", "nope"}, exitUsage, "", `unknown command "nope"`}},
		{"-h of a command", cliCase{[]string{"gate", "-h"}, exitOK, "", "Exit status:"}},
		{"bad flag", cliCase{[]string{"budget", "-objectiv", "99"}, exitUsage, "", "flag provided but not defined"}},
	} {
		t.Run(tc.name, tc.check)
	}
	_, out, _ := cli(t, "help")
	for _, c := range commands() {
		if !strings.Contains(out, c.name) {
			t.Errorf("help does not list %s", c.name)
		}
		if code, _, errOut := cli(t, c.name, "-h"); code != exitOK || !strings.Contains(errOut, "usage: slo "+c.name) {
			t.Errorf("%s -h: code %d, %q", c.name, code, errOut)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := cli(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "slo devel go1.") {
		t.Errorf("code %d, %q; want the devel version of a test binary", code, out)
	}
	if code, _, _ := cli(t, "version", "extra"); code != exitUsage {
		t.Errorf("version with an argument: code %d", code)
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("version: slo/v1\nservice: s\nslos:\n- name: a\n  objective: 99.9\n  sli: {in_process: {}}\n  windw: 1d\n"), 0o600)
	low := filepath.Join(dir, "low.yaml")
	os.WriteFile(low, []byte("version: slo/v1\nservice: s\nslos:\n- name: low\n  objective: 90%\n  sli: {in_process: {}}\n"), 0o600)
	good := "../../examples/specs/checkout.yaml"

	code, out, errOut := cli(t, "validate", good, "../../examples/specs/sloth.yaml", "../../examples/specs/openslo.yaml")
	if code != exitOK || !strings.Contains(out, "checkout.yaml: 3 SLOs") || !strings.Contains(out, "web-latency") || len(problems(errOut)) != 0 {
		t.Errorf("valid files: code %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = cli(t, "validate", good, bad)
	if code != exitFail {
		t.Errorf("invalid file: code %d, want %d", code, exitFail)
	}
	for _, want := range []string{
		bad + `:5: slo "a": slos[0].objective: 99.9 is ambiguous`,
		bad + `:7: slo "a": slos[0].windw: unknown field (did you mean "window"?)`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(out, "checkout.yaml: 3 SLOs") {
		t.Errorf("the valid file is not reported: %s", out)
	}
	code, _, errOut = cli(t, "validate", "-q", low)
	if code != exitOK || !strings.Contains(errOut, `warning: `+low+`:4: slo "low": alert tier page 1h/5m x14.4 can never fire`) {
		t.Errorf("low objective: code %d, stderr %s", code, errOut)
	}
	if code, _, _ := cli(t, "validate"); code != exitUsage {
		t.Errorf("no file: code %d, want %d", code, exitUsage)
	}
}

func TestBudgetText(t *testing.T) {
	code, out, errOut := cli(t, "budget", "-objective", "99.9")
	if code != exitOK {
		t.Fatalf("code %d: %s", code, errOut)
	}
	for _, want := range []string{
		"99.9% over 30d (target 0.999)",
		"0.1% of events may fail (1 in 1,000)",
		"30d (window)  43m12s",
		"7d            10m4.8s",
		"1d            1m26.4s",
		"1h            3.6s",
		"14.4       2d2h",
		"36         20h",
		"page      1h           5m            14.4    2%",
		"ticket    3d           6h            1       10%",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "warning") {
		t.Errorf("99.9%% over 30d warns:\n%s", out)
	}
}

func TestBudgetJSON(t *testing.T) {
	code, out, errOut := cli(t, "budget", "--objective", "99.9%", "--window", "30d", "--rate", "250/s", "-o", "json")
	if code != exitOK {
		t.Fatalf("code %d: %s", code, errOut)
	}
	var rep budgetReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Target != 0.999 || rep.ErrorBudget != 0.001 || rep.WindowSeconds != 30*86400 || *rep.RatePerSecond != 250 {
		t.Errorf("report %+v", rep)
	}
	want := map[string][2]float64{"30d": {2592, 648000}, "7d": {604.8, 151200}, "1d": {86.4, 21600}, "1h": {3.6, 900}}
	if len(rep.Periods) != 4 {
		t.Errorf("periods %+v; want the window and 7d, 1d, 1h", rep.Periods)
	}
	for _, p := range rep.Periods {
		w, ok := want[p.Period]
		if !ok || p.OutageSeconds != w[0] || *p.FailedEvents != w[1] {
			t.Errorf("period %s: outage %vs, %v failed events; want %v", p.Period, p.OutageSeconds, *p.FailedEvents, w)
		}
	}
	wantTTE := []float64{30 * 86400, 15 * 86400, 5 * 86400, 180000, 72000}
	for i, b := range rep.TimeToExhaustion {
		if b.Seconds != wantTTE[i] || b.BurnRate != burnRates[i] {
			t.Errorf("burn %v: %vs, want %vs", b.BurnRate, b.Seconds, wantTTE[i])
		}
	}
	if len(rep.Tiers) != 4 || rep.Tiers[0].BudgetShare != 0.02 || rep.Tiers[0].ErrorRatio != 0.0144 || !rep.Tiers[0].CanFire {
		t.Errorf("tiers %+v", rep.Tiers)
	}
	if rep.Warnings == nil || len(rep.Warnings) != 0 {
		t.Errorf("warnings %#v; want an empty list", rep.Warnings)
	}
}

func TestBudgetWarnings(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"so low the page tiers cannot fire", []string{"-objective", "90"},
			[]string{"the page 1h/5m x14.4 tier can never fire", "144%"}},
		{"so high the budget lasts seconds", []string{"-objective", "99.9999"},
			[]string{"the whole budget is 2.592s of full outage per 30d"}},
		{"a rate too low for one failure", []string{"-objective", "0.999", "-rate", "1/d"},
			[]string{"allows 0.03 failed events per 30d"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cli(t, append([]string{"budget"}, tc.args...)...)
			if code != exitOK {
				t.Fatalf("code %d: %s", code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestBudgetRejectsBadInput(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-objective", "100"},
		{"-objective", "0"},
		{"-objective", "abc"},
		{"-objective", "99.9", "-window", "1M"},
		{"-objective", "99.9", "-window", "1000d"},
		{"-objective", "99.9", "-rate", "-5/s"},
		{"-objective", "99.9", "-rate", "5/week"},
		{"-objective", "99.9", "-o", "yaml"},
		{"-objective", "99.9", "extra"},
	} {
		if code, _, errOut := cli(t, append([]string{"budget"}, args...)...); code != exitUsage || !strings.Contains(errOut, "slo budget: ") {
			t.Errorf("%q: code %d, stderr %q; want %d and a reason", args, code, errOut, exitUsage)
		}
	}
}

func TestParseObjective(t *testing.T) {
	for in, want := range map[string]float64{"99.9": 0.999, "99.9%": 0.999, "0.999": 0.999, "99.99": 0.9999, "95": 0.95, "1": 0.01} {
		if got, err := parseObjective(in); err != nil || got != want {
			t.Errorf("parseObjective(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}
