package slo_test

import (
	"fmt"
	"time"

	"github.com/slo-budget-tracker/slo"
)

// A replayable clock for examples: time moves only when told.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) Advance(d time.Duration) { c.now = c.now.Add(d) }

func ExampleTracker() {
	c := &clock{now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	t, err := slo.NewTracker(slo.Objective{Name: "checkout", Target: 0.999}, slo.WithClock(c.Now))
	if err != nil {
		panic(err)
	}
	// A clean day at 1000 requests a minute, then ten minutes at 10% errors.
	for range 24 * 60 {
		t.RecordN(1000, 0)
		c.Advance(time.Minute)
	}
	for range 10 {
		t.RecordN(900, 100)
		c.Advance(time.Minute)
	}
	s := t.Snapshot()
	fmt.Printf("events %d, failures %d\n", s.Total, s.Failures)
	fmt.Printf("success ratio %.5f, budget remaining %.1f%%\n", s.SuccessRatio, 100*s.ErrorBudgetRemaining)
	fmt.Printf("burn rate over 1h: %.1f\n", s.BurnRates[0].BurnRate)
	for _, a := range t.CheckBurnRate() {
		fmt.Printf("alert: %s burning %.1fx over %v\n", a.Name, a.BurnRate, a.Window)
	}
	// Output:
	// events 1450000, failures 1000
	// success ratio 0.99931, budget remaining 31.0%
	// burn rate over 1h: 16.7
	// alert: checkout burning 16.7x over 1h0m0s
}

func ExampleTracker_AlertStates() {
	c := &clock{now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	t, _ := slo.NewTracker(slo.Objective{Name: "api", Target: 0.999}, slo.WithClock(c.Now))
	for range 60 {
		t.RecordN(990, 10) // 1% errors: a burn rate of 10
		c.Advance(time.Minute)
	}
	for _, tier := range t.AlertStates() {
		fmt.Printf("%-26v long %5.2f short %5.2f firing=%v\n", tier.AlertTier, tier.LongBurnRate, tier.ShortBurnRate, tier.Firing)
	}
	// Output:
	// page 1h0m0s/5m0s x14.4     long 10.00 short 10.00 firing=false
	// page 6h0m0s/30m0s x6       long 10.00 short 10.00 firing=true
	// ticket 24h0m0s/2h0m0s x3   long 10.00 short 10.00 firing=true
	// ticket 72h0m0s/6h0m0s x1   long 10.00 short 10.00 firing=true
}

func ExampleObjective_Validate() {
	err := slo.Objective{Name: "search", Target: 99.9, Window: -time.Hour}.Validate()
	fmt.Println(err)
	// Output:
	// objective "search": Target: 99.9 is outside (0, 1): give the share of good events, e.g. 0.999 for 99.9%; Window: -1h0m0s is not positive
}

func ExampleDefaultTiers() {
	window := 7 * 24 * time.Hour
	for _, tier := range slo.DefaultTiers(window) {
		fmt.Printf("%-27v guards %.0f%% of the budget\n", tier, 100*tier.BudgetShare(window))
	}
	// Output:
	// page 14m0s/1m10s x14.4      guards 2% of the budget
	// page 1h24m0s/7m0s x6        guards 5% of the budget
	// ticket 5h36m0s/28m0s x3     guards 10% of the budget
	// ticket 16h48m0s/1h24m0s x1  guards 10% of the budget
}

func ExampleRegistry() {
	c := &clock{now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	reg := slo.NewRegistry(slo.WithClock(c.Now))
	checkout, _ := reg.Define(slo.Objective{Name: "checkout", Target: 0.999})
	search, _ := reg.Define(slo.Objective{Name: "search", Target: 0.99})
	checkout.RecordN(9_990, 10)
	search.RecordN(1_000, 0)
	for _, s := range reg.SnapshotAll() {
		fmt.Printf("%s: %.0f%% of budget left\n", s.Name, 100*s.ErrorBudgetRemaining)
	}
	// Output:
	// checkout: 0% of budget left
	// search: 100% of budget left
}

func ExampleFamily() {
	reg := slo.NewRegistry()
	routes, err := reg.DefineFamily(slo.Objective{Name: "api", Target: 0.99}, []string{"route"}, slo.WithMaxMembers(2))
	if err != nil {
		panic(err)
	}
	routes.With("POST /pay").RecordN(90, 10)
	routes.With("GET /search").RecordN(100, 0)
	// Past the cap of two, new routes share the overflow member.
	routes.With("GET /a").RecordSuccess()
	routes.With("GET /b").RecordSuccess()
	for _, s := range reg.SnapshotAll() {
		fmt.Printf("%s %v: %d events, budget %.0f%%\n", s.Name, s.Labels, s.Total, 100*s.ErrorBudgetRemaining)
	}
	fmt.Println("folded:", routes.Folded())
	// Output:
	// api map[route:GET /search]: 100 events, budget 100%
	// api map[route:POST /pay]: 100 events, budget -900%
	// api map[route:__overflow__]: 2 events, budget 100%
	// folded: 2
}
