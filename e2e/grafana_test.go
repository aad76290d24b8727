package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/internal/testdeps"
)

// The Grafana scenario: a day of traffic of an SLO with one budget and of
// a grouped SLO with two members, whose last three hours fail 30% of the
// time, so the burn alerts fire. The SLOs keep the 30-day window and its
// tiers, whose shortest window (5m) holds several samples of a counter
// sampled every minute.
const grafanaSpec = `version: slo/v1
service: e2e
window: 30d
slos:
  - name: e2e-api
    objective: 99%
    sli: {in_process: {}}
  - name: e2e-routes
    objective: 99%
    group_by: [route]
    sli: {in_process: {}}
`

// grafanaRoutes are the members of e2e-routes.
var grafanaRoutes = []string{"/a", "/b"}

// grafanaDashboard is the part of the dashboard JSON the test reads.
type grafanaDashboard struct {
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Query string `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		Type    string `json:"type"`
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// TestGrafanaQueriesAnswer sends every query of the dashboard that
// `slo generate -format grafana` writes, with the variables set to each
// row's SLO as Grafana sets them, to a real Prometheus 2 and 3 holding the
// recorded series of the last hours backfilled and evaluating the alerts
// live: every query answers, for every member of the grouped SLO.
func TestGrafanaQueriesAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: a backfill per engine")
	}
	dir := t.TempDir()
	cli := buildCLI(t, dir)
	specPath := filepath.Join(dir, "grafana.yaml")
	if err := os.WriteFile(specPath, []byte(grafanaSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	rulesPath, dashPath := filepath.Join(dir, "rules.yml"), filepath.Join(dir, "dashboard.json")
	runCLI(t, cli, "generate", "-o", rulesPath, specPath)
	runCLI(t, cli, "generate", "-format", "grafana", "-o", dashPath, specPath)
	var dash grafanaDashboard
	data, err := os.ReadFile(dashPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}

	end := time.Now().UTC().Truncate(time.Minute)
	start := end.Add(-24 * time.Hour)
	slots := traffic(start, 1, time.Minute)
	for i, s := range slots {
		if s.at.After(end.Add(-3 * time.Hour)) {
			n := s.good + s.bad
			slots[i].bad = n * 3 / 10
			slots[i].good = n - slots[i].bad
		}
	}
	counters := writeGrafanaCounters(t, dir, start, slots)
	live := liveCounters(t)

	testdeps.ForEachEngine(t, func(t *testing.T, e testdeps.Engine) {
		prom := newPromServer(t, e)
		promtool(t, e, "tsdb", "create-blocks-from", "openmetrics", counters, prom.dataDir)
		prom.start()
		// The panels read the last samples: the recorded series of the
		// last hours are enough, and cheap to backfill.
		backfillRules(t, prom, t.TempDir(), "grafana", readRules(t, rulesPath), end.Add(-2*time.Hour), end)

		// Live: the alerts evaluated over the backfilled series and the
		// traffic that goes on (scraped), which keeps failing.
		prom.stop()
		config := fmt.Sprintf("global:\n  evaluation_interval: 5s\n  scrape_interval: 5s\nrule_files: [%q]\nscrape_configs:\n  - job_name: live\n    static_configs:\n      - targets: [%q]\n",
			rulesPath, strings.TrimPrefix(live, "http://"))
		if err := os.WriteFile(prom.config, []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		prom.start()
		began := time.Now()
		waitFiring(t, &prom.queryAPI, "e2e-api", "e2e-routes")
		t.Logf("burn alerts fired %v after the start", time.Since(began).Round(time.Second))

		checkVariables(t, &prom.queryAPI, dash)
		now := time.Now()
		row := ""
		for _, p := range dash.Panels {
			if p.Type == "row" {
				row = p.Title
				continue
			}
			service, name, _ := strings.Cut(row, " / ")
			for _, target := range p.Targets {
				expr := grafanaInterpolate(target.Expr, map[string]string{"service": service, "slo": name})
				// The recorded series are backfilled until end; alerts
				// fire live.
				at := end
				if strings.Contains(expr, "ALERTS") {
					at = now
				}
				res := prom.query(expr, at)
				if len(res.Samples) == 0 {
					t.Errorf("%s / %s: %s answers nothing at %v", row, p.Title, expr, at)
					continue
				}
				if name != "e2e-routes" {
					continue
				}
				var routes []string
				for _, s := range res.Samples {
					routes = append(routes, s.Labels["route"])
				}
				slices.Sort(routes)
				if routes = slices.Compact(routes); !slices.Equal(routes, grafanaRoutes) {
					t.Errorf("%s / %s: %s answers for routes %q, want %q", row, p.Title, expr, routes, grafanaRoutes)
				}
			}
		}
	})
}

// writeGrafanaCounters writes the counters of the scenario's SLOs, as
// sloprom exports them, to one OpenMetrics file: the slots for e2e-api and
// for each route of e2e-routes.
func writeGrafanaCounters(t *testing.T, dir string, start time.Time, slots []slot) string {
	t.Helper()
	var out strings.Builder
	part := func(name, route string) {
		path := filepath.Join(dir, "part.om")
		if err := writeCounters(path, openMetrics, fmt.Sprintf("slo=%q", name), start, slots); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if line == "" || strings.HasPrefix(line, "# EOF") || (out.Len() > 0 && strings.HasPrefix(line, "#")) {
				continue
			}
			if route != "" {
				line = strings.Replace(line, "{", fmt.Sprintf("{route=%q,", route), 1)
			}
			out.WriteString(line + "\n")
		}
	}
	part("e2e-api", "")
	for _, r := range grafanaRoutes {
		part("e2e-routes", r)
	}
	out.WriteString("# EOF\n")
	path := filepath.Join(dir, "events.om")
	if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// liveCounters serves the scenario's counters for Prometheus to scrape:
// 1,000 more events per scrape, 30% of them bad.
func liveCounters(t *testing.T) string {
	t.Helper()
	var scrapes atomic.Uint64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := scrapes.Add(1)
		fmt.Fprintln(w, "# TYPE slo_events_total counter")
		for _, series := range []string{`slo="e2e-api"`, `route="/a",slo="e2e-routes"`, `route="/b",slo="e2e-routes"`} {
			fmt.Fprintf(w, "slo_events_total{outcome=\"good\",%s} %d\n", series, 700*n)
			fmt.Fprintf(w, "slo_events_total{outcome=\"bad\",%s} %d\n", series, 300*n)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// waitFiring waits, for at most two minutes, until a burn alert of each of
// the SLOs fires.
func waitFiring(t *testing.T, api *queryAPI, slos ...string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var firing []string
		for _, s := range api.query(`count by (slo) (ALERTS{alertname="SLOErrorBudgetBurn",alertstate="firing"})`, time.Now()).Samples {
			firing = append(firing, s.Labels["slo"])
		}
		slices.Sort(firing)
		if slices.Equal(firing, slos) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("burn alerts firing for %q after two minutes, want %q", firing, slos)
		}
		time.Sleep(2 * time.Second)
	}
}

// checkVariables asks Prometheus for the values of the dashboard's service
// and slo variables, as Grafana does for label_values(metric, label): they
// must hold the scenario's.
func checkVariables(t *testing.T, api *queryAPI, dash grafanaDashboard) {
	t.Helper()
	want := map[string][]string{"service": {"e2e"}, "slo": {"e2e-api", "e2e-routes"}}
	seen := 0
	for _, v := range dash.Templating.List {
		wantValues, ok := want[v.Name]
		if !ok {
			continue
		}
		seen++
		args, ok := strings.CutPrefix(v.Query, "label_values(")
		match, label, found := strings.Cut(strings.TrimSuffix(args, ")"), ", ")
		if !ok || !found || label != v.Name {
			t.Fatalf("variable %s: query %q is not label_values(metric, %s)", v.Name, v.Query, v.Name)
		}
		match = grafanaInterpolate(match, map[string]string{"service": "e2e"})
		var values []string
		api.api("/api/v1/label/"+label+"/values", url.Values{"match[]": {match}}, &values)
		if !slices.Equal(values, wantValues) {
			t.Errorf("variable %s: %s gives %q, want %q", v.Name, v.Query, values, wantValues)
		}
	}
	if seen != len(want) {
		t.Errorf("%d of the variables service and slo", seen)
	}
}

// grafanaInterpolate replaces $name in a query with a value as Grafana
// does for a variable that allows several values: escaped for a regular
// expression inside a PromQL string.
func grafanaInterpolate(expr string, values map[string]string) string {
	var pairs []string
	for name, v := range values {
		var b strings.Builder
		for _, r := range v {
			if strings.ContainsRune(`\^$*+?.()|{}[]`, r) {
				b.WriteString(`\\`)
			}
			b.WriteRune(r)
		}
		pairs = append(pairs, "$"+name, b.String())
	}
	return strings.NewReplacer(pairs...).Replace(expr)
}
