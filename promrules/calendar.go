package promrules

import (
	"fmt"
	"math"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/spec"
)

// Names of the series of a calendar SLO's window.
const (
	metricErrorsPeriod = "slo:sli_errors:increase_period"
	metricTotalPeriod  = "slo:sli_total:increase_period"
	metricPeriodID     = "slo:calendar_period:id"
)

// calendarGrid is the default grid of a calendar SLO. It divides 15
// minutes, so grid cells end on every period start of every zone.
const calendarGrid = 5 * time.Minute

// periodLabel is the label that names a grid cell's calendar period in
// the cells recorded for the period sums.
const periodLabel = "period"

// planCalendar checks what the rules need of a calendar SLO and sets its
// grid: the exact method (running sums of the grid's counts; an SLO for
// which ratio-average was asked gets exact, with a warning), a grid that
// divides 15 minutes, and a zone whose UTC offset never changes, since
// PromQL's time functions know only UTC. Nothing for a rolling window.
func (p *plan) planCalendar(grid time.Duration) (warning string, err *fieldError) {
	c := p.obj.Calendar
	if c.IsZero() {
		return "", nil
	}
	if p.kind == kindRatio {
		return "", bad("calendar", "a calendar window needs errors and events counted apart, to restart its window at the period start: an SLI given as an error ratio alone cannot")
	}
	if !p.gridded() {
		warning = "a calendar window is summed on the grid since the period start: the SLO uses method exact, not " + string(p.method)
		p.method = MethodExact
	}
	if grid == 0 {
		grid = calendarGrid
	}
	if (15*time.Minute)%grid != 0 {
		return "", bad("calendar", "the grid %s does not divide 15 minutes, so its cells would straddle period starts; use 5m, 1m or another divisor", promDuration(grid))
	}
	p.grid = grid
	if _, ok := fixedOffset(c.Location); !ok {
		return "", bad("calendar.time_zone", "%s changes its UTC offset (daylight saving), which the rules cannot follow: PromQL's day and month functions know only UTC. Use UTC or a zone with a fixed offset for generated rules; the in-process tracker supports every zone", c.Location)
	}
	return warning, nil
}

// fixedOffset returns the UTC offset of loc, in seconds, and whether it
// is the same on the 1st and the 15th of every month from 2020 to 2100 (nil
// is UTC).
func fixedOffset(loc *time.Location) (int, bool) {
	if loc == nil {
		return 0, true
	}
	_, offset := time.Date(2020, 1, 1, 0, 0, 0, 0, loc).Zone()
	for y := 2020; y <= 2100; y++ {
		for m := time.January; m <= time.December; m++ {
			for _, d := range []int{1, 15} {
				if _, o := time.Date(y, m, d, 12, 0, 0, 0, loc).Zone(); o != offset {
					return 0, false
				}
			}
		}
	}
	return offset, true
}

// localTime is, for PromQL's time functions, the instant back before the
// evaluation time, in the calendar's zone. For the period in force, back is
// half a grid cell: the middle of the cell that ends at the evaluation
// time, so a cell counts for the period holding its middle. With
// evaluations on the grid, which divides 15 minutes, every cell lies in
// one period; otherwise a cell across a period start counts for the period
// holding most of it. For a block, back is half a block: its middle.
func (p *plan) localTime(back time.Duration) string {
	offset, _ := fixedOffset(p.obj.Calendar.Location)
	shift := float64(offset) - back.Seconds()
	if shift < 0 {
		return fmt.Sprintf("vector(time() - %s)", spec.FormatFloat(-shift))
	}
	return fmt.Sprintf("vector(time() + %s)", spec.FormatFloat(shift))
}

// periodID is a number that names the period in force (see localTime):
// months since year 0 for a month, quarters for a quarter, ISO weeks since
// the Monday 1970-01-05 for a week.
func (p *plan) periodID() string { return p.periodIDBack(p.grid / 2) }

// periodIDBack is periodID of the instant back before the evaluation time.
func (p *plan) periodIDBack(back time.Duration) string {
	u := p.localTime(back)
	switch p.obj.Calendar.Period {
	case slo.Week:
		const monday = 4 * 24 * 3600 // 1970-01-01 was a Thursday
		return fmt.Sprintf("floor((%s - %d) / %d)", u, monday, 7*24*3600)
	case slo.Month:
		return fmt.Sprintf("year(%s) * 12 + month(%s)", u, u)
	}
	return fmt.Sprintf("year(%s) * 4 + floor((month(%s) - 1) / 3)", u, u)
}

// calendarBlock is the block of a calendar SLO: the whole number of grid
// cells dividing an hour that makes one evaluation read the fewest samples
// (a block per block of the longest period, the cells of the block
// recorded, and the partial sums' cells: 1 + 2 + ... + k-1 for blocks of
// k cells). An hour divides every period, so with blocks aligned to the
// zone's midnight no block straddles a period start; and a block lost to a
// missed evaluation (see calendarRules) is at most an hour of events.
// Blocks of 1h for the 5m grid.
func calendarBlock(grid, longest time.Duration) time.Duration {
	best, cost := grid, -1
	for k := 2; time.Duration(k)*grid <= time.Hour; k++ {
		b := time.Duration(k) * grid
		if time.Hour%b != 0 {
			continue
		}
		if c := int(longest/b) + k + k*(k-1)/2; cost < 0 || c < cost {
			best, cost = b, c
		}
	}
	return best
}

// blockPhase is the phase of the evaluation time in its block: time()
// modulo the block, shifted by the calendar zone's UTC offset so that
// blocks start at the zone's midnight (the offset is taken modulo the
// block, so the shifted time stays positive).
func (p *plan) blockPhase() string {
	offset, _ := fixedOffset(p.obj.Calendar.Location)
	bl := p.block.Seconds()
	t := "time()"
	if shift := math.Mod(math.Mod(float64(offset), bl)+bl, bl); shift != 0 {
		t = "(time() + " + spec.FormatFloat(shift) + ")"
	}
	return "vector(" + t + " % " + spec.FormatFloat(bl) + ")"
}

// windowSeconds is the rule of slo:window:seconds: the rolling window, or
// the length of the current calendar period (a quarter is 90 to 92 days),
// the one whose sums the window's ratio holds (see localTime).
func (p *plan) windowSeconds() string {
	const daySecs = 24 * 3600
	u := p.localTime(p.grid / 2)
	switch p.obj.Calendar.Period {
	case "":
		return "vector(" + spec.FormatFloat(p.obj.Window.Seconds()) + ")"
	case slo.Week:
		return fmt.Sprintf("vector(%d)", 7*daySecs)
	case slo.Month:
		return fmt.Sprintf("days_in_month(%s) * %d", u, daySecs)
	}
	// 90 days, a day more from the second quarter on, another from the
	// third, and 29 February in the first quarter of a leap year.
	q := fmt.Sprintf("floor((month(%s) - 1) / 3)", u)
	y := fmt.Sprintf("year(%s)", u)
	leap := fmt.Sprintf("(%s %% 4 == bool 0) * ((%s %% 100 != bool 0) + (%s %% 400 == bool 0))", y, y, y)
	return fmt.Sprintf("(90 + (%s >= bool 1) + (%s >= bool 2) + (%s == bool 0) * %s) * %d", q, q, q, leap, daySecs)
}

// budgetWindow is the window whose budget the tiers' shares and the time
// to exhaustion are of: the rolling window, or the calendar's nominal
// period, which its default tiers are scaled to.
func (p *plan) budgetWindow() time.Duration {
	if p.obj.Calendar.IsZero() {
		return p.obj.Window
	}
	return p.obj.Calendar.Nominal()
}

// windowName names the window in alert descriptions: "30d", or
// "month (Europe/Berlin)".
func (p *plan) windowName() string {
	if p.obj.Calendar.IsZero() {
		return promDuration(p.obj.Window)
	}
	return p.obj.Calendar.String()
}

// calendarRules are the rules of a calendar SLO's window, in the window
// group after the grid's two cells: period-aligned blocks of the cells
// (see blockRules), the period's sums, the period's number and its error
// ratio.
//
// Blocks start at the zone's midnight and divide an hour (see
// calendarBlock), so no block straddles a period start. Each block is
// recorded once, at its end (the first evaluation of the next block),
// labelled with the number of the period holding its middle; the partial
// sum holds the cells since. The period's sums add, per period label, the
// blocks of the longest period (less half a block), keeping the period in
// force (see localTime), and the partial sum: a block of this period for
// every whole block since the period start, then the cells since the last
// one. At a period start the partial sum is 0 and the block just recorded
// belongs to the period before, which is still in force for the one cell
// that ends there; a cell later the sums hold the new period's first cell
// alone: the budget resets exactly.
//
// The sums are a function of the recorded cells and blocks alone, never of
// their own past values: a pause of the evaluations (a Prometheus restart)
// loses the cells not evaluated, as for a rolling window, and a backfill
// that evaluates each rule over history once gets the same sums as live
// evaluation. A block whose first evaluation is missed is lost with its
// cells, as with the rolling window's blocks: the sums then lack up to a
// block of events until the period ends.
func (p *plan) calendarRules(b *builder) []rule {
	g, bl := p.grid, p.block
	period := fmt.Sprintf("count_values(%q, %s)", periodLabel, p.periodID())
	// Longest has a day to spare for daylight saving, which the rules
	// refuse. The range holds the blocks recorded since the longest
	// period's first block ended, whether ranges include their start
	// (Prometheus 2) or not (Prometheus 3): the period label, not the
	// range, picks the blocks.
	rng := promRange(p.obj.Calendar.Longest() - 24*time.Hour - bl/2)
	sum := func(block string) string {
		return p.agg("sum", fmt.Sprintf("(sum_over_time(%s[%s]) and on(%s) %s) or %s",
			p.series(block), rng, periodLabel, period, p.series(partialMetric(block))))
	}
	errs, total := p.agg("sum", p.series(metricErrorsPeriod)), p.agg("sum", p.series(metricTotalPeriod))
	rules := p.blockRules(b, errorsMetric(g), errorsMetric(bl))
	rules = append(rules, p.blockRules(b, totalMetric(g), totalMetric(bl))...)
	return append(rules,
		b.record(metricErrorsPeriod, sum(errorsMetric(bl))),
		b.record(metricTotalPeriod, sum(totalMetric(bl))),
		b.record(metricPeriodID, p.periodID()),
		b.record(metricRatioWindow, p.orZero(fmt.Sprintf("(%s / (%s > 0))", errs, total), total)),
	)
}

// windowSecondsAt is what slo:window:seconds records at the test time at
// (since the Unix epoch): the rolling window, or the length of the period
// holding the middle of the grid cell ending at at.
func (p *plan) windowSecondsAt(at time.Duration) float64 {
	if p.obj.Calendar.IsZero() {
		return p.obj.Window.Seconds()
	}
	start, end := p.obj.Calendar.Bounds(time.Unix(0, int64(at-p.grid/2)))
	return end.Sub(start).Seconds()
}
