package slohttp_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/browsertest"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// The dashboard shows each card's corrections in the window (the active
// one highlighted, reasons as text), shades them on the burn-down chart,
// names a calendar objective's current period and when it resets, and
// counts a time-slice objective's good slices.
func TestDashboardShowsCorrectionsPeriodsAndSlices(t *testing.T) {
	start := time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC)
	clock := &replayClock{now: start}
	reg := slo.NewRegistry(slo.WithClock(clock.Now))
	checkout, err := reg.Define(slo.Objective{Name: "checkout", Target: 0.999, Corrections: []slo.Correction{
		{Start: start.Add(time.Hour), End: start.Add(2 * time.Hour), Reason: "planned database migration"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	monthly, err := reg.Define(slo.Objective{Name: "monthly", Target: 0.99, Calendar: slo.Calendar{Period: slo.Month}})
	if err != nil {
		t.Fatal(err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []slo.Objective{
		{Name: "weekly", Target: 0.99, Calendar: slo.Calendar{Period: slo.Week, Location: berlin}},
		{Name: "quarterly", Target: 0.99, Calendar: slo.Calendar{Period: slo.Quarter}},
	} {
		if _, err := reg.Define(o); err != nil {
			t.Fatal(err)
		}
	}
	minutes, err := reg.Define(slo.Objective{Name: "minutes", Target: 0.9, Window: time.Hour,
		Slices: slo.TimeSlices{Window: time.Minute, Target: 0.95}})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 * 60 {
		checkout.RecordN(1000, 1)
		monthly.RecordN(100, 0)
		minutes.RecordN(100, 0)
		clock.Advance(time.Minute)
	}
	minutes.RecordN(1, 1) // one bad slice
	clock.Advance(time.Minute)
	// An incident declared "not ours" while it lasts: active now (05:01).
	if err := checkout.AddCorrection(slo.Correction{Start: start.Add(4*time.Hour + 30*time.Minute), End: start.Add(6 * time.Hour),
		Reason: "<b>upstream CDN</b>, not ours"}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(slohttp.DashboardHandler(reg))
	t.Cleanup(srv.Close)

	step := browsertest.Dashboard(t, srv.URL+"/", 60*time.Second)
	type card struct {
		Corrections       []string
		Active            []string
		Shaded            int
		Window, Slices    string
		CorrectionsHidden bool
		SlicesHidden      bool
	}
	cards, err := chromedp.Run(step, chromedp.Evaluate[map[string]card](`Object.fromEntries([...document.querySelectorAll("article.card")].map(c => [c.dataset.slo, {
		Corrections: [...c.querySelectorAll(".corrections li")].map(li => li.textContent),
		Active: [...c.querySelectorAll(".corrections li.active .reason")].map(r => r.textContent),
		Shaded: c.querySelectorAll("svg.chart rect.corrected").length,
		Window: c.querySelector(".window").textContent,
		Slices: c.querySelector(".slices").textContent,
		CorrectionsHidden: c.querySelector(".corrections").hidden,
		SlicesHidden: c.querySelector(".slices").hidden,
	}]))`))
	if err != nil {
		t.Fatalf("reading the cards: %v", err)
	}
	got := cards["checkout"]
	wantList := []string{
		"active<b>upstream CDN</b>, not ours2026-12-18 04:30 UTC – 2026-12-18 06:00 UTC",
		"planned database migration2026-12-18 01:00 UTC – 2026-12-18 02:00 UTC",
	}
	if got.CorrectionsHidden || fmt.Sprint(got.Corrections) != fmt.Sprint(wantList) {
		t.Errorf("checkout's corrections (hidden %v):\n%q\nwant (the active one first):\n%q", got.CorrectionsHidden, got.Corrections, wantList)
	}
	if len(got.Active) != 1 || got.Active[0] != "<b>upstream CDN</b>, not ours" {
		t.Errorf("checkout's active corrections = %q, want the CDN incident, its reason as text", got.Active)
	}
	if got.Shaded != 2 {
		t.Errorf("checkout's chart shades %d corrected periods, want 2", got.Shaded)
	}
	if n, err := chromedp.Run(step, chromedp.Evaluate[int](`document.querySelectorAll("main b").length`)); err != nil || n != 0 {
		t.Errorf("%d <b> elements from a reason (err %v)", n, err)
	}
	for _, name := range []string{"monthly", "minutes"} {
		if !cards[name].CorrectionsHidden {
			t.Errorf("%s has no corrections but shows the list: %q", name, cards[name].Corrections)
		}
	}
	// Berlin's week starts on Monday 14 December at 00:00 there, 23:00 UTC
	// the day before, and ends at 23:00 UTC on the 20th.
	for name, w := range map[string]string{
		"monthly":   "month of December 2026, resets in 13d 18h",
		"weekly":    "week of 14 December 2026, resets in 2d 17h",
		"quarterly": "quarter 4 of 2026, resets in 13d 18h",
	} {
		if cards[name].Window != w {
			t.Errorf("%s's window = %q, want %q", name, cards[name].Window, w)
		}
	}
	if w := cards["checkout"].Window; strings.Contains(w, "month") || strings.Contains(w, "resets") {
		t.Errorf("a rolling window shows a period: %q", w)
	}
	if s := cards["minutes"]; s.SlicesHidden || s.Slices != "59 of 60 good (6 bad allowed)" {
		t.Errorf("minutes' slices = %q (hidden %v), want 59 of 60 good (6 bad allowed)", s.Slices, s.SlicesHidden)
	}
	if !cards["checkout"].SlicesHidden {
		t.Errorf("an objective over events shows slices: %q", cards["checkout"].Slices)
	}
}
