package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// sloServer serves the /slo report of a real registry in which "spent" has
// overspent its budget, "half" has spent half of it and "idle" has seen
// nothing.
func sloServer(t *testing.T) *httptest.Server {
	t.Helper()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	reg := slo.NewRegistry(slo.WithClock(func() time.Time { return now }))
	t.Cleanup(func() { reg.Close(context.Background()) })
	for _, name := range []string{"spent", "half", "idle"} {
		if _, err := reg.Define(slo.Objective{Name: name, Target: 0.99}); err != nil {
			t.Fatal(err)
		}
	}
	reg.Tracker("spent").RecordN(980, 20) // 2% errors against a 1% budget: remaining -1
	reg.Tracker("half").RecordN(995, 5)   // 0.5% errors: remaining 0.5
	mux := http.NewServeMux()
	mux.Handle("/slo", slohttp.SnapshotHandler(reg))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestGateOnAServiceSLOEndpoint(t *testing.T) {
	srv := sloServer(t)
	u := srv.URL + "/slo"
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"an exhausted budget closes the gate", nil, exitFail,
			[]string{"spent  ", "-100.0%", "CLOSED: budget exhausted", "half   ", "50.0%", "idle   ", "100.0%"}},
		{"only the named SLOs count", []string{"-slo", "half,idle"}, exitOK, []string{"half", "idle"}},
		{"a floor closes the gate above zero", []string{"-slo", "half", "-min-remaining", "60%"}, exitFail,
			[]string{"CLOSED: below the floor of 60%"}},
		{"a floor below the remaining budget passes", []string{"-slo", "half", "-min-remaining", "0.4"}, exitOK, nil},
		{"a missing SLO is an error, not a pass", []string{"-slo", "half", "-slo", "nope"}, exitUsage, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cli(t, append([]string{"gate", "-url", u}, tc.args...)...)
			if code != tc.wantCode {
				t.Errorf("code %d, want %d\n%s%s", code, tc.wantCode, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	code, out, _ := cli(t, "gate", "-url", u, "-o", "json")
	var rep struct {
		Open bool
		SLOs []budgetState
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitFail || rep.Open || len(rep.SLOs) != 3 {
		t.Fatalf("json: code %d err %v %+v", code, err, rep)
	}
	for _, s := range rep.SLOs {
		if s.Closed != (s.SLO == "spent") {
			t.Errorf("%+v", s)
		}
	}
}

func TestGateFailsClosedWhenItCannotRead(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) })
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>") })
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"slos":[]}`) })
	mux.HandleFunc("/other", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"status":"ok"}`) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	closed := httptest.NewServer(mux)
	closed.Close()
	for _, tc := range []struct{ path, want string }{
		{srv.URL + "/500", "500 Internal Server Error: boom"},
		{srv.URL + "/html", "not an SLO report"},
		{srv.URL + "/empty", "reports no SLO"},
		{srv.URL + "/other", `no "slos" list`},
		{srv.URL + "/slow", "context deadline exceeded"},
		{closed.URL + "/slo", "connection refused"},
	} {
		code, _, errOut := cli(t, "gate", "-url", tc.path, "-timeout", "300ms")
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: code %d, stderr %q; want %d and %q", tc.path, code, errOut, exitUsage, tc.want)
		}
	}
	for _, args := range [][]string{
		{},
		{"-url", srv.URL, "-prometheus", srv.URL},
		{"-url", srv.URL, "-service", "x"},
		{"-url", srv.URL, "-min-remaining", "2"},
		{"-url", srv.URL, "-timeout", "0s"},
		{"-prometheus", "not a url"},
	} {
		if code, _, _ := cli(t, append([]string{"gate"}, args...)...); code != exitUsage {
			t.Errorf("%q: code %d, want %d", args, code, exitUsage)
		}
	}
}

// promAPI answers /api/v1/query as Prometheus's HTTP API does, with the
// given samples of slo:error_budget_remaining:ratio, and records the query.
func promAPI(t *testing.T, samples map[[2]string]string) (*httptest.Server, *string) {
	t.Helper()
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/prom/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		got = r.FormValue("query")
		if strings.Contains(got, "bad_data") {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"parse error"}`)
			return
		}
		var result []string
		for k, v := range samples {
			result = append(result, fmt.Sprintf(`{"metric":{"__name__":"slo:error_budget_remaining:ratio","slo":%q,"service":%q},"value":[1700000000.5,%q]}`, k[0], k[1], v))
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[%s]}}`, strings.Join(result, ","))
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestGateOnPrometheusAPI(t *testing.T) {
	srv, query := promAPI(t, map[[2]string]string{
		{"checkout-availability", "checkout"}: "0.42",
		{"checkout-latency", "checkout"}:      "-0.05",
	})
	base := srv.URL + "/prom"
	code, out, errOut := cli(t, "gate", "-prometheus", base, "-service", `check"out`)
	if code != exitFail || !strings.Contains(out, "checkout-latency       checkout  -5.0%      CLOSED: budget exhausted") {
		t.Errorf("code %d\n%s%s", code, out, errOut)
	}
	if want := `slo:error_budget_remaining:ratio{service="check\"out"}`; *query != want {
		t.Errorf("query %s, want %s (service quoted)", *query, want)
	}
	if code, _, _ := cli(t, "gate", "-prometheus", base, "-slo", "checkout-availability", "-min-remaining", "40%"); code != exitOK {
		t.Errorf("42%% remaining over a 40%% floor: code %d", code)
	}
	if code, _, _ := cli(t, "gate", "-prometheus", base, "-slo", "checkout-availability", "-min-remaining", "50%"); code != exitFail {
		t.Errorf("42%% remaining under a 50%% floor: code %d", code)
	}

	nan, _ := promAPI(t, map[[2]string]string{{"a", "s"}: "NaN"})
	if code, _, errOut := cli(t, "gate", "-prometheus", nan.URL+"/prom"); code != exitUsage || !strings.Contains(errOut, "not a number") {
		t.Errorf("NaN: code %d %s", code, errOut)
	}
	if code, _, errOut := cli(t, "gate", "-prometheus", base, "-service", "bad_data"); code != exitUsage || !strings.Contains(errOut, "bad_data: parse error") {
		t.Errorf("error answer: code %d %s", code, errOut)
	}
	empty, _ := promAPI(t, nil)
	if code, _, errOut := cli(t, "gate", "-prometheus", empty.URL+"/prom"); code != exitUsage || !strings.Contains(errOut, "no SLO") {
		t.Errorf("no series: code %d %s", code, errOut)
	}
}

// TestGateOnARealPrometheus runs a real Prometheus server whose rules
// record slo:error_budget_remaining:ratio for two SLOs, one exhausted.
func TestGateOnARealPrometheus(t *testing.T) {
	bin := testdeps.Binary(t, "prometheus")
	dir := t.TempDir()
	rules := `groups:
  - name: slo
    interval: 1s
    rules:
      - record: slo:error_budget_remaining:ratio
        expr: vector(0.75)
        labels: {slo: healthy, service: shop}
      - record: slo:error_budget_remaining:ratio
        expr: vector(-0.25)
        labels: {slo: spent, service: shop}
`
	config := "global: {evaluation_interval: 1s}\nrule_files: [rules.yaml]\n"
	for name, body := range map[string]string{"rules.yaml": rules, "prometheus.yaml": config} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	addr := "127.0.0.1:" + strconv.Itoa(testdeps.FreePort(t))
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yaml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr, "--log.level=warn")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape("count(slo:error_budget_remaining:ratio)"))
		if err == nil {
			var r promResponse
			json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
			if len(r.Data.Result) == 1 && r.Data.Result[0].Value[1] == "2" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus did not record the rules in 30s: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	code, out, errOut := cli(t, "gate", "-prometheus", base, "-service", "shop")
	if code != exitFail || !strings.Contains(out, "spent    shop     -25.0%     CLOSED: budget exhausted") || !strings.Contains(out, "healthy  shop     75.0%      ok") {
		t.Errorf("code %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := cli(t, "gate", "-prometheus", base, "-slo", "healthy"); code != exitOK {
		t.Errorf("healthy only: code %d\n%s%s", code, out, errOut)
	}
	if code, _, _ := cli(t, "gate", "-prometheus", base, "-service", "other"); code != exitUsage {
		t.Errorf("a service with no SLO: code %d, want %d", code, exitUsage)
	}
}

// TestGateReadsWhatTheHandlerWrites serves a registry's report through
// slohttp.SnapshotHandler on a real HTTP server and checks that the gate
// reads every SLO's name, events, remaining budget and exhaustion as the
// registry has them.
func TestGateReadsWhatTheHandlerWrites(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	reg := slo.NewRegistry(slo.WithClock(func() time.Time { return now }))
	t.Cleanup(func() { reg.Close(context.Background()) })
	for name, counts := range map[string][2]uint64{
		"overspent": {980, 20}, "exactly-spent": {990, 10}, "third": {997, 3},
		"clean": {1000, 0}, "idle": {0, 0}, "all-bad": {0, 7},
	} {
		if _, err := reg.Define(slo.Objective{Name: name, Target: 0.99}); err != nil {
			t.Fatal(err)
		}
		reg.Tracker(name).RecordN(counts[0], counts[1])
	}
	srv := httptest.NewServer(slohttp.SnapshotHandler(reg))
	t.Cleanup(srv.Close)

	code, out, errOut := cli(t, "gate", "-url", srv.URL, "-o", "json")
	if code != exitFail {
		t.Fatalf("code %d, want %d (budgets are spent)\n%s", code, exitFail, errOut)
	}
	var rep struct{ SLOs []budgetState }
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	snaps := reg.SnapshotAll()
	if len(rep.SLOs) != len(snaps) {
		t.Fatalf("gate read %d SLOs, the registry has %d", len(rep.SLOs), len(snaps))
	}
	for i, s := range snaps {
		g := rep.SLOs[i]
		if g.SLO != s.Name || g.Remaining != s.ErrorBudgetRemaining || g.Total == nil || *g.Total != s.Total ||
			g.Exhausted != s.IsBudgetExhausted() || g.Closed != s.IsBudgetExhausted() {
			t.Errorf("gate read %+v (total %v); the registry has %s: remaining %v, total %d, exhausted %v",
				g, g.Total, s.Name, s.ErrorBudgetRemaining, s.Total, s.IsBudgetExhausted())
		}
	}
}

// TestGateRejectsAnIncompleteReport: a report whose SLO lacks its name or
// remaining budget is not read as a zero budget.
func TestGateRejectsAnIncompleteReport(t *testing.T) {
	for _, body := range []string{
		`{"slos":[{"name":"a","total":0}]}`,
		`{"slos":[{"name":"a","error_budget_remaining":null}]}`,
		`{"slos":[{"error_budget_remaining":1}]}`,
		`{"slos":[null]}`,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) }))
		code, _, errOut := cli(t, "gate", "-url", srv.URL)
		srv.Close()
		if code != exitUsage || !strings.Contains(errOut, "slos[0] has no name or error_budget_remaining") {
			t.Errorf("%s: code %d, stderr %q", body, code, errOut)
		}
	}
}
