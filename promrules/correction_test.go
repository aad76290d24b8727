package promrules

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/spec"
)

// weeklyAt2 is daily(availability) with a weekly correction on Thursdays
// 02:00-04:00 UTC: 1970-01-01, where promtool's tests start, was a
// Thursday, so the generated tests meet it two hours in.
func weeklyAt2() spec.SLO {
	s := daily(availability)
	s.Objective.WeeklyCorrections = []slo.WeeklyCorrection{{Days: []time.Weekday{time.Thursday}, Start: 2 * time.Hour, Duration: 2 * time.Hour, Reason: "maintenance"}}
	return s
}

func TestGeneratedTestsCoverAWeeklyCorrection(t *testing.T) {
	for _, m := range []Method{MethodExact, MethodRatioAverage} {
		t.Run(string(m), func(t *testing.T) {
			s := weeklyAt2()
			opts := Options{Method: m}
			rules := mustGenerate(t, []spec.SLO{s}, opts)
			tests, err := GenerateTests([]spec.SLO{s}, "rules.yml", opts)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(tests.Tests, []byte("during the weekly correction from 2h: no alert, no budget spent")) {
				t.Fatalf("no correction test in\n%s", tests.Tests)
			}
			if !hasWarning(tests.Warnings, "a weekly correction falls in its time") {
				t.Errorf("warnings %q: want the tests the correction reaches named", tests.Warnings)
			}
			passRules(t, rules.Rules, tests.Tests)
			// The same tests against rules that ignore the correction fail:
			// the burn through it fires and spends the budget.
			plain := s
			plain.Objective.WeeklyCorrections = nil
			testdeps.ForEachEngineAtOnce(t, func(t *testing.T, e testdeps.Engine) {
				if out, ok := testRules(t, e, mustGenerate(t, []spec.SLO{plain}, opts).Rules, tests.Tests); ok {
					t.Errorf("the correction test passes on rules without the correction:\n%s", out)
				}
			})
		})
	}
}

func TestCorrectionsBecomeTimeConditions(t *testing.T) {
	s := daily(availability)
	s.Objective.Corrections = []slo.Correction{{Start: time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC)}}
	s.Objective.WeeklyCorrections = []slo.WeeklyCorrection{{Days: []time.Weekday{time.Sunday, time.Wednesday}, Start: 90 * time.Minute, Duration: time.Hour}}
	rules := string(mustGenerate(t, []spec.SLO{s}, Options{}).Rules)
	for _, want := range []string{
		// The 5m grid cells: the one-off period, widened by a cell.
		"vector(time()) > 1796436000 < 1796443500",
		// Sunday 01:30 and Wednesday 01:30 of the week of 1969-12-21.
		"(vector(time()) + 945000) % 604800 < 3900",
		"(vector(time()) + 685800) % 604800 < 3900",
		// An alert window overlapping a period reads the grid.
		"sum_over_time(slo:sli_errors:increase5m{",
	} {
		if !strings.Contains(rules, want) {
			t.Errorf("rules lack %q", want)
		}
	}
	checkRules(t, []byte(rules), FormatRules)
}

func TestRulesRefuseAWeeklyCorrectionOutsideUTC(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	s := weeklyAt2()
	s.Objective.WeeklyCorrections[0].Location = berlin
	_, err = Generate([]spec.SLO{s}, Options{})
	if err == nil || !strings.Contains(err.Error(), "corrections: the weekly correction on [Thursday] at 02:00:00 in Europe/Berlin: the rules follow weekly corrections in UTC only") {
		t.Fatalf("Generate = %v, want the zone refused", err)
	}
	s.Objective.WeeklyCorrections[0].Location = time.FixedZone("UTC", 0)
	if _, err := Generate([]spec.SLO{s}, Options{}); err != nil {
		t.Errorf("a zone of offset 0 is refused: %v", err)
	}
}
