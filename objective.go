package slo

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Defaults applied by [Objective.WithDefaults] to zero fields.
const (
	// DefaultWindow is the rolling window of an objective that sets none.
	DefaultWindow = 30 * 24 * time.Hour
	// DefaultBurnRateThreshold is the burn rate at which [Tracker.CheckBurnRate]
	// reports a window: 14.4 spends 2% of a 30-day budget in one hour.
	DefaultBurnRateThreshold = 14.4
)

// DefaultBurnRateWindows are the windows [Tracker.CheckBurnRate] watches
// when an objective names none.
var DefaultBurnRateWindows = []time.Duration{time.Hour, 6 * time.Hour}

// Limits on the durations an objective may use. Each window is measured with
// a ring of buckets, so a window must be long enough to be cut into buckets
// of at least a millisecond.
const (
	MinWindow      = time.Minute
	MinAlertWindow = 100 * time.Millisecond
	MaxWindow      = 400 * 24 * time.Hour
)

// workbookWindow is the SLO window the Workbook's alert tiers were designed
// for; [DefaultTiers] scales them to other windows.
const workbookWindow = 30 * 24 * time.Hour

// Severity tells who an alert tier wakes up.
type Severity string

// The severities of the default tiers.
const (
	SeverityPage   Severity = "page"
	SeverityTicket Severity = "ticket"
)

// An Objective is a service level objective: the share of events that must
// be good over a rolling window, and how its budget is watched. Zero fields
// take the defaults listed with [Objective.WithDefaults].
type Objective struct {
	// Name identifies the objective in snapshots, metrics and alerts. It
	// must be non-empty and printable.
	Name string

	// Description is free text for people; it is shown, never parsed.
	Description string

	// Target is the share of good events, strictly between 0 and 1
	// (0.999 means 99.9%).
	Target float64

	// Window is the rolling window over which Target must hold.
	Window time.Duration

	// BurnRateWindows are the windows reported in [Snapshot.BurnRates] and
	// checked by [Tracker.CheckBurnRate]. Each must fit in Window.
	BurnRateWindows []time.Duration

	// BurnRateThreshold is the burn rate at or above which
	// [Tracker.CheckBurnRate] reports a window. It must be positive.
	BurnRateThreshold float64

	// Tiers is the multiwindow, multi-burn-rate alert policy evaluated by
	// [Tracker.AlertStates]. Nil means DefaultTiers(Window), or
	// DefaultTiers(Calendar.Nominal()) for a calendar objective; an empty,
	// non-nil slice disables the policy.
	Tiers []AlertTier

	// MinEvents is the number of events a tier's long window must hold
	// before the tier may fire. It keeps a low-traffic service from paging
	// on its first failed request. Zero means no minimum.
	MinEvents uint64

	// Corrections are periods whose events count for neither the budget
	// nor the burn rates (see [Correction]); WeeklyCorrections recur every
	// week. No two periods may overlap, and none may last longer than
	// Window. [Tracker.AddCorrection] adds more at run time.
	Corrections       []Correction
	WeeklyCorrections []WeeklyCorrection

	// Calendar, when set, makes the SLO window a calendar period (see
	// [Calendar]) instead of the rolling Window, which must then be zero
	// or Calendar.Longest(). Burn-rate and alert windows stay rolling.
	Calendar Calendar

	// Slices makes the objective count good slices of time instead of good
	// events (see [TimeSlices]); the zero value counts events.
	Slices TimeSlices
}

// An AlertTier is one rule of the multiwindow, multi-burn-rate policy: it
// fires while both LongWindow and ShortWindow burn at or above Factor. The
// long window makes the alert significant, the short one makes it reset
// soon after the burning stops.
type AlertTier struct {
	Severity    Severity
	LongWindow  time.Duration
	ShortWindow time.Duration
	Factor      float64
}

// BudgetShare is the share of the error budget of an objective with the
// given window that a burn at exactly Factor spends over LongWindow: the
// least budget the tier lets go before it fires. The Workbook's page tier
// (14.4 over 1h of 30 days) guards 2%.
func (a AlertTier) BudgetShare(window time.Duration) float64 {
	if window <= 0 {
		return 0
	}
	return a.Factor * float64(a.LongWindow) / float64(window)
}

// String describes the tier like "page 1h0m0s/5m0s x14.4".
func (a AlertTier) String() string {
	return fmt.Sprintf("%s %v/%v x%g", a.Severity, a.LongWindow, a.ShortWindow, a.Factor)
}

// workbookTiers are the Workbook's tiers for a 30-day window.
var workbookTiers = []AlertTier{
	{SeverityPage, time.Hour, 5 * time.Minute, 14.4},
	{SeverityPage, 6 * time.Hour, 30 * time.Minute, 6},
	{SeverityTicket, 24 * time.Hour, 2 * time.Hour, 3},
	{SeverityTicket, 3 * 24 * time.Hour, 6 * time.Hour, 1},
}

// DefaultTiers returns the Workbook's four alert tiers for an objective with
// the given window: page 1h/5m x14.4, page 6h/30m x6, ticket 1d/2h x3 and
// ticket 3d/6h x1 for 30 days. For any other window the tier windows are
// scaled by window/30d and the factors kept, so each tier still fires after
// the same share of the budget (2%, 5%, 10% and 10%) and the same share of
// the window: a 7-day objective pages on 14.4 over 14m (with a 70s short
// window). Scaled windows are rounded to the second (the millisecond below
// ten seconds). Windows under about 15 minutes would scale the shortest
// windows below [MinAlertWindow]: those are raised to it, and a long window
// to at least twice its short one, so the tiers stay valid.
func DefaultTiers(window time.Duration) []AlertTier {
	tiers := slices.Clone(workbookTiers)
	if window <= 0 || window == workbookWindow {
		return tiers
	}
	scale := float64(window) / float64(workbookWindow)
	for i := range tiers {
		short := max(scaleDuration(tiers[i].ShortWindow, scale), MinAlertWindow)
		tiers[i].ShortWindow = short
		tiers[i].LongWindow = max(scaleDuration(tiers[i].LongWindow, scale), 2*short)
	}
	return tiers
}

func scaleDuration(d time.Duration, scale float64) time.Duration {
	s := time.Duration(float64(d) * scale)
	if s >= 10*time.Second {
		return s.Round(time.Second)
	}
	if r := s.Round(time.Millisecond); r > 0 {
		return r
	}
	return s
}

// WithDefaults returns a copy of o with zero fields set to their defaults:
// Window [DefaultWindow], BurnRateWindows those of [DefaultBurnRateWindows]
// that fit in Window,
// BurnRateThreshold [DefaultBurnRateThreshold], and Tiers
// DefaultTiers(Window) (of Calendar.Nominal() for a calendar objective,
// whose Window defaults to Calendar.Longest()). Slices are copied, so the
// result shares no memory with o.
func (o Objective) WithDefaults() Objective {
	if o.Window == 0 && !o.Calendar.IsZero() {
		o.Window = o.Calendar.Longest()
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.BurnRateWindows == nil {
		o.BurnRateWindows = []time.Duration{}
		for _, w := range DefaultBurnRateWindows {
			if w <= o.Window {
				o.BurnRateWindows = append(o.BurnRateWindows, w)
			}
		}
	} else {
		o.BurnRateWindows = slices.Clone(o.BurnRateWindows)
	}
	if o.BurnRateThreshold == 0 {
		o.BurnRateThreshold = DefaultBurnRateThreshold
	}
	if o.Tiers == nil {
		o.Tiers = DefaultTiers(o.tierWindow())
	} else {
		o.Tiers = slices.Clone(o.Tiers)
	}
	o.Corrections = slices.Clone(o.Corrections)
	o.WeeklyCorrections = cloneWeekly(o.WeeklyCorrections)
	return o
}

// A FieldError is one problem with one field of an objective.
type FieldError struct {
	Field   string // e.g. "Target" or "Tiers[1].ShortWindow"
	Problem string // what is wrong and what is allowed
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// A ValidationError lists every problem found in an objective.
type ValidationError struct {
	Objective string // the objective's name, as given
	Problems  []*FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	if e.Objective != "" && validName(e.Objective) == "" {
		fmt.Fprintf(&b, "objective %q: ", e.Objective)
	} else {
		b.WriteString("objective: ")
	}
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns the individual problems, so errors.As finds a *FieldError.
func (e *ValidationError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// Validate reports every problem of o, after defaults are applied, as a
// *[ValidationError] naming each field at fault, or nil when o is valid.
func (o Objective) Validate() error {
	var problems []*FieldError
	add := func(field, format string, args ...any) {
		problems = append(problems, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	problems = append(problems, o.Calendar.check(o.Window)...)
	if !o.Calendar.IsZero() && o.Slices.Enabled() {
		add("Slices.Window", "time slices over a calendar period are not supported: give a rolling window, or count events")
	}
	o = o.WithDefaults()

	if p := validName(o.Name); p != "" {
		add("Name", "%s", p)
	}
	if math.IsNaN(o.Target) || o.Target <= 0 || o.Target >= 1 {
		add("Target", "%v is outside (0, 1): give the share of good events, e.g. 0.999 for 99.9%%", o.Target)
	}
	windowOK := false
	switch {
	case o.Window <= 0:
		add("Window", "%v is not positive", o.Window)
	case o.Window < MinWindow || o.Window > MaxWindow:
		add("Window", "%v is outside [%v, %v]", o.Window, MinWindow, MaxWindow)
	default:
		windowOK = true
	}
	checkAlertWindow := func(field string, d time.Duration) {
		switch {
		case d <= 0:
			add(field, "%v is not positive", d)
		case d < MinAlertWindow:
			add(field, "%v is shorter than the minimum %v", d, MinAlertWindow)
		case windowOK && d > o.Window:
			add(field, "%v is longer than the SLO window %v", d, o.Window)
		}
	}
	for i, w := range o.BurnRateWindows {
		field := fmt.Sprintf("BurnRateWindows[%d]", i)
		checkAlertWindow(field, w)
		if slices.Contains(o.BurnRateWindows[:i], w) {
			add(field, "%v is listed twice", w)
		}
	}
	if math.IsNaN(o.BurnRateThreshold) || math.IsInf(o.BurnRateThreshold, 0) || o.BurnRateThreshold <= 0 {
		add("BurnRateThreshold", "%v is not a positive number", o.BurnRateThreshold)
	}
	for i, t := range o.Tiers {
		field := fmt.Sprintf("Tiers[%d]", i)
		if p := validName(string(t.Severity)); p != "" {
			add(field+".Severity", "%s", p)
		}
		checkAlertWindow(field+".LongWindow", t.LongWindow)
		checkAlertWindow(field+".ShortWindow", t.ShortWindow)
		if t.ShortWindow > 0 && t.LongWindow > 0 && t.ShortWindow >= t.LongWindow {
			add(field+".ShortWindow", "%v is not shorter than LongWindow %v", t.ShortWindow, t.LongWindow)
		}
		if math.IsNaN(t.Factor) || math.IsInf(t.Factor, 0) || t.Factor <= 0 {
			add(field+".Factor", "%v is not a positive number", t.Factor)
		}
	}
	o.validateCorrections(add)
	o.checkSlices(add, windowOK)
	if len(problems) == 0 {
		return nil
	}
	return &ValidationError{Objective: o.Name, Problems: problems}
}

// validName returns what is wrong with a name, or "" when it is fine.
func validName(s string) string {
	switch {
	case s == "":
		return "is empty"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case len(s) > 200:
		return fmt.Sprintf("is %d bytes long; the limit is 200", len(s))
	case strings.TrimSpace(s) != s:
		return fmt.Sprintf("%q has leading or trailing space", s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Sprintf("%q contains the non-printable character %U", s, r)
		}
	}
	return ""
}
