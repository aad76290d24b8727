package slohttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/slohttp"
)

var update = flag.Bool("update", false, "rewrite testdata/report.golden.json")

// replayClock is a settable clock, safe for concurrent use.
type replayClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *replayClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *replayClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// goldenRegistry returns a registry in a known state: "checkout" burns its
// budget fast enough to page, "search" is healthy, "idle" saw nothing and
// "exhausted" has spent everything; the family "api" has one member per
// route, "/pay" burning and "/search" healthy.
func goldenRegistry(t *testing.T) *slo.Registry {
	t.Helper()
	clock := &replayClock{now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	reg := slo.NewRegistry(slo.WithClock(clock.Now))
	t.Cleanup(func() { reg.Close(context.Background()) })
	define := func(o slo.Objective) *slo.Tracker {
		tr, err := reg.Define(o)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	checkout := define(slo.Objective{Name: "checkout", Target: 0.999})
	search := define(slo.Objective{Name: "search", Target: 0.99, Window: 7 * 24 * time.Hour})
	define(slo.Objective{Name: "idle", Target: 0.95, Window: 24 * time.Hour, BurnRateWindows: []time.Duration{time.Hour}, Tiers: []slo.AlertTier{}})
	exhausted := define(slo.Objective{Name: "exhausted", Target: 0.9, Window: time.Hour, BurnRateWindows: []time.Duration{5 * time.Minute}, Tiers: []slo.AlertTier{}})
	api, err := reg.DefineFamily(slo.Objective{Name: "api", Target: 0.99, Window: 24 * time.Hour, BurnRateWindows: []time.Duration{time.Hour}, Tiers: []slo.AlertTier{}}, []string{"route"})
	if err != nil {
		t.Fatal(err)
	}

	for range 3 * 24 * 60 { // three clean days
		checkout.RecordN(1000, 0)
		search.RecordN(500, 1)
		clock.Advance(time.Minute)
	}
	for range 60 { // then an hour at 2% errors: a burn of 20
		checkout.RecordN(980, 20)
		search.RecordN(500, 1)
		exhausted.RecordN(5, 5)
		clock.Advance(time.Minute)
	}
	api.With("/search").RecordN(100, 0)
	api.With("/pay").RecordN(90, 10)
	return reg
}

func get(t *testing.T, h http.Handler, method string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, "/slo", nil))
	return w
}

func TestSnapshotHandlerMatchesGolden(t *testing.T) {
	w := get(t, slohttp.SnapshotHandler(goldenRegistry(t)), "GET")
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	for header, want := range map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"} {
		if got := w.Header().Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	const golden = "testdata/report.golden.json"
	if *update {
		if err := os.WriteFile(golden, w.Body.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w.Body.Bytes(), want) {
		t.Errorf("report differs from %s (rerun with -update if the change is intended):\n%s", golden, w.Body)
	}
}

// TestReportDecodesStrictly checks that the exported types describe every
// field the handler writes, so a client decoding into Report misses nothing.
func TestReportDecodesStrictly(t *testing.T) {
	w := get(t, slohttp.SnapshotHandler(goldenRegistry(t)), "GET")
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	var rep slohttp.Report
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("decoding the report into slohttp.Report: %v", err)
	}
	byName := map[string]slohttp.Snapshot{}
	var members []string
	for _, s := range rep.SLOs {
		if s.Labels == nil {
			byName[s.Name] = s
			continue
		}
		members = append(members, fmt.Sprintf("%s %v %d/%d", s.Name, s.Labels, s.Failures, s.Total))
	}
	if got := len(rep.SLOs); got != 6 {
		t.Fatalf("report has %d SLOs, want 6", got)
	}
	if want := "[api map[route:/pay] 10/100 api map[route:/search] 0/100]"; fmt.Sprint(members) != want {
		t.Errorf("family members = %v, want %v", members, want)
	}
	checkout := byName["checkout"]
	if checkout.Total != 4380000 || checkout.Failures != 1200 || checkout.WindowSeconds != 30*24*3600 {
		t.Errorf("checkout counts = %d/%d over %vs", checkout.Failures, checkout.Total, checkout.WindowSeconds)
	}
	if len(checkout.BurnRates) == 0 || math.Abs(checkout.BurnRates[0].BurnRate-20) > 1e-9 {
		t.Errorf("checkout 1h burn rate = %+v, want 20 (an hour at 2%% errors)", checkout.BurnRates)
	}
	if len(checkout.Tiers) != 4 || checkout.Tiers[0].Severity != "page" || checkout.Tiers[0].LongWindowSeconds != 3600 || checkout.Tiers[0].ShortWindowSeconds != 300 || !checkout.Tiers[0].Firing {
		t.Errorf("checkout's first tier = %+v, want the 1h/5m page tier firing", checkout.Tiers)
	}
	if idle := byName["idle"]; idle.TimeToExhaustionSeconds != nil || idle.SuccessRatio != 1 || idle.ErrorBudgetRemaining != 1 || idle.Tiers == nil || len(idle.Tiers) != 0 {
		t.Errorf("idle = %+v, want no time to exhaustion, ratio 1, budget 1, no tiers", idle)
	}
	if ex := byName["exhausted"]; ex.TimeToExhaustionSeconds == nil || *ex.TimeToExhaustionSeconds != 0 || !ex.IsBudgetExhausted || !ex.Breached {
		t.Errorf("exhausted = %+v, want time to exhaustion 0, exhausted, breached", ex)
	}
	if tte := checkout.TimeToExhaustionSeconds; tte == nil || *tte <= 0 {
		t.Errorf("checkout time to exhaustion = %v, want a positive number of seconds", tte)
	}
}

func TestSnapshotHandlerKeepsNullsAndEmptyArraysExplicit(t *testing.T) {
	body := get(t, slohttp.SnapshotHandler(goldenRegistry(t)), "GET").Body.String()
	for _, want := range []string{`"time_to_exhaustion_seconds": null`, `"tiers": []`, "\"labels\": {\n        \"route\": \"/pay\"\n      },"} {
		if !strings.Contains(body, want) {
			t.Errorf("report lacks %s", want)
		}
	}
	// A tracker of its own has no labels object.
	if n := strings.Count(body, `"labels"`); n != 2 {
		t.Errorf("report holds %d labels objects, want 2 (the members')", n)
	}
	if strings.Contains(body, "NaN") || strings.Contains(body, "Inf") {
		t.Errorf("report holds a non-finite number:\n%s", body)
	}
}

func TestSnapshotHandlerWithoutObjectives(t *testing.T) {
	for name, reg := range map[string]*slo.Registry{"empty registry": slo.NewRegistry(), "nil registry": nil} {
		t.Run(name, func(t *testing.T) {
			w := get(t, slohttp.SnapshotHandler(reg), "GET")
			if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{
  "slos": []
}` {
				t.Errorf("status %d, body %q; want 200 and an empty slos array", w.Code, w.Body)
			}
		})
	}
}

func TestSnapshotHandlerMethods(t *testing.T) {
	h := slohttp.SnapshotHandler(slo.NewRegistry())
	tests := []struct {
		method     string
		wantStatus int
		wantBody   bool
	}{
		{"GET", 200, true},
		{"HEAD", 200, false},
		{"POST", 405, true},
		{"DELETE", 405, true},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			w := get(t, h, tt.method)
			if w.Code != tt.wantStatus {
				t.Errorf("status %d, want %d", w.Code, tt.wantStatus)
			}
			if got := w.Body.Len() > 0; got != tt.wantBody {
				t.Errorf("body %q, want a body: %v", w.Body, tt.wantBody)
			}
			if tt.wantStatus == 405 && w.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow = %q, want GET, HEAD", w.Header().Get("Allow"))
			}
			if tt.method == "HEAD" && w.Header().Get("Content-Length") == "" {
				t.Error("HEAD answered without Content-Length")
			}
		})
	}
}

func TestNewSnapshotNeverWritesNonFiniteNumbers(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	s := slo.Snapshot{
		Name: "broken", Target: nan, SuccessRatio: nan, ErrorBudgetRemaining: -inf, BurnRate: inf,
		BurnRateThreshold: inf,
		BurnRates:         []slo.BurnRateSample{{Window: time.Hour, BurnRate: nan}},
		Tiers:             []slo.TierState{{AlertTier: slo.AlertTier{Severity: slo.SeverityPage, Factor: nan}, LongBurnRate: inf, ShortBurnRate: -inf}},
		TimeToExhaustion:  slo.Forever,
	}
	out, err := json.Marshal(slohttp.NewReport([]slo.Snapshot{s}))
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	got := slohttp.NewSnapshot(s)
	if got.SuccessRatio != 0 || got.BurnRate != math.MaxFloat64 || got.ErrorBudgetRemaining != -math.MaxFloat64 ||
		got.BurnRates[0].BurnRate != 0 || got.Tiers[0].LongBurnRate != math.MaxFloat64 || got.Tiers[0].Factor != 0 {
		t.Errorf("non-finite values mapped to %+v", got)
	}
	if got.TimeToExhaustionSeconds != nil {
		t.Errorf("time to exhaustion of Forever = %v, want nil", *got.TimeToExhaustionSeconds)
	}
	if !json.Valid(out) {
		t.Errorf("invalid JSON: %s", out)
	}
}

// TestDocsShowTheGoldenReport keeps docs/json.md honest: its example is
// the golden report, byte for byte.
func TestDocsShowTheGoldenReport(t *testing.T) {
	doc, err := os.ReadFile("../docs/json.md")
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile("testdata/report.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- golden -->\\n```json\\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/json.md has no ```json block after <!-- golden -->")
	}
	if !bytes.Equal(m[1], golden) {
		t.Errorf("the example in docs/json.md differs from testdata/report.golden.json; copy the golden file into it")
	}
}

func TestSnapshotHandlerIsSafeWhileRecording(t *testing.T) {
	reg := slo.NewRegistry()
	tr, err := reg.Define(slo.Objective{Name: "busy", Target: 0.999})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close(context.Background())
	h := slohttp.SnapshotHandler(reg)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				tr.Record(true)
				tr.Record(false)
			}
		}
	})
	for range 50 {
		var rep slohttp.Report
		if err := json.NewDecoder(get(t, h, "GET").Body).Decode(&rep); err != nil {
			t.Fatal(err)
		}
		if s := rep.SLOs[0]; s.Failures > s.Total {
			t.Fatalf("failures %d > total %d", s.Failures, s.Total)
		}
	}
	close(stop)
	wg.Wait()
}

// FuzzReportJSON feeds NewReport snapshots with arbitrary numbers and
// names: the report must always encode, as valid JSON, with finite numbers,
// and decode back into a Report.
func FuzzReportJSON(f *testing.F) {
	f.Add("checkout", 0.999, 0.9995, 0.5, int64(time.Hour), uint64(1000), uint64(1))
	f.Add("idle", 0.99, 1.0, 0.0, int64(slo.Forever), uint64(0), uint64(0))
	f.Add("\xff\x00<script>", math.NaN(), math.Inf(-1), math.Inf(1), int64(-1), uint64(math.MaxUint64), uint64(math.MaxUint64))
	f.Fuzz(func(t *testing.T, name string, target, ratio, burn float64, d int64, total, failures uint64) {
		s := slo.Snapshot{
			Name: name, Target: target, Window: time.Duration(d), Total: total, Failures: failures,
			SuccessRatio: ratio, ErrorBudgetRemaining: 1 - burn, BurnRate: burn, BurnRateThreshold: burn * 2,
			BurnRates:        []slo.BurnRateSample{{Window: time.Duration(d), BurnRate: burn, Total: total, Failures: failures}},
			Tiers:            []slo.TierState{{AlertTier: slo.AlertTier{Severity: slo.Severity(name), LongWindow: time.Duration(d), Factor: target}, LongBurnRate: burn, ShortBurnRate: ratio}},
			TimeToExhaustion: time.Duration(d),
			Good:             total, Bad: failures,
		}
		out, err := json.Marshal(slohttp.NewReport([]slo.Snapshot{s}))
		if err != nil {
			t.Fatalf("encoding: %v", err)
		}
		var rep slohttp.Report
		if err := json.Unmarshal(out, &rep); err != nil || len(rep.SLOs) != 1 {
			t.Fatalf("decoding %s: %v", out, err)
		}
		got := rep.SLOs[0]
		if (got.TimeToExhaustionSeconds == nil) != (time.Duration(d) == slo.Forever) {
			t.Errorf("time to exhaustion %v for %v", got.TimeToExhaustionSeconds, time.Duration(d))
		}
		if got.Total != total || got.Failures != failures || got.BurnRates[0].Total != total {
			t.Errorf("counts changed on the way: %s", out)
		}
	})
}
