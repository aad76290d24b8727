package promrules

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/slo-budget-tracker/slo/spec"
)

// The template variables of the dashboard. Every panel query filters its
// SLO's series with service=~"$service" and slo=~"$slo", so the two
// variables narrow the dashboard to some services and SLOs.
const (
	varDatasource = "datasource"
	varService    = "service"
	varSLO        = "slo"
)

// metricAlerts is the series Prometheus keeps of every pending or firing
// alert.
const metricAlerts = "ALERTS"

// The grid of the dashboard: 24 columns; a row per SLO holds the budget,
// the burn rates and the error ratio side by side, the alerts below.
const (
	gridWidth   = 24
	panelHeight = 8
	alertHeight = 6
)

// grafanaDashboard writes the Grafana dashboard of the plans: JSON with
// two-space indents and a final newline, the same bytes for the same plans.
func grafanaDashboard(plans []*plan) ([]byte, error) {
	title, uid := dashboardTitle(plans)
	ds := datasourceRef()
	// The SDK prefers its v2 schema, a Kubernetes-style resource that only
	// Grafana 12 with the new-layouts feature accepts; the classic JSON
	// model is the one both Grafana 11 and 12 import.
	//lint:ignore SA1019 the classic model is what Grafana 11 and 12 import
	b := dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Tags([]string{"slo"}).
		Description("Error budgets, burn rates, error ratios and firing alerts of the SLOs, read from the series their recording rules record.").
		Editable().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Timezone("browser").
		Time("now-7d", "now").
		Refresh("1m").
		WithVariable(dashboard.NewDatasourceVariableBuilder(varDatasource).
			Label("Data source").
			Type("prometheus")).
		WithVariable(labelVariable(varService, "Service", fmt.Sprintf("label_values(%s, service)", metricObjective), ds)).
		WithVariable(labelVariable(varSLO, "SLO", fmt.Sprintf("label_values(%s{service=~\"$%s\"}, slo)", metricObjective, varService), ds))
	ids := &panelIDs{}
	for _, p := range plans {
		b.WithRow(dashboard.NewRowBuilder(p.service + " / " + p.name).Id(ids.next()))
		for _, panel := range p.grafanaPanels(ids, ds) {
			b.WithPanel(panel)
		}
	}
	d, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("building the Grafana dashboard: %w", err)
	}
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the Grafana dashboard: %w", err)
	}
	return append(out, '\n'), nil
}

// dashboardTitle names the dashboard after the services of the plans, and
// derives its uid from the services and SLOs: the same SLOs give the same
// uid, so importing the file again replaces the dashboard.
func dashboardTitle(plans []*plan) (title, uid string) {
	var services []string
	h := sha256.New()
	for _, p := range plans {
		services = append(services, p.service)
		fmt.Fprintf(h, "%q %q\n", p.service, p.name)
	}
	slices.Sort(services)
	title = "SLOs"
	if services = slices.Compact(services); len(services) > 0 {
		title += ": " + strings.Join(services, ", ")
	}
	return title, "slo-" + hex.EncodeToString(h.Sum(nil))[:16]
}

// datasourceRef is the Prometheus data source the user picks in the
// datasource variable.
func datasourceRef() common.DataSourceRef {
	typ, uid := "prometheus", "${"+varDatasource+"}"
	return common.DataSourceRef{Type: &typ, Uid: &uid}
}

// labelVariable is a multi-value variable over the values of a label, with
// an All option, reloaded with the dashboard.
func labelVariable(name, label, query string, ds common.DataSourceRef) *dashboard.QueryVariableBuilder {
	all := "All"
	allValue := "$__all"
	return dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Datasource(ds).
		Query(dashboard.StringOrMap{String: &query}).
		Definition(query).
		Refresh(dashboard.VariableRefreshOnDashboardLoad).
		Sort(dashboard.VariableSortAlphabeticalAsc).
		Multi(true).
		IncludeAll(true).
		Current(dashboard.VariableOption{
			Text:  dashboard.StringOrArrayOfString{String: &all},
			Value: dashboard.StringOrArrayOfString{String: &allValue},
		})
}

// panelIDs numbers the panels of a dashboard from 1.
type panelIDs struct{ n uint32 }

func (ids *panelIDs) next() uint32 {
	ids.n++
	return ids.n
}

// A grafanaQuery is one query of a panel and its legend.
type grafanaQuery struct{ expr, legend string }

// grafanaPanels returns the panels of the SLO's row: the budget left, the
// burn rate over every alert window, the error ratio, and the firing
// alerts.
func (p *plan) grafanaPanels(ids *panelIDs, ds common.DataSourceRef) []cog.Builder[dashboard.Panel] {
	return []cog.Builder[dashboard.Panel]{
		p.budgetPanel(ids, ds),
		p.burnRatePanel(ids, ds),
		p.errorRatioPanel(ids, ds),
		p.alertsPanel(ids, ds),
	}
}

// panelSeries selects the SLO's recorded series of a metric, filtered by
// the dashboard's variables.
func (p *plan) panelSeries(metric string) string {
	return withVariables(p.series(metric))
}

// withVariables adds the matchers of the service and slo variables to a
// selector of the SLO's series, whose label values are hidden from
// Grafana's variable syntax first: Grafana replaces $name, ${name} and
// [[name]] anywhere in a query, so every $ and [ of a value is written as
// the PromQL escape \x24 or \x5b, which Prometheus reads back as the
// character.
func withVariables(sel string) string {
	sel = strings.NewReplacer("$", `\x24`, "[", `\x5b`).Replace(sel)
	return strings.TrimSuffix(sel, "}") + variableMatchers + "}"
}

// variableMatchers are the matchers of the service and slo variables.
const variableMatchers = `,service=~"$` + varService + `",slo=~"$` + varSLO + `"`

// memberLegend names the group member a series is of, like
// "route={{route}} ", or "" for an SLO with one budget.
func (p *plan) memberLegend() string {
	var b strings.Builder
	for _, l := range p.by {
		b.WriteString(l + "={{" + l + "}} ")
	}
	return b.String()
}

func (p *plan) budgetQueries() []grafanaQuery {
	return []grafanaQuery{{p.panelSeries(metricBudgetRemaining), strings.TrimSpace(p.memberLegend() + "budget left")}}
}

// burnRateQueries are the burn rates over every window of the alert
// tiers, the longest first, and over the SLO window.
func (p *plan) burnRateQueries() []grafanaQuery {
	var ws []time.Duration
	for _, t := range p.obj.Tiers {
		ws = append(ws, t.LongWindow, t.ShortWindow)
	}
	slices.Sort(ws)
	ws = slices.Compact(ws)
	slices.Reverse(ws)
	budget := spec.FormatFloat(p.budget)
	qs := []grafanaQuery{{p.panelSeries(metricBurnRateWindow), p.memberLegend() + promDuration(p.obj.Window) + " (SLO window)"}}
	for _, w := range ws {
		qs = append(qs, grafanaQuery{p.panelSeries(ratioMetric(w)) + " / " + budget, p.memberLegend() + promDuration(w)})
	}
	return qs
}

// errorRatioQueries are the SLI's error ratio over the shortest recorded
// window and over the SLO window.
func (p *plan) errorRatioQueries() []grafanaQuery {
	return []grafanaQuery{
		{p.panelSeries(ratioMetric(p.windows[0])), p.memberLegend() + promDuration(p.windows[0])},
		{p.panelSeries(metricRatioWindow), p.memberLegend() + promDuration(p.obj.Window) + " (SLO window)"},
	}
}

// alertQueries are the SLO's firing alerts, one series per alert, tier and
// group member.
func (p *plan) alertQueries() []grafanaQuery {
	by := append([]string{"alertname", "severity", "long_window", "short_window"}, p.by...)
	sel := withVariables(selector(metricAlerts, map[string]string{"alertstate": "firing", "slo": p.name, "service": p.service}))
	return []grafanaQuery{{
		fmt.Sprintf("max by (%s) (%s)", strings.Join(by, ", "), sel),
		p.memberLegend() + "{{alertname}} {{severity}} {{long_window}}/{{short_window}}",
	}}
}

// targets turns queries into the panel's Prometheus queries A, B, ...
func targets(qs []grafanaQuery, ds common.DataSourceRef) []cog.Builder[variants.Dataquery] {
	out := make([]cog.Builder[variants.Dataquery], len(qs))
	for i, q := range qs {
		out[i] = prometheus.NewDataqueryBuilder().
			Datasource(ds).
			RefId(refID(i)).
			Expr(q.expr).
			LegendFormat(q.legend).
			Range()
	}
	return out
}

// refID names the i-th query of a panel: A to Z, then Q26, Q27, ...
func refID(i int) string {
	if i < 26 {
		return string(rune('A' + i))
	}
	return "Q" + strconv.Itoa(i)
}

// A step is a threshold: the color of the values from value up.
type step struct {
	value float64
	color string
}

// thresholds are absolute thresholds: the base color, then the steps.
func thresholds(base string, steps ...step) *dashboard.ThresholdsConfigBuilder {
	ts := []dashboard.Threshold{{Color: base}}
	for _, s := range steps {
		ts = append(ts, dashboard.Threshold{Value: &s.value, Color: s.color})
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(ts)
}

func legend() *common.VizLegendOptionsBuilder {
	return common.NewVizLegendOptionsBuilder().
		ShowLegend(true).
		DisplayMode(common.LegendDisplayModeList).
		Placement(common.LegendPlacementBottom).
		Calcs([]string{})
}

func tooltip() *common.VizTooltipOptionsBuilder {
	return common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending)
}

// budgetPanel shows the budget left: red once overspent, orange below a
// quarter.
func (p *plan) budgetPanel(ids *panelIDs, ds common.DataSourceRef) cog.Builder[dashboard.Panel] {
	return stat.NewPanelBuilder().
		Id(ids.next()).
		Title("Error budget left").
		Description(fmt.Sprintf("Share of the error budget of the %s window not yet spent (%s): 100%% untouched, 0 spent, negative overspent.",
			promDuration(p.obj.Window), metricBudgetRemaining)).
		Datasource(ds).
		Targets(targets(p.budgetQueries(), ds)).
		Unit("percentunit").
		Decimals(1).
		Thresholds(thresholds("red", step{0, "orange"}, step{0.25, "green"})).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		Orientation(common.VizOrientationAuto).
		ColorMode(common.BigValueColorModeBackground).
		GraphMode(common.BigValueGraphModeArea).
		Span(6).
		Height(panelHeight)
}

// burnRatePanel draws the burn rate over every alert window with the tier
// factors as dashed thresholds.
func (p *plan) burnRatePanel(ids *panelIDs, ds common.DataSourceRef) cog.Builder[dashboard.Panel] {
	// The factors from low to high, the highest (paging) red.
	var factors []float64
	for _, t := range p.obj.Tiers {
		factors = append(factors, t.Factor)
	}
	slices.Sort(factors)
	factors = slices.Compact(factors)
	steps := make([]step, len(factors))
	for i, f := range factors {
		steps[i] = step{f, "orange"}
	}
	if len(steps) > 0 {
		steps[len(steps)-1].color = "red"
	}
	return timeseries.NewPanelBuilder().
		Id(ids.next()).
		Title("Burn rate per alert window").
		Description(fmt.Sprintf("Error ratio over each alert window divided by the allowed error ratio %s: 1 spends the budget exactly over the %s window. The dashed lines are the alert tiers' factors.",
			spec.FormatFloat(p.budget), promDuration(p.obj.Window))).
		Datasource(ds).
		Targets(targets(p.burnRateQueries(), ds)).
		Unit("none").
		Decimals(2).
		Min(0).
		Thresholds(thresholds("green", steps...)).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)).
		Legend(legend()).
		Tooltip(tooltip()).
		Span(9).
		Height(panelHeight)
}

// errorRatioPanel draws the SLI's error ratio with the allowed error ratio
// as a dashed threshold.
func (p *plan) errorRatioPanel(ids *panelIDs, ds common.DataSourceRef) cog.Builder[dashboard.Panel] {
	return timeseries.NewPanelBuilder().
		Id(ids.next()).
		Title("SLI error ratio").
		Description(fmt.Sprintf("Share of the SLI's events that failed; the dashed line is the allowed error ratio %s (objective %s).",
			spec.FormatFloat(p.budget), spec.FormatFloat(p.obj.Target))).
		Datasource(ds).
		Targets(targets(p.errorRatioQueries(), ds)).
		Unit("percentunit").
		Min(0).
		Thresholds(thresholds("green", step{p.budget, "red"})).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)).
		Legend(legend()).
		Tooltip(tooltip()).
		Span(9).
		Height(panelHeight)
}

// alertsPanel shows when each of the SLO's alerts fired.
func (p *plan) alertsPanel(ids *panelIDs, ds common.DataSourceRef) cog.Builder[dashboard.Panel] {
	return statetimeline.NewPanelBuilder().
		Id(ids.next()).
		Title("Firing alerts").
		Description("When each alert of the SLO fired (" + metricAlerts + "{alertstate=\"firing\"}), per tier.").
		Datasource(ds).
		Targets(targets(p.alertQueries(), ds)).
		Thresholds(thresholds("red")).
		ColorScheme(dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdThresholds)).
		ShowValue(common.VisibilityModeNever).
		MergeValues(true).
		Legend(legend()).
		Tooltip(tooltip()).
		Span(gridWidth).
		Height(alertHeight)
}
