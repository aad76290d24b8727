package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
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
