package slo

import (
	"math"
	"strconv"
	"time"
)

// Forever is the [Snapshot.TimeToExhaustion] of a budget that is not being
// spent. It compares greater than any real duration.
const Forever = time.Duration(math.MaxInt64)

// A Snapshot is the state of an objective at one instant, derived from its
// event counts. Every float is finite: with no events the success ratio is
// 1, the budget untouched and every burn rate 0.
type Snapshot struct {
	Name string
	// Description is the objective's description.
	Description string
	// Labels holds a family member's labels (see [Family]); nil for a
	// tracker of its own.
	Labels map[string]string
	// Service names the service the objective belongs to, when the
	// source knows it (a fleet read from Prometheus); "" otherwise.
	Service string
	// NoData reports that the source has nothing to measure the objective
	// with yet (its series not recorded, no traffic): the other fields then
	// hold the values of an objective without events (the whole budget, no
	// burn), and a view says "no data yet" rather than show them. A tracker's
	// snapshot never sets it: a tracker without events has its whole
	// budget.
	NoData bool
	Target float64
	Window time.Duration
	Time   time.Time // when the snapshot was taken

	// PeriodStart and PeriodEnd bound the current period of a calendar
	// objective (see [Calendar]); Window is then the period's length and
	// the counts, budget and burn rate are those of the period so far.
	// Both are zero for a rolling window.
	PeriodStart, PeriodEnd time.Time

	// Total and Failures count the events in the SLO window.
	Total, Failures uint64

	// SuccessRatio is (Total - Failures) / Total over the window.
	SuccessRatio float64

	// ErrorBudgetRemaining is the share of the window's error budget
	// (1 - Target) * Total not yet spent: 1 untouched, 0 spent, negative
	// overspent.
	ErrorBudgetRemaining float64

	// BurnRate is how fast the budget burns over the whole window: the
	// error ratio divided by 1 - Target. 1 spends the budget exactly over
	// the window.
	BurnRate float64

	// BurnRates holds one sample per burn-rate window of the objective, in
	// the objective's order.
	BurnRates []BurnRateSample

	// BurnRateThreshold is the objective's threshold for BurnRates.
	BurnRateThreshold float64

	// TimeToExhaustion is how long the remaining budget lasts at the pace
	// of the first burn-rate window (the whole window when there is none):
	// ErrorBudgetRemaining * Window / burn rate. It is 0 when the budget is
	// spent and [Forever] when nothing is burning, or, for a calendar
	// objective, when the budget lasts past PeriodEnd.
	TimeToExhaustion time.Duration

	// Breached reports whether SuccessRatio is below Target.
	Breached bool

	// Tiers holds the state of each alert tier of the objective.
	Tiers []TierState

	// Corrections holds the correction periods that overlap the SLO window
	// up to Time, oldest first: the past ones still in the window and the
	// active one. Their events are left out of every count above.
	Corrections []CorrectionPeriod

	// TotalSlices, GoodSlices and SliceBudget describe the window of a
	// time-slice objective (see [TimeSlices]); all zero for an objective
	// over events. TotalSlices is the number of slices in the window,
	// GoodSlices the good ones (with TimeSlices.Average, TotalSlices less
	// the sum of the slices' error ratios), SliceBudget the bad slices the
	// objective allows: (1 - Target) * TotalSlices. SuccessRatio, the budget
	// and the burn rates then measure slices, not events.
	TotalSlices             int
	GoodSlices, SliceBudget float64

	// Good and Bad count every event since the tracker was made, windowless:
	// the counters to export so that a monitoring system can aggregate
	// replicas. They restart from zero with the process.
	Good, Bad uint64
}

// A BurnRateSample is the burn rate over one window.
type BurnRateSample struct {
	Window          time.Duration
	BurnRate        float64
	Total, Failures uint64
}

// A BurnRateAlert reports a burn-rate window burning at or above the
// objective's threshold (the rule of [Tracker.CheckBurnRate]).
type BurnRateAlert struct {
	Name      string // the objective's name
	Window    time.Duration
	BurnRate  float64
	Threshold float64
}

// A TierState is the state of one alert tier at one instant.
type TierState struct {
	AlertTier
	LongBurnRate, ShortBurnRate float64
	LongTotal, ShortTotal       uint64 // events in each window
	// Firing reports whether both windows burn at or above the factor and
	// the long window holds at least the objective's MinEvents.
	Firing bool
}

// IsBudgetExhausted reports whether the error budget is spent: failures
// burned it (BurnRate is above 0) and ErrorBudgetRemaining is at or below
// 0. A tracker's budget burns only with events; a source reading ratios
// (Prometheus) knows it burned without counting events. A snapshot with
// NoData, or the zero Snapshot, is not exhausted.
func (s Snapshot) IsBudgetExhausted() bool {
	return !s.NoData && s.BurnRate > 0 && s.ErrorBudgetRemaining <= 0
}

// BurnRateAlerts returns one alert per burn-rate sample at or above the
// threshold.
func (s Snapshot) BurnRateAlerts() []BurnRateAlert {
	var alerts []BurnRateAlert
	for _, b := range s.BurnRates {
		if atLeast(b.BurnRate, s.BurnRateThreshold) {
			alerts = append(alerts, BurnRateAlert{Name: s.Name, Window: b.Window, BurnRate: b.BurnRate, Threshold: s.BurnRateThreshold})
		}
	}
	return alerts
}

// Firing returns the tiers that are firing.
func (s Snapshot) Firing() []TierState {
	var firing []TierState
	for _, t := range s.Tiers {
		if t.Firing {
			firing = append(firing, t)
		}
	}
	return firing
}

// view is what a snapshot is computed from: the counts in each window and
// the cumulative counts.
type view struct {
	window    map[time.Duration]counts
	good, bad uint64
	period    *periodView                  // a calendar objective's current period
	slices    map[time.Duration]sliceShare // nil for an objective over events
}

// burnRate is the burn rate over window w: of slices for a time-slice
// objective, of events otherwise.
func (v view) burnRate(w time.Duration, budget float64) float64 {
	if v.slices != nil {
		return v.slices[w].ratio() / budget
	}
	return burnRate(v.window[w], budget)
}

func newSnapshot(o Objective, budget float64, at time.Time, v view) Snapshot {
	w, window := v.window[o.Window], o.Window
	var start, end time.Time
	if v.period != nil {
		w, start, end = v.period.counts, v.period.start, v.period.end
		window = end.Sub(start)
	}
	s := Snapshot{
		Name:              o.Name,
		Description:       o.Description,
		Target:            o.Target,
		Window:            window,
		Time:              at,
		PeriodStart:       start,
		PeriodEnd:         end,
		Total:             w.total(),
		Failures:          w.bad,
		SuccessRatio:      successRatio(w),
		BurnRate:          v.burnRate(o.Window, budget),
		BurnRateThreshold: o.BurnRateThreshold,
		Good:              v.good,
		Bad:               v.bad,
	}
	if v.period != nil {
		s.BurnRate = burnRate(w, budget) // the period's, not the rolling window's
	}
	s.ErrorBudgetRemaining = 1 - s.BurnRate
	if sw, ok := v.slices[o.Window]; ok {
		s.SuccessRatio = 1 - sw.ratio()
		s.TotalSlices, s.GoodSlices, s.SliceBudget = sw.n, float64(sw.n)-sw.spent, budget*float64(sw.n)
	}
	s.Breached = s.SuccessRatio < o.Target
	pace := s.BurnRate
	for i, bw := range o.BurnRateWindows {
		c := v.window[bw]
		sample := BurnRateSample{Window: bw, BurnRate: v.burnRate(bw, budget), Total: c.total(), Failures: c.bad}
		s.BurnRates = append(s.BurnRates, sample)
		if i == 0 {
			pace = sample.BurnRate
		}
	}
	s.TimeToExhaustion = timeToExhaustion(s.ErrorBudgetRemaining, window, pace)
	if v.period != nil && s.TimeToExhaustion > end.Sub(at) {
		s.TimeToExhaustion = Forever // the period ends first, and the budget resets
	}
	for _, tier := range o.Tiers {
		long, short := v.window[tier.LongWindow], v.window[tier.ShortWindow]
		ts := TierState{
			AlertTier:     tier,
			LongBurnRate:  v.burnRate(tier.LongWindow, budget),
			ShortBurnRate: v.burnRate(tier.ShortWindow, budget),
			LongTotal:     long.total(),
			ShortTotal:    short.total(),
		}
		ts.Firing = long.total() >= o.MinEvents &&
			atLeast(ts.LongBurnRate, tier.Factor) && atLeast(ts.ShortBurnRate, tier.Factor)
		s.Tiers = append(s.Tiers, ts)
	}
	return s
}

func successRatio(c counts) float64 {
	if c.total() == 0 {
		return 1
	}
	return float64(c.good) / float64(c.total())
}

// burnRate is the error ratio of c divided by the error budget (the allowed
// error ratio); 0 with no events.
func burnRate(c counts, budget float64) float64 {
	if c.total() == 0 {
		return 0
	}
	return float64(c.bad) / float64(c.total()) / budget
}

// errorBudget returns the allowed error ratio 1 - target, rounded to 12
// significant digits: a target is written in decimal, and 1 - 0.99 computes
// as 0.010000000000000009, which would leave a budget spent exactly on
// target 1e-15 short of exhausted.
func errorBudget(target float64) float64 {
	if b := roundDecimal(1 - target); b > 0 {
		return b
	}
	return 1 - target
}

// roundDecimal rounds x to 12 significant decimal digits.
func roundDecimal(x float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
	if err != nil {
		return x
	}
	return r
}

func timeToExhaustion(remaining float64, window time.Duration, pace float64) time.Duration {
	switch {
	case remaining <= 0:
		return 0
	case pace <= 0:
		return Forever
	}
	d := remaining * float64(window) / pace
	if d >= float64(Forever) {
		return Forever
	}
	return time.Duration(d)
}

// AlertThreshold returns the lowest burn rate that counts as burning at
// factor: factor less one part in a billion, rounded to 12 significant
// digits. Burn rates are ratios of counts divided by 1 - target, whose
// float arithmetic misses exact values by a few units in the last place: 144
// failures in 10,000 events against a 99.9% target burn at exactly 14.4,
// which computes as 14.399999999999999. A burn rate fires a tier of factor
// f, or reaches a BurnRateThreshold of f, when it is at least
// AlertThreshold(f) (14.3999999856 for 14.4). The tracker compares with it,
// and package promrules writes it into the generated alert expressions, so
// both fire on the same counts.
func AlertThreshold(factor float64) float64 {
	return roundDecimal(factor * (1 - 1e-9))
}

// atLeast reports whether the burn rate x reaches the factor y.
func atLeast(x, y float64) bool {
	return x >= AlertThreshold(y)
}

// TimeToExhaustion returns how long a remaining share of the budget of a
// window lasts when burning at burnRate: remaining * window / burnRate, 0
// when the budget is spent and [Forever] when nothing burns. It is
// [Snapshot.TimeToExhaustion]'s formula, for sources that read the
// remaining budget and burn rate rather than count events.
func TimeToExhaustion(remaining float64, window time.Duration, burnRate float64) time.Duration {
	return timeToExhaustion(remaining, window, burnRate)
}
