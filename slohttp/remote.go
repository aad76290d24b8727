package slohttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slo-budget-tracker/slo"
)

// Bounds of a [RemoteSource]'s reads.
const (
	// MaxReportSize is the largest report a RemoteSource reads.
	MaxReportSize = 32 << 20
	// DefaultRemoteTimeout bounds one read of a RemoteSource whose
	// caller's context has no earlier deadline.
	DefaultRemoteTimeout = 10 * time.Second
)

// A RemoteSource is the [slo.Source] of another process's /slo endpoint:
// it fetches the Report that SnapshotHandler serves there and decodes it
// back into snapshots, so that a release gate or a dashboard reads a
// remote service (or a whole fleet behind it) as it reads a Registry.
// Anything but a complete report is an error: a status other than 2xx
// (503 from a handler whose own source failed), a body that is not a
// report, an entry without its name or remaining budget. The snapshots
// carry every field of the report; Description, which the report does not
// hold, is empty.
type RemoteSource struct {
	url       *url.URL
	client    *http.Client
	userAgent string
}

var _ slo.Source = (*RemoteSource)(nil)

// NewRemoteSource returns the source of the report served at rawURL, an
// http or https URL, fetched with client (http.DefaultClient when nil).
func NewRemoteSource(rawURL string, client *http.Client) (*RemoteSource, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("slohttp: %q is not an http(s) URL", rawURL)
	}
	if client == nil {
		client = http.DefaultClient
	}
	return &RemoteSource{url: u, client: client, userAgent: "slo-budget-tracker"}, nil
}

// WithUserAgent returns a copy of r that sends ua as its User-Agent.
func (r *RemoteSource) WithUserAgent(ua string) *RemoteSource {
	c := *r
	c.userAgent = ua
	return &c
}

// Snapshots fetches the report and returns its snapshots, in its order.
// The read ends with ctx or after [DefaultRemoteTimeout], whichever comes
// first.
func (r *RemoteSource) Snapshots(ctx context.Context) ([]slo.Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultRemoteTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("slohttp: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", r.userAgent)
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("slohttp: fetching: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxReportSize))
	where := r.url.Redacted()
	if err != nil {
		return nil, fmt.Errorf("slohttp: reading %s: %w", where, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("slohttp: %s answered %s: %.200s", where, resp.Status, strings.TrimSpace(string(body)))
	}
	snaps, err := ParseReport(body)
	if err != nil {
		return nil, fmt.Errorf("slohttp: reading %s: %w", where, err)
	}
	return snaps, nil
}

// ParseReport decodes a Report, as SnapshotHandler serves it, into
// snapshots (see [Snapshot.SLOSnapshot]). It returns an error when data is
// not a report or an entry lacks its name or remaining budget: a missing
// remaining budget must not read as a spent one, nor a missing name as "".
func ParseReport(data []byte) ([]slo.Snapshot, error) {
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("not an SLO report: %w", err)
	}
	if rep.SLOs == nil {
		return nil, errors.New(`not an SLO report: no "slos" list`)
	}
	// A field the document lacks decodes as zero: read the fields apart.
	var fields struct {
		SLOs []map[string]json.RawMessage `json:"slos"`
	}
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, fmt.Errorf("not an SLO report: %w", err)
	}
	out := make([]slo.Snapshot, len(rep.SLOs))
	for i, s := range rep.SLOs {
		if s.Name == "" || isNull(fields.SLOs[i]["error_budget_remaining"]) {
			return nil, fmt.Errorf("slos[%d] has no name or error_budget_remaining", i)
		}
		out[i] = s.SLOSnapshot()
	}
	return out, nil
}

// isNull reports whether a JSON value is absent or null.
func isNull(v json.RawMessage) bool {
	return len(v) == 0 || string(v) == "null"
}

// SLOSnapshot returns the slo.Snapshot that s is the JSON form of: the
// inverse of [NewSnapshot], but for Description, which the JSON form does
// not hold, and durations, which it holds in seconds (read back to the
// nearest nanosecond). A null time_to_exhaustion_seconds reads as
// [slo.Forever].
func (s Snapshot) SLOSnapshot() slo.Snapshot {
	out := slo.Snapshot{
		Name:                 s.Name,
		Service:              s.Service,
		NoData:               s.NoData,
		Labels:               s.Labels,
		Target:               s.Target,
		Window:               seconds(s.WindowSeconds),
		Time:                 s.Time,
		Total:                s.Total,
		Failures:             s.Failures,
		SuccessRatio:         s.SuccessRatio,
		ErrorBudgetRemaining: s.ErrorBudgetRemaining,
		BurnRate:             s.BurnRate,
		BurnRateThreshold:    s.BurnRateThreshold,
		TimeToExhaustion:     slo.Forever,
		Breached:             s.Breached,
		Good:                 s.CumulativeGood,
		Bad:                  s.CumulativeBad,
	}
	if s.TimeToExhaustionSeconds != nil {
		out.TimeToExhaustion = seconds(*s.TimeToExhaustionSeconds)
	}
	if s.PeriodStart != nil && s.PeriodEnd != nil {
		out.PeriodStart, out.PeriodEnd = *s.PeriodStart, *s.PeriodEnd
	}
	if s.Slices != nil {
		out.TotalSlices, out.GoodSlices, out.SliceBudget = s.Slices.Total, s.Slices.Good, s.Slices.Budget
	}
	for _, c := range s.Corrections {
		out.Corrections = append(out.Corrections, slo.CorrectionPeriod{
			Correction: slo.Correction{Start: c.Start, End: c.End, Reason: c.Reason},
			Recurring:  c.Recurring,
			Active:     c.Active,
		})
	}
	if s.BurnRates != nil {
		out.BurnRates = make([]slo.BurnRateSample, len(s.BurnRates))
	}
	for i, b := range s.BurnRates {
		out.BurnRates[i] = slo.BurnRateSample{Window: seconds(b.WindowSeconds), BurnRate: b.BurnRate, Total: b.Total, Failures: b.Failures}
	}
	if s.Tiers != nil {
		out.Tiers = make([]slo.TierState, len(s.Tiers))
	}
	for i, t := range s.Tiers {
		out.Tiers[i] = slo.TierState{
			AlertTier: slo.AlertTier{
				Severity:    slo.Severity(t.Severity),
				LongWindow:  seconds(t.LongWindowSeconds),
				ShortWindow: seconds(t.ShortWindowSeconds),
				Factor:      t.Factor,
			},
			LongBurnRate:  t.LongBurnRate,
			ShortBurnRate: t.ShortBurnRate,
			LongTotal:     t.LongTotal,
			ShortTotal:    t.ShortTotal,
			Firing:        t.Firing,
		}
	}
	return out
}

// seconds returns the duration of x seconds to the nearest nanosecond,
// clamped to the durations that exist (the longest reads as slo.Forever).
func seconds(x float64) time.Duration {
	ns := math.Round(x * float64(time.Second))
	switch {
	case ns >= math.MaxInt64:
		return slo.Forever
	case ns <= math.MinInt64:
		return math.MinInt64
	}
	return time.Duration(ns)
}
