package audit

import (
	"encoding/json"
	"math"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/series"
)

// A Kind names what happened to an objective.
type Kind string

// The kinds of event a Watcher sends.
const (
	// BurnStarted: an alert signal (a tier, or a burn-rate window when the
	// objective has no tiers) started firing.
	BurnStarted Kind = "slo_burn_started"
	// Recovered: a signal that fired has stayed clear for the hold-down.
	Recovered Kind = "slo_recovered"
	// BudgetExhausted: the error budget of the objective's window is spent.
	BudgetExhausted Kind = "slo_budget_exhausted"
	// BudgetRestored: an exhausted budget has stayed unspent for the
	// hold-down.
	BudgetRestored Kind = "slo_budget_restored"
)

// An Event is one governance event for the audit stream.
type Event struct {
	Kind Kind
	// Source names the producer; empty means the sink's Config.Source.
	Source string
	// Timestamp is when the transition was seen; zero means when the
	// event is enqueued.
	Timestamp time.Time
	Payload   Payload
}

// A Payload describes the objective and the signal an event is about.
//
// For a tier, the window is the tier's long window, the burn rate its long
// window's, the threshold its factor, and SuccessRatio is derived from that
// burn rate. For a burn-rate window they are the window's own numbers and
// the objective's threshold. For budget events the window is the
// objective's, the burn rate the whole window's and the threshold 1 (the
// budget is spent when the window burns at 1 or more).
type Payload struct {
	SLOName string
	// Labels holds the labels of the member of an slo.Family the event is
	// about, e.g. {"route": "/pay"}; nil for an objective of its own.
	Labels               map[string]string
	Window               time.Duration
	BurnRate             float64
	Threshold            float64
	SuccessRatio         float64
	SampleCount          uint64
	ErrorBudgetRemaining float64
	// Tier is the alert tier the event is about, or nil.
	Tier *slo.AlertTier
}

// wireEvent is the JSON form of an Event.
type wireEvent struct {
	Kind      Kind        `json:"kind"`
	Source    string      `json:"source"`
	Payload   wirePayload `json:"payload"`
	Timestamp string      `json:"timestamp"`
}

type wirePayload struct {
	SLOName              string            `json:"slo_name"`
	Labels               map[string]string `json:"labels,omitempty"`
	WindowSeconds        float64           `json:"window_seconds"`
	BurnRate             float64           `json:"burn_rate"`
	Threshold            float64           `json:"threshold"`
	SuccessRatio         float64           `json:"success_ratio"`
	SampleCount          uint64            `json:"sample_count"`
	ErrorBudgetRemaining float64           `json:"error_budget_remaining"`
	Severity             string            `json:"severity,omitempty"`
	LongWindow           string            `json:"long_window,omitempty"`
	ShortWindow          string            `json:"short_window,omitempty"`
}

// timestampLayout is RFC 3339 in UTC with milliseconds, which every
// RFC 3339 parser accepts.
const timestampLayout = "2006-01-02T15:04:05.000Z07:00"

// MarshalJSON returns the event as the audit stream expects it:
// {"kind", "source", "payload", "timestamp"}, a family member's labels as
// the payload's "labels" object (absent for an objective of its own), the
// timestamp in RFC 3339
// (UTC, milliseconds) and the tier, if any, as "severity", "long_window"
// and "short_window" in the payload, the windows written like Prometheus
// durations in one unit, as the alert labels ("1h", "5m", "70s").
// Non-finite numbers are written as 0.
func (e Event) MarshalJSON() ([]byte, error) {
	p := e.Payload
	w := wireEvent{
		Kind:      e.Kind,
		Source:    e.Source,
		Timestamp: e.Timestamp.UTC().Format(timestampLayout),
		Payload: wirePayload{
			SLOName:              p.SLOName,
			Labels:               p.Labels,
			WindowSeconds:        finite(p.Window.Seconds()),
			BurnRate:             finite(p.BurnRate),
			Threshold:            finite(p.Threshold),
			SuccessRatio:         finite(p.SuccessRatio),
			SampleCount:          p.SampleCount,
			ErrorBudgetRemaining: finite(p.ErrorBudgetRemaining),
		},
	}
	if p.Tier != nil {
		w.Payload.Severity = string(p.Tier.Severity)
		w.Payload.LongWindow = series.FormatDuration(p.Tier.LongWindow)
		w.Payload.ShortWindow = series.FormatDuration(p.Tier.ShortWindow)
	}
	return json.Marshal(w)
}

func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}
