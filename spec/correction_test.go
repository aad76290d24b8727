package spec

import (
	"strings"
	"testing"
	"time"
)

const correctionsHead = `version: slo/v1
service: shop
slos:
- name: checkout
  objective: 99.9%
  sli: {in_process: {}}
  corrections:
`

func TestCorrectionsAreRead(t *testing.T) {
	f := load(t, correctionsHead+`  - start: 2026-12-05T02:00:00Z
    end: 2026-12-05T04:00:00+01:00
    reason: planned database migration
  - days: [saturday, Sun]
    at: "23:30"
    duration: 2h
    time_zone: Europe/Berlin
    reason: weekly maintenance
`)
	o := f.SLOs[0].Objective
	if len(o.Corrections) != 1 || len(o.WeeklyCorrections) != 1 {
		t.Fatalf("corrections %+v, weekly %+v", o.Corrections, o.WeeklyCorrections)
	}
	c := o.Corrections[0]
	if !c.Start.Equal(time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)) || !c.End.Equal(time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)) || c.Reason != "planned database migration" {
		t.Errorf("one-off correction %+v", c)
	}
	w := o.WeeklyCorrections[0]
	if len(w.Days) != 2 || w.Days[0] != time.Saturday || w.Days[1] != time.Sunday || w.Start != 23*time.Hour+30*time.Minute ||
		w.Duration != 2*time.Hour || w.Location == nil || w.Location.String() != "Europe/Berlin" || w.Reason != "weekly maintenance" {
		t.Errorf("weekly correction %+v", w)
	}
}

func TestCorrectionErrorsNameLineAndField(t *testing.T) {
	for _, tc := range []struct {
		name, items string
		want        Error // Problem holds a substring
	}{
		{"end before start", `  - start: 2026-12-05T04:00:00Z
    end: 2026-12-05T02:00:00Z
`, Error{Line: 9, Field: "slos[0].corrections[0].end", Problem: "is not after the start"}},
		{"not RFC 3339", `  - start: 2026-12-05 04:00
    end: 2026-12-05T05:00:00Z
`, Error{Line: 8, Field: "slos[0].corrections[0].start", Problem: "is not an RFC 3339 time"}},
		{"missing end", `  - start: 2026-12-05T04:00:00Z
`, Error{Line: 8, Field: "slos[0].corrections[0].end", Problem: "is missing"}},
		{"overlapping", `  - start: 2026-12-05T02:00:00Z
    end: 2026-12-05T04:00:00Z
  - reason: the second
    start: 2026-12-05T03:00:00Z
    end: 2026-12-05T05:00:00Z
`, Error{Line: 10, Field: "slos[0].corrections[1]", Problem: "overlaps Corrections[0]"}},
		{"longer than the window", `  - start: 2026-12-01T00:00:00Z
    end: 2027-01-05T00:00:00Z
`, Error{Line: 8, Field: "slos[0].corrections[0]", Problem: "longer than the SLO window"}},
		{"bad weekday", `  - days: [monday, funday]
    at: "02:00"
    duration: 1h
`, Error{Line: 8, Field: "slos[0].corrections[0].days[1]", Problem: `"funday" is not a weekday`}},
		{"bad time of day", `  - days: [mon]
    at: "25:00"
    duration: 1h
`, Error{Line: 9, Field: "slos[0].corrections[0].at", Problem: "is not a time of day"}},
		{"unknown zone", `  - days: [mon]
    at: "02:00"
    duration: 1h
    time_zone: Mars/Olympus
`, Error{Line: 11, Field: "slos[0].corrections[0].time_zone", Problem: "is not an IANA time zone"}},
		{"weekly longer than the window", `  - days: [mon]
    at: "02:00"
    duration: 31d
`, Error{Line: 10, Field: "slos[0].corrections[0].duration", Problem: "longer than the SLO window"}},
		{"mixed forms", `  - start: 2026-12-05T02:00:00Z
    end: 2026-12-05T04:00:00Z
    duration: 1h
`, Error{Line: 10, Field: "slos[0].corrections[0].duration", Problem: "belongs to a weekly correction"}},
		{"weekly overlapping a one-off", `  - start: 2026-12-07T01:00:00Z
    end: 2026-12-07T03:00:00Z
  - days: [mon]
    at: "02:00"
    duration: 1h
`, Error{Line: 10, Field: "slos[0].corrections[1]", Problem: "overlaps Corrections[0]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := problems(t, correctionsHead+tc.items)
			for _, e := range errs {
				if e.Line == tc.want.Line && e.Field == tc.want.Field && strings.Contains(e.Problem, tc.want.Problem) && e.SLO == "checkout" {
					return
				}
			}
			t.Errorf("errors %v; want line %d, field %s, problem with %q", errs, tc.want.Line, tc.want.Field, tc.want.Problem)
		})
	}
}
