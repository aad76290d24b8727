package spec

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/slo-budget-tracker/slo/internal/testdeps"
)

// leSpellings returns how exposition formats and Prometheus versions write
// the bucket boundary v: Go's and Prometheus 2's shortest form, Prometheus
// 3's normalized form, plain decimals, trailing zeros and Java's form.
func leSpellings(v float64) []string {
	plain := strconv.FormatFloat(v, 'f', -1, 64)
	out := []string{
		strconv.FormatFloat(v, 'g', -1, 64),
		labels.FormatOpenMetricsFloat(v),
		plain,
		"0" + plain,
		strconv.FormatFloat(v, 'e', -1, 64),
	}
	if strings.Contains(plain, ".") {
		out = append(out, plain+"00")
	} else {
		out = append(out, plain+".0", plain+".")
	}
	// Java's Double.toString: 1.0E-5, 1.23456E2.
	mant, exp, _ := strings.Cut(strconv.FormatFloat(v, 'e', -1, 64), "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	out = append(out, mant+"E"+strconv.Itoa(e))
	return out
}

// clientLeValues returns the le values client_golang writes for a
// histogram with the given buckets, in the text and OpenMetrics formats.
func clientLeValues(t *testing.T, buckets []float64) []string {
	t.Helper()
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "latency_seconds", Help: "h", Buckets: buckets})
	reg.MustRegister(h)
	h.Observe(0.1)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			t.Fatal(err)
		}
		if _, err := expfmt.MetricFamilyToOpenMetrics(&buf, mf); err != nil {
			t.Fatal(err)
		}
	}
	var les []string
	for _, m := range regexp.MustCompile(`le="([^"]+)"`).FindAllStringSubmatch(buf.String(), -1) {
		les = append(les, m[1])
	}
	return les
}

func TestLeRegexpMatchesEveryFormatOfItsBoundaryAndNoOther(t *testing.T) {
	bounds := append(slices.Clone(prometheus.DefBuckets), 0.3, 0.75, 1e-5, 4.2e-7, 100000, 1e21, 123.456, 60, 7)
	for _, v := range bounds {
		re := regexp.MustCompile("^(?:" + leRegexp(v) + ")$") // Prometheus anchors label regexps
		for _, s := range leSpellings(v) {
			if !re.MatchString(s) {
				t.Errorf("le regexp for %v (%s) does not match %q", v, leRegexp(v), s)
			}
		}
		for _, other := range bounds {
			if other == v {
				continue
			}
			for _, s := range leSpellings(other) {
				if re.MatchString(s) {
					t.Errorf("le regexp for %v (%s) matches %q, a spelling of %v", v, leRegexp(v), s, other)
				}
			}
		}
		for _, s := range []string{"+Inf", "", "0", "1e", "."} {
			if re.MatchString(s) {
				t.Errorf("le regexp for %v matches %q", v, s)
			}
		}
	}
	// The values client_golang actually writes, in both exposition formats.
	sorted := slices.Clone(bounds)
	slices.Sort(sorted)
	les := clientLeValues(t, sorted)
	for _, v := range bounds {
		re := regexp.MustCompile("^(?:" + leRegexp(v) + ")$")
		n := 0
		for _, le := range les {
			if re.MatchString(le) {
				n++
			}
		}
		if n != 2 { // once per format
			t.Errorf("le regexp for %v matches %d of the client's le values %v; want 2", v, n, les)
		}
	}
}

// TestLatencyQueryCountsItsBucketInPrometheus evaluates a latency SLI's
// queries in Prometheus's own engine (promtool test rules) over buckets
// written in several formats, next to buckets that must not count.
func TestLatencyQueryCountsItsBucketInPrometheus(t *testing.T) {
	promtool := testdeps.Binary(t, "promtool")
	f := load(t, `
version: slo/v1
service: s
slos:
  - name: fast
    objective: 99%
    sli:
      latency: {histogram: 'lat_seconds{job=~"a|b|c"}', threshold: 0.3}
`)
	sli := f.SLOs[0].SLI
	test := `rule_files: []
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - {series: 'lat_seconds_bucket{job="a",le="0.3"}', values: '0+60x20'}
      - {series: 'lat_seconds_bucket{job="b",le="0.30"}', values: '0+60x20'}
      - {series: 'lat_seconds_bucket{job="c",le="3e-01"}', values: '0+60x20'}
      - {series: 'lat_seconds_bucket{job="a",le="0.03"}', values: '0+600x20'}
      - {series: 'lat_seconds_bucket{job="a",le="3"}', values: '0+600x20'}
      - {series: 'lat_seconds_bucket{job="d",le="0.3"}', values: '0+600x20'}
      - {series: 'lat_seconds_count{job="a"}', values: '0+120x20'}
      - {series: 'lat_seconds_count{job="b"}', values: '0+120x20'}
      - {series: 'lat_seconds_count{job="c"}', values: '0+120x20'}
      - {series: 'lat_seconds_count{job="d"}', values: '0+1200x20'}
    promql_expr_test:
      - expr: ` + strconv.Quote(Expand(sli.GoodQuery, "5m")) + `
        eval_time: 10m
        exp_samples: [{labels: '{}', value: 3}]
      - expr: ` + strconv.Quote(Expand(sli.TotalQuery, "5m")) + `
        eval_time: 10m
        exp_samples: [{labels: '{}', value: 6}]
`
	path := filepath.Join(t.TempDir(), "test.yaml")
	if err := os.WriteFile(path, []byte(test), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "test", "rules", path).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s\n%s", err, out, test)
	}
}
