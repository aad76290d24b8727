//lint:file-ignore SA1019 the classic dashboard model (not the SDK's v2) is the one Grafana 11 and 12 import

package promrules

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/spec"
)

// grafanaModel is the part of Grafana's dashboard JSON model the tests read.
type grafanaModel struct {
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Templating    struct {
		List []struct {
			Type       string `json:"type"`
			Name       string `json:"name"`
			Query      string `json:"query"`
			Multi      bool   `json:"multi"`
			IncludeAll bool   `json:"includeAll"`
			Datasource *struct {
				Type string `json:"type"`
				UID  string `json:"uid"`
			} `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
	Panels []grafanaPanel `json:"panels"`
}

type grafanaPanel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	GridPos struct{ X, Y, W, H int } `json:"gridPos"`
	Targets []struct {
		RefID        string `json:"refId"`
		Expr         string `json:"expr"`
		LegendFormat string `json:"legendFormat"`
	} `json:"targets"`
	FieldConfig struct {
		Defaults struct {
			Thresholds struct {
				Steps []struct {
					Value *float64 `json:"value"`
					Color string   `json:"color"`
				} `json:"steps"`
			} `json:"thresholds"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
}

func grafanaOf(t *testing.T, slos ...spec.SLO) (grafanaModel, []byte) {
	t.Helper()
	res := mustGenerate(t, slos, Options{Format: FormatGrafana})
	var m grafanaModel
	if err := json.Unmarshal(res.Rules, &m); err != nil {
		t.Fatalf("the dashboard is not JSON: %v\n%s", err, res.Rules)
	}
	return m, res.Rules
}

// rowsOf splits the panels after each row panel by row title.
func rowsOf(m grafanaModel) map[string][]grafanaPanel {
	rows := map[string][]grafanaPanel{}
	title := ""
	for _, p := range m.Panels {
		if p.Type == "row" {
			title = p.Title
			rows[title] = []grafanaPanel{}
			continue
		}
		rows[title] = append(rows[title], p)
	}
	return rows
}

func TestGrafanaDashboardMatchesGoldenFile(t *testing.T) {
	_, out := grafanaOf(t, availability, groupedSelectors, selectors)
	golden(t, "grafana.json", out)
}

func TestGrafanaDashboardIsTheSameBytesForTheSameInput(t *testing.T) {
	// Labels live in maps: many runs give many iteration orders.
	_, first := grafanaOf(t, availability, groupedSelectors, latency)
	for range 20 {
		if _, again := grafanaOf(t, availability, groupedSelectors, latency); !bytes.Equal(first, again) {
			t.Fatal("two runs on the same SLOs wrote different dashboards")
		}
	}
}

func TestGrafanaDashboardHasARowPerSLOAndTheVariables(t *testing.T) {
	m, _ := grafanaOf(t, availability, latency, groupedSelectors)
	if m.SchemaVersion < 41 {
		t.Errorf("schemaVersion = %d, want Grafana 12's (41 or later)", m.SchemaVersion)
	}
	if m.UID == "" || len(m.UID) > 40 {
		t.Errorf("uid %q: want 1 to 40 characters", m.UID)
	}
	if m.Title != "SLOs: checkout, search" {
		t.Errorf("title = %q, want the services", m.Title)
	}
	var names []string
	for _, v := range m.Templating.List {
		names = append(names, v.Name)
		switch v.Name {
		case "datasource":
			if v.Type != "datasource" || v.Query != "prometheus" {
				t.Errorf("datasource variable: type %q query %q, want a Prometheus data source", v.Type, v.Query)
			}
		case "service", "slo":
			if v.Type != "query" || !v.Multi || !v.IncludeAll || v.Datasource == nil || v.Datasource.UID != "${datasource}" {
				t.Errorf("%s variable: %+v, want a multi-value query variable with All on ${datasource}", v.Name, v)
			}
			if _, err := spec.ParseQuery(strings.TrimSuffix(strings.TrimPrefix(v.Query, "label_values("), ", "+v.Name+")")); err != nil {
				t.Errorf("%s variable: %s: %v", v.Name, v.Query, err)
			}
		}
	}
	if !slices.Equal(names, []string{"datasource", "service", "slo"}) {
		t.Errorf("variables = %q, want datasource, service, slo", names)
	}
	var rows []string
	for _, p := range m.Panels {
		if p.Type == "row" {
			rows = append(rows, p.Title)
		}
	}
	if want := []string{"checkout / availability", "search / latency", "checkout / jobs"}; !slices.Equal(rows, want) {
		t.Errorf("rows = %q, want %q", rows, want)
	}
}

func TestEveryGrafanaPanelQueriesItsSLOThroughTheVariables(t *testing.T) {
	m, _ := grafanaOf(t, availability, latency, groupedSelectors)
	ids := map[int]bool{}
	var row string
	cells := map[[2]int]int{} // grid cell -> panel id
	for _, p := range m.Panels {
		if ids[p.ID] || p.ID == 0 {
			t.Errorf("panel %q: id %d is zero or used twice", p.Title, p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q is wider than the grid: %+v", p.Title, p.GridPos)
		}
		for x := p.GridPos.X; x < p.GridPos.X+p.GridPos.W; x++ {
			for y := p.GridPos.Y; y < p.GridPos.Y+p.GridPos.H; y++ {
				if other, ok := cells[[2]int{x, y}]; ok {
					t.Fatalf("panels %d and %d overlap at %d,%d", other, p.ID, x, y)
				}
				cells[[2]int{x, y}] = p.ID
			}
		}
		if p.Type == "row" {
			row = p.Title
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s / %s: no query", row, p.Title)
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("%s / %s: data source %+v, want ${datasource}", row, p.Title, p.Datasource)
		}
		service, name, _ := strings.Cut(row, " / ")
		var refs []string
		for _, q := range p.Targets {
			refs = append(refs, q.RefID)
			if _, err := spec.ParseQuery(q.Expr); err != nil {
				t.Errorf("%s / %s: %s: %v", row, p.Title, q.Expr, err)
			}
			for _, want := range []string{`slo="` + name + `"`, `service="` + service + `"`, `service=~"$service"`, `slo=~"$slo"`} {
				if !strings.Contains(q.Expr, want) {
					t.Errorf("%s / %s: %s does not select %s", row, p.Title, q.Expr, want)
				}
			}
			if q.LegendFormat == "" {
				t.Errorf("%s / %s: %s has no legend", row, p.Title, q.Expr)
			}
		}
		if len(slices.Compact(slices.Sorted(slices.Values(refs)))) != len(refs) {
			t.Errorf("%s / %s: refIds %q are not unique", row, p.Title, refs)
		}
	}
	if len(rowsOf(m)) != 3 {
		t.Errorf("%d rows, want one per SLO", len(rowsOf(m)))
	}
}

func TestGrafanaBurnRatesCoverEveryAlertWindowWithTheFactors(t *testing.T) {
	m, _ := grafanaOf(t, selectors)
	burn := rowsOf(m)["batch / jobs"][1]
	if burn.Title != "Burn rate per alert window" {
		t.Fatalf("second panel is %q", burn.Title)
	}
	var legends []string
	for _, q := range burn.Targets {
		legends = append(legends, q.LegendFormat)
	}
	// The SLO window, then the tiers' windows, longest first.
	if want := []string{"1d (SLO window)", "6h", "1h", "30m", "5m"}; !slices.Equal(legends, want) {
		t.Errorf("burn-rate legends = %q, want %q", legends, want)
	}
	if q := burn.Targets[2].Expr; !strings.HasPrefix(q, "slo:sli_error:ratio_rate1h{") || !strings.HasSuffix(q, "} / 0.1") {
		t.Errorf("1h burn rate = %s, want the 1h error ratio over the budget 0.1", q)
	}
	var factors []float64
	for _, s := range burn.FieldConfig.Defaults.Thresholds.Steps[1:] {
		factors = append(factors, *s.Value)
	}
	if want := []float64{2, 14.4}; !slices.Equal(factors, want) {
		t.Errorf("thresholds = %v, want the tier factors %v", factors, want)
	}
}

func TestGrafanaShowsEveryGroupMember(t *testing.T) {
	m, _ := grafanaOf(t, groupedSelectors)
	for _, p := range rowsOf(m)["checkout / jobs"] {
		for _, q := range p.Targets {
			if !strings.HasPrefix(q.LegendFormat, "route={{route}} tenant={{tenant}} ") {
				t.Errorf("%s: legend %q does not name the member", p.Title, q.LegendFormat)
			}
			if strings.Contains(q.Expr, " by (") && !strings.Contains(q.Expr, "route, tenant)") {
				t.Errorf("%s: %s aggregates the members away", p.Title, q.Expr)
			}
		}
	}
}

func TestGrafanaRejectsWhatTheRulesReject(t *testing.T) {
	badTier := availability
	badTier.Objective.Tiers = []slo.AlertTier{{Severity: "", LongWindow: time.Hour, ShortWindow: 5 * time.Minute, Factor: 2}}
	dup := []spec.SLO{availability, availability}
	for name, slos := range map[string][]spec.SLO{"bad tier": {badTier}, "duplicate": dup} {
		_, rulesErr := Generate(slos, Options{})
		_, grafanaErr := Generate(slos, Options{Format: FormatGrafana})
		_, checkErr := Check(slos, Options{Format: FormatGrafana})
		if rulesErr == nil || grafanaErr == nil || checkErr == nil {
			t.Fatalf("%s: rules %v, grafana %v, check %v: want three errors", name, rulesErr, grafanaErr, checkErr)
		}
		if rulesErr.Error() != grafanaErr.Error() || checkErr.Error() != grafanaErr.Error() {
			t.Errorf("%s: the errors differ:\nrules:   %v\ngrafana: %v\ncheck:   %v", name, rulesErr, grafanaErr, checkErr)
		}
	}
}

func TestGrafanaQueriesHideUserDollarsFromGrafana(t *testing.T) {
	s := availability
	s.Objective.Name = "pay $slo ${service} [[slo]]"
	s.Service = "shop$"
	m, _ := grafanaOf(t, s)
	for _, p := range m.Panels {
		for _, q := range p.Targets {
			// What Grafana replaces: $name, ${name} and [[name]].
			rest := strings.NewReplacer(`service=~"$service"`, "", `slo=~"$slo"`, "").Replace(q.Expr)
			if strings.Contains(rest, "$") || strings.Contains(rest, "[[") {
				t.Errorf("%s: %s leaves a $ or [[ of the SLO for Grafana to replace", p.Title, q.Expr)
			}
			expr, err := spec.ParseQuery(q.Expr)
			if err != nil {
				t.Fatalf("%s: %v", q.Expr, err)
			}
			if !strings.Contains(expr.String(), `slo="pay $slo ${service} [[slo]]"`) || !strings.Contains(expr.String(), `service="shop$"`) {
				t.Errorf("%s: %s does not select the SLO by its name", p.Title, expr)
			}
		}
	}
}

// TestGrafanaDashboardReadsBackStrictly decodes the dashboard with the
// SDK's strict decoder, which knows the schema of the dashboard and of
// every panel type and refuses unknown or missing fields, and validates it.
func TestGrafanaDashboardReadsBackStrictly(t *testing.T) {
	_, out := grafanaOf(t, availability, groupedSelectors, latency)
	if d := readBackStrictly(t, out); len(d.Panels) != 3*5 {
		t.Errorf("%d panels read back, want 15", len(d.Panels))
	}
}

// readBackStrictly decodes a dashboard with the SDK's strict decoder and
// validates it.
func readBackStrictly(t *testing.T, out []byte) dashboard.Dashboard {
	t.Helper()
	plugins.RegisterDefaultPlugins()
	var d dashboard.Dashboard
	if err := sdkError(d.UnmarshalJSONStrict(out)); err != nil {
		t.Fatalf("strict decoding: %v", err)
	}
	if err := sdkError(d.Validate()); err != nil {
		t.Fatalf("validation: %v", err)
	}
	return d
}

// sdkError is err, or nil for the empty cog.BuildErrors the SDK's decoder
// returns when it found no problem.
func sdkError(err error) error {
	if errs, ok := err.(cog.BuildErrors); ok && len(errs) == 0 {
		return nil
	}
	return err
}

func TestGrafanaDashboardOfNoSLOs(t *testing.T) {
	m, out := grafanaOf(t)
	if m.Title != "SLOs" || len(m.Panels) != 0 || len(m.Templating.List) != 3 {
		t.Errorf("dashboard of no SLOs: %+v", m)
	}
	readBackStrictly(t, out)
}
