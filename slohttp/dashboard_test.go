package slohttp_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/browsertest"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// dashboardServer serves a registry's /slo JSON and its dashboard under
// /slo/ui/, with a clock the test moves, and a fault button that turns the
// checkout objective's next minute of traffic bad.
func dashboardServer(t *testing.T) (*httptest.Server, *slo.Registry, *atomic.Int64) {
	t.Helper()
	var ns atomic.Int64
	ns.Store(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	reg := slo.NewRegistry(slo.WithClock(func() time.Time { return time.Unix(0, ns.Load()) }))
	for _, o := range []slo.Objective{
		{Name: "checkout", Target: 0.999, Description: "Orders placed without a server error"},
		{Name: "search", Target: 0.99},
		{Name: "<script>alert(1)</script>", Target: 0.9},
	} {
		if _, err := reg.Define(o); err != nil {
			t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/slo", slohttp.SnapshotHandler(reg))
	mux.Handle("/slo/ui/", http.StripPrefix("/slo/ui", slohttp.DashboardHandler(reg,
		slohttp.WithTitle("Test service"),
		slohttp.WithActions(slohttp.DashboardAction{Label: "Break checkout", Method: "POST", URL: "../../fault"}))))
	mux.HandleFunc("POST /fault", func(w http.ResponseWriter, r *http.Request) {
		reg.Tracker("checkout").RecordN(0, 5000)
		ns.Add(int64(time.Minute))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, reg, &ns
}

func TestDashboardInBrowser(t *testing.T) {
	srv, reg, ns := dashboardServer(t)
	// A day of traffic: checkout spends part of its budget.
	for range 24 * 60 {
		reg.Tracker("checkout").RecordN(990, 1)
		reg.Tracker("search").RecordN(500, 0)
		ns.Add(int64(time.Minute))
	}
	ctx := browsertest.New(t)

	var consoleMu sync.Mutex
	var consoleErrors []string
	go func() {
		for msg, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if msg.Type == "error" || msg.IsException() {
				consoleMu.Lock()
				consoleErrors = append(consoleErrors, msg.String()+" at "+msg.URL)
				consoleMu.Unlock()
			}
		}
	}()

	step := browsertest.Within(t, ctx, 60*time.Second)
	if err := chromedp.Do(step,
		chromedp.Navigate(srv.URL+"/slo/ui/"),
		chromedp.WaitVisible(`body[data-loaded="true"]`),
	); err != nil {
		t.Fatalf("loading the dashboard: %v", err)
	}

	type card struct {
		Name, Remaining, Ratio, Events, TTE string
		ChartPoints                         int
		Tiers                               int
		Firing                              []string
	}
	read := func() []card {
		cards, err := chromedp.Run(step, chromedp.Evaluate[[]card](`[...document.querySelectorAll("article.card")].map(c => ({
			Name: c.querySelector(".name").textContent,
			Remaining: c.querySelector(".remaining").textContent,
			Ratio: c.querySelector(".ratio").textContent,
			Events: c.querySelector(".events").textContent,
			TTE: c.querySelector(".tte").textContent,
			ChartPoints: c.querySelector("polyline.actual").getAttribute("points").trim().split(/\s+/).filter(Boolean).length,
			Tiers: c.querySelectorAll("table.tiers tbody tr").length,
			Firing: [...c.querySelectorAll("table.tiers tbody tr.firing")].map(r => r.dataset.severity),
		}))`))
		if err != nil {
			t.Fatalf("reading the cards: %v", err)
		}
		return cards
	}
	cards := read()
	if len(cards) != 3 {
		t.Fatalf("%d cards, want 3: %+v", len(cards), cards)
	}

	// The numbers match /slo.
	res, err := http.Get(srv.URL + "/slo")
	if err != nil {
		t.Fatal(err)
	}
	var report slohttp.Report
	if err := json.NewDecoder(res.Body).Decode(&report); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	// The worst budget first: checkout spent some; the others, untouched,
	// follow in name order, as in /slo.
	order := []string{"checkout", "<script>alert(1)</script>", "search"}
	for i, got := range cards {
		if got.Name != order[i] {
			t.Errorf("card %d is %q, want %q (worst budget first)", i, got.Name, order[i])
		}
	}
	for _, want := range report.SLOs {
		var got card
		for _, c := range cards {
			if c.Name == want.Name {
				got = c
			}
		}
		if w := fmt.Sprintf("%.1f%%", 100*want.ErrorBudgetRemaining); got.Remaining != w {
			t.Errorf("%s: budget %q, /slo says %q", want.Name, got.Remaining, w)
		}
		if w := fmt.Sprintf("%.3f%%", 100*want.SuccessRatio); got.Ratio != w {
			t.Errorf("%s: success ratio %q, /slo says %q", want.Name, got.Ratio, w)
		}
		if !strings.HasPrefix(strings.ReplaceAll(got.Events, ",", ""), fmt.Sprint(want.Total)) {
			t.Errorf("%s: events %q, /slo says %d", want.Name, got.Events, want.Total)
		}
		// The chart starts where the history does: a day of hourly
		// buckets (25 or 26 touched) and one empty bucket before; an
		// objective with no traffic still gets a line of two points.
		wantPoints := [2]int{25, 27}
		if want.Total == 0 {
			wantPoints = [2]int{2, 2}
		}
		if got.ChartPoints < wantPoints[0] || got.ChartPoints > wantPoints[1] || got.Tiers != 4 {
			t.Errorf("%s: chart with %d points and %d tiers, want %v points and 4 tiers", want.Name, got.ChartPoints, got.Tiers, wantPoints)
		}
	}
	// The hostile name is shown as text and ran no script.
	if cards[1].Name != "<script>alert(1)</script>" {
		t.Errorf("second card's name = %q", cards[1].Name)
	}
	if n, err := chromedp.Run(step, chromedp.Evaluate[int](`document.querySelectorAll("main script").length`)); err != nil || n != 0 {
		t.Errorf("%d script elements in the cards (err %v)", n, err)
	}
	if budget := cards[0].Remaining; budget == "100.0%" {
		t.Errorf("checkout's budget shows %s after a day at 0.1%% errors", budget)
	}

	// The fault button burns checkout's budget; the page shows the page
	// tier firing at its next refresh.
	if err := chromedp.Do(step, chromedp.Click(`//button[text()="Break checkout"]`)); err != nil {
		t.Fatalf("clicking the fault button: %v", err)
	}
	if _, err := chromedp.Run(step, chromedp.Poll[bool](`[...document.querySelectorAll("article.card")]
		.some(c => c.dataset.slo === "checkout" && c.querySelector("table.tiers tr.firing[data-severity=page]") !== null)`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatalf("page tier not shown firing: %v (cards %+v)", err, read())
	}
	if s := reg.Tracker("checkout").Snapshot(); len(s.Firing()) == 0 || math.IsNaN(s.ErrorBudgetRemaining) {
		t.Errorf("tracker disagrees with the page: %+v", s.Tiers)
	}
	consoleMu.Lock()
	defer consoleMu.Unlock()
	if len(consoleErrors) > 0 {
		t.Errorf("console errors: %v", consoleErrors)
	}
}

func TestDashboardServesAssetsAndData(t *testing.T) {
	srv, _, _ := dashboardServer(t)
	for _, tc := range []struct{ path, contentType, contains string }{
		{"/slo/ui/", "text/html", `<script src="app.js">`},
		{"/slo/ui/app.js", "javascript", "textContent"},
		{"/slo/ui/style.css", "text/css", ".card"},
		{"/slo/ui/data.json", "application/json", `"history"`},
	} {
		res, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		var body strings.Builder
		_, _ = fmt.Fprint(&body, readAll(t, res))
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), tc.contentType) || !strings.Contains(body.String(), tc.contains) {
			t.Errorf("GET %s: %d %s, body contains %q: %v", tc.path, res.StatusCode, res.Header.Get("Content-Type"), tc.contains, strings.Contains(body.String(), tc.contains))
		}
		if !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("GET %s: no content security policy", tc.path)
		}
	}
	res, err := http.Post(srv.URL+"/slo/ui/data.json", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST data.json: %d, want 405", res.StatusCode)
	}
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// A family's members are drawn as cards grouped under the family's name,
// the worst budget first, each card named by its labels; the family comes
// where its worst member does, before objectives of their own with more
// budget left (in name order among equals).
func TestDashboardGroupsFamilyMembers(t *testing.T) {
	reg := slo.NewRegistry()
	for _, name := range []string{"a-login", "z-search"} {
		if _, err := reg.Define(slo.Objective{Name: name, Target: 0.99}); err != nil {
			t.Fatal(err)
		}
	}
	f, err := reg.DefineFamily(slo.Objective{Name: "api", Target: 0.99, Description: "Requests of each route succeed"}, []string{"route"})
	if err != nil {
		t.Fatal(err)
	}
	f.With("GET /a").RecordN(1000, 0)   // untouched
	f.With("POST /pay").RecordN(90, 10) // overspent
	f.With("GET /b").RecordN(995, 5)    // half spent
	srv := httptest.NewServer(http.StripPrefix("/slo/ui", slohttp.DashboardHandler(reg)))
	t.Cleanup(srv.Close)

	step := browsertest.Dashboard(t, srv.URL+"/slo/ui/", 60*time.Second)
	type item struct {
		Kind, Name, Description string
		Members                 []string
		Remaining               []string
	}
	items, err := chromedp.Run(step, chromedp.Evaluate[[]item](`[...document.querySelectorAll("main#slos > *")].map(e => e.matches("section.group") ? {
		Kind: "group",
		Name: e.querySelector(".group-name").textContent,
		Description: e.querySelector(".group-description").textContent,
		Members: [...e.querySelectorAll("article.card")].map(c => c.dataset.slo + " " + c.querySelector(".name").textContent),
		Remaining: [...e.querySelectorAll("article.card .remaining")].map(r => r.textContent),
	} : {Kind: "card", Name: e.querySelector(".name").textContent})`))
	if err != nil {
		t.Fatalf("reading the page: %v", err)
	}
	got := fmt.Sprintf("%+v", items)
	want := "[{Kind:group Name:api Description:Requests of each route succeed Members:[api route=POST /pay api route=GET /b api route=GET /a] Remaining:[-900.0% 50.0% 100.0%]} " +
		"{Kind:card Name:a-login Description: Members:[] Remaining:[]} " +
		"{Kind:card Name:z-search Description: Members:[] Remaining:[]}]"
	if got != want {
		t.Errorf("page:\n%s\nwant:\n%s", got, want)
	}
}
