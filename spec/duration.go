package spec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

var durationUnits = map[string]time.Duration{
	"ms": time.Millisecond,
	"s":  time.Second,
	"m":  time.Minute,
	"h":  time.Hour,
	"d":  24 * time.Hour,
	"w":  7 * 24 * time.Hour,
}

// ParseDuration parses a duration as Prometheus writes them, with days and
// weeks: "30d", "1w", "1h30m", "250ms", "1.5h". Units are ms, s, m, h, d
// (24h) and w (7d); a month or a year is not a fixed duration and is not
// accepted. The result must be positive.
func ParseDuration(s string) (time.Duration, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration; write one like 30d, 7d, 1h or 5m")
	}
	if len(s) > 64 {
		return 0, fmt.Errorf("duration %.20q... is too long", s)
	}
	var total float64
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("%q is not a duration: want a number and a unit (ms, s, m, h, d, w), like 30d or 1h30m", orig)
		}
		num, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration: %q is not a number", orig, s[:i])
		}
		s = s[i:]
		j := 0
		for j < len(s) && (s[j] < '0' || s[j] > '9') && s[j] != '.' {
			j++
		}
		unit := s[:j]
		s = s[j:]
		mult, ok := durationUnits[unit]
		if !ok {
			switch unit {
			case "":
				return 0, fmt.Errorf("%q has no unit: write it like 30d, 1h or 5m (units: ms, s, m, h, d, w)", orig)
			case "M", "Q", "y", "Y", "mo":
				return 0, fmt.Errorf("%q: months, quarters and years are calendar periods, not supported; use days or weeks, like 30d or 4w", orig)
			}
			return 0, fmt.Errorf("%q: unknown unit %q; allowed: ms, s, m, h, d, w", orig, unit)
		}
		total += num * float64(mult)
	}
	if total > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is too long a duration", orig)
	}
	d := time.Duration(math.Round(total))
	if d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration", orig)
	}
	return d, nil
}
