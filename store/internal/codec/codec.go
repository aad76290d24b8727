// Package codec encodes a tracker's [slo.State] for the stores: a versioned,
// compact JSON document that store/filestore writes to a file and
// store/redisstore writes to a Redis hash field.
//
// Version 1 looks like this (one object per window of the state):
//
//	{"version":1,"objective":"checkout","time":"2026-11-22T02:00:00.5Z",
//	 "windows":[{"window_ns":300000000000,"width_ns":2500000000,
//	             "k":[712233440,1,1,2],"good":[120,98,101,7],"bad":[0,1,0,0]}]}
//
// A window's buckets are kept as three parallel arrays: k holds the bucket
// numbers (a bucket starts at k*width_ns nanoseconds after the Unix epoch),
// the first absolute and each next one as the difference from the one
// before, so a full ring costs a few bytes per bucket; good and bad hold the
// counts. A tracker's buckets are aligned to the epoch, so this is exact.
package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/slo-budget-tracker/slo"
)

// Version is the format version Marshal writes.
const Version = 1

// document is the JSON form of a state.
type document struct {
	Version   int      `json:"version"`
	Objective string   `json:"objective"`
	Time      string   `json:"time"`
	Windows   []window `json:"windows"`
}

type window struct {
	Window int64    `json:"window_ns"`
	Width  int64    `json:"width_ns"`
	K      []int64  `json:"k"`
	Good   []uint64 `json:"good"`
	Bad    []uint64 `json:"bad"`
}

// Marshal encodes st. It fails on a state no tracker makes: no objective
// name, a window or bucket width that is not positive, or a bucket whose
// start is not a multiple of its width.
//
// It writes the JSON by hand: a state is saved every flush interval, and
// this is several times faster than encoding/json.
func Marshal(st *slo.State) ([]byte, error) {
	if st == nil {
		return nil, errors.New("codec: nil state")
	}
	if st.Objective == "" {
		return nil, errors.New("codec: the state has no objective name")
	}
	name, err := json.Marshal(st.Objective)
	if err != nil {
		return nil, fmt.Errorf("codec: objective name: %w", err)
	}
	n := 0
	for _, ws := range st.Windows {
		n += len(ws.Buckets)
	}
	b := make([]byte, 0, 128+len(name)+len(st.Windows)*64+n*16)
	b = append(b, `{"version":`...)
	b = strconv.AppendInt(b, Version, 10)
	b = append(b, `,"objective":`...)
	b = append(b, name...)
	b = append(b, `,"time":"`...)
	b = st.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","windows":[`...)
	for i, ws := range st.Windows {
		if ws.Window <= 0 || ws.BucketWidth <= 0 {
			return nil, fmt.Errorf("codec: %q window %d: window %v and bucket width %v must be positive",
				st.Objective, i, ws.Window, ws.BucketWidth)
		}
		if i > 0 {
			b = append(b, ',')
		}
		width := int64(ws.BucketWidth)
		b = append(b, `{"window_ns":`...)
		b = strconv.AppendInt(b, int64(ws.Window), 10)
		b = append(b, `,"width_ns":`...)
		b = strconv.AppendInt(b, width, 10)
		b = append(b, `,"k":[`...)
		var prev int64
		for j, bk := range ws.Buckets {
			start := bk.Start.UnixNano()
			if start%width != 0 {
				return nil, fmt.Errorf("codec: %q window %v: bucket %d starts at %v, not a multiple of its width %v",
					st.Objective, ws.Window, j, bk.Start, ws.BucketWidth)
			}
			k := start / width
			d := k
			if j > 0 {
				b = append(b, ',')
				var ok bool
				if d, ok = sub(k, prev); !ok {
					return nil, fmt.Errorf("codec: %q window %v: bucket %d is too far from the one before", st.Objective, ws.Window, j)
				}
			}
			b = strconv.AppendInt(b, d, 10)
			prev = k
		}
		b = append(b, `],"good":[`...)
		for j, bk := range ws.Buckets {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendUint(b, bk.Good, 10)
		}
		b = append(b, `],"bad":[`...)
		for j, bk := range ws.Buckets {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendUint(b, bk.Bad, 10)
		}
		b = append(b, "]}"...)
	}
	b = append(b, "]}"...)
	return b, nil
}

// Unmarshal decodes a state that Marshal encoded. Its errors say what is
// wrong and where; it never panics.
func Unmarshal(data []byte) (*slo.State, error) {
	var doc document
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("codec: not a state document: %w", err)
	}
	if dec.More() {
		return nil, errors.New("codec: not a state document: data after the JSON object")
	}
	switch {
	case doc.Version == 0:
		return nil, errors.New("codec: no version field")
	case doc.Version != Version:
		return nil, fmt.Errorf("codec: unsupported version %d (this program reads version %d)", doc.Version, Version)
	case doc.Objective == "":
		return nil, errors.New("codec: no objective name")
	}
	at, err := time.Parse(time.RFC3339Nano, doc.Time)
	if err != nil {
		return nil, fmt.Errorf("codec: %q: field time: %w", doc.Objective, err)
	}
	st := &slo.State{Objective: doc.Objective, Time: at.UTC(), Windows: make([]slo.WindowState, len(doc.Windows))}
	for i, w := range doc.Windows {
		if w.Window <= 0 || w.Width <= 0 {
			return nil, fmt.Errorf("codec: %q: windows[%d]: window_ns %d and width_ns %d must be positive",
				doc.Objective, i, w.Window, w.Width)
		}
		if len(w.K) != len(w.Good) || len(w.K) != len(w.Bad) {
			return nil, fmt.Errorf("codec: %q: windows[%d]: k, good and bad have %d, %d and %d entries; they must have as many",
				doc.Objective, i, len(w.K), len(w.Good), len(w.Bad))
		}
		ws := slo.WindowState{
			Window:      time.Duration(w.Window),
			BucketWidth: time.Duration(w.Width),
			Buckets:     make([]slo.Bucket, len(w.K)),
		}
		var k int64
		for j, d := range w.K {
			if j == 0 {
				k = d
			} else if k, err = addChecked(k, d); err != nil {
				return nil, fmt.Errorf("codec: %q: windows[%d].k[%d]: %w", doc.Objective, i, j, err)
			}
			if k > math.MaxInt64/w.Width || k < math.MinInt64/w.Width {
				return nil, fmt.Errorf("codec: %q: windows[%d].k[%d]: bucket %d of width %dns is out of the time range",
					doc.Objective, i, j, k, w.Width)
			}
			ws.Buckets[j] = slo.Bucket{Start: time.Unix(0, k*w.Width).UTC(), Good: w.Good[j], Bad: w.Bad[j]}
		}
		st.Windows[i] = ws
	}
	return st, nil
}

func sub(a, b int64) (int64, bool) {
	d := a - b
	return d, (d < a) == (b > 0)
}

func addChecked(a, b int64) (int64, error) {
	s := a + b
	if (s > a) != (b > 0) {
		return 0, fmt.Errorf("bucket number %d + %d overflows", a, b)
	}
	return s, nil
}
