package slohttp

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/slo-budget-tracker/slo"
)

// A Report is the JSON document SnapshotHandler serves: one Snapshot per
// objective, and per member of a family, sorted by name (a family's members
// by their label values). [NewRemoteSource] reads a service's /slo back as
// an slo.Source (as `slo gate` does); [ParseReport] decodes one.
type Report struct {
	SLOs []Snapshot `json:"slos"`
}

// A Snapshot is the JSON form of an slo.Snapshot. Durations are in seconds;
// Total and Failures count the events in the objective's window, CumulativeGood
// and CumulativeBad every event since the process started.
type Snapshot struct {
	Name string `json:"name"`
	// Labels holds the labels of a member of an slo.Family, e.g.
	// {"route": "POST /checkout"}; absent for an objective of its own.
	Labels map[string]string `json:"labels,omitempty"`
	// Service names the objective's service when the source knows it (a
	// fleet read from Prometheus); absent otherwise.
	Service string `json:"service,omitempty"`
	// NoData is true while the source has nothing to measure the
	// objective with yet; the numbers are then those of an objective
	// without events. Absent otherwise.
	NoData               bool      `json:"no_data,omitempty"`
	Target               float64   `json:"target"`
	WindowSeconds        float64   `json:"window_seconds"`
	Time                 time.Time `json:"time"`
	Total                uint64    `json:"total"`
	Failures             uint64    `json:"failures"`
	SuccessRatio         float64   `json:"success_ratio"`
	ErrorBudgetRemaining float64   `json:"error_budget_remaining"`
	BurnRate             float64   `json:"burn_rate"`
	Breached             bool      `json:"breached"`
	IsBudgetExhausted    bool      `json:"is_budget_exhausted"`
	// TimeToExhaustionSeconds is how long the remaining budget lasts at the
	// pace of the first burn-rate window; nil (JSON null) when nothing is
	// burning, 0 when the budget is spent.
	TimeToExhaustionSeconds *float64   `json:"time_to_exhaustion_seconds"`
	BurnRateThreshold       float64    `json:"burn_rate_threshold"`
	BurnRates               []BurnRate `json:"burn_rates"`
	Tiers                   []Tier     `json:"tiers"`
	CumulativeGood          uint64     `json:"cumulative_good"`
	CumulativeBad           uint64     `json:"cumulative_bad"`
	// Corrections are the correction periods in the window, past and
	// active; the field is left out when there is none.
	Corrections []Correction `json:"corrections,omitempty"`
	// PeriodStart and PeriodEnd bound the current period of a calendar
	// objective; absent for a rolling window.
	PeriodStart *time.Time `json:"period_start,omitempty"`
	PeriodEnd   *time.Time `json:"period_end,omitempty"`
	// Slices counts the slices of a time-slice objective's window; absent
	// for an objective over events.
	Slices *Slices `json:"slices,omitempty"`
}

// A BurnRate is the JSON form of an slo.BurnRateSample.
type BurnRate struct {
	WindowSeconds float64 `json:"window_seconds"`
	BurnRate      float64 `json:"burn_rate"`
	Total         uint64  `json:"total"`
	Failures      uint64  `json:"failures"`
}

// A Tier is the JSON form of an slo.TierState: one alert tier of the
// multiwindow, multi-burn-rate policy and whether it fires.
type Tier struct {
	Severity           string  `json:"severity"`
	LongWindowSeconds  float64 `json:"long_window_seconds"`
	ShortWindowSeconds float64 `json:"short_window_seconds"`
	Factor             float64 `json:"factor"`
	LongBurnRate       float64 `json:"long_burn_rate"`
	ShortBurnRate      float64 `json:"short_burn_rate"`
	LongTotal          uint64  `json:"long_total"`
	ShortTotal         uint64  `json:"short_total"`
	Firing             bool    `json:"firing"`
}

// NewReport returns the report of snaps, in their order.
func NewReport(snaps []slo.Snapshot) Report {
	r := Report{SLOs: make([]Snapshot, len(snaps))}
	for i, s := range snaps {
		r.SLOs[i] = NewSnapshot(s)
	}
	return r
}

// NewSnapshot returns the JSON form of s. Slices are empty, never nil, so
// they encode as [] rather than null. A float that is not finite (the slo
// package never makes one) is written as 0 for NaN and as the largest
// float64 of its sign for an infinity, since JSON has no such numbers.
func NewSnapshot(s slo.Snapshot) Snapshot {
	out := Snapshot{
		Name:                 s.Name,
		Labels:               s.Labels,
		Service:              s.Service,
		NoData:               s.NoData,
		Target:               finite(s.Target),
		WindowSeconds:        s.Window.Seconds(),
		Time:                 s.Time,
		Total:                s.Total,
		Failures:             s.Failures,
		SuccessRatio:         finite(s.SuccessRatio),
		ErrorBudgetRemaining: finite(s.ErrorBudgetRemaining),
		BurnRate:             finite(s.BurnRate),
		Breached:             s.Breached,
		IsBudgetExhausted:    s.IsBudgetExhausted(),
		BurnRateThreshold:    finite(s.BurnRateThreshold),
		BurnRates:            make([]BurnRate, len(s.BurnRates)),
		Tiers:                make([]Tier, len(s.Tiers)),
		CumulativeGood:       s.Good,
		CumulativeBad:        s.Bad,
		Corrections:          newCorrections(s.Corrections),
	}
	if !s.PeriodStart.IsZero() {
		out.PeriodStart, out.PeriodEnd = &s.PeriodStart, &s.PeriodEnd
	}
	out.Slices = newSlices(s)
	if s.TimeToExhaustion != slo.Forever {
		secs := s.TimeToExhaustion.Seconds()
		out.TimeToExhaustionSeconds = &secs
	}
	for i, b := range s.BurnRates {
		out.BurnRates[i] = BurnRate{
			WindowSeconds: b.Window.Seconds(),
			BurnRate:      finite(b.BurnRate),
			Total:         b.Total,
			Failures:      b.Failures,
		}
	}
	for i, t := range s.Tiers {
		out.Tiers[i] = Tier{
			Severity:           string(t.Severity),
			LongWindowSeconds:  t.LongWindow.Seconds(),
			ShortWindowSeconds: t.ShortWindow.Seconds(),
			Factor:             finite(t.Factor),
			LongBurnRate:       finite(t.LongBurnRate),
			ShortBurnRate:      finite(t.ShortBurnRate),
			LongTotal:          t.LongTotal,
			ShortTotal:         t.ShortTotal,
			Firing:             t.Firing,
		}
	}
	return out
}

// finite maps NaN to 0 and the infinities to the largest float64 of their
// sign: JSON cannot carry them.
func finite(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return 0
	case math.IsInf(x, 1):
		return math.MaxFloat64
	case math.IsInf(x, -1):
		return -math.MaxFloat64
	}
	return x
}

// SnapshotHandler returns a handler that serves a snapshot of every
// objective of src as a JSON Report (see the package documentation for the
// format). src is usually a *slo.Registry; any slo.Source serves (a Redis
// fleet, Prometheus). It answers GET and HEAD; other methods get 405 Method
// Not Allowed. The snapshot is taken when the request arrives, with the
// request's context; responses are marked not to be cached. When src
// fails, the handler answers 503 Service Unavailable with the error, so a
// release gate never mistakes an unreadable fleet for a healthy one. A nil
// src serves an empty report.
func SnapshotHandler(src slo.Source) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed: use GET", http.StatusMethodNotAllowed)
			return
		}
		var snaps []slo.Snapshot
		if src != nil {
			var err error
			if snaps, err = src.Snapshots(r.Context()); err != nil {
				w.Header().Set("Cache-Control", "no-store")
				http.Error(w, "reading the SLOs: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		serveJSON(w, r, NewReport(snaps))
	})
}

// serveJSON writes v as indented JSON, marked not to be cached, with its
// length; a HEAD request gets the headers only.
func serveJSON(w http.ResponseWriter, r *http.Request, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		// Unreachable with finite floats; said plainly if it happens.
		http.Error(w, "encoding JSON: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}
