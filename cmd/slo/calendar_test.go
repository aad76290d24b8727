package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBudgetCalendarPeriod(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"-at", "2027-02-10"}, []string{
			"99.9% over 28d (target 0.999)",
			"Period        month from 2027-02-01 00:00 to 2027-03-01 00:00 UTC",
			"28d (window)  40m19.2s",
			"page      1h           5m            14.4    2.143%",
		}},
		{[]string{"-at", "2027-03-10"}, []string{"99.9% over 31d", "31d (window)  44m38.4s", "page      1h           5m            14.4    1.935%"}},
		{[]string{"-at", "2028-02-29T23:00:00Z"}, []string{"29d (window)  41m45.6s"}},
		{[]string{"-at", "2026-10-05", "-tz", "Europe/Berlin"}, []string{"over 745h", "from 2026-10-01 00:00 to 2026-11-01 00:00 Europe/Berlin", "745h (window)  44m42s"}},
	} {
		args := append([]string{"budget", "-objective", "99.9", "-calendar", "month"}, tc.args...)
		code, out, errOut := cli(t, args...)
		if code != exitOK {
			t.Fatalf("%v: code %d: %s", args, code, errOut)
		}
		for _, want := range tc.want {
			if !strings.Contains(out, want) {
				t.Errorf("%v: output lacks %q:\n%s", tc.args, want, out)
			}
		}
	}
	code, out, _ := cli(t, "budget", "-objective", "99.9", "-calendar", "quarter", "-at", "2027-01-01", "-o", "json")
	for _, want := range []string{`"calendar": "quarter (UTC)"`, `"period_start": "2027-01-01T00:00:00Z"`, `"period_end": "2027-04-01T00:00:00Z"`, `"window_seconds": 7776000`} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("JSON lacks %s (code %d):\n%s", want, code, out)
		}
	}
}

func TestBudgetCalendarRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-calendar", "fortnight"}, `-calendar: "fortnight" is not a calendar period; allowed: week, month, quarter`},
		{[]string{"-calendar", "month", "-tz", "Mars/Base"}, `-tz: "Mars/Base" is not an IANA time zone`},
		{[]string{"-calendar", "month", "-at", "soon"}, `-at: "soon" is not a date (2027-02-10) or an RFC 3339 time`},
		{[]string{"-calendar", "month", "-window", "7d"}, "-window and -calendar exclude each other"},
		{[]string{"-at", "2027-02-10"}, "-tz and -at need -calendar"},
	} {
		args := append([]string{"budget", "-objective", "99.9"}, tc.args...)
		code, _, errOut := cli(t, args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: code %d, stderr %s; want %q", tc.args, code, errOut, tc.want)
		}
	}
}

func TestValidateNamesTheCalendar(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cal.yaml")
	spec := "version: slo/v1\nservice: s\nslos:\n- name: a\n  objective: 99.9%\n  calendar: {period: quarter, time_zone: Asia/Tokyo}\n  sli: {in_process: {}}\n"
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, "validate", path)
	if code != exitOK || !strings.Contains(out, "99.9% over quarter (Asia/Tokyo)") {
		t.Errorf("code %d, stdout %s, stderr %s", code, out, errOut)
	}
}
