package codec

import (
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

// FuzzUnmarshal checks that no input makes Unmarshal panic, and that what
// it accepts encodes back to a document that decodes to the same state.
func FuzzUnmarshal(f *testing.F) {
	data, err := Marshal(trackerState(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"version":1,"objective":"a","time":"2026-01-01T00:00:00Z","windows":[{"window_ns":10,"width_ns":1,"k":[3,-1],"good":[1,2],"bad":[0,5]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
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
	})
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
