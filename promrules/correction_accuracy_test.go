package promrules

import (
	"math"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/slotest"
)

// The accuracy scenario of corrections: the daytime incident, declared
// planned maintenance. promtool's time 0 is the Unix epoch, so the
// correction's times are days after 1970-01-01.
func init() {
	accScenarios = append(accScenarios, accScenario{"covered-incident",
		"as daytime-incident, with a correction window covering the two hours of the incident", accScenarios[0].perMinute})
}

var accCorrections = map[string][]slo.Correction{
	"covered-incident": {{Start: time.Unix(0, 0).Add(3*day + 10*time.Hour), End: time.Unix(0, 0).Add(3*day + 12*time.Hour), Reason: "planned"}},
}

// accCorrected reports whether the input step (start, end] of a scenario
// lies in one of its corrections: its events count for nothing.
func accCorrected(name string, start, end time.Duration) bool {
	for _, c := range accCorrections[name] {
		s, e := c.Start.Sub(time.Unix(0, 0)), c.End.Sub(time.Unix(0, 0))
		if start >= s && end <= e {
			return true
		}
	}
	return false
}

// TestAccuracyTrackerWithinOnePercentOfBudget replays every accuracy
// scenario through the in-process tracker, each step's events recorded in
// the middle of the step, and compares its remaining budget at accEnd with
// the truth the promtool harness uses.
func TestAccuracyTrackerWithinOnePercentOfBudget(t *testing.T) {
	for _, sc := range accScenarios {
		t.Run(sc.name, func(t *testing.T) {
			segs, total, errors := accSegments(sc)
			truth := 1 - errors/total/(1-accTarget)
			clock := slotest.NewClock(time.Unix(0, 0))
			tr, err := slo.NewTracker(accSLO(sc).Objective, slo.WithClock(clock.Now))
			if err != nil {
				t.Fatal(err)
			}
			step := 0
			for _, s := range segs {
				for range s.steps {
					clock.Set(time.Unix(0, 0).Add(time.Duration(step)*accStep + accStep/2))
					// A step's counts are multiples of 1/1024 (see
					// quantize): 1024 times them are whole, and the
					// budget's ratios are the same.
					tr.RecordN(uint64(1024*(s.total-s.errors)), uint64(1024*s.errors))
					step++
				}
			}
			clock.Set(time.Unix(0, 0).Add(accEnd))
			got := tr.Snapshot().ErrorBudgetRemaining
			if d := math.Abs(got - truth); d > 0.01 {
				t.Errorf("tracker remaining budget %.5f, true %.5f: off by %.5f, more than 0.01", got, truth, d)
			}
			t.Logf("tracker %.5f, true %.5f", got, truth)
		})
	}
}
