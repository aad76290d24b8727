package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/slo-budget-tracker/slo/internal/browsertest"
	"github.com/slo-budget-tracker/slo/internal/promtest"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// serveFleet is the fleet the serve tests read: two services, a grouped
// SLO with a spent member whose page alert fires, SLOs with budget left,
// one without traffic and one whose rules have not run yet.
func serveFleet() *promtest.Fleet {
	f := promtest.NewFleet()
	ls := promtest.Labels
	f.Meta(ls("pay", "checkout"), 0.99, time.Hour)
	f.Budget(ls("pay", "checkout"), 0.99, 400, 3) // 25% left
	f.Meta(ls("refund", "checkout"), 0.99, time.Hour)
	f.Budget(ls("refund", "checkout"), 0.99, 0, 0) // no traffic
	f.Meta(ls("query", "search"), 0.9, time.Hour)
	f.Budget(ls("query", "search", "route", "/a"), 0.9, 100, 1)  // 90% left
	f.Budget(ls("query", "search", "route", "/b"), 0.9, 100, 15) // -50%
	f.Firing(ls("query", "search", "route", "/b"), "page")
	f.Meta(ls("suggest", "search"), 0.99, time.Hour)
	f.Budget(ls("suggest", "search"), 0.99, 1000, 1) // 90% left
	f.Meta(ls("fresh", "search"), 0.999, time.Hour)  // rules not run yet
	return f
}

// startServe runs `slo serve` with args on a free port until the test
// ends, and returns its base URL once it answers.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", testdeps.FreePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve", "-addr", addr}, args...), &stdout, &stderr) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("slo serve exited %d: %s", code, stderr.String())
		}
	})
	base := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if res, err := http.Get(base + "/"); err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slo serve not answering: %s", stderr.String())
		}
	}
	if !strings.Contains(stdout.String(), base+"/slo") {
		t.Errorf("start-up text %q does not give %s/slo", stdout.String(), base)
	}
	return base
}

// getReport fetches /slo; the report is nil when the status is not 200.
func getReport(t *testing.T, base string) (int, *slohttp.Report) {
	t.Helper()
	res, err := http.Get(base + "/slo")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return res.StatusCode, nil
	}
	var r slohttp.Report
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, &r
}

func TestServeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"serve"},
		{"serve", "-prometheus", "prometheus:9090"},
		{"serve", "-prometheus", "http://p:9090", "-timeout", "0s"},
		{"serve", "-prometheus", "http://p:9090", "-at", "yesterday"},
		{"serve", "-prometheus", "http://p:9090", "-spec", "does-not-exist.yaml"},
		{"serve", "-prometheus", "http://p:9090", "extra"},
	} {
		var stdout, stderr strings.Builder
		if code := run(context.Background(), args, &stdout, &stderr); code != exitUsage {
			t.Errorf("%q: exit %d, want %d; stderr %s", args, code, exitUsage, stderr.String())
		}
	}
}

// TestServeInBrowser runs `slo serve` over a real Prometheus and reads its
// page in headless Chromium: every SLO of both services, worst budget
// first, the burn-down chart, "no data yet", the filters, and the banner
// while Prometheus is down, gone once it is back.
func TestServeInBrowser(t *testing.T) {
	f := serveFleet()
	prom := promtest.Start(t, testdeps.Prometheus2, f.Series)
	base := startServe(t, "-prometheus", prom.URL, "-at", f.At.Format(time.RFC3339), "-refresh", "1s")

	code, report := getReport(t, base)
	if code != http.StatusOK {
		t.Fatalf("/slo: status %d", code)
	}
	var entries []string
	for _, s := range report.SLOs {
		entries = append(entries, fmt.Sprintf("%s/%s %v:%.2f:%v", s.Service, s.Name, s.Labels, s.ErrorBudgetRemaining, s.NoData))
	}
	if got, want := strings.Join(entries, " "), "checkout/pay map[]:0.25:false checkout/refund map[]:1.00:true search/fresh map[]:1.00:true search/query map[route:/a]:0.90:false search/query map[route:/b]:-0.50:false search/suggest map[]:0.90:false"; got != want {
		t.Errorf("/slo:\n%s\nwant:\n%s", got, want)
	}

	step := browsertest.Dashboard(t, base+"/", 90*time.Second)
	type card struct {
		Name, Service, Remaining, State string
		ChartPoints                     int
		Chart                           bool
	}
	read := func() []card {
		t.Helper()
		cards, err := chromedp.Run(step, chromedp.Evaluate[[]card](`[...document.querySelectorAll("article.card")].filter(c => c.checkVisibility()).map(c => {
			const group = c.closest("section.group");
			return {
				Name: (group ? group.querySelector(".group-name").textContent + " " : "") + c.querySelector(".name").textContent,
				Service: group ? group.querySelector(".group-service").textContent : c.querySelector(".service").textContent,
				Remaining: c.querySelector(".remaining").textContent,
				State: c.querySelector(".state").textContent,
				ChartPoints: c.querySelector("polyline.actual").getAttribute("points").trim().split(/\s+/).filter(Boolean).length,
				Chart: c.querySelector("svg.chart").checkVisibility(),
			};
		})`))
		if err != nil {
			t.Fatalf("reading the cards: %v", err)
		}
		return cards
	}
	names := func(cards []card) string {
		var out []string
		for _, c := range cards {
			out = append(out, c.Service+"/"+c.Name+" "+c.Remaining)
		}
		return strings.Join(out, ", ")
	}
	cards := read()
	want := "search/query route=/b -50.0%, search/query route=/a 90.0%, checkout/pay 25.0%, search/suggest 90.0%, checkout/refund no data yet, search/fresh no data yet"
	if got := names(cards); got != want {
		t.Errorf("cards:\n%s\nwant:\n%s", got, want)
	}
	for _, c := range cards {
		charted := c.State != "no data yet"
		// A 1h window in buckets of its 5m grid steps: 12 points and the
		// one before.
		if c.Chart != charted || (charted && c.ChartPoints < 12) {
			t.Errorf("%s %s: chart shown %v with %d points", c.Service, c.Name, c.Chart, c.ChartPoints)
		}
	}
	if cards[0].State != "budget exhausted" || cards[2].State != "ok" {
		t.Errorf("states %q and %q, want query /b's budget exhausted and pay's ok", cards[0].State, cards[2].State)
	}

	choose := func(id, value string) {
		t.Helper()
		if _, err := chromedp.Run(step, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event("change")); return s.value === %q; })()`, id, value, value))); err != nil {
			t.Fatalf("choosing %s %s: %v", id, value, err)
		}
	}
	choose("service-filter", "checkout")
	if got := names(read()); got != "checkout/pay 25.0%, checkout/refund no data yet" {
		t.Errorf("service checkout: %s", got)
	}
	choose("service-filter", "")
	choose("severity-filter", "page")
	if got := names(read()); got != "search/query route=/b -50.0%" {
		t.Errorf("page alerts firing: %s", got)
	}
	choose("severity-filter", "")

	if path := os.Getenv("SLO_SERVE_SCREENSHOT"); path != "" {
		png, err := chromedp.Run(step, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Prometheus down: a banner, and 503 on /slo; back: both recover.
	prom.Stop()
	if code, _ := getReport(t, base); code != http.StatusServiceUnavailable {
		t.Errorf("/slo with Prometheus down: status %d, want 503", code)
	}
	banner, err := chromedp.Run(step, chromedp.Poll[string](`(() => { const b = document.getElementById("banner"); return !b.hidden && b.textContent; })()`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("no banner with Prometheus down: %v", err)
	}
	if !strings.Contains(banner, "cannot be read") || !strings.Contains(banner, prom.URL) {
		t.Errorf("banner %q does not say Prometheus at %s cannot be read", banner, prom.URL)
	}
	prom.Start()
	if _, err := chromedp.Run(step, chromedp.Poll[bool](`document.getElementById("banner").hidden && document.querySelectorAll("article.card").length === 6`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the page did not recover once Prometheus was back: %v", err)
	}
	if code, _ := getReport(t, base); code != http.StatusOK {
		t.Errorf("/slo with Prometheus back: status %d", code)
	}
}
