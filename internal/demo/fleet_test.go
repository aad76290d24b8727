package demo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/internal/testdeps"
)

// dashboardTotals returns the events of each card of the dashboard's data,
// by report key, and how many of them carry a burn-down chart.
func dashboardTotals(t *testing.T, base string) (map[string]uint64, int) {
	t.Helper()
	res, err := http.Get(base + "/slo/ui/data.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var data struct {
		SLOs []struct {
			Name    string            `json:"name"`
			Labels  map[string]string `json:"labels"`
			Total   uint64            `json:"total"`
			History json.RawMessage   `json:"history"`
		} `json:"slos"`
	}
	if err := json.NewDecoder(res.Body).Decode(&data); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("data.json: %d %v", res.StatusCode, err)
	}
	out := map[string]uint64{}
	charts := 0
	for _, s := range data.SLOs {
		if s.Labels == nil {
			out[s.Name] = s.Total
		} else {
			out[s.Name+" "+s.Labels["route"]] = s.Total
		}
		if len(s.History) > 0 && string(s.History) != "null" {
			charts++
		}
	}
	return out, charts
}

// Two demo replicas sharing one real Redis show the same fleet-wide
// budgets on /slo and on the dashboard: every replica's requests summed.
// /slo/local keeps each replica's own part, and Redis down turns /slo into
// a 503, never a report of this replica alone.
func TestDemoReplicasShowTheFleetBudget(t *testing.T) {
	srv := testdeps.StartRedis(t)
	a, _ := startDemo(t, Config{RedisURL: srv.URL(), Instance: "replica-a", Speed: 1})
	b, _ := startDemo(t, Config{RedisURL: srv.URL(), Instance: "replica-b", Speed: 1})
	call := func(method, url string, n int) {
		for range n {
			req, _ := http.NewRequest(method, url, nil)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s %s: %d", method, url, res.StatusCode)
			}
		}
	}
	call(http.MethodGet, a+"/api/products", 7)
	call(http.MethodGet, b+"/api/products", 5)
	call(http.MethodPost, b+"/api/checkout", 3)

	want := map[string]uint64{Availability: 15, Latency: 15, products: 12, search: 0, checkout: 3}
	matches := func(got map[string]uint64) error {
		for k, v := range want {
			if got[k] != v {
				return fmt.Errorf("%s counts %d events, want the fleet's %d (all: %v)", k, got[k], v, got)
			}
		}
		return nil
	}
	totals := func(base string) map[string]uint64 {
		out := map[string]uint64{}
		for k, s := range getReport(t, base+"/slo") {
			out[k] = s.Total
		}
		return out
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, base := range []string{a, b} {
		for {
			err := matches(totals(base))
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s/slo: %v", base, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		got, charts := dashboardTotals(t, base)
		if err := matches(got); err != nil || charts != len(want) {
			t.Errorf("%s dashboard: %v; %d of %d cards with a chart", base, err, charts, len(want))
		}
	}
	if got := getReport(t, a+"/slo/local")[Availability].Total; got != 7 {
		t.Errorf("replica a's own report counts %d, want its 7", got)
	}

	srv.Stop()
	res, err := http.Get(a + "/slo")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/slo with Redis down: %d, want 503", res.StatusCode)
	}
}
