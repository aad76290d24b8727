// Package promtest runs a real Prometheus server (Debian's 2.x, see
// package testdeps) holding the series a test writes, backfilled with
// promtool: for tests of the readers of the series the rules record.
package promtest

import (
	"bufio"
	"cmp"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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

// Start backfills series into a new TSDB and starts a Prometheus server
// over it, stopped when the test ends. Without Prometheus the test is
// skipped, or fails under CI=true.
func Start(t testing.TB, series []Series) *Server {
	t.Helper()
	e := testdeps.Prometheus2
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
		out, err := exec.Command(e.Promtool(t), "tsdb", "create-blocks-from", "openmetrics", om, s.dataDir).CombinedOutput()
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
