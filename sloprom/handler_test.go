package sloprom

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
)

// scrape serves one GET of h and returns the body.
func scrape(t testing.TB, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: status %d: %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

func TestHandlerServesTheTextFormat(t *testing.T) {
	srv := httptest.NewServer(Handler(burningRegistry(t)))
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type = %q, want the text format 0.0.4", ct)
	}
	for _, line := range []string{
		`slo_events_total{outcome="bad",slo="checkout"} 480`,
		`slo_burn_rate{slo="search",window_seconds="300"} 0`,
		`slo_alert_firing{long_window="6h",severity="page",short_window="30m",slo="checkout"} 1`,
	} {
		if !bytes.Contains(body, []byte("\n"+line+"\n")) {
			t.Errorf("the exposition lacks the line %s", line)
		}
	}
	// Only SLO metrics: the handler's registry is its own.
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		name := line
		if comment, ok := strings.CutPrefix(line, "# "); ok {
			fields := strings.Fields(comment) // HELP|TYPE name ...
			if len(fields) < 2 {
				t.Errorf("unexpected line %q", line)
				continue
			}
			name = fields[1]
		}
		if !strings.HasPrefix(name, "slo_") {
			t.Errorf("unexpected line %q", line)
		}
	}
}

// promtoolCheck runs the real `promtool check metrics` on an exposition and
// returns what it reports, "" when the exposition is clean.
func promtoolCheck(t *testing.T, exposition string) string {
	t.Helper()
	cmd := exec.Command(testdeps.Binary(t, "promtool"), "check", "metrics")
	cmd.Stdin = strings.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("running promtool: %v", err)
		}
		if len(out) == 0 {
			return fmt.Sprintf("promtool failed silently: %v", err)
		}
	}
	return strings.TrimSpace(string(out))
}

func TestExpositionPassesPromtoolCheckMetrics(t *testing.T) {
	reg := burningRegistry(t)
	withStore, err := reg.Define(slo.Objective{Name: `quote"and\backslash`, Target: 0.99},
		slo.WithStore(&memStore{}), slo.WithFlushInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	withStore.RecordN(99, 1)
	f, err := reg.DefineFamily(slo.Objective{Name: "api", Target: 0.99}, []string{"route", "tenant"}, slo.WithMaxMembers(1))
	if err != nil {
		t.Fatal(err)
	}
	f.With("GET /pay", `ac"me`).RecordN(9, 1)
	f.With("GET /other", "acme").RecordFailure()
	exposition := scrape(t, Handler(reg))
	if !strings.Contains(exposition, "slo_store_saves_total") || !strings.Contains(exposition, `slo="quote\"and\\backslash"`) ||
		!strings.Contains(exposition, `route="GET /pay",slo="api",tenant="ac\"me"`) || !strings.Contains(exposition, `slo_family_folded_total{slo="api"} 1`) {
		t.Fatalf("the exposition lacks the series to check:\n%s", exposition)
	}
	if problems := promtoolCheck(t, exposition); problems != "" {
		t.Errorf("promtool check metrics reports:\n%s\non:\n%s", problems, exposition)
	}
}

// The check above passes only if promtool really lints: show it catching
// what it is there to catch.
func TestPromtoolCheckMetricsCatchesLintProblems(t *testing.T) {
	tests := []struct {
		name, exposition, want string
	}{
		{"counter without _total", "# HELP foo_seconds x\n# TYPE foo_seconds counter\nfoo_seconds 1\n", `"_total" suffix`},
		{"no help", "# TYPE slo_target gauge\nslo_target 1\n", "no help text"},
		// Why the Python exporter's window gauges are renamed.
		{"gauge with _total", "# HELP slo_total x\n# TYPE slo_total gauge\nslo_total{slo=\"a\"} 1\n", `should not have "_total" suffix`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := promtoolCheck(t, tt.exposition); !strings.Contains(got, tt.want) {
				t.Errorf("promtool reports %q, want it to mention %q", got, tt.want)
			}
		})
	}
}

// Scrapes run while events are recorded and objectives defined; every
// event recorded before the last scrape shows in its counters.
func TestCollectorIsSafeForConcurrentUse(t *testing.T) {
	reg := slo.NewRegistry()
	h := Handler(reg)
	const writers, events, objectives = 4, 20000, 8

	// The scraper runs from before the first write to after the last.
	started, stop, scrapes := make(chan struct{}), make(chan struct{}), make(chan int, 1)
	go func() {
		n := 0
		for {
			scrape(t, h)
			if n++; n == 1 {
				close(started)
			}
			select {
			case <-stop:
				scrapes <- n
				return
			default:
			}
		}
	}()
	<-started

	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range objectives {
			if _, err := reg.Define(slo.Objective{Name: fmt.Sprintf("o%d", i), Target: 0.99}); err != nil {
				t.Error(err)
			}
		}
	})
	for w := range writers {
		wg.Go(func() {
			for i := 0; i < events; {
				tr := reg.Tracker(fmt.Sprintf("o%d", (w+i)%objectives))
				if tr == nil { // not defined yet: try again
					runtime.Gosched()
					continue
				}
				tr.Record(i%10 != 0)
				i++
			}
		})
	}
	wg.Wait()
	close(stop)
	t.Logf("%d scrapes during the writes", <-scrapes)

	var good, bad float64
	series := 0
	for _, line := range strings.Split(scrape(t, h), "\n") {
		rest, ok := strings.CutPrefix(line, "slo_events_total{")
		if !ok {
			continue
		}
		series++
		_, value, _ := strings.Cut(rest, "} ")
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if strings.HasPrefix(rest, `outcome="good"`) {
			good += v
		} else {
			bad += v
		}
	}
	if series != 2*objectives {
		t.Errorf("%d slo_events_total series, want %d", series, 2*objectives)
	}
	if want := float64(writers * events); good+bad != want || bad != want/10 {
		t.Errorf("exported %v good and %v bad events, want %v in all, a tenth bad", good, bad, want)
	}
}
