package promrules

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/spec"
)

// sliced returns s counting slices of the given width, good at sliceTarget
// (averaged when sliceTarget is 0).
func sliced(s spec.SLO, width time.Duration, sliceTarget float64) spec.SLO {
	s.Objective.Slices = slo.TimeSlices{Window: width, Target: sliceTarget, Average: sliceTarget == 0}
	return s
}

func TestGeneratedTimeSliceTestsPassPromtool(t *testing.T) {
	cases := []struct {
		name string
		slo  spec.SLO
		opts Options
	}{
		{"1m slices at 95%, one day", sliced(daily(availability), time.Minute, 0.95), Options{}},
		{"1m slices averaged, one day", sliced(daily(availability), time.Minute, 0), Options{}},
		{"30s slices of good and total, min events, for", sliced(daily(latency), 30*time.Second, 0.99), Options{For: time.Minute}},
		{"10m slices, past the lookback", sliced(selectors, 10*time.Minute, 0.9), Options{}},
		{"1m slices per route", sliced(daily(groupedAvailability), time.Minute, 0.95), Options{}},
		{"1m slices, 30-day window", sliced(availability, time.Minute, 0.999), Options{}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && i > 0 {
				t.Skip("-short: one case replays in promtool")
			}
			rules := mustGenerate(t, []spec.SLO{c.slo}, c.opts)
			checkRules(t, rules.Rules, FormatRules)
			tests, err := GenerateTests([]spec.SLO{c.slo}, "rules.yml", c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(rules.Rules, []byte(sliceMetric(c.slo.Objective.Slices.Window))) {
				t.Fatalf("no slice rule in\n%s", rules.Rules)
			}
			if c.slo.Objective.Window == day && len(tests.Warnings) > 0 {
				t.Errorf("warnings: %q", tests.Warnings)
			}
			passRules(t, rules.Rules, tests.Tests)
		})
	}
}

func TestGeneratedTimeSliceTestsCatchBrokenRules(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs promtool on each broken rule file")
	}
	s := sliced(daily(availability), time.Minute, 0.95)
	rules := mustGenerate(t, []spec.SLO{s}, Options{}).Rules
	tests, err := GenerateTests([]spec.SLO{s}, "rules.yml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, old, new string
	}{
		{"slice target off by one part in a thousand", "> bool 0.05000000005", "> bool 0.04995"},
		{"events instead of slices", "> bool 0.05000000005", "* 1"},
		{"window one slice short", "[23h59m30s])) / 1440", "[23h58m30s])) / 1440"},
		{"tier read without the last slice", "last_over_time(slo:sli_error:ratio_rate2m", "last_over_time(slo:sli_error:ratio_rate2m offset 1m"},
	}
	var ms []mutation
	for _, c := range cases {
		ms = append(ms, mutation{c.name, c.old, c.new})
	}
	checkBrokenRulesFail(t, rules, tests.Tests, ms...)
}

func TestGenerateRejectsSlicesOfFractionalSeconds(t *testing.T) {
	s := sliced(daily(availability), 1500*time.Millisecond, 0.95)
	s.Objective.Window = 90 * time.Minute
	_, err := Generate([]spec.SLO{s}, Options{})
	if err == nil || !strings.Contains(err.Error(), "time_slices.window") {
		t.Errorf("Generate = %v, want an error naming time_slices.window", err)
	}
}
