package spec

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo"
)

// A draft is an SLO being read, with where each objective field came from
// so that the objective's own validation errors point at the right line.
type draft struct {
	slo  SLO
	node *yaml.Node
	path string
	ok   bool
	locs map[string]location // slo.Objective field (e.g. "Target", "Tiers[0]") to its YAML
}

type location struct {
	field string
	line  int
}

func newDraft(n *yaml.Node, path string, format Format) *draft {
	return &draft{slo: SLO{Format: format, Line: n.Line}, node: n, path: path, ok: true, locs: map[string]location{}}
}

func (dr *draft) at(goField string, n *yaml.Node, field string) {
	if n != nil {
		dr.locs[goField] = location{field, n.Line}
	}
}

// finish validates the draft's objective and adds the SLO to file when it
// is sound.
func (d *decoder) finish(file *File, dr *draft) {
	if dr.slo.Objective.Name == "" || !dr.ok {
		return
	}
	if dr.slo.Objective.Window == 0 {
		dr.slo.Objective.Window = slo.DefaultWindow
		if !dr.slo.Objective.Calendar.IsZero() {
			dr.slo.Objective.Window = dr.slo.Objective.Calendar.Longest()
		}
	}
	err := dr.slo.Objective.Validate()
	var ve *slo.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			loc, found := dr.find(p.Field)
			problem := p.Problem
			if !found {
				loc = location{dr.path, dr.node.Line}
				problem = p.Field + ": " + problem
			}
			d.failAt(loc.line, loc.field, problem)
		}
		return
	} else if err != nil {
		d.failf(dr.node, dr.path, "%v", err)
		return
	}
	dr.slo.File = d.file
	file.SLOs = append(file.SLOs, dr.slo)
}

// find returns the location of an objective field, or of the nearest
// enclosing one (Tiers[1] for Tiers[1].Factor).
func (dr *draft) find(goField string) (location, bool) {
	for f := goField; f != ""; {
		if loc, ok := dr.locs[f]; ok {
			return loc, true
		}
		i := strings.LastIndexAny(f, ".[")
		if i <= 0 {
			break
		}
		f = f[:i]
	}
	return location{}, false
}

// ParsePercent parses a percentage like "99.9" (no % sign) into the ratio
// 0.999, exactly: the decimal is divided by 100 before rounding to a float,
// so 99.9 gives the float nearest 0.999, not 99.9/100.
func ParsePercent(s string) (float64, error) {
	s = strings.TrimSpace(s)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if len(s) <= 64 && !strings.ContainsAny(s, "eExXpP_") {
		if r, ok := new(big.Rat).SetString(s); ok {
			r.Quo(r, big.NewRat(100, 1))
			v, _ := r.Float64()
			return v, nil
		}
	}
	return f / 100, nil
}

// targetFromPercent checks a percentage objective and returns the target.
func (d *decoder) targetFromPercent(n *yaml.Node, field, s string) (float64, bool) {
	t, err := ParsePercent(s)
	if err != nil {
		d.failf(n, field, "%v; give a percentage like 99.9", err)
		return 0, false
	}
	if t <= 0 || t >= 1 {
		d.failf(n, field, "%s%% is outside the allowed range: an objective is more than 0%% and less than 100%% (100%% leaves no error budget)", strings.TrimSpace(s))
		return 0, false
	}
	return t, true
}

// targetFromRatio checks a ratio objective.
func (d *decoder) targetFromRatio(n *yaml.Node, field string, t float64) (float64, bool) {
	if t <= 0 || t >= 1 {
		d.failf(n, field, "%v is outside the allowed range: a target ratio is more than 0 and less than 1 (1 leaves no error budget)", t)
		return 0, false
	}
	return t, true
}

// severityTiers returns the default tiers of window without those of the
// disabled severities: non-nil, possibly empty.
func severityTiers(window time.Duration, disablePage, disableTicket bool) []slo.AlertTier {
	if window == 0 {
		window = slo.DefaultWindow
	}
	tiers := []slo.AlertTier{}
	for _, t := range slo.DefaultTiers(window) {
		if (t.Severity == slo.SeverityPage && disablePage) || (t.Severity == slo.SeverityTicket && disableTicket) {
			continue
		}
		tiers = append(tiers, t)
	}
	return tiers
}
