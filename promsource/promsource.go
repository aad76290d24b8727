// Package promsource reads the state of every SLO of a fleet from the
// series that `slo generate`'s rules record in Prometheus: an slo.Source
// and slo.HistorySource, so the /slo report, the dashboard and the release
// gate of one process show a whole organisation alike (`slo serve`).
//
// A snapshot is read from the recorded series:
//
//	slo:error_budget_remaining:ratio   the remaining budget
//	slo:burn_rate:ratio_window         the burn rate over the window
//	slo:sli_error:ratio_rate<W>        the burn rate of every window W (divided by the budget)
//	slo:objective:ratio, slo:error_budget:ratio, slo:window:seconds
//	                                   the target, budget and window
//	slo:sli_errors:increase<G>, slo:sli_total:increase<G>
//	                                   the events of the window, and its burn-down
//	                                   (the exact method records them)
//	slo:sli_errors:increase<B>, ..._partial (and total)
//	                                   the events of the window, from the exact
//	                                   method's blocks where it records them
//	slo:sli_errors:increase_period, slo:sli_total:increase_period
//	                                   the events of a calendar SLO's period
//	ALERTS{alertstate="firing"}        the firing alert tiers
//	slo:sli_slice_error:ratio<S>       a time-slice SLO's slices of width S: their
//	                                   counts, and its burn-down in slices
//
// Every query covers every SLO: one instant query per metric (the
// events, one per distinct window; with discovered SLOs, the names of the
// slice series, which give a time-slice SLO its slice width), and for the
// charts one range query per metric (the slices, one per slice width and
// window), each within the source's timeout, never one query per SLO.
//
// With spec files (Options.SLOs) the SLOs, their descriptions, targets,
// windows and alert tiers come from the specs; without, the SLOs are
// discovered from the series' slo and service labels, and the tiers listed
// are those whose alert is firing (the factor unknown, shown as 0). A
// grouped SLO (group_by) gives one snapshot per member, whose Labels are
// the group labels. The Service of every snapshot is its service label;
// the SLO's fixed labels stay out of Labels, unless two SLOs share a name
// and a service and differ only by them.
//
// An SLO whose series are missing (its rules not yet evaluated), or whose
// window holds no event, is "no data yet": its snapshot has NoData set and
// the neutral values of an SLO without events. Without event counts (the
// ratio-average method records none) an SLO without traffic cannot be told
// from one without errors. When Prometheus cannot be read, Snapshots and
// Charts fail: the views answer 503 rather than show stale numbers.
package promsource

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/series"
	"github.com/slo-budget-tracker/slo/spec"
)

// Names of the series the rules record (package promrules).
const (
	metricRemaining = "slo:error_budget_remaining:ratio"
	metricBurnRate  = "slo:burn_rate:ratio_window"
	metricObjective = "slo:objective:ratio"
	metricBudget    = "slo:error_budget:ratio"
	metricWindow    = "slo:window:seconds"
	prefixRatio     = "slo:sli_error:ratio_rate"
	prefixErrors    = "slo:sli_errors:increase"
	prefixTotal     = "slo:sli_total:increase"
	metricPeriodID  = "slo:calendar_period:id"
	// The events of a calendar SLO's period so far.
	metricErrorsPeriod = "slo:sli_errors:increase_period"
	metricTotalPeriod  = "slo:sli_total:increase_period"
)

// DefaultTimeout bounds each query when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// chartPoints is about how many buckets a burn-down chart of the longest
// window has.
const chartPoints = 120

// Options configure a Source.
type Options struct {
	// SLOs are the SLOs to show, from spec files; nil discovers them from
	// the recorded series.
	SLOs []spec.SLO
	// Timeout bounds each query; DefaultTimeout when zero.
	Timeout time.Duration
	// Client sends the queries; http.DefaultClient when nil.
	Client *http.Client
	// Now gives the instant of a snapshot; time.Now when nil.
	Now func() time.Time
	// RequireRules makes Snapshots and Charts fail, naming the SLOs, when
	// the server records none of the series the rules of an SLO of SLOs
	// always record (its target, budget and window): its rules are not
	// loaded there, or the server is not the one that runs them. Without
	// it such an SLO shows as "no data yet", as a new SLO does, which is
	// right for a dashboard and wrong for a deployment gate.
	RequireRules bool
}

// A Source reads the SLOs of a fleet from a Prometheus server. It is safe
// for concurrent use.
type Source struct {
	base    *url.URL
	client  *http.Client
	timeout time.Duration
	now     func() time.Time
	specs   []*objective // nil: discover
	// requireRules: see Options.RequireRules.
	requireRules bool
}

var _ slo.HistorySource = (*Source)(nil)

// New returns a Source reading the Prometheus server at baseURL (such as
// http://prometheus:9090). It checks the URL and the SLOs, not the server.
func New(baseURL string, opts Options) (*Source, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("promsource: %q is not an http(s) URL of a Prometheus server", baseURL)
	}
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("promsource: the timeout %v is negative", opts.Timeout)
	}
	s := &Source{base: u, client: opts.Client, timeout: opts.Timeout, now: opts.Now, requireRules: opts.RequireRules}
	if s.client == nil {
		s.client = http.DefaultClient
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.now == nil {
		s.now = time.Now
	}
	seen := map[string]bool{}
	for _, sl := range opts.SLOs {
		o := sl.Objective.WithDefaults()
		if err := o.Validate(); err != nil {
			return nil, fmt.Errorf("promsource: SLO %q of service %q: %w", o.Name, sl.Service, err)
		}
		if sl.Service == "" {
			return nil, fmt.Errorf("promsource: SLO %q has no service", o.Name)
		}
		base := map[string]string{"slo": o.Name, "service": sl.Service}
		for k, v := range sl.Labels {
			base[k] = v
		}
		key := labelKey(base)
		if seen[key] {
			return nil, fmt.Errorf("promsource: SLO %q of service %q is given twice with the same labels", o.Name, sl.Service)
		}
		seen[key] = true
		s.specs = append(s.specs, &objective{base: base, obj: o, service: sl.Service, budget: 1 - o.Target, fromSpec: true})
	}
	if s.specs == nil && opts.SLOs != nil {
		s.specs = []*objective{}
	}
	return s, nil
}

// objective is one SLO, from a spec or discovered from its series.
type objective struct {
	base map[string]string // slo, service and the SLO's fixed labels
	// shared is set when another objective has the same name and service
	// (and other fixed labels): its snapshots then carry its fixed
	// labels, which tell the two apart.
	shared   bool
	obj      slo.Objective
	service  string
	budget   float64
	fromSpec bool
	// calendar is set for an SLO whose window is a calendar period: its
	// spec says so, or its rules record the period's number.
	calendar bool
	members  map[string]*member
}

// member is what the series say of one budget of an objective: the
// objective itself, or one group of a grouped SLO.
type member struct {
	labels        map[string]string // every label of its series
	remaining     *float64
	burnRate      *float64
	ratios        map[time.Duration]float64
	total, errors *float64
	events        [eventSources]counts // the events of the window, by where they were read
	firing        []map[string]string  // the labels of its firing alerts
	errBuckets    map[int64]float64
	totalBuckets  map[int64]float64
	sliceBuckets  map[int64]float64 // a time-slice objective's spent per chart bucket
}

// An eventSource is where the events of an SLO's window are read from.
type eventSource int

const (
	fromGrid   eventSource = iota // the grid's cells over the window
	fromBlocks                    // the exact method's blocks and partial block
	fromPeriod                    // a calendar period's sums, which its rules record
	eventSources
)

// counts are the events of a window: its errors and its total.
type counts struct{ errors, total *float64 }

// state is one reading of the server: the objectives with their members.
type state struct {
	at   time.Time
	objs []*objective
	// cells names the series of the rules' grid cells (errors, total);
	// nil when the server has none.
	cells map[string][]string
}

// Snapshots returns a snapshot of every SLO (of every member of a grouped
// SLO), sorted by service, name and labels.
func (s *Source) Snapshots(ctx context.Context) ([]slo.Snapshot, error) {
	st, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.readSliceWidths(ctx, st); err != nil {
		return nil, err
	}
	var out []slo.Snapshot
	st.each(func(o *objective, m *member) { out = append(out, o.sliceSnapshot(m, st.at)) })
	return out, nil
}

// Charts returns the snapshots of Snapshots with the burn-down of every
// SLO whose rules record its events: buckets of about a 120th of the
// longest window (whole 5m grid steps), from one range query per metric;
// and of every time-slice SLO in slices: buckets of
// slo.TimeSlices.ChartBucket, from one range query per slice width and
// window.
func (s *Source) Charts(ctx context.Context) ([]slo.Chart, error) {
	st, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.readSliceWidths(ctx, st); err != nil {
		return nil, err
	}
	longest := time.Duration(0)
	for _, o := range st.objs {
		if len(o.members) > 0 {
			longest = max(longest, o.obj.Window)
		}
	}
	step := chartStep(longest)
	if longest > 0 {
		start := st.at.Add(-longest + step)
		err := parallel(ctx, append(s.sliceChartJobs(st),
			func(ctx context.Context) error {
				if st.cells[prefixErrors] == nil {
					return nil
				}
				rs, err := s.rangeQuery(ctx, sumOverTime(st.cells[prefixErrors], step), start, st.at, step)
				st.assignRange(rs, func(m *member, v map[int64]float64) { m.errBuckets = v })
				return err
			},
			func(ctx context.Context) error {
				if st.cells[prefixTotal] == nil {
					return nil
				}
				rs, err := s.rangeQuery(ctx, sumOverTime(st.cells[prefixTotal], step), start, st.at, step)
				st.assignRange(rs, func(m *member, v map[int64]float64) { m.totalBuckets = v })
				return err
			})...)
		if err != nil {
			return nil, err
		}
	}
	var out []slo.Chart
	st.each(func(o *objective, m *member) {
		out = append(out, slo.Chart{Snapshot: o.sliceSnapshot(m, st.at), History: m.history(o.obj.Window, st.at, step), Slices: m.sliceHistory(o, st.at)})
	})
	return out, nil
}

// chartStep is the width of a chart's buckets for the longest window:
// about a 120th of it, rounded up to a multiple of the rules' 5m grid (for
// windows of an hour or more, whose grid it is), so that every bucket holds
// as many grid steps as the next; to a whole second for shorter windows.
func chartStep(longest time.Duration) time.Duration {
	unit := 5 * time.Minute
	if longest < time.Hour {
		unit = time.Second
	}
	return max((longest/chartPoints+unit-1)/unit*unit, time.Second)
}

// cellNames picks, from the names of the recorded increases, those of the
// grid cells, by prefix: every name of a step but the exact method's blocks
// (slo:sli_errors:increase1h beside slo:sli_errors:increase1h_partial) and
// their partial sums, which hold the same events again. A name that is one
// SLO's grid and another's block (a grid set to the other's block) is
// taken for a block: that SLO's events are then unknown, never counted
// twice.
func cellNames(increases []sample) map[string][]string {
	return increaseNames(increases, func(n, step string, names map[string]bool) bool {
		// A cell is named after its step (increase5m); a calendar
		// period's running sum (increase_period) is not a cell.
		_, err := model.ParseDuration(step)
		return err == nil && !strings.HasSuffix(n, partialSuffix) && !names[n+partialSuffix]
	})
}

// increaseNames returns the distinct names of the recorded increases that
// keep takes, sorted, by prefix (errors, events). keep is given the name,
// what follows its prefix, and every name recorded.
func increaseNames(increases []sample, keep func(name, step string, names map[string]bool) bool) map[string][]string {
	names := map[string]bool{}
	for _, smp := range increases {
		names[smp.name] = true
	}
	out := map[string][]string{}
	for n := range names {
		for _, prefix := range []string{prefixErrors, prefixTotal} {
			if step, ok := strings.CutPrefix(n, prefix); ok && keep(n, step, names) {
				out[prefix] = append(out[prefix], n)
			}
		}
	}
	for _, ns := range out {
		slices.Sort(ns)
	}
	return out
}

// partialSuffix ends the name of a block's partial sum.
const partialSuffix = "_partial"

// sumOverTime adds up the grid cells named names over the range rng before
// each instant. The range stops a millisecond short so that a grid sample
// exactly rng old is left out: Prometheus 2 includes a range's start and
// Prometheus 3 does not, and a sample belongs to one window, one bucket, on
// both.
func sumOverTime(names []string, rng time.Duration) string {
	return fmt.Sprintf("sum_over_time(%s[%s])", nameSelector(names), model.Duration(rng-time.Millisecond))
}

// nameSelector selects the series named names.
func nameSelector(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = regexpQuote(n)
	}
	return fmt.Sprintf("{__name__=~%s}", strconv.Quote(strings.Join(quoted, "|")))
}

// regexpQuote escapes the regular expression metacharacters of a metric
// name prefix (letters, digits, _ and :, none of which are; kept for
// safety).
func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// read queries the server once for every SLO.
func (s *Source) read(ctx context.Context) (*state, error) {
	st := &state{at: s.now()}
	var remaining, burn, ratios, meta, alerts, increases []sample
	instant := func(dst *[]sample, expr string) func(context.Context) error {
		return func(ctx context.Context) error {
			var err error
			*dst, err = s.instant(ctx, expr, st.at)
			return err
		}
	}
	err := parallel(ctx,
		instant(&remaining, metricRemaining),
		instant(&burn, metricBurnRate),
		instant(&ratios, fmt.Sprintf("{__name__=~%s}", strconv.Quote(regexpQuote(prefixRatio)+".+"))),
		instant(&meta, fmt.Sprintf("{__name__=~%s}", strconv.Quote(strings.Join([]string{regexpQuote(metricObjective), regexpQuote(metricBudget), regexpQuote(metricWindow), regexpQuote(metricPeriodID)}, "|")))),
		instant(&alerts, `ALERTS{alertstate="firing",slo!="",long_window!="",short_window!=""}`),
		instant(&increases, fmt.Sprintf("count by (__name__, slo, service) ({__name__=~%s})", strconv.Quote(regexpQuote(prefixErrors)+".+|"+regexpQuote(prefixTotal)+".+"))),
	)
	if err != nil {
		return nil, err
	}
	st.cells = cellNames(increases)
	st.objs, err = s.objectives(meta)
	if err != nil {
		return nil, err
	}
	idx := newIndex(st.objs)
	for _, objs := range idx.bySLO {
		for _, o := range objs {
			o.shared = len(objs) > 1
		}
	}
	for _, smp := range remaining {
		if m := idx.member(smp.labels, true); m != nil {
			m.remaining = ptr(smp.value)
		}
	}
	for _, smp := range burn {
		if m := idx.member(smp.labels, true); m != nil {
			m.burnRate = ptr(smp.value)
		}
	}
	for _, smp := range ratios {
		w, err := model.ParseDuration(strings.TrimPrefix(smp.name, prefixRatio))
		if err != nil {
			continue // not a window the rules name
		}
		if m := idx.member(smp.labels, true); m != nil {
			if m.ratios == nil {
				m.ratios = map[time.Duration]float64{}
			}
			m.ratios[time.Duration(w)] = smp.value
		}
	}
	for _, a := range alerts {
		idx.eachMember(a, func(m *member) { m.firing = append(m.firing, a.labels) })
	}

	if err := s.readEvents(ctx, st, idx, increases); err != nil {
		return nil, err
	}
	return st, nil
}

func ptr(v float64) *float64 { return &v }

// objectives returns the spec's SLOs, with the budgets the server records
// for them, or the SLOs discovered from the meta series; with
// requireRules, an error naming the spec's SLOs the server records none of.
func (s *Source) objectives(meta []sample) ([]*objective, error) {
	type metaSeries struct {
		labels                    map[string]string
		target, budget, windowSec *float64
		calendar                  bool
	}
	byKey := map[string]*metaSeries{}
	for _, smp := range meta {
		if smp.labels["slo"] == "" || smp.labels["service"] == "" {
			continue
		}
		k := labelKey(smp.labels)
		f := byKey[k]
		if f == nil {
			f = &metaSeries{labels: smp.labels}
			byKey[k] = f
		}
		switch smp.name {
		case metricObjective:
			f.target = ptr(smp.value)
		case metricBudget:
			f.budget = ptr(smp.value)
		case metricWindow:
			f.windowSec = ptr(smp.value)
		case metricPeriodID:
			f.calendar = true
		}
	}
	if s.specs != nil {
		objs := make([]*objective, len(s.specs))
		var unrecorded []string
		for i, sp := range s.specs {
			o := *sp
			o.members = map[string]*member{}
			o.calendar = !o.obj.Calendar.IsZero()
			f := byKey[labelKey(o.base)]
			if f == nil {
				unrecorded = append(unrecorded, fmt.Sprintf("%s of service %s", o.obj.Name, o.service))
			}
			if f != nil && f.budget != nil && *f.budget > 0 {
				o.budget = *f.budget
			}
			objs[i] = &o
		}
		if s.requireRules && len(unrecorded) > 0 {
			return nil, fmt.Errorf("promsource: %s records no series of the rules of SLO %s (%s, %s, %s): are its rules loaded there?",
				s.base.Redacted(), strings.Join(unrecorded, ", SLO "), metricObjective, metricBudget, metricWindow)
		}
		return objs, nil
	}
	var objs []*objective
	for _, f := range byKey {
		if f.target == nil || f.windowSec == nil || *f.windowSec <= 0 || *f.target <= 0 || *f.target >= 1 {
			continue
		}
		o := slo.Objective{Name: f.labels["slo"], Target: *f.target, Window: time.Duration(*f.windowSec * float64(time.Second))}
		o.Tiers = []slo.AlertTier{} // the tiers come from the firing alerts
		o = o.WithDefaults()
		o.BurnRateWindows = []time.Duration{}
		budget := 1 - o.Target
		if f.budget != nil && *f.budget > 0 {
			budget = *f.budget
		}
		objs = append(objs, &objective{base: f.labels, obj: o, service: f.labels["service"], budget: budget, calendar: f.calendar, members: map[string]*member{}})
	}
	return objs, nil
}

// index finds the objective and member of a series.
type index struct {
	bySLO map[[2]string][]*objective // slo and service -> objectives
}

func newIndex(objs []*objective) *index {
	idx := &index{bySLO: map[[2]string][]*objective{}}
	for _, o := range objs {
		k := [2]string{o.base["slo"], o.base["service"]}
		idx.bySLO[k] = append(idx.bySLO[k], o)
	}
	return idx
}

// objective returns the objective whose labels ls carries, the one with
// the most labels when several match; nil for none.
func (idx *index) objective(ls map[string]string) *objective {
	var best *objective
	for _, o := range idx.bySLO[[2]string{ls["slo"], ls["service"]}] {
		if contains(ls, o.base) && (best == nil || len(o.base) > len(best.base)) {
			best = o
		}
	}
	return best
}

// found is a member with its objective.
type found struct {
	obj *objective
	*member
}

// member returns the member a series of labels ls belongs to, made when
// create is set; nil when no objective claims it.
func (idx *index) member(ls map[string]string, create bool) *found {
	o := idx.objective(ls)
	if o == nil {
		return nil
	}
	k := labelKey(ls)
	m := o.members[k]
	if m == nil {
		if !create {
			return nil
		}
		m = &member{labels: ls}
		o.members[k] = m
	}
	return &found{o, m}
}

// eachMember calls f for every member an alert belongs to: those whose
// labels the alert carries.
func (idx *index) eachMember(a sample, f func(*member)) {
	o := idx.objective(a.labels)
	if o == nil {
		return
	}
	for _, m := range o.members {
		if contains(a.labels, m.labels) {
			f(m)
		}
	}
}

// assignRange hands each member its series of a range query.
func (st *state) assignRange(rs []rangeSeries, set func(*member, map[int64]float64)) {
	idx := newIndex(st.objs)
	for _, r := range rs {
		if m := idx.member(r.labels, false); m != nil {
			set(m.member, r.values)
		}
	}
}

// each calls f for every member of every objective, sorted by service,
// name and labels; an objective without any member gets one with no data.
func (st *state) each(f func(*objective, *member)) {
	objs := slices.Clone(st.objs)
	slices.SortFunc(objs, func(a, b *objective) int {
		return cmp.Or(strings.Compare(a.service, b.service), strings.Compare(a.obj.Name, b.obj.Name), strings.Compare(labelKey(a.base), labelKey(b.base)))
	})
	for _, o := range objs {
		if len(o.members) == 0 {
			f(o, &member{labels: o.base})
			continue
		}
		keys := make([]string, 0, len(o.members))
		for k := range o.members {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			f(o, o.members[k])
		}
	}
}

// snapshot is the state of member m of o at the instant at.
func (o *objective) snapshot(m *member, at time.Time) slo.Snapshot {
	s := slo.Snapshot{
		Name:                 o.obj.Name,
		Description:          o.obj.Description,
		Service:              o.service,
		Target:               o.obj.Target,
		Window:               o.obj.Window,
		Time:                 at,
		SuccessRatio:         1,
		ErrorBudgetRemaining: 1,
		BurnRateThreshold:    o.obj.BurnRateThreshold,
		TimeToExhaustion:     slo.Forever,
	}
	for k, v := range m.labels {
		if _, fixed := o.base[k]; k != "slo" && k != "service" && (!fixed || o.shared) {
			if s.Labels == nil {
				s.Labels = map[string]string{}
			}
			s.Labels[k] = v
		}
	}
	if m.total != nil {
		s.Total = count(*m.total)
	}
	if m.errors != nil {
		s.Failures = min(count(*m.errors), s.Total)
	}
	s.NoData = m.remaining == nil || (m.total != nil && s.Total == 0)

	windows := make([]time.Duration, 0, len(m.ratios))
	for w := range m.ratios {
		windows = append(windows, w)
	}
	slices.Sort(windows)
	burn := func(w time.Duration) float64 {
		if s.NoData {
			return 0
		}
		return m.ratios[w] / o.budget
	}
	for _, w := range windows {
		s.BurnRates = append(s.BurnRates, slo.BurnRateSample{Window: w, BurnRate: burn(w)})
	}
	if !s.NoData {
		s.ErrorBudgetRemaining = *m.remaining
		s.BurnRate = 1 - s.ErrorBudgetRemaining
		if m.burnRate != nil {
			s.BurnRate = *m.burnRate
		}
		s.SuccessRatio = math.Min(math.Max(1-s.BurnRate*o.budget, 0), 1)
		s.Breached = s.SuccessRatio < s.Target
		pace := s.BurnRate
		for _, w := range o.obj.BurnRateWindows {
			if _, ok := m.ratios[w]; ok {
				pace = burn(w)
				break
			}
		}
		s.TimeToExhaustion = slo.TimeToExhaustion(s.ErrorBudgetRemaining, s.Window, pace)
	}

	firing := func(severity string, long, short time.Duration) bool {
		for _, a := range m.firing {
			if a["severity"] == severity && a["long_window"] == series.FormatDuration(long) && a["short_window"] == series.FormatDuration(short) {
				return true
			}
		}
		return false
	}
	tier := func(t slo.AlertTier, fires bool) slo.TierState {
		return slo.TierState{AlertTier: t, LongBurnRate: burn(t.LongWindow), ShortBurnRate: burn(t.ShortWindow), Firing: fires}
	}
	if o.fromSpec {
		for _, t := range o.obj.Tiers {
			s.Tiers = append(s.Tiers, tier(t, firing(string(t.Severity), t.LongWindow, t.ShortWindow)))
		}
		return s
	}
	// Discovered: the firing tiers, each once.
	for _, a := range m.firing {
		long, lerr := model.ParseDuration(a["long_window"])
		short, serr := model.ParseDuration(a["short_window"])
		if lerr != nil || serr != nil {
			continue
		}
		t := slo.AlertTier{Severity: slo.Severity(a["severity"]), LongWindow: time.Duration(long), ShortWindow: time.Duration(short)}
		if !slices.ContainsFunc(s.Tiers, func(ts slo.TierState) bool { return ts.AlertTier == t }) {
			s.Tiers = append(s.Tiers, tier(t, true))
		}
	}
	slices.SortFunc(s.Tiers, func(a, b slo.TierState) int {
		return cmp.Or(strings.Compare(string(a.Severity), string(b.Severity)), cmp.Compare(a.LongWindow, b.LongWindow))
	})
	return s
}

// count rounds a recorded number of events (an increase, fractional by
// extrapolation) to a whole count.
func count(v float64) uint64 {
	if v <= 0 {
		return 0
	}
	return uint64(math.Round(v))
}

// history is the member's window, bucket by bucket, from the range
// queries; nil when its rules record no events.
func (m *member) history(window time.Duration, at time.Time, step time.Duration) []slo.Bucket {
	if m.totalBuckets == nil {
		return nil
	}
	n := max(int(window/step), 1)
	out := make([]slo.Bucket, n)
	for i := range out {
		end := at.Add(-time.Duration(n-1-i) * step)
		ms := end.UnixMilli()
		total, bad := count(m.totalBuckets[ms]), count(m.errBuckets[ms])
		out[i] = slo.Bucket{Start: end.Add(-step), Good: total - min(bad, total), Bad: min(bad, total)}
	}
	return out
}

// parallel runs the jobs at once and returns the first error, the others
// cancelled.
func parallel(ctx context.Context, jobs ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Go(func() {
			if errs[i] = job(ctx); errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return errors.Join(errs...)
}
