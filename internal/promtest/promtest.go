// Package promtest runs a real Prometheus server (of an engine of package
// testdeps) holding the series a test writes, backfilled with promtool: for
// tests of the readers of the series the rules record.
package promtest

import (
	"bufio"
	"cmp"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/internal/series"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
)

// A Series is one series to backfill: its metric name, labels and samples,
// oldest first.
type Series struct {
	Name    string
	Labels  map[string]string
	Samples []Sample
}

// A Sample is one value at one instant (whole seconds are kept).
type Sample struct {
	At    time.Time
	Value float64
}

// A Server is a Prometheus server on a loopback port.
type Server struct {
	// URL is the server's base URL, like http://127.0.0.1:9090.
	URL     string
	t       testing.TB
	bin     string
	port    int
	dataDir string
	config  string
	server  *testdeps.Server
}

// Start backfills series into a new TSDB with engine e's promtool and
// starts e's Prometheus server over it, stopped when the test ends.
// Without the engine the test is skipped, or fails under CI=true.
func Start(t testing.TB, e testdeps.Engine, series []Series) *Server {
	t.Helper()
	dir := t.TempDir()
	s := &Server{
		t:       t,
		bin:     e.Server(t),
		port:    testdeps.FreePort(t),
		dataDir: filepath.Join(dir, "tsdb"),
		config:  filepath.Join(dir, "prometheus.yml"),
	}
	s.URL = fmt.Sprintf("http://127.0.0.1:%d", s.port)
	if err := os.WriteFile(s.config, []byte("global:\n  evaluation_interval: 1m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if len(series) > 0 {
		om := filepath.Join(dir, "series.om")
		if err := writeOpenMetrics(om, series); err != nil {
			t.Fatal(err)
		}
		// Blocks of up to a month keep a long window's series in a few.
		out, err := exec.Command(e.Promtool(t), "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=744h", om, s.dataDir).CombinedOutput()
		if err != nil {
			t.Fatalf("promtool tsdb create-blocks-from openmetrics: %v\n%s", err, out)
		}
	}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start starts the server again, on the same port and data, after Stop;
// it waits until the server is ready.
func (s *Server) Start() {
	s.t.Helper()
	if s.server != nil {
		return
	}
	s.server = testdeps.StartServer(s.t, s.bin, s.URL+"/-/ready",
		"--config.file="+s.config,
		"--storage.tsdb.path="+s.dataDir,
		"--storage.tsdb.retention.time=3650d",
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(s.port),
		"--log.level=warn",
	)
}

// Stop stops the server; stopping a stopped server does nothing.
func (s *Server) Stop() {
	if s.server != nil {
		s.server.Stop()
		s.server = nil
	}
}

// writeOpenMetrics writes series as an OpenMetrics text file, one gauge
// family per name.
func writeOpenMetrics(path string, series []Series) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	sorted := slices.Clone(series)
	slices.SortStableFunc(sorted, func(a, b Series) int { return cmp.Compare(a.Name, b.Name) })
	for i, s := range sorted {
		if i == 0 || sorted[i-1].Name != s.Name {
			fmt.Fprintf(w, "# TYPE %s gauge\n", s.Name)
		}
		var ls []string
		for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
			ls = append(ls, k+"="+quote(s.Labels[k]))
		}
		for _, smp := range s.Samples {
			fmt.Fprintf(w, "%s{%s} %s %d\n", s.Name, strings.Join(ls, ","), strconv.FormatFloat(smp.Value, 'g', -1, 64), smp.At.Unix())
		}
	}
	fmt.Fprintln(w, "# EOF")
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// quote writes a label value as OpenMetrics does: in double quotes, with
// backslash, double quote and newline escaped.
func quote(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v) + `"`
}

// A Fleet builds the series that `slo generate`'s rules record for SLOs
// of a 1h window on a 5m grid, as a Prometheus server holds them at the
// instant At: the input of tests of the readers of those series.
type Fleet struct {
	At     time.Time
	Series []Series
}

// NewFleet returns an empty fleet at the start of the hour before the
// last.
func NewFleet() *Fleet {
	return &Fleet{At: time.Now().Add(-time.Hour).Truncate(time.Hour)}
}

// Gauge adds a series holding v every minute of the 10 minutes up to At.
func (f *Fleet) Gauge(name string, labels map[string]string, v float64) {
	s := Series{Name: name, Labels: labels}
	for at := f.At.Add(-10 * time.Minute); !at.After(f.At); at = at.Add(time.Minute) {
		s.Samples = append(s.Samples, Sample{At: at, Value: v})
	}
	f.Series = append(f.Series, s)
}

// Meta adds the target, budget and window series of an SLO (labels slo,
// service and its fixed labels).
func (f *Fleet) Meta(labels map[string]string, target float64, window time.Duration) {
	f.Gauge("slo:objective:ratio", labels, target)
	f.Gauge("slo:error_budget:ratio", labels, 1-target)
	f.Gauge("slo:window:seconds", labels, window.Seconds())
}

// Budget adds what the rules record for one budget (an SLO, or a member
// of a grouped one, whose labels carry the group labels) of a 1h window:
// every 5m grid step total events of which bad failed, over the two hours
// up to At; the remaining budget, the window's burn rate and the ratios of
// the 5m and 1h windows.
func (f *Fleet) Budget(labels map[string]string, target float64, total, bad float64) {
	errs := Series{Name: "slo:sli_errors:increase5m", Labels: labels}
	tot := Series{Name: "slo:sli_total:increase5m", Labels: labels}
	for at := f.At.Add(-2 * time.Hour); !at.After(f.At); at = at.Add(5 * time.Minute) {
		errs.Samples = append(errs.Samples, Sample{At: at, Value: bad})
		tot.Samples = append(tot.Samples, Sample{At: at, Value: total})
	}
	f.Series = append(f.Series, errs, tot)
	ratio := 0.0
	if total > 0 {
		ratio = bad / total
	}
	burn := ratio / (1 - target)
	f.Gauge("slo:error_budget_remaining:ratio", labels, 1-burn)
	f.Gauge("slo:burn_rate:ratio_window", labels, burn)
	f.Gauge("slo:sli_error:ratio_rate5m", labels, ratio)
	f.Gauge("slo:sli_error:ratio_rate1h", labels, ratio)
}

// Blocks adds what the exact method records besides the grid for a long
// window, for grid steps of total events of which bad failed: the block
// series name (slo:sli_errors:increase15m, say) every 15 minutes, holding
// the three grid steps up to it, and its partial sum (name_partial) every
// grid step, holding the steps since the last block, over the two hours up
// to At, for errors and total. They count the grid's events again: a
// reader must take one or the other.
func (f *Fleet) Blocks(labels map[string]string, block string, total, bad float64) {
	for _, c := range []struct {
		name string
		v    float64
	}{{"slo:sli_errors:increase" + block, bad}, {"slo:sli_total:increase" + block, total}} {
		blocks := Series{Name: c.name, Labels: labels}
		partial := Series{Name: c.name + "_partial", Labels: labels}
		for at := f.At.Add(-2 * time.Hour); !at.After(f.At); at = at.Add(5 * time.Minute) {
			partial.Samples = append(partial.Samples, Sample{At: at, Value: float64(at.Minute()%15/5) * c.v})
			if at.Minute()%15 == 0 {
				blocks.Samples = append(blocks.Samples, Sample{At: at, Value: 3 * c.v})
			}
		}
		f.Series = append(f.Series, blocks, partial)
	}
}

// Window adds what the exact method's rules record for a long window up to
// At, for grid steps of total events of which bad failed: the 5m grid
// cells over the window, the blocks (slo:sli_errors:increase<block>) and
// the partial sums (name_partial) of the steps since the last block, for
// errors and total.
func (f *Fleet) Window(labels map[string]string, window, block time.Duration, total, bad float64) {
	const grid = 5 * time.Minute
	name := series.FormatDuration(block)
	for _, c := range []struct {
		prefix string
		v      float64
	}{{"slo:sli_errors:increase", bad}, {"slo:sli_total:increase", total}} {
		cells := Series{Name: c.prefix + "5m", Labels: labels}
		blocks := Series{Name: c.prefix + name, Labels: labels}
		partial := Series{Name: c.prefix + name + "_partial", Labels: labels}
		for at := f.At.Add(-window); !at.After(f.At); at = at.Add(grid) {
			cells.Samples = append(cells.Samples, Sample{At: at, Value: c.v})
			phase := at.Sub(f.At.Add(-window)) % block
			partial.Samples = append(partial.Samples, Sample{At: at, Value: float64(phase/grid) * c.v})
			if phase == 0 {
				blocks.Samples = append(blocks.Samples, Sample{At: at, Value: float64(block/grid) * c.v})
			}
		}
		f.Series = append(f.Series, cells, blocks, partial)
	}
}

// Firing adds a firing burn-rate alert of severity over the 1h and 5m
// windows to the budget of labels.
func (f *Fleet) Firing(labels map[string]string, severity string) {
	ls := maps.Clone(labels)
	maps.Copy(ls, map[string]string{"alertname": "SLOErrorBudgetBurn", "alertstate": "firing", "severity": severity, "long_window": "1h", "short_window": "5m"})
	f.Gauge("ALERTS", ls, 1)
}

// Labels returns the labels of an SLO's series: its slo and service
// labels and the label pairs kv (name, value, name, value...).
func Labels(slo, service string, kv ...string) map[string]string {
	m := map[string]string{"slo": slo, "service": service}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// Silent returns the URL of a server that accepts connections and never
// answers, closed at the end of the test: what a client's timeout must
// bound.
func Silent(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return "http://" + ln.Addr().String()
}
