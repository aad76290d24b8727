package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/internal/promtest"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
)

// gateFleet is the fleet the gate's -prometheus tests read, as the rules
// of `slo generate` record it: in service checkout, "pay" with a quarter
// of its budget left, "spent" overspent, "idle" without traffic, "fresh"
// whose rules have not run yet, and the grouped "checkout-availability"
// (fixed label team) whose route /pay is overspent and /cart is not; in
// service search, "query" with 90% left.
func gateFleet() *promtest.Fleet {
	f := promtest.NewFleet()
	ls := promtest.Labels
	f.Meta(ls("pay", "checkout"), 0.99, time.Hour)
	f.Budget(ls("pay", "checkout"), 0.99, 400, 3) // 25% left
	f.Meta(ls("spent", "checkout"), 0.99, time.Hour)
	f.Budget(ls("spent", "checkout"), 0.99, 100, 2) // -100%
	f.Meta(ls("idle", "checkout"), 0.99, time.Hour)
	f.Budget(ls("idle", "checkout"), 0.99, 0, 0)
	f.Meta(ls("fresh", "checkout"), 0.999, time.Hour)
	f.Meta(ls("checkout-availability", "checkout", "team", "payments"), 0.99, time.Hour)
	f.Budget(ls("checkout-availability", "checkout", "team", "payments", "route", "/pay"), 0.99, 100, 2)   // -100%
	f.Budget(ls("checkout-availability", "checkout", "team", "payments", "route", "/cart"), 0.99, 1000, 1) // 90% left
	f.Meta(ls("query", "search"), 0.9, time.Hour)
	f.Budget(ls("query", "search"), 0.9, 100, 1) // 90% left
	return f
}

// gateGroupedSpec is a spec of two SLOs of gateFleet, the grouped one with
// its fixed label.
const gateGroupedSpec = `version: slo/v1
service: checkout
window: 1h
slos:
  - name: pay
    objective: 99%
    sli:
      in_process: {}
  - name: checkout-availability
    objective: 99%
    labels: {team: payments}
    group_by: [route]
    sli:
      in_process: {}
`

// TestGateOnPrometheus runs the gate against the series of gateFleet on a
// real Prometheus server of each engine, read as of the fleet's instant.
func TestGateOnPrometheus(t *testing.T) {
	testdeps.ForEachEngine(t, testGateOnPrometheus)
}

func testGateOnPrometheus(t *testing.T, e testdeps.Engine) {
	f := gateFleet()
	prom := promtest.Start(t, e, f.Series)
	at := f.At.UTC().Format(time.RFC3339)
	gate := func(args ...string) []string {
		return append([]string{"gate", "-prometheus", prom.URL, "-at", at}, args...)
	}
	specFile := filepath.Join(t.TempDir(), "checkout.yaml")
	if err := os.WriteFile(specFile, []byte(gateGroupedSpec), 0o600); err != nil {
		t.Fatal(err)
	}

	ghostFile := filepath.Join(t.TempDir(), "ghost.yaml")
	ghost := strings.Replace(gateGroupedSpec, "  - name: checkout-availability", "  - name: ghost\n    objective: 99%\n    sli:\n      in_process: {}\n  - name: checkout-availability", 1)
	if err := os.WriteFile(ghostFile, []byte(ghost), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		cliCase
	}{
		{"budget left", cliCase{gate("-slo", "pay"), exitOK, "pay  checkout  25.0%      ok", "open: 1 SLOs have budget"}},
		{"budget left over the floor", cliCase{gate("-slo", "pay", "-min-remaining", "20%"), exitOK, "25.0%", ""}},
		{"budget left under the floor", cliCase{gate("-slo", "pay", "-min-remaining", "0.3"), exitFail, "CLOSED: below the floor of 30%", "closed: 1 of 1"}},
		{"overspent", cliCase{gate("-slo", "spent,pay"), exitFail, "spent  checkout  -100.0%    CLOSED: budget exhausted", "closed: 1 of 2"}},
		{"no data has the whole budget", cliCase{gate("-slo", "idle", "-slo", "fresh"), exitOK, "idle   checkout  100.0%     ok (no data yet)", ""}},
		{"a service", cliCase{gate("-service", "search"), exitOK, "query  search   90.0%      ok", "open: 1 SLOs"}},
		{"a service without SLOs", cliCase{gate("-service", "other"), exitUsage, "", "reports no SLO"}},
		{"a missing SLO", cliCase{gate("-slo", "pay,nope"), exitUsage, "", `SLO "nope" is not in the answer`}},
		{"one member of a grouped SLO", cliCase{gate("-slo", `checkout-availability{route="/cart"}`), exitOK, `checkout-availability{route="/cart"}  checkout  90.0%      ok`, "open: 1 SLOs"}},
		{"members by a regular expression", cliCase{gate("-slo", `checkout-availability{route=~"/c.*|/x"},pay`), exitOK, "pay  ", "open: 2 SLOs"}},
		{"a member that is missing", cliCase{gate("-slo", `checkout-availability{route="/nope"}`), exitUsage, "", `SLO "checkout-availability{route=\"/nope\"}" is not in the answer`}},
		{"a bad member selector", cliCase{gate("-slo", `checkout-availability{route=}`), exitUsage, "", `invalid value "checkout-availability{route=}" for flag -slo: the labels {route=}: `}},
		{"the SLOs of a spec", cliCase{gate("-spec", specFile), exitFail, `checkout-availability{route="/pay"}   checkout  -100.0%    CLOSED: budget exhausted`, "closed: 1 of 3"}},
		{"a spec's SLO whose rules are not recorded", cliCase{gate("-spec", ghostFile), exitUsage, "", "records no series of the rules of SLO ghost of service checkout"}},
		{"a spec's SLOs of another service are not checked", cliCase{gate("-spec", ghostFile, "-service", "search"), exitUsage, "", "reports no SLO"}},
		{"a spec that is missing", cliCase{gate("-spec", specFile+".nope"), exitUsage, "", "no such file"}},
	} {
		t.Run(tc.name, tc.check)
	}

	// A grouped SLO's members are named by their group labels, without the
	// SLO's fixed labels (team), from discovery and from the spec alike.
	for _, args := range [][]string{gate("-slo", "checkout-availability"), gate("-spec", specFile, "-slo", "checkout-availability")} {
		checkMembers(t, args[1:], exitFail,
			[][2]string{{`checkout-availability{route="/pay"}`, "exhausted"}, {`checkout-availability{route="/cart"}`, "ok"}},
			[]map[string]string{{"route": "/cart"}, {"route": "/pay"}})
	}

	// JSON: every SLO of the service, the no-data ones marked.
	code, out, errOut := cli(t, gate("-service", "checkout", "-o", "json")...)
	var rep gateJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitFail || rep.Open {
		t.Fatalf("json: code %d, %v\n%s%s", code, err, out, errOut)
	}
	var got []string
	for _, s := range rep.SLOs {
		got = append(got, s.name()+" "+formatRemaining(s.Remaining)+map[bool]string{true: " no-data"}[s.NoData]+map[bool]string{true: " closed"}[s.Closed])
	}
	want := []string{
		`checkout-availability{route="/cart"} 90.0%`,
		`checkout-availability{route="/pay"} -100.0% closed`,
		"fresh 100.0% no-data",
		"idle 100.0% no-data",
		"pay 25.0%",
		"spent -100.0% closed",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("json:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(out, `"no_data": true`) {
		t.Errorf("json: no no_data:\n%s", out)
	}

	// Prometheus down: the gate does not open, and says why.
	prom.Stop()
	code, out, errOut = cli(t, gate("-slo", "pay")...)
	if code != exitUsage || !strings.Contains(errOut, "cannot read the budgets (do not deploy blindly): prometheus "+prom.URL) || !strings.Contains(errOut, "connection refused") {
		t.Errorf("Prometheus down: code %d, stdout %q, stderr %q; want %d naming %s and the refused connection", code, out, errOut, exitUsage, prom.URL)
	}
}

// A Prometheus server that accepts the connection and never answers costs
// the gate its -timeout, and closes it.
func TestGateOnASilentPrometheus(t *testing.T) {
	silent := promtest.Silent(t)
	began := time.Now()
	code, _, errOut := cli(t, "gate", "-prometheus", silent, "-timeout", "300ms")
	if code != exitUsage || !strings.Contains(errOut, "deadline exceeded") {
		t.Errorf("code %d, stderr %q; want %d and the deadline", code, errOut, exitUsage)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("the gate took %v with -timeout 300ms", d)
	}
}

func TestGatePrometheusUsage(t *testing.T) {
	for _, args := range [][]string{
		{"gate", "-url", "http://x/slo", "-at", "2026-01-02T15:04:05Z"},
		{"gate", "-url", "http://x/slo", "-spec", "x.yaml"},
		{"gate", "-prometheus", "http://p:9090", "-at", "yesterday"},
		{"gate", "-prometheus", "http://p:9090", "-slo", "a{"},
		{"gate", "-prometheus", "http://p:9090", "-slo", `{route="/pay"}`},
	} {
		if code, _, errOut := cli(t, args...); code != exitUsage {
			t.Errorf("%q: code %d, want %d; stderr %s", args, code, exitUsage, errOut)
		}
	}
	// A spec that does not load is bad usage, not a closed gate.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: slo/v1\nslos: [{name: x}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := cli(t, "gate", "-prometheus", "http://p:9090", "-spec", bad); code != exitUsage {
		t.Errorf("an invalid spec: code %d, want %d; stderr %s", code, exitUsage, errOut)
	}
}

// A -prometheus URL that is not a Prometheus server (a web page, a path
// that does not exist) closes the gate with what it answered.
func TestGateOnAServerThatIsNotPrometheus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/grafana/") {
			fmt.Fprint(w, "<html>Grafana</html>")
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct{ base, want string }{
		{srv.URL + "/grafana", `is not the HTTP API's JSON`},
		{srv.URL + "/nothing", "404 Not Found"},
	} {
		code, _, errOut := cli(t, "gate", "-prometheus", tc.base)
		if code != exitUsage || !strings.Contains(errOut, "cannot read the budgets") || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: code %d, stderr %q; want %d and %q", tc.base, code, errOut, exitUsage, tc.want)
		}
	}
}
