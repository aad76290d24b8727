package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/series"
	"github.com/slo-budget-tracker/slo/spec"
)

const budgetHelp = `
The error budget calculator. For an objective (the share of events that must
be good) over a window, print: the allowed bad fraction; the full-outage time
it allows per window and per 30d, 7d, 1d and 1h; the failed events it allows
at a request rate (with -rate); how long the budget lasts at burn rates 1, 2,
6, 14.4 and 36; and the default multiwindow, multi-burn-rate alert tiers for
the window, with the share of the budget each lets go before it fires.
With -calendar, the window is a calendar period (week, month or quarter in
the -tz zone): the one holding -at, or now; a 31-day month allows more than
a 28-day one, and the tiers are the period's (those of 30 days for a month).
Warns when an objective is so low that a tier can never fire, or so high that
the whole budget lasts seconds.

Examples:

	slo budget -objective 99.9
	slo budget -objective 99.95 -window 28d -rate 250/s -o json
	slo budget -objective 99.9 -calendar month -tz Europe/Berlin -at 2027-02-10`

// burnRates are the burn rates budget shows the time to exhaustion of: the
// pace that spends the budget over the window, and the alert tiers' factors.
var burnRates = []float64{1, 2, 6, 14.4, 36}

// The periods budget shows the allowed outage of, besides the window.
var budgetPeriods = []time.Duration{30 * 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour, time.Hour}

// A budgetReport is what budget prints, as text or JSON.
type budgetReport struct {
	Objective        string         `json:"objective"` // like "99.9%"
	Target           float64        `json:"target"`
	Window           string         `json:"window"`
	WindowSeconds    float64        `json:"window_seconds"`
	ErrorBudget      float64        `json:"error_budget"` // the allowed bad fraction
	RatePerSecond    *float64       `json:"rate_per_second,omitempty"`
	Periods          []budgetPeriod `json:"periods"`
	TimeToExhaustion []budgetBurn   `json:"time_to_exhaustion"`
	Tiers            []budgetTier   `json:"tiers"`
	Warnings         []string       `json:"warnings"`
	// A calendar period's budget (with -calendar): the calendar, like
	// "month (UTC)", and the period; absent for a rolling window.
	Calendar    string     `json:"calendar,omitempty"`
	Period      string     `json:"-"`
	PeriodStart *time.Time `json:"period_start,omitempty"`
	PeriodEnd   *time.Time `json:"period_end,omitempty"`
}

type budgetPeriod struct {
	Period        string   `json:"period"`
	PeriodSeconds float64  `json:"period_seconds"`
	IsWindow      bool     `json:"is_window,omitempty"`
	Outage        string   `json:"outage"`
	OutageSeconds float64  `json:"outage_seconds"`
	FailedEvents  *float64 `json:"failed_events,omitempty"` // at RatePerSecond
}

type budgetBurn struct {
	BurnRate float64 `json:"burn_rate"`
	Duration string  `json:"duration"`
	Seconds  float64 `json:"seconds"`
}

type budgetTier struct {
	Severity           string  `json:"severity"`
	LongWindow         string  `json:"long_window"`
	LongWindowSeconds  float64 `json:"long_window_seconds"`
	ShortWindow        string  `json:"short_window"`
	ShortWindowSeconds float64 `json:"short_window_seconds"`
	Factor             float64 `json:"factor"`
	BudgetShare        float64 `json:"budget_share"` // spent over the long window before it fires
	ErrorRatio         float64 `json:"error_ratio"`  // the error ratio it fires at
	CanFire            bool    `json:"can_fire"`
}

func runBudget(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("budget", "-objective PERCENT [-window 30d] [-rate 250/s] [-o text|json]", budgetHelp, stderr)
	objective := fs.String("objective", "", "the objective: a percentage like 99.9 or 99.9%, or a ratio below 1 like 0.999 (required)")
	window := fs.String("window", "30d", "the SLO's rolling window, like 30d, 28d, 7d or 1h")
	rate := fs.String("rate", "", "a request rate, like 250/s, 1500/m or 2e6/d, to count the allowed failed events")
	output := fs.String("o", "text", "output format: text or json")
	calendar := fs.String("calendar", "", "a calendar period instead of the rolling window: week, month or quarter")
	zone := fs.String("tz", "UTC", "the calendar's IANA time zone, like Europe/Berlin")
	at := fs.String("at", "", "with -calendar, a date (2027-02-10) or RFC 3339 time in the period to show; now when absent")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fail := func(format string, a ...any) int { return usageError(fs, format, a...) }
	if fs.NArg() > 0 {
		return fail("unexpected arguments %q; give the objective with -objective", fs.Args())
	}
	if *objective == "" {
		return fail("-objective is required, like -objective 99.9")
	}
	target, err := parseObjective(*objective)
	if err != nil {
		return fail("-objective: %v", err)
	}
	w, err := spec.ParseDuration(*window)
	if err != nil {
		return fail("-window: %v", err)
	}
	tiers := slo.DefaultTiers(w)
	var period *budgetPeriodOf
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case *calendar != "" && set["window"]:
		return fail("-window and -calendar exclude each other: give a rolling window or a calendar period")
	case *calendar != "":
		p, err := parseBudgetCalendar(*calendar, *zone, *at, time.Now())
		if err != nil {
			return fail("%v", err)
		}
		period, w, tiers = &p, p.length(), slo.DefaultTiers(p.cal.Nominal())
	case set["tz"] || set["at"]:
		return fail("-tz and -at need -calendar")
	}
	if err := (slo.Objective{Name: "budget", Target: target, Window: w, Tiers: []slo.AlertTier{}}).Validate(); err != nil {
		return fail("%v", err)
	}
	var perSecond *float64
	if *rate != "" {
		r, err := parseRate(*rate)
		if err != nil {
			return fail("-rate: %v", err)
		}
		perSecond = &r
	}
	if *output != "text" && *output != "json" {
		return fail("-o %q: allowed: text, json", *output)
	}
	rep := newBudgetReport(target, w, tiers, perSecond)
	if period != nil {
		rep.setPeriod(*period)
	}
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fail("%v", err)
		}
		return exitOK
	}
	rep.writeText(stdout)
	return exitOK
}

func newBudgetReport(target float64, window time.Duration, tiers []slo.AlertTier, perSecond *float64) budgetReport {
	budget := 1 - target
	rep := budgetReport{
		Objective:     formatPercent(target),
		Target:        target,
		Window:        series.FormatDuration(window),
		WindowSeconds: window.Seconds(),
		ErrorBudget:   spec.RoundFloat(budget),
		RatePerSecond: perSecond,
		Warnings:      []string{},
	}
	periods := []time.Duration{window}
	for _, p := range budgetPeriods {
		if p != window {
			periods = append(periods, p)
		}
	}
	for i, p := range periods {
		outage := durationOf(budget * float64(p))
		bp := budgetPeriod{
			Period: series.FormatDuration(p), PeriodSeconds: p.Seconds(), IsWindow: i == 0,
			Outage: formatShort(outage), OutageSeconds: outage.Seconds(),
		}
		if perSecond != nil {
			n := budget * *perSecond * p.Seconds()
			n = spec.RoundFloat(n)
			bp.FailedEvents = &n
		}
		rep.Periods = append(rep.Periods, bp)
	}
	for _, b := range burnRates {
		d := durationOf(float64(window) / b)
		rep.TimeToExhaustion = append(rep.TimeToExhaustion, budgetBurn{BurnRate: b, Duration: formatShort(d), Seconds: d.Seconds()})
	}
	for _, t := range tiers {
		rep.Tiers = append(rep.Tiers, budgetTier{
			Severity:   string(t.Severity),
			LongWindow: formatShort(t.LongWindow), LongWindowSeconds: t.LongWindow.Seconds(),
			ShortWindow: formatShort(t.ShortWindow), ShortWindowSeconds: t.ShortWindow.Seconds(),
			Factor: t.Factor, BudgetShare: spec.RoundFloat(t.BudgetShare(window)),
			ErrorRatio: spec.RoundFloat(t.Factor * budget), CanFire: t.Factor*budget < 1,
		})
	}
	rep.Warnings = append(rep.Warnings, tierWarnings(target, tiers)...)
	if outage := durationOf(budget * float64(window)); outage < time.Minute {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf(
			"the whole budget is %s of full outage per %s: it is gone before anyone can react, and a page tier fires only after it is; consider a lower objective",
			formatShort(outage), series.FormatDuration(window)))
	}
	if perSecond != nil {
		if n := budget * *perSecond * window.Seconds(); n < 1 {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf(
				"at %g events/s the budget allows %.3g failed events per %s: a single failure breaks the objective", *perSecond, n, series.FormatDuration(window)))
		}
	}
	return rep
}

func (rep budgetReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "Objective     %s over %s (target %v)\n", rep.Objective, rep.Window, rep.Target)
	if rep.Period != "" {
		fmt.Fprintf(w, "Period        %s\n", rep.Period)
	}
	fmt.Fprintf(w, "Error budget  %s of events may fail", formatPercent(rep.ErrorBudget))
	if rep.ErrorBudget > 0 {
		fmt.Fprintf(w, " (1 in %s)", formatCount(1/rep.ErrorBudget))
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "\nAllowed full outage")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "  per\toutage"
	if rep.RatePerSecond != nil {
		header += fmt.Sprintf("\tfailed events at %s/s", formatCount(*rep.RatePerSecond))
	}
	fmt.Fprintln(tw, header)
	for _, p := range rep.Periods {
		name := p.Period
		if p.IsWindow {
			name += " (window)"
		}
		line := "  " + name + "\t" + p.Outage
		if p.FailedEvents != nil {
			line += "\t" + formatCount(*p.FailedEvents)
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()

	fmt.Fprintln(w, "\nTime to exhaustion of a full budget")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  burn rate\tlasts")
	for _, b := range rep.TimeToExhaustion {
		fmt.Fprintf(tw, "  %g\t%s\n", b.BurnRate, b.Duration)
	}
	tw.Flush()

	fmt.Fprintf(w, "\nAlert tiers for a %s window (each fires while both windows burn at or above the factor)\n", rep.Window)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  severity\tlong window\tshort window\tfactor\tbudget spent before firing\terror ratio")
	for _, t := range rep.Tiers {
		ratio := formatPercent(t.ErrorRatio)
		if !t.CanFire {
			ratio += " (never fires)"
		}
		share := strconv.FormatFloat(100*t.BudgetShare, 'g', 4, 64) + "%" // 2% for 30 days, 2.143% for 28
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%g\t%s\t%s\n", t.Severity, t.LongWindow, t.ShortWindow, t.Factor, share, ratio)
	}
	tw.Flush()
	for _, warn := range rep.Warnings {
		fmt.Fprintf(w, "\nwarning: %s\n", warn)
	}
}

// parseObjective reads "99.9", "99.9%" (percentages) or "0.999" (a ratio).
// The percentage is divided by 100 as a decimal, so 99.9 gives exactly the
// float nearest 0.999.
func parseObjective(s string) (float64, error) {
	s = strings.TrimSpace(s)
	num := strings.TrimSuffix(s, "%")
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number; give a percentage like 99.9", s)
	}
	isPercent := num != s || f >= 1
	if !isPercent {
		if f <= 0 {
			return 0, fmt.Errorf("%q is not above 0", s)
		}
		return f, nil
	}
	t, err := spec.ParsePercent(num)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	if t <= 0 || t >= 1 {
		return 0, fmt.Errorf("%s%% is not between 0%% and 100%% (100%% leaves no error budget)", num)
	}
	return t, nil
}

var rateUnits = map[string]float64{"": 1, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}

// parseRate reads an event rate like 250/s, 1500/m, 2e6/d or 250 (per
// second) and returns it per second.
func parseRate(s string) (float64, error) {
	num, unit, _ := strings.Cut(strings.TrimSpace(s), "/")
	div, ok := rateUnits[unit]
	if !ok {
		return 0, fmt.Errorf("%q: unknown unit %q; allowed: /s, /m, /h, /d", s, unit)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		return 0, fmt.Errorf("%q is not a positive rate; give one like 250/s", s)
	}
	return f / div, nil
}

// durationOf converts float nanoseconds to a duration rounded to the
// millisecond, saturating instead of overflowing.
func durationOf(ns float64) time.Duration {
	if ns >= math.MaxInt64 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(math.Round(ns)).Round(time.Millisecond)
}

// formatShort writes a duration for people, as days and Go units, rounded
// to keep three or four significant figures: 43m12s, 2d2h, 3.6s, 259ms.
// Windows and tiers, which Prometheus reads too, use series.FormatDuration.
func formatShort(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		d = d.Round(time.Minute)
	case d >= time.Hour:
		d = d.Round(time.Second)
	case d >= time.Minute:
		d = d.Round(100 * time.Millisecond)
	}
	day := 24 * time.Hour
	if d < day {
		return trimZeroUnits(d.String())
	}
	s := strconv.FormatInt(int64(d/day), 10) + "d"
	if rest := d % day; rest > 0 {
		s += trimZeroUnits(rest.String())
	}
	return s
}

// trimZeroUnits turns Go's "1h0m0s" into "1h" and "2h30m0s" into "2h30m".
func trimZeroUnits(s string) string {
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// formatCount writes a count with thousands separators: 648,000 or 2.5.
func formatCount(x float64) string {
	if x != math.Trunc(x) || math.Abs(x) >= 1e15 {
		return strconv.FormatFloat(x, 'g', 4, 64)
	}
	s := strconv.FormatFloat(x, 'f', 0, 64)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
