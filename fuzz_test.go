package slo

import (
	"math"
	"testing"
	"time"
)

// FuzzTracker builds objectives from arbitrary numbers and records arbitrary
// event streams: NewTracker either rejects the objective or returns a tracker
// whose snapshots never hold NaN or Inf and never lose an event.
func FuzzTracker(f *testing.F) {
	f.Add(0.999, int64(30*24*time.Hour), 14.4, int64(time.Hour), uint64(10), uint64(1), int64(time.Minute), uint8(20))
	f.Add(0.5, int64(time.Minute), 1e-300, int64(time.Second), uint64(math.MaxUint64/4), uint64(math.MaxUint64/4), int64(-time.Hour), uint8(3))
	f.Add(1e-9, int64(400*24*time.Hour), 1e300, int64(100*time.Millisecond), uint64(0), uint64(0), int64(0), uint8(255))
	f.Fuzz(func(t *testing.T, target float64, window int64, threshold float64, burn int64, good, bad uint64, step int64, n uint8) {
		o := Objective{Name: "fuzz", Target: target, Window: time.Duration(window), BurnRateThreshold: threshold,
			BurnRateWindows: []time.Duration{time.Duration(burn)}}
		clock := newFakeClock()
		tr, err := NewTracker(o, WithClock(clock.Now))
		if err != nil {
			return
		}
		var sumGood, sumBad uint64
		for range n {
			// Keep the totals from wrapping: the counters are uint64.
			g, b := good>>8, bad>>8
			tr.RecordN(g, b)
			sumGood, sumBad = sumGood+g, sumBad+b
			clock.Advance(time.Duration(step))
			finite(t, tr.Snapshot())
		}
		if s := tr.Snapshot(); s.Good != sumGood || s.Bad != sumBad {
			t.Fatalf("cumulative %d/%d, want %d/%d", s.Good, s.Bad, sumGood, sumBad)
		}
	})
}

// FuzzMemberKey checks that member keys round-trip through ParseMemberKey
// for any label values, that two label sets never share a key, and that no
// input makes ParseMemberKey panic.
func FuzzMemberKey(f *testing.F) {
	f.Add("api", "/pay", "acme", "api\x1froute=/a")
	f.Add("x", "%1F", "\x1f=%", "x\x1fa=%")
	f.Add("n", "", "A", "n\x1fa=%25%1F\x1fb=")
	f.Fuzz(func(t *testing.T, name, a, b, raw string) {
		_, _, _ = ParseMemberKey(raw)
		labels := map[string]string{"route": a, "tenant": b}
		key := MemberKey(name, labels)
		gotName, got, err := ParseMemberKey(key)
		if validName(name) == "" && (err != nil || gotName != name || len(got) != 2 || got["route"] != a || got["tenant"] != b) {
			t.Fatalf("ParseMemberKey(%q) = %q, %v, %v; want %q, %v", key, gotName, got, err, name, labels)
		}
		if other := MemberKey(name, map[string]string{"route": a + b, "tenant": ""}); b != "" && other == key {
			t.Fatalf("%v and route=%q share the key %q", labels, a+b, key)
		}
	})
}
