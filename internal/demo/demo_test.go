package demo

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/slo-budget-tracker/slo/internal/browsertest"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// startDemo runs the demo on a free loopback port until the test ends and
// returns its base URL and a function that stops it and waits.
func startDemo(t *testing.T, cfg Config) (string, func() error) {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ready := make(chan string, 1)
	cfg.Ready = func(addr string) { ready <- addr }
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, cfg) }()
	var stopped bool
	var runErr error
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			runErr = <-errc
		}
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	select {
	case addr := <-ready:
		return "http://" + addr, stop
	case err := <-errc:
		t.Fatalf("demo did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not start within 30s")
	}
	return "", nil
}

func getReport(t *testing.T, url string) map[string]slohttp.Snapshot {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r slohttp.Report
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	m := map[string]slohttp.Snapshot{}
	for _, s := range r.SLOs {
		m[reportKey(s)] = s
	}
	return m
}

// reportKey names an entry of the report: the objective's name, followed
// for a member of a family by its route, e.g. "route-availability GET /api/search".
func reportKey(s slohttp.Snapshot) string {
	if s.Labels == nil {
		return s.Name
	}
	return s.Name + " " + s.Labels["route"]
}

// The members of the per-route objective, by report key.
var (
	products = Routes + " GET /api/products"
	search   = Routes + " GET /api/search"
	checkout = Routes + " POST /api/checkout"
)

func post(t *testing.T, url string) {
	t.Helper()
	res, err := http.Post(url, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %s", url, res.StatusCode, body)
	}
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestDemoServesMeasuresAndPersists(t *testing.T) {
	dir := t.TempDir()
	var out strings.Builder
	base, stop := startDemo(t, Config{RPS: 200, Speed: 1, DataDir: dir, Out: &out})
	for _, want := range []string{"/slo/ui/", "/metrics", "/demo/fault", dir} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("start-up text does not mention %s:\n%s", want, out.String())
		}
	}
	eventually(t, 20*time.Second, "traffic on every objective", func() bool {
		r := getReport(t, base+"/slo")
		return len(r) == 5 && r[Availability].Total > 50 && r[Latency].Total > 50 && r[checkout].Total > 3
	})
	r := getReport(t, base+"/slo")
	if r[Availability].Failures != 0 || r[checkout].Total >= r[Availability].Total {
		t.Errorf("healthy shop: %+v", r)
	}
	// One entry per route, labelled by it; the fault route is not one.
	for _, key := range []string{products, search, checkout} {
		s, ok := r[key]
		if !ok || len(s.Labels) != 1 || !strings.HasSuffix(key, " "+s.Labels["route"]) || s.Total == 0 {
			t.Errorf("%s: %+v (present %v), want an entry labelled by its route with events", key, s, ok)
		}
	}

	// Every request fails: all objectives but latency burn.
	post(t, base+"/demo/fault?error_rate=1")
	eventually(t, 20*time.Second, "failures after the fault", func() bool {
		r := getReport(t, base+"/slo")
		return r[Availability].Failures > 20 && r[checkout].Failures > 0 && r[search].Failures > 0
	})
	post(t, base+"/demo/fault?error_rate=0&latency=0")
	for _, bad := range []string{"error_rate=2", "latency=forever", "latency=-1s"} {
		res, err := http.Post(base+"/demo/fault?"+bad, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("POST /demo/fault?%s: %d, want 400", bad, res.StatusCode)
		}
	}

	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(metrics), `slo_events_total{outcome="bad",slo="api-availability"}`) {
		t.Errorf("/metrics lacks the availability counters:\n%.2000s", metrics)
	}
	if !strings.Contains(string(metrics), `slo_events_total{outcome="bad",route="POST /api/checkout",slo="route-availability"}`) {
		t.Errorf("/metrics lacks the per-route counters:\n%.4000s", metrics)
	}

	// A clean stop saves every budget; a restart restores them.
	before := getReport(t, base+"/slo")
	if err := stop(); err != nil {
		t.Fatalf("demo stopped with %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) < 3 {
		t.Fatalf("saved files %v, want one per objective", files)
	}
	base2, _ := startDemo(t, Config{RPS: 0, Speed: 1, DataDir: dir})
	after := getReport(t, base2+"/slo")
	if len(after) != len(before) {
		t.Errorf("after restart %d entries, before %d", len(after), len(before))
	}
	for name, b := range before {
		a, ok := after[name]
		if !ok || a.Total < b.Total || a.Failures < b.Failures {
			t.Errorf("%s after restart: %d/%d, want at least %d/%d", name, a.Total, a.Failures, b.Total, b.Failures)
		}
	}
}

// TestDemoDashboardShowsPageAlert injects a fault with the dashboard's button
// while the SLO clock runs a thousand times faster, and waits for the page
// to show checkout's page tier firing.
func TestDemoDashboardShowsPageAlert(t *testing.T) {
	base, _ := startDemo(t, Config{RPS: 100, Speed: 1000})
	step := browsertest.Dashboard(t, base+"/", 90*time.Second)
	// The per-route objective's members are cards grouped under its name.
	names, err := chromedp.Run(step, chromedp.Evaluate[[]string](`[...document.querySelectorAll("article.card")].map(c =>
		c.closest("section.group") ? c.closest("section.group").querySelector(".group-name").textContent + " " + c.querySelector(".name").textContent
			: c.querySelector(".name").textContent)`))
	slices.Sort(names)
	want := "api-availability,api-latency,route-availability route=GET /api/products,route-availability route=GET /api/search,route-availability route=POST /api/checkout"
	if err != nil || strings.Join(names, ",") != want {
		t.Fatalf("cards %q (err %v), want %s", names, err, want)
	}
	started := time.Now()
	if err := chromedp.Do(step, chromedp.Click(`//button[text()="Inject 30% errors"]`)); err != nil {
		t.Fatalf("clicking the fault button: %v", err)
	}
	const within = 30 * time.Second
	if _, err := chromedp.Run(step, chromedp.Poll[bool](`[...document.querySelectorAll("article.card")]
		.some(c => c.dataset.slo === "api-availability" && c.querySelector("table.tiers tr.firing[data-severity=page]") !== null)`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(within))); err != nil {
		t.Fatalf("page tier not shown firing within %v: %v", within, err)
	}
	t.Logf("page alert shown %v after the fault", time.Since(started).Round(time.Millisecond))
	if os.Getenv("SLO_SCREENSHOT") != "" {
		png, err := chromedp.Run(step, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(os.Getenv("SLO_SCREENSHOT"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDemoFractionalSpeed runs the SLO clock slower than real time.
func TestDemoFractionalSpeed(t *testing.T) {
	var out strings.Builder
	_, stop := startDemo(t, Config{RPS: 0, Speed: 0.5, Out: &out})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0.5x real time: a 30-day window passes in 1440h0m0s") {
		t.Errorf("start-up text:\n%s", out.String())
	}
}
