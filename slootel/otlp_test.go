package slootel

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
)

// startOTLPPrometheus runs Prometheus 3 with its OTLP receiver and the
// given otlp.translation_strategy on a free loopback port, stops it when
// the test ends, and returns its URL once it is ready.
func startOTLPPrometheus(t *testing.T, bin, strategy string) string {
	t.Helper()
	dir := t.TempDir()
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, fmt.Appendf(nil, "otlp:\n  translation_strategy: %s\n", strategy), 0o644); err != nil {
		t.Fatal(err)
	}
	port := testdeps.FreePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	testdeps.StartServer(t, bin, base+"/-/ready",
		"--config.file="+config,
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(port),
		"--web.enable-otlp-receiver",
		"--log.level=warn",
	)
	return base
}

// querySeries returns every series matching the selector at the current
// instant, by seriesKey, from Prometheus's HTTP API.
func querySeries(t *testing.T, base, selector string) map[string]float64 {
	t.Helper()
	res, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(selector))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Status string
		Error  string
		Data   struct {
			Result []struct {
				Metric map[string]string
				Value  [2]any
			}
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("query %s: %v", selector, err)
	}
	if body.Status != "success" {
		t.Fatalf("query %s: %s %s", selector, body.Status, body.Error)
	}
	got := map[string]float64{}
	for _, r := range body.Data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("query %s: value %v: %v", selector, r.Value[1], err)
		}
		name := r.Metric["__name__"]
		delete(r.Metric, "__name__")
		got[seriesKey(name, r.Metric)] = v
	}
	return got
}

// snapshotSeries spells the main series of an objective straight from its
// snapshot, as a user reading the tracker would expect to find them.
func snapshotSeries(s slo.Snapshot, extra map[string]string) map[string]float64 {
	key := func(name string, kv ...string) string {
		labels := map[string]string{"slo": s.Name}
		for k, v := range extra {
			labels[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			labels[kv[i]] = kv[i+1]
		}
		return seriesKey(name, labels)
	}
	breached := 0.0
	if s.Breached {
		breached = 1
	}
	m := map[string]float64{
		key("slo_target"):                          s.Target,
		key("slo_window_seconds"):                  s.Window.Seconds(),
		key("slo_success_ratio"):                   s.SuccessRatio,
		key("slo_error_budget_remaining"):          s.ErrorBudgetRemaining,
		key("slo_breached"):                        breached,
		key("slo_events_total", "outcome", "good"): float64(s.Good),
		key("slo_events_total", "outcome", "bad"):  float64(s.Bad),
	}
	if s.TimeToExhaustion != slo.Forever {
		m[key("slo_time_to_exhaustion_seconds")] = s.TimeToExhaustion.Seconds()
	}
	for _, b := range s.BurnRates {
		m[key("slo_burn_rate", "window_seconds", strconv.FormatFloat(b.Window.Seconds(), 'f', -1, 64))] = b.BurnRate
	}
	return m
}

// TestPrometheusReceivesSlopromSeriesOverOTLP exports a registry over OTLP
// HTTP, through the SDK's periodic reader, into a real Prometheus 3 under
// each OTLP translation strategy, queries every slo_ series back, and finds
// exactly the series sloprom exports (plus the job and instance the
// receiver derives from the resource), with the tracker's values.
func TestPrometheusReceivesSlopromSeriesOverOTLP(t *testing.T) {
	bin := testdeps.Prometheus3.Server(t) // the OTLP receiver is Prometheus 3's
	reg := burningRegistry(t)
	login, err := reg.Define(slo.Objective{Name: "login", Target: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	login.RecordN(990, 10) // burning slowly: a time to exhaustion of 1470 days
	resourceLabels := map[string]string{"job": "shop", "instance": "replica-1"}

	strategies := []string{"UnderscoreEscapingWithSuffixes", "UnderscoreEscapingWithoutSuffixes",
		"NoUTF8EscapingWithSuffixes", "NoTranslation"}
	for _, strategy := range strategies {
		t.Run(strategy, func(t *testing.T) {
			base := startOTLPPrometheus(t, bin, strategy)
			ctx := context.Background()
			exp, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(base+"/api/v1/otlp/v1/metrics"))
			if err != nil {
				t.Fatal(err)
			}
			mp := sdkmetric.NewMeterProvider(
				// Exported once, by ForceFlush: the interval never elapses.
				sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(time.Hour))),
				sdkmetric.WithResource(resource.NewSchemaless(
					attribute.String("service.name", "shop"),
					attribute.String("service.instance.id", "replica-1"))))
			defer func() {
				if err := mp.Shutdown(ctx); err != nil {
					t.Errorf("Shutdown: %v", err)
				}
			}()
			register(t, mp, reg)
			if err := mp.ForceFlush(ctx); err != nil {
				t.Fatalf("exporting to Prometheus: %v", err)
			}
			got := querySeries(t, base, `{__name__=~"slo_.+"}`)

			for _, tr := range reg.Trackers() {
				for k, v := range snapshotSeries(tr.Snapshot(), resourceLabels) {
					if g, ok := got[k]; !ok || g != v {
						t.Errorf("%s = %v (present %v), the tracker says %v", k, g, ok, v)
					}
				}
			}
			want := gatherSloprom(t, reg, resourceLabels)
			for k, w := range want {
				if g, ok := got[k]; !ok || g != w.value {
					t.Errorf("%s = %v (present %v), sloprom exports %v", k, g, ok, w.value)
				}
			}
			for k, v := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("unexpected series %s %v", k, v)
				}
			}
			if len(got) != len(want) {
				t.Errorf("Prometheus holds %d slo_ series, sloprom exports %d", len(got), len(want))
			}
		})
	}
}
