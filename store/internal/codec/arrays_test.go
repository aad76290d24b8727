package codec

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/store/internal/storetest"
)

// refDocument is document with the arrays of integers as encoding/json
// decodes them, the reference for int64s and uint64s.
type refDocument struct {
	Version     int          `json:"version"`
	Objective   string       `json:"objective"`
	Time        string       `json:"time"`
	Windows     []refWindow  `json:"windows"`
	Corrections []correction `json:"corrections"`
	Slices      *struct {
		Width    int64     `json:"width_ns"`
		Average  bool      `json:"average"`
		OpenK    int64     `json:"open_k"`
		OpenGood uint64    `json:"open_good"`
		OpenBad  uint64    `json:"open_bad"`
		K        []int64   `json:"k"`
		Ratio    []float64 `json:"ratio"`
	} `json:"slices"`
}

type refWindow struct {
	Window int64    `json:"window_ns"`
	Width  int64    `json:"width_ns"`
	K      []int64  `json:"k"`
	Good   []uint64 `json:"good"`
	Bad    []uint64 `json:"bad"`
}

// sameAsEncodingJSON fails the test when data decodes differently into
// document than into its encoding/json reference: one fails and not the
// other, or the arrays of integers differ.
func sameAsEncodingJSON(t *testing.T, data []byte) {
	var doc document
	var ref refDocument
	err, refErr := json.Unmarshal(data, &doc), json.Unmarshal(data, &ref)
	if (err == nil) != (refErr == nil) {
		t.Fatalf("decoding %q: error %v, encoding/json's %v", data, err, refErr)
	}
	if err != nil {
		return
	}
	if len(doc.Windows) != len(ref.Windows) {
		t.Fatalf("decoding %q: %d windows, encoding/json %d", data, len(doc.Windows), len(ref.Windows))
	}
	for i, w := range doc.Windows {
		r := ref.Windows[i]
		if !reflect.DeepEqual([]int64(w.K), r.K) || !reflect.DeepEqual([]uint64(w.Good), r.Good) || !reflect.DeepEqual([]uint64(w.Bad), r.Bad) {
			t.Fatalf("decoding %q: window %d is %+v, encoding/json's %+v", data, i, w, r)
		}
	}
	if (doc.Slices == nil) != (ref.Slices == nil) || doc.Slices != nil && !reflect.DeepEqual([]int64(doc.Slices.K), ref.Slices.K) {
		t.Fatalf("decoding %q: slices %+v, encoding/json's %+v", data, doc.Slices, ref.Slices)
	}
}

func TestArraysDecodeAsEncodingJSONDoes(t *testing.T) {
	for _, data := range []string{
		`{"windows":[{"k":[1, -2 ,3],"good":[0,18446744073709551615],"bad":null}]}`,
		`{"windows":[{"k":[],"good":[ ],"bad":[7]}]}`,
		`{"windows":[{"k":[9223372036854775808]}]}`,
		`{"windows":[{"good":[-1]}]}`,
		`{"windows":[{"k":[1.5]}]}`,
		`{"windows":[{"k":[1e3]}]}`,
		`{"windows":[{"k":["1"]}]}`,
		`{"windows":[{"k":[[1]]}]}`,
		`{"windows":[{"k":{"a":1}}]}`,
		`{"windows":[{"k":-0}]}`,
		`{"windows":[{"k":[-0]}]}`,
		`{"slices":{"k":[5,-1]}}`,
		`{"slices":{"k":"x"}}`,
	} {
		sameAsEncodingJSON(t, []byte(data))
	}
}

// BenchmarkDecodeBusyState measures the decoding of the largest state an
// objective saves, as Load and every fleet read do: the codec's document,
// beside the same document decoded by encoding/json alone (the baseline).
func BenchmarkDecodeBusyState(b *testing.B) {
	data, err := Marshal(storetest.BusyState(b, "objective", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decoder=codec", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var doc document
			if err := json.Unmarshal(data, &doc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decoder=encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var doc refDocument
			if err := json.Unmarshal(data, &doc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
