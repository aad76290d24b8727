package codec

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
)

// trackerState records three days of events into a real tracker and returns
// its state.
func trackerState(t testing.TB) *slo.State {
	t.Helper()
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	tr, err := slo.NewTracker(slo.Objective{Name: "checkout/ü ..", Target: 0.999},
		slo.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 * 24 * 60 {
		tr.RecordN(uint64(100+i%7), uint64(i%3))
		now = now.Add(time.Minute)
	}
	return tr.State()
}

func TestRoundTripKeepsEveryBucket(t *testing.T) {
	st := trackerState(t)
	data, err := Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, st) {
		t.Fatalf("round trip changed the state:\n got %+v\nwant %+v", got, st)
	}
	var buckets int
	for _, w := range st.Windows {
		buckets += len(w.Buckets)
	}
	t.Logf("%d windows, %d buckets: %d bytes (%.1f per bucket)", len(st.Windows), buckets, len(data), float64(len(data))/float64(buckets))
}

func TestRoundTripOfExtremeCounts(t *testing.T) {
	width := time.Hour
	st := &slo.State{Objective: "x", Time: time.Unix(0, 0).UTC(), Windows: []slo.WindowState{{
		Window: 24 * time.Hour, BucketWidth: width,
		Buckets: []slo.Bucket{
			{Start: time.Unix(-7200, 0).UTC(), Good: ^uint64(0), Bad: 1},
			{Start: time.Unix(3600*1000, 0).UTC(), Good: 0, Bad: ^uint64(0)},
			{Start: time.Unix(3600*3, 0).UTC(), Good: 5},
		},
	}}}
	data, err := Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, st) {
		t.Fatalf("got %+v, want %+v", got, st)
	}
}

func TestMarshalRejectsStatesNoTrackerMakes(t *testing.T) {
	at := time.Unix(1e9, 0)
	tests := []struct {
		name  string
		state *slo.State
		want  string
	}{
		{"nil state", nil, "nil state"},
		{"no objective", &slo.State{}, "no objective name"},
		{"zero width", &slo.State{Objective: "a", Windows: []slo.WindowState{{Window: time.Hour}}}, "must be positive"},
		{"unaligned bucket", &slo.State{Objective: "a", Windows: []slo.WindowState{{Window: time.Hour, BucketWidth: time.Minute,
			Buckets: []slo.Bucket{{Start: at.Add(time.Second), Good: 1}}}}}, "not a multiple of its width"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Marshal(tt.state)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Marshal error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestUnmarshalNamesTheProblem(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"empty", ``, "not a state document"},
		{"truncated", `{"version":1,"objective":"a","ti`, "not a state document"},
		{"trailing data", `{"version":1,"objective":"a","time":"2026-01-01T00:00:00Z"} {}`, "data after the JSON object"},
		{"no version", `{"objective":"a"}`, "no version field"},
		{"future version", `{"version":2,"objective":"a"}`, "unsupported version 2"},
		{"no objective", `{"version":1}`, "no objective name"},
		{"bad time", `{"version":1,"objective":"a","time":"yesterday"}`, "field time"},
		{"negative count", `{"version":1,"objective":"a","time":"2026-01-01T00:00:00Z","windows":[{"window_ns":10,"width_ns":1,"k":[1],"good":[-1],"bad":[0]}]}`, "not a state document"},
		{"zero width", `{"version":1,"objective":"a","time":"2026-01-01T00:00:00Z","windows":[{"window_ns":10,"width_ns":0}]}`, "windows[0]: window_ns 10 and width_ns 0 must be positive"},
		{"ragged arrays", `{"version":1,"objective":"a","time":"2026-01-01T00:00:00Z","windows":[{"window_ns":10,"width_ns":1,"k":[1,1],"good":[1],"bad":[0,0]}]}`, "k, good and bad have 2, 1 and 2 entries"},
		{"bucket out of range", `{"version":1,"objective":"a","time":"2026-01-01T00:00:00Z","windows":[{"window_ns":10,"width_ns":1000,"k":[9223372036854776],"good":[1],"bad":[0]}]}`, "out of the time range"},
		{"overflowing delta", `{"version":1,"objective":"a","time":"2026-01-01T00:00:00Z","windows":[{"window_ns":10,"width_ns":1,"k":[9223372036854775807,1],"good":[1,1],"bad":[0,0]}]}`, "windows[0].k[1]: bucket number 9223372036854775807 + 1 overflows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Unmarshal([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Unmarshal(%s) error %v, want one containing %q", tt.data, err, tt.want)
			}
		})
	}
}

// FuzzUnmarshal checks that no input makes Unmarshal panic, that its
// arrays of integers decode as encoding/json decodes them, and that what
// it accepts (buckets, corrections and slices) encodes back to a document that decodes to the same state.
func FuzzUnmarshal(f *testing.F) {
	data, err := Marshal(trackerState(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	for _, average := range []bool{false, true} {
		data, err := Marshal(extrasState(f, average))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"version":1,"objective":"a","time":"2026-01-01T00:00:00Z","windows":[{"window_ns":10,"width_ns":1,"k":[3,-1],"good":[1,2],"bad":[0,5]}]}`))
	f.Add([]byte(`{"version":1,"objective":"a","time":"2026-01-01T00:00:00Z","windows":[{"window_ns":7200000000000,"width_ns":10000000000,"k":[],"good":[],"bad":[]}],` +
		`"corrections":[{"start":"2026-01-01T00:00:00Z","end":"2026-01-01T01:00:00Z","reason":"r"}],` +
		`"slices":{"width_ns":60000000000,"average":true,"open_k":29453760,"open_good":3,"open_bad":1,"k":[29453700,5],"ratio":[0.25,1]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsEncodingJSON(t, data)
		st, err := Unmarshal(data)
		if err != nil {
			return
		}
		again, err := Marshal(st)
		if err != nil {
			t.Fatalf("a decoded state does not encode: %v", err)
		}
		st2, err := Unmarshal(again)
		if err != nil {
			t.Fatalf("a re-encoded state does not decode: %v", err)
		}
		if !reflect.DeepEqual(st, st2) {
			t.Fatalf("re-encoding changed the state:\n%+v\n%+v", st, st2)
		}
		restoreAnywhere(t, st)
	})
}

// restoreAnywhere restores a decoded state into trackers over events and
// over time slices of both kinds, at a time inside and far from the
// state's: no state the codec accepts makes Restore panic or a snapshot
// hold NaN or Inf.
func restoreAnywhere(t *testing.T, st *slo.State) {
	for _, slices := range []slo.TimeSlices{{}, {Window: time.Minute, Target: 0.95}, {Window: time.Minute, Average: true}} {
		for _, at := range []time.Time{st.Time, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} {
			o := slo.Objective{Name: st.Objective, Target: 0.99, Window: time.Hour, Slices: slices}
			tr, err := slo.NewTracker(o, slo.WithClock(func() time.Time { return at }))
			if err != nil {
				return // not a name an objective may have
			}
			if err := tr.Restore(st); err != nil {
				t.Fatalf("restoring a decoded state: %v", err)
			}
			s := tr.Snapshot()
			for _, v := range []float64{s.SuccessRatio, s.ErrorBudgetRemaining, s.BurnRate, s.GoodSlices} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("snapshot after restore holds %v: %+v", v, s)
				}
			}
		}
	}
}

func BenchmarkMarshal(b *testing.B) {
	st := trackerState(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(st); err != nil {
			b.Fatal(err)
		}
	}
}

// extrasState returns the state of a real time-slice tracker with bad
// slices, an open slice and corrections added at run time; average makes
// its slices count their error ratios.
func extrasState(t testing.TB, average bool) *slo.State {
	t.Helper()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	o := slo.Objective{Name: "slices ü", Target: 0.9, Window: 24 * time.Hour, Slices: slo.TimeSlices{Window: time.Minute, Target: 0.95}}
	if average {
		o.Slices = slo.TimeSlices{Window: time.Minute, Average: true}
	}
	tr, err := slo.NewTracker(o, slo.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 600 {
		now = t0.Add(time.Duration(i)*time.Minute + time.Second)
		tr.RecordN(100, uint64(i%13))
	}
	zone := time.FixedZone("UTC+2", 2*3600)
	for _, c := range []slo.Correction{
		{Start: t0.Add(time.Hour).In(zone), End: t0.Add(2 * time.Hour).In(zone), Reason: `a "quoted" reason`},
		{Start: t0.Add(7 * time.Hour), End: t0.Add(9 * time.Hour)},
	} {
		if err := tr.AddCorrection(c); err != nil {
			t.Fatal(err)
		}
	}
	return tr.State()
}

func TestRoundTripKeepsCorrectionsAndSlices(t *testing.T) {
	for _, average := range []bool{false, true} {
		st := extrasState(t, average)
		if len(st.Corrections) != 2 || st.Slices == nil || len(st.Slices.Spent) == 0 || st.Slices.Open.Bad == 0 {
			t.Fatalf("the test state lacks corrections or slices: %+v", st)
		}
		data, err := Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Unmarshal(data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Corrections, st.Corrections) || !reflect.DeepEqual(got.Slices, st.Slices) || !reflect.DeepEqual(got, st) {
			t.Fatalf("average %v: round trip changed the state:\n got %+v %+v\nwant %+v %+v", average, got.Corrections, got.Slices, st.Corrections, st.Slices)
		}
		t.Logf("average %v: %d spent slices: %d bytes", average, len(st.Slices.Spent), len(data))
	}
}

// A state saved before states held corrections and slices still loads.
func TestUnmarshalReadsAStateWithoutCorrectionsOrSlices(t *testing.T) {
	st, err := Unmarshal([]byte(`{"version":1,"objective":"checkout","time":"2026-11-22T02:00:00.5Z",` +
		`"windows":[{"window_ns":300000000000,"width_ns":2500000000,"k":[712233440,1,1,2],"good":[120,98,101,7],"bad":[0,1,0,0]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if st.Corrections != nil || st.Slices != nil || len(st.Windows[0].Buckets) != 4 {
		t.Errorf("decoded %+v", st)
	}
}

func TestUnmarshalRefusesImpossibleCorrectionsAndSlices(t *testing.T) {
	const head = `{"version":1,"objective":"a","time":"2026-01-01T00:00:00Z","windows":[{"window_ns":86400000000000,"width_ns":120000000000,"k":[],"good":[],"bad":[]}]`
	tests := []struct {
		name, data, want string
	}{
		{"correction time", head + `,"corrections":[{"start":"now","end":"2026-01-01T00:00:00Z"}]}`, "corrections[0].start"},
		{"correction backwards", head + `,"corrections":[{"start":"2026-01-01T01:00:00Z","end":"2026-01-01T00:00:00Z"}]}`, "Corrections[0].End"},
		{"corrections overlap", head + `,"corrections":[{"start":"2026-01-01T00:00:00Z","end":"2026-01-01T02:00:00Z"},{"start":"2026-01-01T01:00:00Z","end":"2026-01-01T03:00:00Z"}]}`, "overlaps"},
		{"correction too long", head + `,"corrections":[{"start":"2026-01-01T00:00:00Z","end":"2026-01-03T00:00:00Z"}]}`, "longer than the SLO window"},
		{"slice width", head + `,"slices":{"width_ns":0,"open_k":1}}`, "Slices.Width"},
		{"ragged slices", head + `,"slices":{"width_ns":60000000000,"average":true,"open_k":100,"k":[1,2],"ratio":[0.5]}}`, "k and ratio have 2 and 1 entries"},
		{"ratio of a verdict", head + `,"slices":{"width_ns":60000000000,"open_k":100,"k":[1],"ratio":[0.5]}}`, "ratio is for averaged slices"},
		{"slice after the open one", head + `,"slices":{"width_ns":60000000000,"open_k":100,"k":[100]}}`, "Slices.Spent[0]"},
		{"slices out of order", head + `,"slices":{"width_ns":60000000000,"open_k":100,"k":[50,-1]}}`, "Slices.Spent[1]"},
		{"slice out of range", head + `,"slices":{"width_ns":60000000000,"open_k":9223372036854775807}}`, "out of the time range"},
		{"slice delta overflows", head + `,"slices":{"width_ns":60000000000,"open_k":100,"k":[100,9223372036854775807]}}`, "overflows"},
		{"ratio above 1", head + `,"slices":{"width_ns":60000000000,"average":true,"open_k":100,"k":[1],"ratio":[1.5]}}`, "Slices.Spent[0].Ratio"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Unmarshal([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Unmarshal(%s) error %v, want one containing %q", tt.data, err, tt.want)
			}
		})
	}
}

func BenchmarkMarshalSlices(b *testing.B) {
	st := extrasState(b, false)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(st); err != nil {
			b.Fatal(err)
		}
	}
}
