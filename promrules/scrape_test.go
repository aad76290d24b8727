package promrules

import (
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/spec"
)

func TestGenerateWarnsOfRangesShorterThanTwoScrapes(t *testing.T) {
	// A day's default tiers are the Workbook's scaled by 1/30: page 2m/10s
	// and 12m/1m, ticket 48m/4m and 2h24m/12m.
	cases := []struct {
		name string
		slo  spec.SLO
		opts Options
		want []string
	}{
		{"1d, 15s scrapes", daily(availability), Options{}, []string{"the alert window 10s of tier page 2m/10s x14.4 is shorter than two scrape intervals (2 x 15s)"}},
		{"1d, 1m scrapes", daily(availability), Options{ScrapeInterval: time.Minute}, []string{
			"the alert window 10s of tier page 2m/10s x14.4 is shorter than two scrape intervals (2 x 1m)",
			"the alert window 1m of tier page 12m/1m x6 is shorter than two scrape intervals (2 x 1m)",
		}},
		{"1d, 5s scrapes", daily(availability), Options{ScrapeInterval: 5 * time.Second}, nil},
		{"30d, 2m scrapes", availability, Options{ScrapeInterval: 2 * time.Minute}, nil},
		{"30d, 3m scrapes: the grid", availability, Options{ScrapeInterval: 3 * time.Minute}, []string{
			"the grid step 5m is shorter than two scrape intervals (2 x 3m)",
			"the alert window 5m of tier page 1h/5m x14.4",
		}},
		{"20s slices", sliced(daily(availability), 20*time.Second, 0.95), Options{}, []string{"the time slice 20s is shorter than two scrape intervals (2 x 15s): rate() over it holds at most one sample, so Prometheus records no result for it and every slice counts as good"}},
		{"30s slices", sliced(daily(availability), 30*time.Second, 0.95), Options{}, nil},
		{"1d for VictoriaMetrics", daily(availability), Options{Target: VictoriaMetrics, ScrapeInterval: time.Minute}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := mustGenerate(t, []spec.SLO{c.slo}, c.opts)
			warnings, err := Check([]spec.SLO{c.slo}, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(warnings, "\n") != strings.Join(res.Warnings, "\n") {
				t.Errorf("Check warns %q, Generate %q", warnings, res.Warnings)
			}
			var scrape []string
			for _, w := range res.Warnings {
				if strings.Contains(w, "scrape interval") {
					scrape = append(scrape, w)
				}
			}
			if len(scrape) != len(c.want) {
				t.Fatalf("warnings %q, want %d matching %q", res.Warnings, len(c.want), c.want)
			}
			for i, w := range c.want {
				if !strings.Contains(scrape[i], w) {
					t.Errorf("warning %d is %q, want it to contain %q", i, scrape[i], w)
				}
			}
		})
	}
	if _, err := Generate([]spec.SLO{availability}, Options{ScrapeInterval: -time.Second}); err == nil || !strings.Contains(err.Error(), "scrape interval") {
		t.Errorf("a negative scrape interval: err = %v", err)
	}
}
