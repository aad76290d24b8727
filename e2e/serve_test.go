package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// serveSpec is one SLO of a day's window over the scenario's counters,
// in a service of its own: objective 99.5% (strict, spent by the last
// day's incident) or 90% (loose, with budget left). The strict budget is
// overspent about twice, not tenfold: the rules' error in failed events,
// a share of a grid cell at an incident's edge, is a share of the budget
// that grows as the budget shrinks, and 99.9% made it cross 1% of the
// budget on some runs.
const serveSpec = `version: slo/v1
service: %s
window: 1d
slos:
  - name: e2e-api
    description: Requests of the e2e service against a %s objective.
    objective: %s
    sli:
      in_process: {}
`

// TestServeOverPrometheus runs `slo serve` over a real Prometheus holding
// two days of backfilled counters and the rules of two SLOs evaluated
// over them: /slo reports what the rules recorded, and `slo gate -url`
// against it, as `slo gate -prometheus` against Prometheus itself, closes
// on the spent budget and opens without it.
func TestServeOverPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: a rule backfill")
	}
	dir := t.TempDir()
	cli := buildCLI(t, dir)
	now := time.Now().Add(-3 * time.Hour).Truncate(time.Hour)
	end, start := now.UTC(), now.Add(-2*24*time.Hour).UTC()
	slots := traffic(start, 2, time.Minute)
	counters := filepath.Join(dir, "events.om")
	if err := writeCounters(counters, openMetrics, fmt.Sprintf("slo=%q", sloName), start, slots); err != nil {
		t.Fatal(err)
	}
	e := testdeps.Prometheus2
	prom := newPromServer(t, e)
	promtool(t, e, "tsdb", "create-blocks-from", "openmetrics", counters, prom.dataDir)
	prom.start()
	// Both SLOs' rules, backfilled together.
	specs := map[string]string{}
	var rules ruleFile
	for _, sv := range []struct{ service, objective string }{{"strict", "99.5%"}, {"loose", "90%"}} {
		specs[sv.service] = filepath.Join(dir, sv.service+".yaml")
		if err := os.WriteFile(specs[sv.service], fmt.Appendf(nil, serveSpec, sv.service, sv.objective, sv.objective), 0o644); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, sv.service+".rules.yml")
		runCLI(t, cli, "generate", "-o", path, specs[sv.service])
		rules.Groups = append(rules.Groups, readRules(t, path).Groups...)
	}
	backfillRules(t, prom, dir, "serve", rules, start, end)

	// Discovered from the series: both SLOs, as the rules recorded them.
	base := startServeCLI(t, cli, "-prometheus", prom.url, "-at", end.Format(time.RFC3339))
	report := fetchReport(t, base)
	if len(report.SLOs) != 2 {
		t.Fatalf("/slo has %d SLOs, want 2: %+v", len(report.SLOs), report.SLOs)
	}
	for _, s := range report.SLOs {
		// The truth of the window the rule evaluated: its sample's instant.
		recorded, at := promSample(t, &prom.queryAPI, fmt.Sprintf(`slo:error_budget_remaining:ratio{service=%q}`, s.Service), end)
		total, bad := truth(slots, at, 24*time.Hour)
		target := map[string]float64{"strict": 0.995, "loose": 0.9}[s.Service]
		if s.NoData || s.Name != sloName || s.ErrorBudgetRemaining != recorded || s.Target != target {
			t.Errorf("%s/%s: budget %v (no data %v, target %v), the rules recorded %v", s.Service, s.Name, s.ErrorBudgetRemaining, s.NoData, s.Target, recorded)
		}
		if want := 1 - float64(bad)/(float64(total)*(1-target)); math.Abs(s.ErrorBudgetRemaining-want) > 0.01 {
			t.Errorf("%s: budget %.4f, truth %.4f", s.Service, s.ErrorBudgetRemaining, want)
		}
		if d := math.Abs(float64(s.Total) - float64(total)); d > 0.01*float64(total) {
			t.Errorf("%s: %d events in the window, truth %d", s.Service, s.Total, total)
		}
		t.Logf("%s: %.4f of the budget left, %d events, %d failures", s.Service, s.ErrorBudgetRemaining, s.Total, s.Failures)
	}
	if got := gate(t, cli, "-url", base+"/slo"); got != 1 {
		t.Errorf("slo gate over both SLOs: exit %d, want 1 (strict's budget is spent)", got)
	}
	// The gate reads the same series from Prometheus itself.
	promGate := []string{"-prometheus", prom.url, "-at", end.Format(time.RFC3339)}
	if got := gate(t, cli, promGate...); got != 1 {
		t.Errorf("slo gate -prometheus over both SLOs: exit %d, want 1 (strict's budget is spent)", got)
	}
	if got := gate(t, cli, append(promGate, "-spec", specs["loose"])...); got != 0 {
		t.Errorf("slo gate -prometheus over the loose spec: exit %d, want 0", got)
	}

	// The loose SLO alone, from its spec: the gate opens.
	loose := startServeCLI(t, cli, "-prometheus", prom.url, "-at", end.Format(time.RFC3339), "-spec", specs["loose"])
	if r := fetchReport(t, loose); len(r.SLOs) != 1 || r.SLOs[0].Service != "loose" || r.SLOs[0].ErrorBudgetRemaining <= 0 {
		t.Errorf("/slo of the loose spec: %+v", r.SLOs)
	}
	if got := gate(t, cli, "-url", loose+"/slo"); got != 0 {
		t.Errorf("slo gate over the loose SLO: exit %d, want 0", got)
	}

	// Prometheus down: 503, and the gate refuses to open (exit 2).
	prom.stop()
	if got := gate(t, cli, "-url", loose+"/slo"); got != 2 {
		t.Errorf("slo gate with Prometheus down: exit %d, want 2", got)
	}
	if got := gate(t, cli, append(promGate, "-spec", specs["loose"])...); got != 2 {
		t.Errorf("slo gate -prometheus with Prometheus down: exit %d, want 2", got)
	}
}

// startServeCLI runs the slo binary's serve command with args on a free
// port until the test ends and returns its base URL once it answers.
func startServeCLI(t *testing.T, cli string, args ...string) string {
	t.Helper()
	base := fmt.Sprintf("127.0.0.1:%d", testdeps.FreePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, cli, append([]string{"serve", "-addr", base}, args...)...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	base = "http://" + base
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(base + "/"); err == nil {
			res.Body.Close()
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("slo serve not answering: %s", out.String())
		}
	}
}

// fetchReport reads serve's /slo, which must answer 200.
func fetchReport(t *testing.T, base string) slohttp.Report {
	t.Helper()
	res, err := http.Get(base + "/slo")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r slohttp.Report
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/slo: %s", res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

// gate runs `slo gate` with args and returns its exit code.
func gate(t *testing.T, cli string, args ...string) int {
	t.Helper()
	out, err := exec.Command(cli, append([]string{"gate"}, args...)...).CombinedOutput()
	t.Logf("slo gate %s:\n%s", strings.Join(args, " "), out)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	}
	t.Fatalf("slo gate: %v", err)
	return -1
}
