package slo

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/internal/slotest"
)

func newFakeClock() *slotest.Clock {
	return slotest.NewClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
}

func mustTracker(t testing.TB, o Objective, opts ...Option) *Tracker {
	t.Helper()
	tr, err := NewTracker(o, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func finite(t *testing.T, s Snapshot) {
	t.Helper()
	vals := []float64{s.SuccessRatio, s.ErrorBudgetRemaining, s.BurnRate}
	for _, b := range s.BurnRates {
		vals = append(vals, b.BurnRate)
	}
	for _, tier := range s.Tiers {
		vals = append(vals, tier.LongBurnRate, tier.ShortBurnRate)
	}
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("snapshot holds %v: %+v", v, s)
		}
	}
}

func TestNoTrafficIsNotAnError(t *testing.T) {
	clock := newFakeClock()
	tr := mustTracker(t, Objective{Name: "idle", Target: 0.999}, WithClock(clock.Now))
	for _, d := range []time.Duration{0, time.Hour, 40 * 24 * time.Hour} {
		clock.Advance(d)
		s := tr.Snapshot()
		finite(t, s)
		if s.SuccessRatio != 1 || s.ErrorBudgetRemaining != 1 || s.BurnRate != 0 || s.Total != 0 {
			t.Errorf("idle snapshot = %+v, want ratio 1, budget 1, burn 0", s)
		}
		for _, b := range s.BurnRates {
			if b.BurnRate != 0 {
				t.Errorf("idle burn rate %v = %v", b.Window, b.BurnRate)
			}
		}
		if s.Breached || s.IsBudgetExhausted() || s.TimeToExhaustion != Forever || len(s.Firing()) > 0 || len(tr.CheckBurnRate()) > 0 {
			t.Errorf("idle snapshot alarms: %+v", s)
		}
	}
}

// TestSnapshotMath checks the derived values against hand-computed ones.
func TestSnapshotMath(t *testing.T) {
	tests := []struct {
		name                  string
		target                float64
		good, bad             uint64
		ratio, remaining, bur float64
		tte                   time.Duration
		breached, exhausted   bool
	}{
		// 1000 events, budget 1 failure: untouched.
		{"perfect", 0.999, 1000, 0, 1, 1, 0, Forever, false, false},
		// budget 10 failures of 10000; 5 spent: half left, burning at 0.5
		// over 30d, so the other half lasts 30d at that pace.
		{"half spent", 0.999, 9995, 5, 0.9995, 0.5, 0.5, 30 * 24 * time.Hour, false, false},
		// exactly on target: budget spent, not breached.
		{"on target", 0.99, 990, 10, 0.99, 0, 1, 0, false, true},
		// 4% errors against a 1% budget: burn 4, remaining -3.
		{"overspent", 0.99, 96, 4, 0.96, -3, 4, 0, true, true},
		// all bad: burn is 1 / (1 - target).
		{"all bad", 0.9, 0, 50, 0, -9, 10, 0, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			tr := mustTracker(t, Objective{Name: "m", Target: tt.target, BurnRateWindows: []time.Duration{}}, WithClock(clock.Now))
			tr.RecordN(tt.good, tt.bad)
			s := tr.Snapshot()
			finite(t, s)
			const eps = 1e-9
			if s.Total != tt.good+tt.bad || s.Failures != tt.bad {
				t.Errorf("Total, Failures = %d, %d, want %d, %d", s.Total, s.Failures, tt.good+tt.bad, tt.bad)
			}
			if math.Abs(s.SuccessRatio-tt.ratio) > eps {
				t.Errorf("SuccessRatio = %v, want %v", s.SuccessRatio, tt.ratio)
			}
			if math.Abs(s.ErrorBudgetRemaining-tt.remaining) > eps {
				t.Errorf("ErrorBudgetRemaining = %v, want %v", s.ErrorBudgetRemaining, tt.remaining)
			}
			if math.Abs(s.BurnRate-tt.bur) > eps {
				t.Errorf("BurnRate = %v, want %v", s.BurnRate, tt.bur)
			}
			if d := s.TimeToExhaustion - tt.tte; d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("TimeToExhaustion = %v, want %v", s.TimeToExhaustion, tt.tte)
			}
			if s.Breached != tt.breached || s.IsBudgetExhausted() != tt.exhausted {
				t.Errorf("Breached, exhausted = %v, %v, want %v, %v", s.Breached, s.IsBudgetExhausted(), tt.breached, tt.exhausted)
			}
			if s.Good != tt.good || s.Bad != tt.bad {
				t.Errorf("Good, Bad = %d, %d, want %d, %d", s.Good, s.Bad, tt.good, tt.bad)
			}
		})
	}
}

func TestBurnRateWindowsAndCheckBurnRate(t *testing.T) {
	clock := newFakeClock()
	tr := mustTracker(t, Objective{Name: "api", Target: 0.999}, WithClock(clock.Now))
	// Five hours of clean traffic, then one hour at 2% errors: the 1h
	// window burns at 20, the 6h window at 20/6.
	for range 5 * 60 {
		tr.RecordN(1000, 0)
		clock.Advance(time.Minute)
	}
	for range 60 {
		tr.RecordN(980, 20)
		clock.Advance(time.Minute)
	}
	s := tr.Snapshot()
	if got := s.BurnRates[0]; got.Window != time.Hour || got.Total != 60_000 || got.Failures != 1200 || math.Abs(got.BurnRate-20) > 1e-9 {
		t.Errorf("1h sample = %+v, want 60000 events, 1200 failures, burn 20", got)
	}
	if got := s.BurnRates[1]; got.Window != 6*time.Hour || got.Total != 360_000 || math.Abs(got.BurnRate-20.0/6) > 1e-9 {
		t.Errorf("6h sample = %+v, want 360000 events, burn 3.33", got)
	}
	alerts := tr.CheckBurnRate()
	if len(alerts) != 1 || alerts[0].Window != time.Hour || alerts[0].Name != "api" || alerts[0].Threshold != 14.4 || math.Abs(alerts[0].BurnRate-20) > 1e-9 {
		t.Errorf("CheckBurnRate() = %+v, want one alert for the 1h window at 20", alerts)
	}
	// Time to exhaustion at the 1h pace: 1 - 1200/360 budget remains...
	// the window holds 360000 events and a budget of 360, spent 1200 times:
	// exhausted.
	if !s.IsBudgetExhausted() || s.TimeToExhaustion != 0 {
		t.Errorf("budget %v, time to exhaustion %v: want exhausted", s.ErrorBudgetRemaining, s.TimeToExhaustion)
	}
}

// TestBurnRateAtExactlyThreshold makes sure the rounding of 1 - target does
// not hide a burn of exactly the threshold.
func TestBurnRateAtExactlyThreshold(t *testing.T) {
	clock := newFakeClock()
	tr := mustTracker(t, Objective{Name: "edge", Target: 0.999, BurnRateWindows: []time.Duration{time.Hour}}, WithClock(clock.Now))
	tr.RecordN(10000-144, 144) // error ratio 0.0144: burn exactly 14.4
	if len(tr.CheckBurnRate()) != 1 {
		t.Errorf("burn of exactly 14.4 = %v does not alert", tr.Snapshot().BurnRates[0].BurnRate)
	}
	tr.RecordSuccess() // a hair below
	if len(tr.CheckBurnRate()) != 0 {
		t.Error("burn below 14.4 alerts")
	}
}

// TestAlertThresholdForgivesRoundingOnly checks the one threshold the
// tracker and the generated rules share: a hair below the factor, far
// closer to it than any factor a user writes, and printed in 12 digits
// without change (the rules write it so).
func TestAlertThresholdForgivesRoundingOnly(t *testing.T) {
	for _, f := range []float64{14.4, 6, 3, 1, 0.5, 1000, 1e-3, 1.0000001} {
		th := AlertThreshold(f)
		if !(th < f) || (f-th)/f > 2e-9 {
			t.Errorf("AlertThreshold(%v) = %v: want below it by at most 2e-9 of it", f, th)
		}
		if printed, _ := strconv.ParseFloat(strconv.FormatFloat(th, 'g', 12, 64), 64); printed != th {
			t.Errorf("AlertThreshold(%v) = %v reads back as %v from 12 digits", f, th, printed)
		}
	}
	if got := AlertThreshold(14.4); got != 14.3999999856 {
		t.Errorf("AlertThreshold(14.4) = %v, want 14.3999999856", got)
	}
}

// TestTierFiresAtExactlyItsFactor: 144 failures in 10,000 events against
// 99.9% burn at exactly 14.4 (14.399999999999999 in floats), which fires
// the page tier at 14.4; one more good event (14.3986) does not.
func TestTierFiresAtExactlyItsFactor(t *testing.T) {
	clock := newFakeClock()
	tr := mustTracker(t, Objective{Name: "edge", Target: 0.999, Tiers: []AlertTier{
		{Severity: SeverityPage, LongWindow: time.Hour, ShortWindow: 5 * time.Minute, Factor: 14.4}}}, WithClock(clock.Now))
	tr.RecordN(10000-144, 144)
	if st := tr.AlertStates()[0]; !st.Firing {
		t.Errorf("burn %v over %v does not fire the 14.4x tier", st.LongBurnRate, st.LongWindow)
	}
	tr.RecordSuccess()
	if st := tr.AlertStates()[0]; st.Firing {
		t.Errorf("burn %v fires the 14.4x tier", st.LongBurnRate)
	}
}

func TestWindowEdges(t *testing.T) {
	clock := newFakeClock()
	o := Objective{Name: "edge", Target: 0.99, Window: 24 * time.Hour, BurnRateWindows: []time.Duration{time.Hour}, Tiers: []AlertTier{}}
	tr := mustTracker(t, o, WithClock(clock.Now))
	hourBucket := time.Hour / bucketsPerWindow
	dayBucket := 24 * time.Hour / bucketsPerSLOWindow
	tr.RecordFailure()

	// Still counted one nanosecond before the window ends.
	clock.Advance(time.Hour - 1)
	if s := tr.Snapshot(); s.BurnRates[0].Failures != 1 || s.Failures != 1 {
		t.Fatalf("failure dropped before 1h: %+v", s.BurnRates[0])
	}
	// Gone from the hour one bucket after.
	clock.Advance(hourBucket + 1)
	if s := tr.Snapshot(); s.BurnRates[0].Failures != 0 || s.Failures != 1 {
		t.Fatalf("1h window still counts a failure older than 1h + bucket: %+v", s.BurnRates[0])
	}
	// The day holds it until the day ends, then drops it.
	clock.Advance(23*time.Hour - hourBucket - 2)
	if s := tr.Snapshot(); s.Failures != 1 {
		t.Fatal("failure dropped before 24h")
	}
	clock.Advance(dayBucket + 2)
	s := tr.Snapshot()
	if s.Failures != 0 || s.Total != 0 || s.ErrorBudgetRemaining != 1 {
		t.Fatalf("failure older than 24h + bucket still counted: %+v", s)
	}
	if s.Bad != 1 {
		t.Errorf("cumulative Bad = %d, want 1", s.Bad)
	}
}

// TestMonthReplay replays 35 days of traffic, one batch a minute, and checks
// the 30-day window against the counts it must hold.
func TestMonthReplay(t *testing.T) {
	clock := newFakeClock()
	tr := mustTracker(t, Objective{Name: "month", Target: 0.999}, WithClock(clock.Now))
	type minute struct{ good, bad uint64 }
	var history []minute
	rng := rand.New(rand.NewPCG(1, 2))
	for m := range 35 * 24 * 60 {
		// Diurnal traffic: 100 to 1000 events a minute, errors mostly at
		// noon and on day 20.
		hour := (m / 60) % 24
		n := uint64(100 + 900*math.Abs(math.Sin(float64(hour)*math.Pi/24)))
		bad := uint64(0)
		if hour == 12 || m/(24*60) == 20 {
			bad = uint64(rng.IntN(3))
		}
		tr.RecordN(n-bad, bad)
		history = append(history, minute{n - bad, bad})
		clock.Advance(time.Minute)
	}
	s := tr.Snapshot()
	// The window covers the last 30 days, plus at most one 1h bucket.
	var want, wantBad, extra uint64
	for _, m := range history[len(history)-30*24*60:] {
		want += m.good + m.bad
		wantBad += m.bad
	}
	for _, m := range history[len(history)-30*24*60-60 : len(history)-30*24*60] {
		extra += m.good + m.bad
	}
	if s.Total < want || s.Total > want+extra {
		t.Errorf("30d Total = %d, want %d (+ at most %d from one bucket)", s.Total, want, extra)
	}
	if s.Failures < wantBad {
		t.Errorf("30d Failures = %d, want at least %d", s.Failures, wantBad)
	}
	var allGood, allBad uint64
	for _, m := range history {
		allGood += m.good
		allBad += m.bad
	}
	if s.Good != allGood || s.Bad != allBad {
		t.Errorf("cumulative = %d/%d, want %d/%d", s.Good, s.Bad, allGood, allBad)
	}
	finite(t, s)
}

// observation is one event of the naive reference: a deque of every event.
type observation struct {
	at   int64
	good bool
}

// naiveCount counts the observations in (now - w, now].
func naiveCount(obs []observation, now int64, w time.Duration) (total, bad uint64) {
	for _, o := range obs {
		if o.at > now-int64(w) && o.at <= now {
			total++
			if !o.good {
				bad++
			}
		}
	}
	return total, bad
}

// TestAgainstNaiveReference records random event streams with random gaps
// and compares every window with a list of timestamped observations: a
// window of w must count every event of the last w and nothing older than
// w plus one bucket.
func TestAgainstNaiveReference(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 99))
		clock := newFakeClock()
		window := []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}[seed%4]
		tr := mustTracker(t, Objective{Name: "ref", Target: 0.99, Window: window}, WithClock(clock.Now))
		var obs []observation
		for step := range 3000 {
			// Gaps from nanoseconds to a fifth of the window, so bursts,
			// bucket edges and long idle stretches all occur.
			switch rng.IntN(4) {
			case 0:
				clock.Advance(time.Duration(rng.Int64N(int64(window / 5))))
			case 1:
				clock.Advance(time.Duration(rng.Int64N(int64(time.Minute))))
			default:
				clock.Advance(time.Duration(rng.Int64N(1000)))
			}
			good := rng.IntN(10) > 0
			tr.Record(good)
			obs = append(obs, observation{clock.Now().UnixNano(), good})
			if step%50 != 0 {
				continue
			}
			now := clock.Now().UnixNano()
			s := tr.Snapshot()
			check := func(name string, w time.Duration, total, bad uint64) {
				width := tr.ringFor(w).width
				minTotal, minBad := naiveCount(obs, now, w)
				maxTotal, maxBad := naiveCount(obs, now, w+time.Duration(width))
				if total < minTotal || total > maxTotal || bad < minBad || bad > maxBad {
					t.Fatalf("seed %d step %d %s %v: total %d bad %d, want total in [%d, %d], bad in [%d, %d]",
						seed, step, name, w, total, bad, minTotal, maxTotal, minBad, maxBad)
				}
			}
			check("window", window, s.Total, s.Failures)
			for _, b := range s.BurnRates {
				check("burn", b.Window, b.Total, b.Failures)
			}
			for _, tier := range s.Tiers {
				long, short := tr.ringFor(tier.LongWindow).sum, tr.ringFor(tier.ShortWindow).sum
				check("tier long", tier.LongWindow, tier.LongTotal, long.bad)
				check("tier short", tier.ShortWindow, tier.ShortTotal, short.bad)
			}
		}
	}
}

func TestMultiwindowTiers(t *testing.T) {
	clock := newFakeClock()
	tr := mustTracker(t, Objective{Name: "tiers", Target: 0.999}, WithClock(clock.Now))
	steady := func(d time.Duration, perMinute, badPerMinute uint64) {
		for range int(d / time.Minute) {
			tr.RecordN(perMinute-badPerMinute, badPerMinute)
			clock.Advance(time.Minute)
		}
	}
	firing := func() map[string]bool {
		m := map[string]bool{}
		for _, s := range tr.AlertStates() {
			if s.Firing {
				m[s.AlertTier.String()] = true
			}
		}
		return m
	}
	page1h := "page 1h0m0s/5m0s x14.4"
	page6h := "page 6h0m0s/30m0s x6"

	steady(4*24*time.Hour, 1000, 0)
	if f := firing(); len(f) != 0 {
		t.Fatalf("clean traffic fires %v", f)
	}
	// A hard outage: 100% errors. After 5 minutes the short window burns
	// at 1000 but the long window is at 5m/1h * 1000 = 83: both above 14.4.
	steady(5*time.Minute, 1000, 1000)
	if f := firing(); !f[page1h] {
		t.Fatalf("outage: firing %v, want the 1h page tier", f)
	}
	// Recovery: the short window clears after 5 minutes (plus a bucket)
	// and the tier resets although the long window still burns.
	steady(6*time.Minute, 1000, 0)
	states := tr.AlertStates()
	if states[0].Firing || states[0].LongBurnRate < 14.4 {
		t.Fatalf("after recovery: %+v, want long window still hot and tier reset", states[0])
	}

	// A slow burn at 8x: the 6h tier fires once both its windows reach 6,
	// the 1h tier (14.4) never does.
	steady(7*time.Hour, 1000, 8)
	if f := firing(); !f[page6h] || f[page1h] {
		t.Fatalf("8x burn: firing %v, want the 6h tier only", f)
	}
}

func TestMinEventsKeepsQuietServicesFromPaging(t *testing.T) {
	clock := newFakeClock()
	tr := mustTracker(t, Objective{Name: "quiet", Target: 0.999, MinEvents: 10}, WithClock(clock.Now))
	tr.RecordFailure() // one request, failed: burn 1000 everywhere
	if s := tr.AlertStates(); s[0].Firing {
		t.Fatalf("one failure in a quiet hour pages: %+v", s[0])
	}
	tr.RecordN(0, 9)
	if s := tr.AlertStates(); !s[0].Firing {
		t.Fatalf("10 failures do not page: %+v", s[0])
	}
}

func TestConcurrentRecordingAndSnapshots(t *testing.T) {
	for _, injected := range []bool{false, true} {
		var opts []Option
		clock := newFakeClock()
		if injected {
			opts = append(opts, WithClock(clock.Now))
		}
		tr := mustTracker(t, Objective{Name: "race", Target: 0.99, Window: time.Hour}, opts...)
		const workers, each = 8, 20000
		var wg sync.WaitGroup
		stop := make(chan struct{})
		go func() { // the clock runs and snapshots read while events pour in
			for {
				select {
				case <-stop:
					return
				default:
				}
				clock.Advance(time.Millisecond)
				finite(t, tr.Snapshot())
				runtime.Gosched()
			}
		}()
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					switch (i + w) % 4 {
					case 0:
						tr.RecordSuccess()
					case 1:
						tr.RecordFailure()
					case 2:
						tr.Record(i%2 == 0)
					default:
						tr.RecordN(2, 1)
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		s := tr.Snapshot()
		// Per worker: each/4 of each kind: 1 success, 1 failure, a half of
		// Record(true|false), and RecordN(2, 1).
		wantGood := uint64(workers*each/4*(1+2) + workers*each/8)
		wantBad := uint64(workers*each/4*(1+1) + workers*each/8)
		if s.Good != wantGood || s.Bad != wantBad {
			t.Errorf("injected=%v: cumulative %d/%d, want %d/%d", injected, s.Good, s.Bad, wantGood, wantBad)
		}
		if s.Total != wantGood+wantBad || s.Failures != wantBad {
			t.Errorf("injected=%v: window holds %d/%d, want %d/%d (clock moved %v)", injected, s.Total, s.Failures,
				wantGood+wantBad, wantBad, time.Duration(clock.Now().UnixNano()-newFakeClock().Now().UnixNano()))
		}
	}
}

func TestRealClock(t *testing.T) {
	tr := mustTracker(t, Objective{Name: "real", Target: 0.99, Window: time.Minute, Tiers: []AlertTier{},
		BurnRateWindows: []time.Duration{time.Second}})
	if tick := coarse.currentTick(); tick <= 0 || tick > time.Second/bucketsPerWindow/10+minTick {
		t.Errorf("coarse tick = %v, want at most a tenth of the finest bucket", tick)
	}
	tr.RecordN(9, 1)
	s := tr.Snapshot()
	if s.Total != 10 || s.BurnRates[0].Total != 10 {
		t.Fatalf("snapshot = %+v, want 10 events", s)
	}
	if d := time.Since(s.Time); d < -time.Second || d > time.Second {
		t.Errorf("snapshot time %v is %v from now", s.Time, d)
	}
	// A second later (plus a bucket and a tick) the 1s window has let go.
	time.Sleep(time.Second + time.Second/bucketsPerWindow + 2*maxTick)
	if s := tr.Snapshot(); s.BurnRates[0].Total != 0 || s.Total != 10 {
		t.Errorf("after 1s: 1s window %d events, minute %d; want 0 and 10", s.BurnRates[0].Total, s.Total)
	}
}

func TestClockGoingBackwardsLosesNothing(t *testing.T) {
	clock := newFakeClock()
	tr := mustTracker(t, Objective{Name: "back", Target: 0.99}, WithClock(clock.Now))
	tr.RecordN(5, 0)
	clock.Advance(-time.Hour)
	tr.RecordN(0, 5)
	s := tr.Snapshot()
	if s.Total != 10 || s.Failures != 5 {
		t.Errorf("after a backward step: %d/%d, want 10/5", s.Total, s.Failures)
	}
}

// TestClockStepBackFoldsFutureBuckets steps the clock an hour forward,
// records, then steps it back to the true time: the events dated in the
// future move to the bucket of the corrected time (none lost, none counted
// twice, none left dated in the future), and events recorded after the
// correction land in their own buckets, without a snapshot in between to
// notice the step.
func TestClockStepBackFoldsFutureBuckets(t *testing.T) {
	clock := newFakeClock()
	start := clock.Now()
	tr := mustTracker(t, Objective{Name: "stepped", Target: 0.99, Window: 24 * time.Hour,
		BurnRateWindows: []time.Duration{5 * time.Minute, time.Hour}, Tiers: []AlertTier{}}, WithClock(clock.Now))
	tr.RecordN(10, 0)
	clock.Advance(time.Hour) // the wall clock is stepped an hour ahead
	tr.RecordN(0, 5)
	for range 10 {
		clock.Advance(time.Minute)
		tr.RecordN(1, 0)
	}
	clock.Set(start.Add(10*time.Minute + time.Second)) // and corrected
	tr.RecordN(2, 0)
	clock.Advance(10 * time.Minute)
	tr.RecordN(3, 0)

	s := tr.Snapshot()
	if s.Total != 30 || s.Failures != 5 {
		t.Errorf("window holds %d/%d, want 30/5", s.Total, s.Failures)
	}
	if br := s.BurnRates[0]; br.Total != 3 {
		t.Errorf("5m window holds %d events, want the 3 of the last 5 minutes", br.Total)
	}
	if br := s.BurnRates[1]; br.Total != 20 || br.Failures != 5 {
		t.Errorf("1h window holds %d/%d, want 20/5", br.Total, br.Failures)
	}
	byStart := map[int64]Bucket{}
	for _, b := range tr.History() {
		byStart[b.Start.UnixNano()] = b
	}
	width := 24 * time.Hour / bucketsPerSLOWindow
	at := func(d time.Duration) Bucket { return byStart[start.Add(d).Truncate(width).UnixNano()] }
	if b := at(10 * time.Minute); b.Good != 12 || b.Bad != 5 {
		t.Errorf("the bucket of the correction holds %d/%d, want the 10+2 good and 5 bad dated after it", b.Good, b.Bad)
	}
	if b := at(20 * time.Minute); b.Good != 3 {
		t.Errorf("the bucket 10 minutes after the correction holds %d good, want 3", b.Good)
	}
	for _, w := range tr.State().Windows {
		for _, b := range w.Buckets {
			if b.Start.After(clock.Now()) {
				t.Errorf("window %v keeps a bucket dated %v, after now %v", w.Window, b.Start, clock.Now())
			}
		}
	}
}

func TestRecordDoesNotAllocate(t *testing.T) {
	for _, injected := range []bool{false, true} {
		var opts []Option
		if injected {
			opts = append(opts, WithClock(newFakeClock().Now))
		}
		tr := mustTracker(t, Objective{Name: "alloc", Target: 0.99}, opts...)
		allocs := testing.AllocsPerRun(1000, func() {
			tr.RecordSuccess()
			tr.RecordFailure()
			tr.Record(true)
			tr.RecordN(3, 1)
		})
		if allocs != 0 {
			t.Errorf("injected=%v: %v allocations per run, want 0", injected, allocs)
		}
	}
}

// TestMemoryIsBoundedAndConstant checks the footprint of trackers with the
// default windows and that it does not grow with events.
func TestMemoryIsBoundedAndConstant(t *testing.T) {
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	const n = 50
	before := heap()
	clock := newFakeClock()
	trackers := make([]*Tracker, n)
	for i := range trackers {
		trackers[i] = mustTracker(t, Objective{Name: "mem", Target: 0.999}, WithClock(clock.Now))
	}
	made := heap()
	per := (made - before) / n
	if per > 1<<20 {
		t.Errorf("a tracker with default windows takes %d bytes, want at most 1 MiB", per)
	}
	// A month of traffic, every minute.
	for range 30 * 24 * 60 {
		for _, tr := range trackers {
			tr.RecordN(1_000_000, 10)
		}
		clock.Advance(time.Minute)
	}
	after := heap()
	if after > made+made/10+64<<10 {
		t.Errorf("heap grew from %d to %d bytes recording a month", made, after)
	}
	t.Logf("%d bytes per tracker", per)
	runtime.KeepAlive(trackers)
}
