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

// promServer is a real Prometheus server of one engine (2.x or 3.x) on a
// free loopback port, serving a TSDB directory the test fills with
// backfilled blocks.
type promServer struct {
	queryAPI
	engine  testdeps.Engine
	bin     string
	dataDir string
	config  string
	server  *testdeps.Server
}

func newPromServer(t *testing.T, e testdeps.Engine) *promServer {
	t.Helper()
	p := &promServer{
		queryAPI: queryAPI{t: t},
		engine:   e,
		bin:      e.Server(t),
		dataDir:  filepath.Join(t.TempDir(), "tsdb"),
		config:   filepath.Join(t.TempDir(), "prometheus.yml"),
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
	p.server = testdeps.StartServer(p.t, p.bin, p.url+"/-/ready",
		"--config.file="+p.config,
		"--storage.tsdb.path="+p.dataDir,
		"--storage.tsdb.retention.time=3650d",
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(port),
		"--log.level=warn",
	)
}

// stop ends the server and waits for it.
func (p *promServer) stop() {
	p.server.Stop()
	p.server = nil
}

// promtool runs engine e's promtool with args and fails the test on error.
func promtool(t *testing.T, e testdeps.Engine, args ...string) string {
	t.Helper()
	return run(t, e.Promtool(t), args...)
}

// run runs a program with args, for at most 20 minutes (a rule backfill
// takes a few on an idle 2-core machine, several times that on a busy one),
// and fails the test on error.
func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
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

// queryAPI is the Prometheus HTTP query API of a server under test
// (Prometheus or VictoriaMetrics).
type queryAPI struct {
	t   *testing.T
	url string
}

// api GETs an endpoint of the HTTP API and decodes the data of a
// successful answer into data; any failure fails the test.
func (p *queryAPI) api(endpoint string, q url.Values, data any) {
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

func (p *queryAPI) query(expr string, at time.Time) queryResult {
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
