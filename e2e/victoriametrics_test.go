package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/internal/testdeps"
)

// vmServer is a real single-node VictoriaMetrics on a free loopback port,
// with vmalert to evaluate rules over the past in replay mode.
type vmServer struct {
	queryAPI
	bin, vmalert string
	dataDir      string
}

func newVMServer(t *testing.T) *vmServer {
	t.Helper()
	v := &vmServer{
		queryAPI: queryAPI{t: t},
		bin:      testdeps.Binary(t, "victoria-metrics"),
		vmalert:  testdeps.Binary(t, "vmalert"),
		dataDir:  filepath.Join(t.TempDir(), "vm"),
	}
	port := testdeps.FreePort(t)
	v.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	// No response cache: the test reads series right after writing them.
	// vmalert's replay evaluates a rule at the instant that ends one of its
	// queries and again at the one that starts the next (a query holds up
	// to -replay.maxDatapointsPerQuery points), so the samples it writes
	// are deduplicated to one per millisecond: a sum_over_time must not
	// count one evaluation twice.
	testdeps.StartServer(t, v.bin, v.url+"/health",
		"-storageDataPath="+v.dataDir,
		"-retentionPeriod=100y",
		"-httpListenAddr=127.0.0.1:"+strconv.Itoa(port),
		"-search.disableCache",
		"-dedup.minScrapeInterval=1ms",
		"-loggerLevel=WARN",
	)
	return v
}

// importText posts samples in the Prometheus text format, with timestamps
// in milliseconds, and makes them searchable.
func (v *vmServer) importText(path string) {
	v.t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		v.t.Fatal(err)
	}
	v.post("/api/v1/import/prometheus", b)
	v.flush()
}

// flush makes every sample received so far searchable.
func (v *vmServer) flush() {
	v.t.Helper()
	v.post("/internal/force_flush", nil)
}

func (v *vmServer) post(endpoint string, body []byte) {
	v.t.Helper()
	res, err := http.Post(v.url+endpoint, "text/plain", bytes.NewReader(body))
	if err != nil {
		v.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		v.t.Fatalf("POST %s: %s", endpoint, res.Status)
	}
}

// replay evaluates the recording rules of a file over [from, to] with
// vmalert's replay mode, writing the results back to VictoriaMetrics. Groups
// run one after another and the rules of a group one after another, each
// over the whole range, so a rule reads the series of the rules before it.
func (v *vmServer) replay(rules string, from, to time.Time) {
	v.t.Helper()
	began := time.Now()
	run(v.t, v.vmalert,
		"-rule="+rules,
		"-datasource.url="+v.url,
		"-remoteWrite.url="+v.url,
		"-remoteWrite.flushInterval=100ms",
		"-replay.rulesDelay=500ms",
		"-datasource.queryStep=0s",
		"-replay.timeFrom="+from.UTC().Format(time.RFC3339),
		"-replay.timeTo="+to.UTC().Format(time.RFC3339),
		"-replay.disableProgressBar",
		"-loggerLevel=WARN",
	)
	v.flush()
	v.t.Logf("vmalert replayed %s in %v", filepath.Base(rules), time.Since(began).Round(time.Millisecond))
}
