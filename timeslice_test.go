package slo

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// sliceObjective is a 1-hour objective of 1-minute slices good at 95%, 90%
// of which must be good: 6 bad slices allowed.
func sliceObjective() Objective {
	return Objective{Name: "slices", Target: 0.9, Window: time.Hour, Slices: TimeSlices{Window: time.Minute, Target: 0.95}}
}

func TestTimeSlicesCountGoodSlicesNotEvents(t *testing.T) {
	clock := newFakeClock() // on a minute boundary
	tr := mustTracker(t, sliceObjective(), WithClock(clock.Now))
	clock.Advance(time.Second)
	tr.RecordN(90, 10) // slice 0: 90% < 95%: bad
	clock.Advance(time.Minute)
	tr.RecordN(95, 5) // slice 1: exactly 95%: good
	clock.Advance(2 * time.Minute)
	// slice 2: no traffic: good
	tr.RecordN(0, 1) // slice 3: 0%: bad
	clock.Advance(time.Minute)
	tr.RecordN(0, 1000) // slice 4: open, not yet decided

	s := tr.Snapshot()
	finite(t, s)
	if s.TotalSlices != 60 || s.GoodSlices != 58 || s.SliceBudget != 6 {
		t.Errorf("slices = %d total, %v good, budget %v; want 60, 58, 6", s.TotalSlices, s.GoodSlices, s.SliceBudget)
	}
	if want := 58.0 / 60; math.Abs(s.SuccessRatio-want) > 1e-12 {
		t.Errorf("SuccessRatio = %v, want %v", s.SuccessRatio, want)
	}
	if want := 1 - 2.0/6; math.Abs(s.ErrorBudgetRemaining-want) > 1e-12 {
		t.Errorf("ErrorBudgetRemaining = %v, want %v", s.ErrorBudgetRemaining, want)
	}
	if s.Total != 1201 || s.Failures != 1016 {
		t.Errorf("events = %d total, %d failures; want 1201, 1016", s.Total, s.Failures)
	}

	// Slice 4 fails; then slices 0 and 3 leave the window.
	clock.Advance(time.Minute)
	if s := tr.Snapshot(); s.GoodSlices != 57 {
		t.Errorf("after slice 4: %v good slices, want 57", s.GoodSlices)
	}
	clock.Advance(56 * time.Minute) // now in slice 61: window is slices 1..60
	if s := tr.Snapshot(); s.GoodSlices != 58 {
		t.Errorf("slice 0 out of the window: %v good slices, want 58", s.GoodSlices)
	}
	clock.Advance(4 * time.Minute) // slices 5..64
	if s := tr.Snapshot(); s.GoodSlices != 60 || s.ErrorBudgetRemaining != 1 {
		t.Errorf("every bad slice out of the window: %v good, budget %v; want 60, 1", s.GoodSlices, s.ErrorBudgetRemaining)
	}
	clock.Advance(10 * time.Hour)
	if s := tr.Snapshot(); s.GoodSlices != 60 || s.BurnRate != 0 {
		t.Errorf("idle for hours: %v good, burn %v; want 60, 0", s.GoodSlices, s.BurnRate)
	}
}

func TestTimeSlicesBurnRatesCountSlices(t *testing.T) {
	clock := newFakeClock()
	o := sliceObjective()
	o.BurnRateWindows = []time.Duration{5 * time.Minute, 90 * time.Second}
	tr := mustTracker(t, o, WithClock(clock.Now))
	for i := range 10 {
		if i%2 == 0 {
			tr.RecordN(0, 1) // bad
		} else {
			tr.RecordN(1, 0)
		}
		clock.Advance(time.Minute)
	}
	// Completed: slices 0..9, bad 0, 2, 4, 6, 8. The last 5 hold 2 bad;
	// 90s measures the last slice (9): good.
	s := tr.Snapshot()
	if got, want := s.BurnRates[0].BurnRate, 2.0/5/0.1; math.Abs(got-want) > 1e-9 {
		t.Errorf("5m burn rate = %v, want %v", got, want)
	}
	if got := s.BurnRates[1].BurnRate; got != 0 {
		t.Errorf("90s burn rate = %v, want 0 (slice 9 is good)", got)
	}
	if got, want := s.BurnRate, 5.0/60/0.1; math.Abs(got-want) > 1e-9 {
		t.Errorf("window burn rate = %v, want %v", got, want)
	}
}

// TestTimeSlicesAgainstRawEvents replays random traffic, with bursts,
// quiet minutes and long gaps, and compares every window with slices
// decided from the raw events: the slice verdicts are exact.
func TestTimeSlicesAgainstRawEvents(t *testing.T) {
	for seed := range uint64(12) {
		rng := rand.New(rand.NewPCG(seed, 7))
		clock := newFakeClock()
		o := Objective{Name: "ref", Target: 0.95, Window: 2 * time.Hour, BurnRateWindows: []time.Duration{10 * time.Minute, time.Hour},
			Slices: TimeSlices{Window: time.Minute, Target: 0.9}}
		if seed%2 == 1 {
			o.Slices = TimeSlices{Window: time.Minute, Average: true}
		}
		tr := mustTracker(t, o, WithClock(clock.Now))
		type ev struct {
			at       int64
			good, bd uint64
		}
		var evs []ev
		for step := range 4000 {
			switch rng.IntN(6) {
			case 0:
				clock.Advance(time.Duration(rng.Int64N(int64(20 * time.Minute))))
			case 1, 2:
				clock.Advance(time.Duration(rng.Int64N(int64(time.Minute))))
			default:
				clock.Advance(time.Duration(rng.Int64N(int64(time.Second))))
			}
			g, b := uint64(rng.IntN(20)), uint64(0)
			if rng.IntN(3) == 0 {
				b = uint64(rng.IntN(4))
			}
			tr.RecordN(g, b)
			evs = append(evs, ev{clock.Now().UnixNano(), g, b})
			if step%40 != 0 {
				continue
			}
			s := tr.Snapshot()
			now := clock.Now().UnixNano()
			cur := floorDiv(now, int64(time.Minute))
			truth := func(w time.Duration) float64 {
				n := int64(max(1, w/time.Minute))
				per := map[int64]counts{}
				for _, e := range evs {
					k := floorDiv(e.at, int64(time.Minute))
					if k >= cur-n && k < cur {
						c := per[k]
						c.add(counts{e.good, e.bd})
						per[k] = c
					}
				}
				var spent float64
				for _, c := range per {
					if c.total() == 0 {
						continue
					}
					r := float64(c.bad) / float64(c.total())
					switch {
					case o.Slices.Average:
						spent += r
					case float64(c.good)/float64(c.total()) < o.Slices.Target:
						spent++
					}
				}
				return spent / float64(n) / errorBudget(o.Target)
			}
			if want := truth(o.Window); math.Abs(s.BurnRate-want) > 1e-5 {
				t.Fatalf("seed %d step %d: window burn rate %v, want %v", seed, step, s.BurnRate, want)
			}
			for _, b := range s.BurnRates {
				if want := truth(b.Window); math.Abs(b.BurnRate-want) > 1e-5 {
					t.Fatalf("seed %d step %d: %v burn rate %v, want %v", seed, step, b.Window, b.BurnRate, want)
				}
			}
		}
	}
}

func TestTimeSlicesAverageCountsSliceRatios(t *testing.T) {
	clock := newFakeClock()
	o := sliceObjective()
	o.Slices = TimeSlices{Window: time.Minute, Average: true}
	tr := mustTracker(t, o, WithClock(clock.Now))
	tr.RecordN(1, 1) // 50%
	clock.Advance(time.Minute)
	tr.RecordN(999, 1) // 99.9%
	clock.Advance(time.Minute)
	s := tr.Snapshot()
	if want := 60 - 0.501; math.Abs(s.GoodSlices-want) > 1e-6 {
		t.Errorf("GoodSlices = %v, want %v", s.GoodSlices, want)
	}
	if want := 1 - 0.501/60/0.1; math.Abs(s.ErrorBudgetRemaining-want) > 1e-6 {
		t.Errorf("ErrorBudgetRemaining = %v, want %v", s.ErrorBudgetRemaining, want)
	}
}

func TestTimeSlicesMemory(t *testing.T) {
	// A 30-day window of 1-minute slices keeps one bit per slice: 5.4 KB.
	o := Objective{Name: "month", Target: 0.999, Slices: TimeSlices{Window: time.Minute, Target: 0.99}}
	tr := mustTracker(t, o, WithClock(newFakeClock().Now))
	if got := 8 * len(tr.slices.bad); got != 5400 {
		t.Errorf("verdicts take %d bytes, want 5400", got)
	}
}

func TestTimeSlicesRecordDoesNotAllocate(t *testing.T) {
	clock := newFakeClock()
	tr := mustTracker(t, sliceObjective(), WithClock(clock.Now))
	allocs := testing.AllocsPerRun(1000, func() {
		tr.RecordN(3, 1)
		clock.Advance(time.Second) // a slice ends every 60 runs
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}

func TestTimeSlicesValidation(t *testing.T) {
	base := sliceObjective()
	for _, c := range []struct {
		name   string
		slices TimeSlices
		field  string
		want   string
	}{
		{"target without window", TimeSlices{Target: 0.9}, "Slices.Window", "is zero"},
		{"average without window", TimeSlices{Average: true}, "Slices.Window", "is zero"},
		{"under a second", TimeSlices{Window: time.Millisecond, Target: 0.9}, "Slices.Window", "shorter than the minimum 1s"},
		{"not dividing the window", TimeSlices{Window: 7 * time.Minute, Target: 0.9}, "Slices.Window", "does not divide the window"},
		{"longer than the window", TimeSlices{Window: 2 * time.Hour, Target: 0.9}, "Slices.Window", "does not divide the window"},
		{"no slice target", TimeSlices{Window: time.Minute}, "Slices.Target", "outside (0, 1]"},
		{"slice target above 1", TimeSlices{Window: time.Minute, Target: 1.5}, "Slices.Target", "outside (0, 1]"},
		{"slice target NaN", TimeSlices{Window: time.Minute, Target: math.NaN()}, "Slices.Target", "outside (0, 1]"},
		{"average with a target", TimeSlices{Window: time.Minute, Target: 0.9, Average: true}, "Slices.Target", "no slice target"},
	} {
		o := base
		o.Slices = c.slices
		err := o.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(fe.Problem, c.want) {
			t.Errorf("%s: Validate() = %v, want %s: ...%s...", c.name, err, c.field, c.want)
		}
	}
	o := base
	o.Window = 400 * 24 * time.Hour
	o.Slices = TimeSlices{Window: time.Second, Target: 0.9}
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "the limit is") {
		t.Errorf("34M slices: Validate() = %v, want the slice limit", err)
	}
	o.Slices = TimeSlices{Window: time.Minute, Target: 1}
	if err := o.Validate(); err != nil {
		t.Errorf("slice target 1: %v", err)
	}
}

// TestSliceErrorThresholdForgivesRoundingOnly checks that a slice exactly on
// its target is good and one event more failing is bad.
func TestSliceErrorThresholdForgivesRoundingOnly(t *testing.T) {
	for _, target := range []float64{0.9, 0.95, 0.99, 0.999} {
		n := uint64(math.Round(1 / (1 - target) * 10))
		bad := uint64(math.Round(float64(n) * (1 - target)))
		l := newSliceLog(Objective{Window: time.Hour, Slices: TimeSlices{Window: time.Minute, Target: target}}, 0, nil)
		if got := l.spend(counts{good: n - bad, bad: bad}); got != 0 {
			t.Errorf("target %v: %d of %d failing is exactly on target, judged bad", target, bad, n)
		}
		if got := l.spend(counts{good: n - bad - 1, bad: bad + 1}); got != 1 {
			t.Errorf("target %v: %d of %d failing is below target, judged good", target, bad+1, n)
		}
	}
}

// TestTimeSlicesSumsMatchTheirSlices checks the running sum of every window
// against a sum over its slices, through random traffic, long idle gaps and
// clock steps back.
func TestTimeSlicesSumsMatchTheirSlices(t *testing.T) {
	for seed := range uint64(6) {
		rng := rand.New(rand.NewPCG(seed, 3))
		clock := newFakeClock()
		o := sliceObjective()
		o.BurnRateWindows = []time.Duration{5 * time.Minute, 90 * time.Second}
		if seed%2 == 1 {
			o.Slices = TimeSlices{Window: time.Minute, Average: true}
		}
		tr := mustTracker(t, o, WithClock(clock.Now))
		for step := range 3000 {
			switch rng.IntN(20) {
			case 0:
				clock.Advance(-time.Duration(rng.Int64N(int64(10 * time.Minute))))
			case 1:
				clock.Advance(time.Duration(rng.Int64N(int64(2 * time.Hour))))
			default:
				clock.Advance(time.Duration(rng.Int64N(int64(40 * time.Second))))
			}
			tr.RecordN(uint64(rng.IntN(10)), uint64(rng.IntN(3)))
			s := tr.Snapshot()
			finite(t, s)
			tr.mu.Lock()
			got := append([]uint64(nil), tr.slices.sums...)
			tr.slices.resum()
			want := tr.slices.sums
			tr.mu.Unlock()
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("seed %d step %d: window %v sums %d, its slices %d", seed, step, tr.slices.windows[i], got[i], want[i])
				}
			}
		}
	}
}

func TestTimeSlicesCount(t *testing.T) {
	ts := TimeSlices{Window: time.Minute, Target: 0.9}
	for w, want := range map[time.Duration]int{time.Hour: 60, 90 * time.Second: 1, 30 * time.Second: 1, 5 * time.Minute: 5} {
		if got := ts.Count(w); got != want {
			t.Errorf("Count(%v) = %d, want %d", w, got, want)
		}
	}
	if got := (TimeSlices{}).Count(time.Hour); got != 0 {
		t.Errorf("events: Count = %d, want 0", got)
	}
}
