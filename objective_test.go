package slo

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestObjectiveDefaults(t *testing.T) {
	o := Objective{Name: "api", Target: 0.999}.WithDefaults()
	if o.Window != 30*24*time.Hour {
		t.Errorf("Window = %v, want 720h", o.Window)
	}
	if len(o.BurnRateWindows) != 2 || o.BurnRateWindows[0] != time.Hour || o.BurnRateWindows[1] != 6*time.Hour {
		t.Errorf("BurnRateWindows = %v, want [1h 6h]", o.BurnRateWindows)
	}
	if o.BurnRateThreshold != 14.4 {
		t.Errorf("BurnRateThreshold = %v, want 14.4", o.BurnRateThreshold)
	}
	if len(o.Tiers) != 4 {
		t.Fatalf("Tiers = %v, want the 4 Workbook tiers", o.Tiers)
	}
	// Defaults are copies: changing them must not change the package's.
	o.BurnRateWindows[0] = time.Minute
	o.Tiers[0].Factor = 1
	if DefaultBurnRateWindows[0] != time.Hour || DefaultTiers(DefaultWindow)[0].Factor != 14.4 {
		t.Error("WithDefaults shares memory with the package defaults")
	}
	if err := (Objective{Name: "x", Target: 0.9, Tiers: []AlertTier{}}).Validate(); err != nil {
		t.Errorf("empty tier list (policy disabled): %v", err)
	}
}

func TestValidateNamesEveryProblem(t *testing.T) {
	tests := []struct {
		name   string
		o      Objective
		fields []string // every field that must be reported, in order
	}{
		{"valid", Objective{Name: "checkout", Target: 0.999}, nil},
		{"valid custom", Objective{Name: "ç-api/v2 (EU)", Target: 0.5, Window: 7 * 24 * time.Hour,
			BurnRateWindows: []time.Duration{5 * time.Minute}, BurnRateThreshold: 2}, nil},
		{"empty name", Objective{Target: 0.99}, []string{"Name"}},
		{"control character", Objective{Name: "a\nb", Target: 0.99}, []string{"Name"}},
		{"invalid utf-8", Objective{Name: "a\xffb", Target: 0.99}, []string{"Name"}},
		{"padded name", Objective{Name: " api", Target: 0.99}, []string{"Name"}},
		{"target 1", Objective{Name: "a", Target: 1}, []string{"Target"}},
		{"target 0 (unset)", Objective{Name: "a"}, []string{"Target"}},
		{"target percent", Objective{Name: "a", Target: 99.9}, []string{"Target"}},
		{"target NaN", Objective{Name: "a", Target: math.NaN()}, []string{"Target"}},
		{"negative window", Objective{Name: "a", Target: 0.9, Window: -time.Hour, Tiers: []AlertTier{},
			BurnRateWindows: []time.Duration{}}, []string{"Window"}},
		{"window too short", Objective{Name: "a", Target: 0.9, Window: time.Second, Tiers: []AlertTier{},
			BurnRateWindows: []time.Duration{}}, []string{"Window"}},
		{"burn window longer than window", Objective{Name: "a", Target: 0.9, Window: 24 * time.Hour,
			BurnRateWindows: []time.Duration{time.Hour, 48 * time.Hour}}, []string{"BurnRateWindows[1]"}},
		{"burn window not positive", Objective{Name: "a", Target: 0.9,
			BurnRateWindows: []time.Duration{0}}, []string{"BurnRateWindows[0]"}},
		{"burn window twice", Objective{Name: "a", Target: 0.9,
			BurnRateWindows: []time.Duration{time.Hour, time.Hour}}, []string{"BurnRateWindows[1]"}},
		{"negative threshold", Objective{Name: "a", Target: 0.9, BurnRateThreshold: -1}, []string{"BurnRateThreshold"}},
		{"infinite threshold", Objective{Name: "a", Target: 0.9, BurnRateThreshold: math.Inf(1)}, []string{"BurnRateThreshold"}},
		{"bad tier", Objective{Name: "a", Target: 0.9, Tiers: []AlertTier{
			{Severity: "page", LongWindow: time.Hour, ShortWindow: 5 * time.Minute, Factor: 14.4},
			{Severity: "", LongWindow: time.Hour, ShortWindow: 2 * time.Hour, Factor: 0},
		}}, []string{"Tiers[1].Severity", "Tiers[1].ShortWindow", "Tiers[1].Factor"}},
		{"everything wrong at once", Objective{Name: "", Target: 2, Window: -1, BurnRateThreshold: -3,
			BurnRateWindows: []time.Duration{-time.Minute}},
			[]string{"Name", "Target", "Window", "BurnRateWindows[0]", "BurnRateThreshold"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.Validate()
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Validate() = %v, want a *ValidationError", err)
			}
			var got []string
			for _, p := range verr.Problems {
				got = append(got, p.Field)
				if p.Problem == "" {
					t.Errorf("%s: empty problem text", p.Field)
				}
			}
			// Tier checks may add problems for fields scaled from a bad
			// window; the listed fields must all be there, in order.
			i := 0
			for _, f := range got {
				if i < len(tt.fields) && f == tt.fields[i] {
					i++
				}
			}
			if i != len(tt.fields) {
				t.Errorf("problems in %v, want %v", got, tt.fields)
			}
			for _, f := range tt.fields {
				if !strings.Contains(err.Error(), f+": ") {
					t.Errorf("error %q does not name %s", err, f)
				}
			}
			var ferr *FieldError
			if !errors.As(err, &ferr) || ferr.Field != got[0] {
				t.Errorf("errors.As(*FieldError) = %v, want the first problem", ferr)
			}
			if _, err := NewTracker(tt.o); err == nil {
				t.Error("NewTracker accepted an invalid objective")
			}
		})
	}
}

func TestDefaultTiersScaleWithWindow(t *testing.T) {
	month := DefaultTiers(30 * 24 * time.Hour)
	want := []AlertTier{
		{SeverityPage, time.Hour, 5 * time.Minute, 14.4},
		{SeverityPage, 6 * time.Hour, 30 * time.Minute, 6},
		{SeverityTicket, 24 * time.Hour, 2 * time.Hour, 3},
		{SeverityTicket, 72 * time.Hour, 6 * time.Hour, 1},
	}
	for i := range want {
		if month[i] != want[i] {
			t.Errorf("30d tier %d = %v, want %v", i, month[i], want[i])
		}
	}
	shares := []float64{0.02, 0.05, 0.10, 0.10}
	for _, window := range []time.Duration{30 * 24 * time.Hour, 28 * 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour, 90 * 24 * time.Hour} {
		for i, tier := range DefaultTiers(window) {
			if got := tier.BudgetShare(window); math.Abs(got-shares[i]) > 1e-3 {
				t.Errorf("%v tier %v guards %.4f of the budget, want %.2f", window, tier, got, shares[i])
			}
			if tier.Factor != want[i].Factor || tier.Severity != want[i].Severity {
				t.Errorf("%v tier %d = %v: factor and severity must not scale", window, i, tier)
			}
		}
		if err := (Objective{Name: "a", Target: 0.99, Window: window}).Validate(); err != nil {
			t.Errorf("default tiers invalid for %v: %v", window, err)
		}
	}
	week := DefaultTiers(7 * 24 * time.Hour)
	if week[0].LongWindow != 14*time.Minute || week[0].ShortWindow != 70*time.Second {
		t.Errorf("7d page tier = %v, want 14m/70s", week[0])
	}
}

func TestDefaultTiersFitShortWindows(t *testing.T) {
	for _, window := range []time.Duration{MinWindow, 90 * time.Second, 10 * time.Minute, 14 * time.Minute, 15 * time.Minute, time.Hour} {
		o := Objective{Name: "short", Target: 0.99, Window: window}
		if err := o.Validate(); err != nil {
			t.Errorf("default tiers of a %v window: %v", window, err)
		}
		for _, tier := range DefaultTiers(window) {
			if tier.ShortWindow < MinAlertWindow || tier.LongWindow <= tier.ShortWindow || tier.LongWindow > window {
				t.Errorf("%v window: tier %v", window, tier)
			}
		}
	}
}
