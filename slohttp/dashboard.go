package slohttp

import (
	"cmp"
	"context"
	"embed"
	"io/fs"
	"math"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/slo-budget-tracker/slo"
)

//go:embed dashboard
var dashboardAssets embed.FS

// A DashboardOption configures [DashboardHandler].
type DashboardOption func(*dashboardConfig)

type dashboardConfig struct {
	title   string
	actions []DashboardAction
	refresh time.Duration
}

// DefaultDashboardRefresh is how often the dashboard's page reads its data
// again unless [WithRefresh] says otherwise: an in-process source changes
// with every event.
const DefaultDashboardRefresh = 2 * time.Second

// A DashboardAction is a button on the dashboard that sends a request, such
// as the demo's fault injection. URL is used as given, relative to the page.
type DashboardAction struct {
	Label  string `json:"label"`
	Method string `json:"method"`
	URL    string `json:"url"`
}

// WithTitle sets the dashboard's title.
func WithTitle(title string) DashboardOption {
	return func(c *dashboardConfig) { c.title = title }
}

// WithRefresh sets how often the page reads its data again, and retries
// while the source fails; the default is [DefaultDashboardRefresh]. A
// source that changes once per rule evaluation (Prometheus) needs no more
// than one read per evaluation. A d that is not positive keeps the default.
func WithRefresh(d time.Duration) DashboardOption {
	return func(c *dashboardConfig) {
		if d > 0 {
			c.refresh = d
		}
	}
}

// WithActions adds buttons to the dashboard.
func WithActions(actions ...DashboardAction) DashboardOption {
	return func(c *dashboardConfig) { c.actions = append(c.actions, actions...) }
}

// dashboardData is the document the dashboard's page fetches as data.json.
type dashboardData struct {
	Title string `json:"title"`
	// RefreshSeconds is how long the page waits before it reads the data
	// again.
	RefreshSeconds float64           `json:"refresh_seconds"`
	Time           time.Time         `json:"time"`
	Actions        []DashboardAction `json:"actions"`
	SLOs           []dashboardSLO    `json:"slos"`
}

type dashboardSLO struct {
	Snapshot
	Description string `json:"description"`
	History     chart  `json:"history"`
}

// chart is the burn-down of the SLO window, one point per bucket end.
// Remaining is the share of the window's budget left after each bucket;
// Ideal is where it would be had the budget been spent exactly on schedule
// (a burn rate of 1, in proportion to traffic), so the two meet at the
// window's end when burning at 1. Unit says what the budget counts:
// "events", or "slices" for a time-slice objective (see sliceBurnDown).
type chart struct {
	Unit          string    `json:"unit"`
	Start         time.Time `json:"start"`
	BucketSeconds float64   `json:"bucket_seconds"`
	Remaining     []float64 `json:"remaining"`
	Ideal         []float64 `json:"ideal"`
}

// DashboardHandler returns a handler serving a self-contained dashboard of
// every objective of src (usually a *slo.Registry; any slo.Source serves): budget remaining, a burn-down chart of the window
// drawn from the tracker's own buckets, burn rate per window against the
// threshold, alert tiers, time to exhaustion and success ratio against
// target. Objectives are listed by remaining budget, the worst first (no
// data yet last); the members of a family (see slo.Family) are grouped
// under the family's name (and service), where its worst member comes,
// each card named by its labels. Snapshots naming a service (a fleet read
// from Prometheus) show it, with filters by service and by the severity of
// firing alert tiers; a snapshot with NoData shows "no data yet". A card
// lists the SLO's corrections in the window (the active ones highlighted,
// all shaded on the chart), names a calendar SLO's current period and when
// it resets, and counts a time-slice SLO's good slices, its burn-down
// drawn in slices (slo.Chart.Slices), the budget it counts. While src
// fails, the page shows why in a banner and keeps retrying. The page
// refreshes itself every two seconds (see [WithRefresh]), needs no network
// beyond the handler (its script and style are embedded), and sets every
// name as text, never as markup.
//
// Mount it on a path ending in a slash, for example
//
//	mux.Handle("/slo/ui/", http.StripPrefix("/slo/ui", slohttp.DashboardHandler(reg)))
//
// It serves the page at "/", its assets, and the data at "/data.json";
// the page requests them with relative URLs, so any prefix works.
//
// The burn-down chart needs each objective's window bucket by bucket: a
// slo.HistorySource (a *slo.Registry; promsource.Source, from the rules'
// series in Prometheus) gets charts, another source shows its snapshots
// without one. When src fails, "data.json" answers 503 Service Unavailable
// with the error.
func DashboardHandler(src slo.Source, opts ...DashboardOption) http.Handler {
	cfg := dashboardConfig{title: "SLO error budgets", refresh: DefaultDashboardRefresh}
	for _, opt := range opts {
		opt(&cfg)
	}
	assets, err := fs.Sub(dashboardAssets, "dashboard")
	if err != nil {
		panic(err) // unreachable: the directory is embedded
	}
	files := http.FileServerFS(assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:")
		if path.Base(r.URL.Path) == "data.json" {
			d, err := newDashboardData(r.Context(), src, cfg)
			if err != nil {
				w.Header().Set("Cache-Control", "no-store")
				http.Error(w, "reading the SLOs: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
			serveJSON(w, r, d)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

func newDashboardData(ctx context.Context, src slo.Source, cfg dashboardConfig) (dashboardData, error) {
	d := dashboardData{Title: cfg.title, RefreshSeconds: cfg.refresh.Seconds(), Time: time.Now().UTC(), Actions: cfg.actions, SLOs: []dashboardSLO{}}
	if d.Actions == nil {
		d.Actions = []DashboardAction{}
	}
	if src == nil {
		return d, nil
	}
	var charts []slo.Chart
	if h, ok := src.(slo.HistorySource); ok {
		var err error
		if charts, err = h.Charts(ctx); err != nil {
			return d, err
		}
	} else {
		snaps, err := src.Snapshots(ctx)
		if err != nil {
			return d, err
		}
		for _, s := range snaps {
			charts = append(charts, slo.Chart{Snapshot: s})
		}
	}
	for _, c := range charts {
		history, ok := sliceBurnDown(c.Slices, c.Snapshot)
		if !ok {
			history = burnDown(c.History, c.Snapshot.Target)
		}
		d.SLOs = append(d.SLOs, dashboardSLO{
			Snapshot:    NewSnapshot(c.Snapshot),
			Description: c.Snapshot.Description,
			History:     history,
		})
	}
	sortWorstFirst(d.SLOs)
	return d, nil
}

// sortWorstFirst orders the dashboard's SLOs by remaining budget, the
// worst first: an objective of its own by its budget, a family (one name
// in one service) where its worst member comes, its members following one
// another, the worst first. SLOs with no data yet come last; ties go by
// service and name.
func sortWorstFirst(slos []dashboardSLO) {
	type family struct{ service, name string }
	budget := func(s dashboardSLO) float64 {
		if s.NoData {
			return math.Inf(1)
		}
		return s.ErrorBudgetRemaining
	}
	worst := map[family]float64{}
	for _, s := range slos {
		f := family{s.Service, s.Name}
		if w, ok := worst[f]; !ok || budget(s) < w {
			worst[f] = budget(s)
		}
	}
	slices.SortStableFunc(slos, func(a, b dashboardSLO) int {
		return cmp.Or(
			cmp.Compare(worst[family{a.Service, a.Name}], worst[family{b.Service, b.Name}]),
			strings.Compare(a.Service, b.Service),
			strings.Compare(a.Name, b.Name),
			cmp.Compare(budget(a), budget(b)))
	})
}

// burnDown turns the window's buckets into the budget remaining after each
// bucket and the on-schedule line for the same traffic. Leading empty
// buckets are left out (a tracker younger than its window has no history
// there), but the chart keeps at least two points.
func burnDown(history []slo.Bucket, target float64) chart {
	first := 0
	for first < len(history)-2 && history[first].Good+history[first].Bad == 0 {
		first++
	}
	if first > 0 && history[first].Good+history[first].Bad > 0 {
		first-- // start from zero spent
	}
	history = history[first:]
	c := chart{Unit: "events", Remaining: make([]float64, len(history)), Ideal: make([]float64, len(history))}
	if len(history) > 0 {
		c.Start = history[0].Start
	}
	if len(history) > 1 {
		c.BucketSeconds = history[1].Start.Sub(history[0].Start).Seconds()
	}
	var total uint64
	for _, b := range history {
		total += b.Good + b.Bad
	}
	// The window's budget, in failed events: the line ends where the
	// budget stands now.
	budget := (1 - target) * float64(total)
	var cumTotal, cumBad uint64
	for i, b := range history {
		cumTotal += b.Good + b.Bad
		cumBad += b.Bad
		c.Remaining[i], c.Ideal[i] = 1, 1
		if total > 0 {
			c.Remaining[i] = finite(1 - float64(cumBad)/budget)
			c.Ideal[i] = 1 - float64(cumTotal)/float64(total)
		}
	}
	return c
}
