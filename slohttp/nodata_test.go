package slohttp_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// A snapshot read from a fleet names its service, and one with no data yet
// says so; an in-process snapshot has neither key, as before.
func TestSnapshotJSONServiceAndNoData(t *testing.T) {
	fleet, err := json.Marshal(slohttp.NewSnapshot(slo.Snapshot{Name: "api", Service: "checkout", NoData: true, ErrorBudgetRemaining: 1}))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"service":"checkout"`, `"no_data":true`, `"is_budget_exhausted":false`} {
		if !strings.Contains(string(fleet), want) {
			t.Errorf("fleet snapshot %s lacks %s", fleet, want)
		}
	}
	local, err := json.Marshal(slohttp.NewSnapshot(slo.Snapshot{Name: "api", ErrorBudgetRemaining: 1}))
	if err != nil {
		t.Fatal(err)
	}
	for _, unwanted := range []string{`"service"`, `"no_data"`} {
		if strings.Contains(string(local), unwanted) {
			t.Errorf("in-process snapshot %s has %s", local, unwanted)
		}
	}
	var back slohttp.Snapshot
	if err := json.Unmarshal(fleet, &back); err != nil || !back.NoData || back.Service != "checkout" {
		t.Errorf("decoding %s: %+v, %v", fleet, back, err)
	}
}
