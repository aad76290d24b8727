package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sliceSpec is a time-slice SLO of 1-minute slices over a day.
const sliceSpec = `version: slo/v1
service: shop
window: 1d
slos:
  - name: shop-minutes
    objective: 97%
    time_slices: {window: 1m, target: 95%}
    sli:
      ratio:
        errors: http_requests_total{job="shop",code=~"5.."}
        total: http_requests_total{job="shop"}
`

// specFile writes text to a spec file in a temporary directory.
func specFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shop.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestGenerateForVictoriaMetricsReadsSlicesOverTheirWidth: the rules for
// VictoriaMetrics are the rules for Prometheus with each slice read over
// the slice, not the slice and a millisecond.
func TestGenerateForVictoriaMetricsReadsSlicesOverTheirWidth(t *testing.T) {
	path := specFile(t, sliceSpec)
	code, prom, stderr := cli(t, "generate", path)
	if code != exitOK {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	code, vm, stderr := cli(t, "generate", "-target", "victoriametrics", path)
	if code != exitOK {
		t.Fatalf("generate -target victoriametrics: exit %d: %s", code, stderr)
	}
	if !strings.Contains(prom, "[1m1ms]") {
		t.Fatalf("the Prometheus rules read no slice over [1m1ms]:\n%s", prom)
	}
	if want := strings.ReplaceAll(prom, "[1m1ms]", "[1m]"); vm != want {
		t.Errorf("the VictoriaMetrics rules are not the Prometheus rules with slices read over [1m]:\n%s", vm)
	}
}

// TestValidateAgreesWithGenerateForVictoriaMetrics: both commands take
// -target victoriametrics and refuse the same functions.
func TestValidateAgreesWithGenerateForVictoriaMetrics(t *testing.T) {
	if !agree(t, specFile(t, sliceSpec), "-target", "victoriametrics") {
		t.Error("a time-slice spec is refused for VictoriaMetrics")
	}
	path := specFile(t, rawSpec(`sum(rate(e[{{.window}}])) / sum(rate(t[{{.window}}])) * day_of_year() / day_of_year()`))
	if agree(t, path, "-target", "victoriametrics") {
		t.Error("day_of_year is accepted for VictoriaMetrics 1.79, which lacks it")
	}
	_, _, stderr := cli(t, "validate", "-target", "victoriametrics", path)
	if want := "function day_of_year is not in VictoriaMetrics 1.79 (target victoriametrics)"; !strings.Contains(stderr, want) {
		t.Errorf("validate says:\n%s\nwant a line containing %q", stderr, want)
	}
}

// TestGenerateRefusesPromtoolTestsForVictoriaMetrics: promtool tests
// Prometheus's semantics, not those the VictoriaMetrics rules are written
// for.
func TestGenerateRefusesPromtoolTestsForVictoriaMetrics(t *testing.T) {
	path := specFile(t, sliceSpec)
	dir := t.TempDir()
	code, _, stderr := cli(t, "generate", "-target", "victoriametrics", "-o", filepath.Join(dir, "rules.yml"), "-tests", filepath.Join(dir, "rules.tests.yml"), path)
	if code != exitUsage || !strings.Contains(stderr, "-tests goes with the Prometheus targets") {
		t.Errorf("exit %d, stderr %q; want a usage error saying -tests goes with the Prometheus targets", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "rules.yml")); !os.IsNotExist(err) {
		t.Errorf("the rules were written before the refusal: %v", err)
	}
}

// TestGenerateAndValidateWarnOfWindowsShorterThanTwoScrapes: a day's
// default tiers scale the page tier's short window to 10s, which holds at
// most one sample of counters scraped every 15s. Both commands print the
// same warning and succeed.
func TestGenerateAndValidateWarnOfWindowsShorterThanTwoScrapes(t *testing.T) {
	path := specFile(t, smallSpec)
	out := filepath.Join(t.TempDir(), "rules.yml")
	const want = `warning: shop.yaml:5: slo "shop-availability": the alert window 10s of tier page 2m/10s x14.4 is shorter than two scrape intervals (2 x 15s): rate() over it holds at most one sample, so Prometheus records no result for it and the tier never fires; lengthen it, or give the SLI's real scrape interval (-scrape-interval)`
	scrapeWarnings := func(stderr string) []string {
		var ws []string
		stderr = strings.ReplaceAll(stderr, filepath.Dir(path)+string(filepath.Separator), "")
		for _, line := range strings.Split(stderr, "\n") {
			if strings.Contains(line, "scrape interval") {
				ws = append(ws, line)
			}
		}
		return ws
	}
	for _, args := range [][]string{{"generate", "-o", out}, {"validate", "-q"}} {
		code, _, stderr := cli(t, append(args, path)...)
		if ws := scrapeWarnings(stderr); code != exitOK || len(ws) != 1 || ws[0] != want {
			t.Errorf("slo %v: exit %d, scrape warnings %q; want exit 0 and\n%s", args, code, ws, want)
		}
		code, _, stderr = cli(t, append(args, "-scrape-interval", "1m", path)...)
		if ws := scrapeWarnings(stderr); code != exitOK || len(ws) != 2 {
			t.Errorf("slo %v -scrape-interval 1m: exit %d, scrape warnings %q; want the 10s and the 1m windows", args, code, ws)
		}
		code, _, stderr = cli(t, append(args, "-scrape-interval", "5s", path)...)
		if ws := scrapeWarnings(stderr); code != exitOK || len(ws) != 0 {
			t.Errorf("slo %v -scrape-interval 5s: exit %d, scrape warnings %q; want none", args, code, ws)
		}
	}
}
