package promrules

import (
	"fmt"
	"slices"
	"time"

	"github.com/slo-budget-tracker/slo/spec"
)

// DefaultScrapeInterval is the scrape interval Options.ScrapeInterval
// assumes when zero: that of Prometheus's example configuration.
const DefaultScrapeInterval = 15 * time.Second

// scrapeWarnings warns of every range the rules read the SLI's counters
// over with rate() that is shorter than two scrape intervals: it holds at
// most one sample, so Prometheus's rate() has no result over it and a tier
// reading it never fires. The ranges are a time slice, or the grid step and
// the tiers' windows. VictoriaMetrics' rate() reads the sample before a
// range as well, so its target gets no warning.
func (p *plan) scrapeWarnings(target Target, scrape time.Duration) []string {
	if target == VictoriaMetrics {
		return nil
	}
	short := func(w time.Duration) bool { return w < 2*scrape }
	why := fmt.Sprintf("is shorter than two scrape intervals (2 x %s): rate() over it holds at most one sample, so Prometheus records no result for it", promDuration(scrape))
	fix := "; lengthen it, or give the SLI's real scrape interval (-scrape-interval)"
	if ts := p.obj.Slices; ts.Enabled() {
		if short(ts.Window) {
			return []string{fmt.Sprintf("the time slice %s %s and every slice counts as good%s", promDuration(ts.Window), why, fix)}
		}
		return nil
	}
	var out []string
	if short(p.grid) {
		out = append(out, fmt.Sprintf("the grid step %s %s and the window's ratio misses its events%s", promDuration(p.grid), why, fix))
	}
	var seen []time.Duration
	for _, t := range p.obj.Tiers {
		for _, w := range []time.Duration{t.ShortWindow, t.LongWindow} {
			if short(w) && !slices.Contains(seen, w) {
				seen = append(seen, w)
				out = append(out, fmt.Sprintf("the alert window %s of tier %s %s/%s x%s %s and the tier never fires%s",
					promDuration(w), t.Severity, promDuration(t.LongWindow), promDuration(t.ShortWindow), spec.FormatFloat(t.Factor), why, fix))
			}
		}
	}
	return out
}
