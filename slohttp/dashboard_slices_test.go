package slohttp_test

import (
	"math"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/browsertest"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// A time-slice objective's burn-down is drawn in slices, the budget it
// counts: two bad minutes of six allowed spend a third of it, however few
// of the hour's events failed, and the chart ends where the budget stands.
func TestDashboardChartsTimeSlicesInSlices(t *testing.T) {
	clock := &replayClock{now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	reg := slo.NewRegistry(slo.WithClock(clock.Now))
	minutes := defineMinutes(t, reg)
	for i := range 60 {
		switch i {
		case 20, 40:
			minutes.RecordN(0, 1) // a bad minute of one failed event
		default:
			minutes.RecordN(1000, 0)
		}
		clock.Advance(time.Minute)
	}
	snap := reg.Tracker("minutes").Snapshot()
	if math.Abs(snap.ErrorBudgetRemaining-(1-2.0/6)) > 1e-9 {
		t.Fatalf("the budget left is %v, want two thirds", snap.ErrorBudgetRemaining)
	}
	srv := httptest.NewServer(slohttp.DashboardHandler(reg))
	t.Cleanup(srv.Close)

	step := browsertest.Dashboard(t, srv.URL+"/", 60*time.Second)
	type card struct {
		Actual, Ideal, Remaining, Legend, Window string
	}
	got, err := chromedp.Run(step, chromedp.Evaluate[card](`(() => {
		const c = document.querySelector('article.card[data-slo="minutes"]');
		return {
			Actual: c.querySelector("polyline.actual").getAttribute("points"),
			Ideal: c.querySelector("polyline.ideal").getAttribute("points"),
			Remaining: c.querySelector(".remaining").textContent,
			Legend: c.querySelector(".legend").textContent,
			Window: c.querySelector(".window").textContent,
		};
	})()`))
	if err != nil {
		t.Fatalf("reading the card: %v", err)
	}
	// The chart spans 0 (y=120) to 1 (y=0): a point's value is 1 - y/120.
	values := func(points string) []float64 {
		var vs []float64
		for _, p := range strings.Fields(points) {
			_, y, _ := strings.Cut(p, ",")
			v, err := strconv.ParseFloat(y, 64)
			if err != nil {
				t.Fatalf("point %q: %v", p, err)
			}
			vs = append(vs, 1-v/120)
		}
		return vs
	}
	actual, ideal := values(got.Actual), values(got.Ideal)
	if len(actual) != 60 || len(ideal) != 60 {
		t.Fatalf("%d and %d points, want one per minute of the hour", len(actual), len(ideal))
	}
	// Minute 20 is the window's 20th slice (0-based; the window is the
	// last 60 completed ones), minute 40 its 40th.
	for i, v := range actual {
		want := 1.0
		switch {
		case i >= 40:
			want = 1 - 2.0/6
		case i >= 20:
			want = 1 - 1.0/6
		}
		if math.Abs(v-want) > 0.01 {
			t.Errorf("after slice %d the chart shows %.3f of the budget left, want %.3f", i, v, want)
		}
	}
	if last := actual[len(actual)-1]; math.Abs(last-snap.ErrorBudgetRemaining) > 0.01 || got.Remaining != "66.7%" {
		t.Errorf("the chart ends at %.3f, the card says %s; the budget left is %.3f", last, got.Remaining, snap.ErrorBudgetRemaining)
	}
	// On schedule, every slice spends a 60th of the budget.
	if math.Abs(ideal[29]-0.5) > 0.01 || math.Abs(ideal[59]) > 0.01 {
		t.Errorf("the on-schedule line is at %.3f after 30 slices and %.3f after 60; want 0.5 and 0", ideal[29], ideal[59])
	}
	if !strings.Contains(got.Legend, "slices") || got.Window != "over 1h" {
		t.Errorf("legend %q (window %q): want it to say the chart counts slices, over 1h", got.Legend, got.Window)
	}
}
