package slohttp_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/browsertest"
	"github.com/slo-budget-tracker/slo/slohttp"
)

func TestDashboardDataNamesTheRefreshInterval(t *testing.T) {
	for _, c := range []struct {
		opts []slohttp.DashboardOption
		want float64
	}{
		{nil, 2},
		{[]slohttp.DashboardOption{slohttp.WithRefresh(15 * time.Second)}, 15},
		{[]slohttp.DashboardOption{slohttp.WithRefresh(500 * time.Millisecond)}, 0.5},
		{[]slohttp.DashboardOption{slohttp.WithRefresh(0)}, 2},
		{[]slohttp.DashboardOption{slohttp.WithRefresh(-time.Second)}, 2},
	} {
		h := slohttp.DashboardHandler(slo.NewRegistry(), c.opts...)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/data.json", nil))
		var d struct {
			RefreshSeconds *float64 `json:"refresh_seconds"`
		}
		if err := json.NewDecoder(w.Body).Decode(&d); err != nil {
			t.Fatal(err)
		}
		if d.RefreshSeconds == nil || *d.RefreshSeconds != c.want {
			t.Errorf("%d options: refresh_seconds = %v, want %v", len(c.opts), d.RefreshSeconds, c.want)
		}
	}
}

// The page reads its data as often as the handler says: every 300ms here,
// not every 2s.
func TestDashboardRefreshesAtTheIntervalGiven(t *testing.T) {
	var reads atomic.Int64
	dash := slohttp.DashboardHandler(slo.NewRegistry(), slohttp.WithRefresh(300*time.Millisecond))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/data.json" {
			reads.Add(1)
		}
		dash.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	browsertest.Dashboard(t, srv.URL+"/", 60*time.Second)
	first := reads.Load()
	time.Sleep(3 * time.Second)
	// 10 reads at 300ms; at 2s, 1 or 2. A loaded machine may delay timers.
	if n := reads.Load() - first; n < 5 {
		t.Errorf("the page read data.json %d times in 3s, want about 10 (every 300ms)", n)
	}
}
