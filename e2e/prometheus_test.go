package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/internal/testdeps"
)

// promServer is a real Prometheus server on a free loopback port, serving a
// TSDB directory the test fills with backfilled blocks.
type promServer struct {
	t       *testing.T
	bin     string
	dataDir string
	config  string
	url     string
	cmd     *exec.Cmd
	logs    *os.File
}

func newPromServer(t *testing.T) *promServer {
	t.Helper()
	p := &promServer{
		t:       t,
		bin:     testdeps.Binary(t, "prometheus"),
		dataDir: filepath.Join(t.TempDir(), "tsdb"),
		config:  filepath.Join(t.TempDir(), "prometheus.yml"),
	}
	// No scrape targets: every sample comes from backfilled blocks.
	if err := os.WriteFile(p.config, []byte("global:\n  evaluation_interval: 1m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(p.dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	return p
}

// start runs the server and waits until it answers queries.
func (p *promServer) start() {
	p.t.Helper()
	port := testdeps.FreePort(p.t)
	p.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	logs, err := os.CreateTemp(p.t.TempDir(), "prometheus-*.log")
	if err != nil {
		p.t.Fatal(err)
	}
	p.logs = logs
	p.cmd = exec.Command(p.bin,
		"--config.file="+p.config,
		"--storage.tsdb.path="+p.dataDir,
		"--storage.tsdb.retention.time=3650d",
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(port),
		"--log.level=warn",
	)
	p.cmd.Stdout, p.cmd.Stderr = logs, logs
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("starting prometheus: %v", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(p.url + "/-/ready")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("prometheus not ready within 60s:\n%s", p.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends the server and waits for it.
func (p *promServer) stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	p.cmd = nil
	if p.logs != nil {
		p.logs.Close()
	}
}

func (p *promServer) log() string {
	if p.logs == nil {
		return ""
	}
	b, _ := os.ReadFile(p.logs.Name())
	return string(b)
}

// promtool runs promtool with args and fails the test on error.
func promtool(t *testing.T, args ...string) string {
	t.Helper()
	bin := testdeps.Binary(t, "promtool")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// sample is one value of an instant query's result.
type sample struct {
	Labels map[string]string
	Value  float64
}

// queryResult is what the HTTP API returns for an instant query, with the
// samples the engine read when asked with stats=all.
type queryResult struct {
	Samples     []sample
	SamplesRead int64
}

// api GETs an endpoint of the HTTP API and decodes the data of a
// successful answer into data; any failure fails the test.
func (p *promServer) api(endpoint string, q url.Values, data any) {
	p.t.Helper()
	res, err := http.Get(p.url + endpoint + "?" + q.Encode())
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(bufio.NewReader(res.Body)).Decode(&body); err != nil {
		p.t.Fatalf("%s %s: %v", endpoint, q.Get("query"), err)
	}
	if body.Status != "success" {
		p.t.Fatalf("%s %s: %s", endpoint, q.Get("query"), body.Error)
	}
	if err := json.Unmarshal(body.Data, data); err != nil {
		p.t.Fatalf("%s %s: %v", endpoint, q.Get("query"), err)
	}
}

func (p *promServer) query(expr string, at time.Time) queryResult {
	p.t.Helper()
	var data struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
		Stats struct {
			Samples struct {
				TotalQueryableSamples int64 `json:"totalQueryableSamples"`
			} `json:"samples"`
		} `json:"stats"`
	}
	p.api("/api/v1/query", url.Values{"query": {expr}, "time": {strconv.FormatInt(at.Unix(), 10)}, "stats": {"all"}}, &data)
	out := queryResult{SamplesRead: data.Stats.Samples.TotalQueryableSamples}
	for _, r := range data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			p.t.Fatalf("query %s: value %q: %v", expr, s, err)
		}
		out.Samples = append(out.Samples, sample{Labels: r.Metric, Value: v})
	}
	return out
}
