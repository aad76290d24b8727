package slohttp

import (
	"time"

	"github.com/slo-budget-tracker/slo"
)

// A Correction is the JSON form of an slo.CorrectionPeriod: a period whose
// events the snapshot leaves out.
type Correction struct {
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Reason    string    `json:"reason"`
	Recurring bool      `json:"recurring"`
	Active    bool      `json:"active"`
}

// newCorrections returns the JSON form of ps; nil (the field left out)
// when there is none.
func newCorrections(ps []slo.CorrectionPeriod) []Correction {
	if len(ps) == 0 {
		return nil
	}
	out := make([]Correction, len(ps))
	for i, p := range ps {
		out[i] = Correction{Start: p.Start.UTC(), End: p.End.UTC(), Reason: p.Reason, Recurring: p.Recurring, Active: p.Active}
	}
	return out
}
