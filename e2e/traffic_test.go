package e2e

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"time"
)

// slot holds the events of one sampling interval, (at - step, at].
type slot struct {
	at        time.Time
	good, bad uint64
}

// traffic is days of a service's life, one slot per step: busy days and
// quiet nights (6,000 requests a minute at the afternoon peak, 200 at
// night), a constant background of 0.05% errors, a nightly batch that fails
// 10% of the few requests between 03:00 and 03:30, and three daytime
// incidents: 25% errors for 40 minutes at 14:00 on day 3, an outage of 20
// minutes at 30% errors at 15:00 on day 8 (the page tier's case), and 4%
// errors for three hours from 10:00 on the last day.
func traffic(start time.Time, days int, step time.Duration) []slot {
	return trafficWith(start, days, step, 7, func(day int, hour float64) float64 {
		switch {
		case hour >= 3 && hour < 3.5:
			return 0.10
		case day == 3 && hour >= 14 && hour < 14+40.0/60:
			return 0.25
		case day == 8 && hour >= 15 && hour < 15+20.0/60:
			return 0.30
		case day == days-1 && hour >= 10 && hour < 13:
			return 0.04
		}
		return 0.0005
	})
}

// trafficWith is days of the busy days and quiet nights of traffic, its
// random draws seeded with seed, where an event fails with probability
// errRate(day, hour) (day from 0, hour of the day from 0 to 24).
func trafficWith(start time.Time, days int, step time.Duration, seed uint64, errRate func(day int, hour float64) float64) []slot {
	rng := rand.New(rand.NewPCG(seed, 11))
	n := int(time.Duration(days) * 24 * time.Hour / step)
	slots := make([]slot, 0, n)
	perMinute := float64(step) / float64(time.Minute)
	for i := range n {
		at := start.Add(time.Duration(i+1) * step)
		since := at.Sub(start) - step
		day, hour := int(since/(24*time.Hour)), math.Mod(since.Hours(), 24)
		// A daily curve: quiet until 06:00, peak at 15:00, quiet after 23:00.
		shape := math.Max(0, math.Sin(math.Pi*(hour-6)/17))
		mean := (200 + 5800*shape*shape) * perMinute
		n := uint64(math.Max(0, mean*(1+0.1*rng.NormFloat64())))
		bad := binomial(rng, n, errRate(day, hour))
		slots = append(slots, slot{at: at, good: n - bad, bad: bad})
	}
	return slots
}

// binomial draws the number of failures among n events failing with
// probability p each (a normal approximation when n is large).
func binomial(rng *rand.Rand, n uint64, p float64) uint64 {
	if n < 50 {
		var k uint64
		for range n {
			if rng.Float64() < p {
				k++
			}
		}
		return k
	}
	mean, sd := float64(n)*p, math.Sqrt(float64(n)*p*(1-p))
	k := math.Round(mean + sd*rng.NormFloat64())
	return uint64(math.Min(math.Max(k, 0), float64(n)))
}

// counterFormat is a text format of samples with timestamps.
type counterFormat int

const (
	// openMetrics is OpenMetrics, timestamps in seconds, for promtool tsdb
	// create-blocks-from openmetrics.
	openMetrics counterFormat = iota
	// promText is the Prometheus text format, timestamps in milliseconds,
	// for VictoriaMetrics' /api/v1/import/prometheus.
	promText
)

// writeCounters writes the traffic as the cumulative counters sloprom
// exports (slo_events_total{slo, outcome}), one sample a slot, labelled
// outcome and labels (label pairs as PromQL writes them: slo="x",route="/a").
// A sample at the start says both counters begin at 0. Timestamps keep
// their milliseconds: OpenMetrics' seconds are written with half a
// millisecond more, since promtool truncates seconds times 1000, which
// float rounding may leave just under the millisecond.
func writeCounters(path string, format counterFormat, labels string, start time.Time, slots []slot) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "# HELP slo_events Events recorded by the tracker.")
	fmt.Fprintln(w, "# TYPE slo_events counter")
	var good, bad uint64
	line := func(at time.Time) {
		ts := strconv.FormatInt(at.UnixMilli(), 10)
		if format == openMetrics {
			ms := at.UnixMilli()
			ts = fmt.Sprintf("%d.%03d5", ms/1000, ms%1000)
		}
		fmt.Fprintf(w, "slo_events_total{outcome=\"good\",%s} %d %s\n", labels, good, ts)
		fmt.Fprintf(w, "slo_events_total{outcome=\"bad\",%s} %d %s\n", labels, bad, ts)
	}
	line(start)
	for _, m := range slots {
		good += m.good
		bad += m.bad
		line(m.at)
	}
	if format == openMetrics {
		fmt.Fprintln(w, "# EOF")
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// truth counts the events of (at - window, at].
func truth(slots []slot, at time.Time, window time.Duration) (total, bad uint64) {
	for _, m := range slots {
		if m.at.After(at.Add(-window)) && !m.at.After(at) {
			total += m.good + m.bad
			bad += m.bad
		}
	}
	return total, bad
}
