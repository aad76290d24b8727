package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
)

const calSamplesSpecText = `version: slo/v1
service: e2e
labels:
  case: %s
slos:
  - name: e2e-api
    objective: 99%%
    calendar:
      period: %s
    sli:
      in_process: {}
`

// calSamplesMost is the most a calendar SLO's window rules may read per
// evaluation, in shares of the grid cells of its longest period (errors
// and events): the period-aligned blocks read about a twelfth of them.
const calSamplesMost = 0.125

// TestCalendarWindowSamples measures on real Prometheus servers (stats=all)
// how many samples one evaluation of a calendar SLO's window rules reads
// for a week, a month and a quarter, as TestLongWindowSamples does for the
// rolling windows, and prints one SAMPLES line per period.
func TestCalendarWindowSamples(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: real Prometheus servers")
	}
	dir := t.TempDir()
	cli := buildCLI(t, dir)
	// A day start: a period's blocks start there.
	now := time.Now().Add(-3 * time.Hour).Unix()
	at := time.Unix(now-now%int64(24*time.Hour/time.Second), 0).UTC()

	periods := []slo.Period{slo.Week, slo.Month, slo.Quarter}
	var sets []ruleFile
	for _, p := range periods {
		name := "calendar-" + string(p)
		specPath := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(specPath, fmt.Appendf(nil, calSamplesSpecText, name, p), 0o644); err != nil {
			t.Fatal(err)
		}
		rulesPath := filepath.Join(dir, name+".rules.yml")
		runCLI(t, cli, "generate", "-o", rulesPath, specPath)
		sets = append(sets, readRules(t, rulesPath))
	}
	series := filepath.Join(dir, "recorded.om")
	if err := writeRecorded(series, at, sets); err != nil {
		t.Fatal(err)
	}
	var rows []string
	testdeps.ForEachEngine(t, func(t *testing.T, e testdeps.Engine) {
		prom := newPromServer(t, e)
		promtool(t, e, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=2400h", series, prom.dataDir)
		prom.start()
		for i, p := range periods {
			n := longWindowSamples(t, &prom.queryAPI, sets[i], at)
			fmt.Printf("SAMPLES calendar=%s samples=%d engine=%s\n", p, n, e.Name)
			cells := 2 * (slo.Calendar{Period: p}.Longest() - 24*time.Hour) / (5 * time.Minute)
			rows = append(rows, fmt.Sprintf("| %s | %s | %d | %d | %.3f |", e.Name, p, n, cells, float64(n)/float64(cells)))
			if share := float64(n) / float64(cells); share > calSamplesMost {
				t.Errorf("a %s's window rules read %d samples per evaluation, %.3f of the %d cells of its longest period; want at most %.3f",
					p, n, share, cells, calSamplesMost)
			}
		}
	})
	if t.Failed() {
		return
	}
	t.Logf("samples per evaluation of a calendar window:\n| engine | period | samples per evaluation | cells of the longest period (errors, events) | share |\n|---|---|---:|---:|---:|\n%s", strings.Join(rows, "\n"))
}
