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
//
// Two optional fields follow the windows when the state has them: the
// corrections added at run time, and a time-slice objective's slices:
//
//	"corrections":[{"start":"2026-11-22T01:00:00Z","end":"2026-11-22T01:30:00Z","reason":"upstream"}],
//	"slices":{"width_ns":60000000000,"open_k":29445120,"open_good":812,"open_bad":3,
//	          "k":[29445007,2,40]}
//
// The slices hold the open slice (its number, open_k, and its events so far)
// and the decided slices of the window that spent budget, their numbers in k
// as the buckets' are; a slice starts at k*width_ns. With "average":true
// (slices averaging their error ratios) a parallel array "ratio" holds each
// slice's error ratio; without, each listed slice is a bad one. A state
// without these fields, as saved before they existed, decodes to a state
// without corrections or slices: the format stays version 1.
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

	Corrections []correction `json:"corrections"`
	Slices      *sliceDoc    `json:"slices"`
}

type correction struct {
	Start  string `json:"start"`
	End    string `json:"end"`
	Reason string `json:"reason"`
}

type sliceDoc struct {
	Width    int64     `json:"width_ns"`
	Average  bool      `json:"average"`
	OpenK    int64     `json:"open_k"`
	OpenGood uint64    `json:"open_good"`
	OpenBad  uint64    `json:"open_bad"`
	K        int64s    `json:"k"`
	Ratio    []float64 `json:"ratio"`
}

type window struct {
	Window int64   `json:"window_ns"`
	Width  int64   `json:"width_ns"`
	K      int64s  `json:"k"`
	Good   uint64s `json:"good"`
	Bad    uint64s `json:"bad"`
}

// int64s and uint64s are JSON arrays of integers decoded without
// reflection: a busy state holds thousands, and a fleet read decodes every
// instance's state. They accept what encoding/json accepts for []int64 and
// []uint64: integers in range, or null.
type (
	int64s  []int64
	uint64s []uint64
)

func (s *int64s) UnmarshalJSON(b []byte) (err error) {
	*s, err = parseArray(b, func(tok []byte) (int64, error) { return strconv.ParseInt(string(tok), 10, 64) })
	return err
}

func (s *uint64s) UnmarshalJSON(b []byte) (err error) {
	*s, err = parseArray(b, func(tok []byte) (uint64, error) { return strconv.ParseUint(string(tok), 10, 64) })
	return err
}

// parseArray parses b, a valid JSON value (the decoder has checked its
// syntax), as an array of numbers each parsed by parse; null is nil.
func parseArray[T any](b []byte, parse func([]byte) (T, error)) ([]T, error) {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil, nil
	}
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, fmt.Errorf("%.20q is not an array of integers", b)
	}
	b = bytes.TrimSpace(b[1 : len(b)-1])
	out := make([]T, 0, bytes.Count(b, []byte{','})+1)
	for len(b) > 0 {
		tok := b
		if i := bytes.IndexByte(b, ','); i >= 0 {
			tok, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		v, err := parse(bytes.TrimSpace(tok))
		if err != nil {
			return nil, fmt.Errorf("array of integers: %w", err)
		}
		out = append(out, v)
	}
	return out, nil
}

// Marshal encodes st. It fails on a state no tracker makes: no objective
// name, a window or bucket width that is not positive, a bucket whose
// start is not a multiple of its width, or corrections or slices that
// [slo.State.Validate] refuses.
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
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("codec: %w", err)
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
	b = append(b, ']')
	b, err = appendCorrections(b, st.Corrections)
	if err != nil {
		return nil, err
	}
	b = appendSlices(b, st.Slices)
	b = append(b, '}')
	return b, nil
}

// appendCorrections appends the "corrections" field, if there are any.
func appendCorrections(b []byte, cs []slo.Correction) ([]byte, error) {
	if len(cs) == 0 {
		return b, nil
	}
	b = append(b, `,"corrections":[`...)
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"start":"`...)
		b = c.Start.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","end":"`...)
		b = c.End.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
		if c.Reason != "" {
			reason, err := json.Marshal(c.Reason)
			if err != nil {
				return nil, fmt.Errorf("codec: corrections[%d].reason: %w", i, err)
			}
			b = append(b, `,"reason":`...)
			b = append(b, reason...)
		}
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

// appendSlices appends the "slices" field, if ss is not nil. ss has passed
// slo.State.Validate: its slices start on their grid, in order.
func appendSlices(b []byte, ss *slo.SliceState) []byte {
	if ss == nil {
		return b
	}
	width := int64(ss.Width)
	b = append(b, `,"slices":{"width_ns":`...)
	b = strconv.AppendInt(b, width, 10)
	if ss.Average {
		b = append(b, `,"average":true`...)
	}
	b = append(b, `,"open_k":`...)
	b = strconv.AppendInt(b, ss.Open.Start.UnixNano()/width, 10)
	b = append(b, `,"open_good":`...)
	b = strconv.AppendUint(b, ss.Open.Good, 10)
	b = append(b, `,"open_bad":`...)
	b = strconv.AppendUint(b, ss.Open.Bad, 10)
	b = append(b, `,"k":[`...)
	var prev int64
	for i, s := range ss.Spent {
		if i > 0 {
			b = append(b, ',')
		}
		k := s.Start.UnixNano() / width
		b = strconv.AppendInt(b, k-prev, 10) // in order, within the time range: no overflow
		prev = k
	}
	b = append(b, ']')
	if ss.Average {
		b = append(b, `,"ratio":[`...)
		for i, s := range ss.Spent {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, s.Ratio, 'g', -1, 64)
		}
		b = append(b, ']')
	}
	return append(b, '}')
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
	for i, c := range doc.Corrections {
		var corr slo.Correction
		if corr.Start, err = time.Parse(time.RFC3339Nano, c.Start); err != nil {
			return nil, fmt.Errorf("codec: %q: corrections[%d].start: %w", doc.Objective, i, err)
		}
		if corr.End, err = time.Parse(time.RFC3339Nano, c.End); err != nil {
			return nil, fmt.Errorf("codec: %q: corrections[%d].end: %w", doc.Objective, i, err)
		}
		corr.Start, corr.End, corr.Reason = corr.Start.UTC(), corr.End.UTC(), c.Reason
		st.Corrections = append(st.Corrections, corr)
	}
	if doc.Slices != nil {
		if st.Slices, err = decodeSlices(doc.Slices); err != nil {
			return nil, fmt.Errorf("codec: %q: slices: %w", doc.Objective, err)
		}
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("codec: %w", err)
	}
	return st, nil
}

// decodeSlices decodes the slices of a state; slo.State.Validate checks
// the rest.
func decodeSlices(d *sliceDoc) (*slo.SliceState, error) {
	if d.Width <= 0 {
		return &slo.SliceState{Width: time.Duration(d.Width)}, nil // Validate names the width
	}
	switch {
	case d.Average && len(d.Ratio) != len(d.K):
		return nil, fmt.Errorf("k and ratio have %d and %d entries; they must have as many", len(d.K), len(d.Ratio))
	case !d.Average && d.Ratio != nil:
		return nil, errors.New(`ratio is for averaged slices, and "average" is not set`)
	}
	start := func(k int64) (time.Time, error) {
		if k > math.MaxInt64/d.Width || k < math.MinInt64/d.Width {
			return time.Time{}, fmt.Errorf("slice %d of width %dns is out of the time range", k, d.Width)
		}
		return time.Unix(0, k*d.Width).UTC(), nil
	}
	open, err := start(d.OpenK)
	if err != nil {
		return nil, fmt.Errorf("open_k: %w", err)
	}
	ss := &slo.SliceState{Width: time.Duration(d.Width), Average: d.Average,
		Open: slo.Bucket{Start: open, Good: d.OpenGood, Bad: d.OpenBad}}
	if len(d.K) > 0 {
		ss.Spent = make([]slo.SpentSlice, len(d.K))
	}
	var k int64
	for i, delta := range d.K {
		if i == 0 {
			k = delta
		} else if k, err = addChecked(k, delta); err != nil {
			return nil, fmt.Errorf("k[%d]: %w", i, err)
		}
		at, err := start(k)
		if err != nil {
			return nil, fmt.Errorf("k[%d]: %w", i, err)
		}
		ss.Spent[i] = slo.SpentSlice{Start: at, Ratio: 1}
		if d.Average {
			ss.Spent[i].Ratio = d.Ratio[i]
		}
	}
	return ss, nil
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
