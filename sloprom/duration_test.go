package sloprom

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

func TestFormatDurationUsesTheLargestUnitThatDivides(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{500 * time.Microsecond, "0s"},
		{time.Millisecond, "1ms"},
		{100 * time.Millisecond, "100ms"},
		{1500 * time.Millisecond, "1500ms"},
		{1500*time.Millisecond + 999*time.Microsecond, "1500ms"},
		{time.Second, "1s"},
		{70 * time.Second, "70s"},
		{5 * time.Minute, "5m"},
		{30 * time.Minute, "30m"},
		{time.Hour, "1h"},
		{90 * time.Minute, "90m"},
		{6 * time.Hour, "6h"},
		{24 * time.Hour, "1d"},
		{3 * 24 * time.Hour, "3d"},
		{7 * 24 * time.Hour, "7d"},
		{30 * 24 * time.Hour, "30d"},
		{16*time.Hour + 48*time.Minute, "1008m"},
		{24*time.Hour + time.Millisecond, "86400001ms"},
		{-5 * time.Minute, "-5m"},
	}
	for _, tt := range tests {
		if got := FormatDuration(tt.d); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// What FormatDuration prints is one number and one unit, parses back to the
// same duration (to the millisecond) with Prometheus's parser, and no
// larger unit would do.
func FuzzFormatDuration(f *testing.F) {
	for _, d := range []time.Duration{0, time.Millisecond, 70 * time.Second, time.Hour + 30*time.Minute,
		7 * 24 * time.Hour, 365 * 24 * time.Hour, 1<<63 - 1} {
		f.Add(int64(d))
	}
	units := []struct {
		name string
		size time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}}
	f.Fuzz(func(t *testing.T, n int64) {
		d := time.Duration(n)
		if d < 0 {
			return // Prometheus durations are never negative
		}
		got := FormatDuration(d)
		back, err := model.ParseDuration(got)
		if err != nil {
			t.Fatalf("FormatDuration(%v) = %q does not parse: %v", d, got, err)
		}
		want := d.Truncate(time.Millisecond)
		if time.Duration(back) != want {
			t.Fatalf("FormatDuration(%v) = %q parses back as %v, want %v", d, got, time.Duration(back), want)
		}
		if want == 0 {
			return
		}
		for _, u := range units {
			if want%u.size == 0 {
				if !strings.HasSuffix(got, u.name) || strings.TrimRight(got[:len(got)-len(u.name)], "0123456789") != "" {
					t.Fatalf("FormatDuration(%v) = %q, want a whole number of %s", d, got, u.name)
				}
				return
			}
		}
	})
}
