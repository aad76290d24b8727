package slohttp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// fleet is a Source of fixed snapshots, like a fleet read from Prometheus.
type fleet []slo.Snapshot

func (f fleet) Snapshots(context.Context) ([]slo.Snapshot, error) { return f, nil }

// The dashboard lists the worst budget first across services; a grouped
// SLO comes where its worst member does, its members worst first; SLOs
// with no data yet come last.
func TestDashboardOrdersTheFleetWorstBudgetFirst(t *testing.T) {
	src := fleet{
		{Name: "x", Service: "a", Target: 0.99, ErrorBudgetRemaining: 0.5},
		{Name: "y", Service: "b", Target: 0.99, ErrorBudgetRemaining: 1, NoData: true},
		{Name: "z", Service: "b", Target: 0.99, ErrorBudgetRemaining: -0.2, BurnRate: 1.2},
		{Name: "g", Service: "a", Target: 0.99, Labels: map[string]string{"l": "1"}, ErrorBudgetRemaining: 0.9},
		{Name: "g", Service: "a", Target: 0.99, Labels: map[string]string{"l": "2"}, ErrorBudgetRemaining: 0.1},
		{Name: "g", Service: "b", Target: 0.99, ErrorBudgetRemaining: 0.3},
	}
	rec := httptest.NewRecorder()
	slohttp.DashboardHandler(src).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/data.json", nil))
	var data struct {
		SLOs []slohttp.Snapshot `json:"slos"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &data); err != nil {
		t.Fatalf("%v: %s", err, rec.Body.String())
	}
	var got []string
	for _, s := range data.SLOs {
		got = append(got, fmt.Sprintf("%s/%s %v nodata=%v", s.Service, s.Name, s.Labels, s.NoData))
	}
	want := "b/z map[] nodata=false, a/g map[l:2] nodata=false, a/g map[l:1] nodata=false, b/g map[] nodata=false, a/x map[] nodata=false, b/y map[] nodata=true"
	if g := strings.Join(got, ", "); g != want {
		t.Errorf("order:\n%s\nwant:\n%s", g, want)
	}
}
