package main

import (
	"context"
	"encoding/json"
	"maps"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// gateJSON is the gate's -o json report.
type gateJSON struct {
	Open bool
	SLOs []budgetState
}

// checkMembers runs the gate with args, text and json, and checks that it
// names every member by its labels: in the text, a line begins with each
// member's name and labels of want and ends with its status; in the json,
// the members carry the labels of wantLabels, in order.
func checkMembers(t *testing.T, args []string, wantCode int, want [][2]string, wantLabels []map[string]string) {
	t.Helper()
	code, out, errOut := cli(t, append([]string{"gate"}, args...)...)
	if code != wantCode {
		t.Errorf("code %d, want %d\n%s%s", code, wantCode, out, errOut)
	}
	for _, w := range want {
		found := false
		for line := range strings.SplitSeq(out, "\n") {
			if strings.HasPrefix(line, w[0]+" ") && strings.HasSuffix(line, w[1]) {
				found = true
			}
		}
		if !found {
			t.Errorf("no line names %q:\n%s", w, out)
		}
	}
	code, out, _ = cli(t, append([]string{"gate", "-o", "json"}, args...)...)
	var rep gateJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != wantCode {
		t.Fatalf("json: code %d, %v\n%s", code, err, out)
	}
	if len(rep.SLOs) != len(wantLabels) {
		t.Fatalf("json: %d SLOs, want %d\n%s", len(rep.SLOs), len(wantLabels), out)
	}
	for i, s := range rep.SLOs {
		if !maps.Equal(s.Labels, wantLabels[i]) {
			t.Errorf("json: slos[%d] (%s) has labels %v, want %v", i, s.SLO, s.Labels, wantLabels[i])
		}
	}
	if !strings.Contains(out, `"labels": {`) {
		t.Errorf("json: no labels object:\n%s", out)
	}
}

// TestGateNamesFamilyMembersOfAServiceEndpoint serves a registry with a
// family of two routes, one overspent, and a plain SLO: the gate names
// each member with its labels, and -slo with the family's name checks all
// its members.
func TestGateNamesFamilyMembersOfAServiceEndpoint(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	reg := slo.NewRegistry(slo.WithClock(func() time.Time { return now }))
	t.Cleanup(func() { reg.Close(context.Background()) })
	fam, err := reg.DefineFamily(slo.Objective{Name: "checkout", Target: 0.99}, []string{"route"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Define(slo.Objective{Name: "plain", Target: 0.99}); err != nil {
		t.Fatal(err)
	}
	fam.With("/pay").RecordN(980, 20) // remaining -1
	fam.With("/cart").RecordN(995, 5) // remaining 0.5
	srv := httptest.NewServer(slohttp.SnapshotHandler(reg))
	t.Cleanup(srv.Close)

	checkMembers(t, []string{"-url", srv.URL}, exitFail,
		[][2]string{{`checkout{route="/pay"}`, "exhausted"}, {`checkout{route="/cart"}`, "ok"}, {"plain", "ok"}},
		[]map[string]string{{"route": "/cart"}, {"route": "/pay"}, nil})
	checkMembers(t, []string{"-url", srv.URL, "-slo", "checkout"}, exitFail,
		[][2]string{{`checkout{route="/pay"}`, "exhausted"}, {`checkout{route="/cart"}`, "ok"}},
		[]map[string]string{{"route": "/cart"}, {"route": "/pay"}})
	checkMembers(t, []string{"-url", srv.URL, "-slo", `checkout{route="/cart"},plain`}, exitOK,
		[][2]string{{`checkout{route="/cart"}`, "ok"}, {"plain", "ok"}},
		[]map[string]string{{"route": "/cart"}, nil})
}
