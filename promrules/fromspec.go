package promrules

import "github.com/slo-budget-tracker/slo/spec"

// FromSpec returns the rules' view of an SLO read from a spec file: its
// objective, service, labels and SLI query templates.
func FromSpec(s spec.SLO) SLO {
	out := SLO{
		Name:      s.Objective.Name,
		Service:   s.Service,
		Labels:    s.Labels,
		Objective: s.Objective,
		SLI: SLI{
			ErrorQuery:      s.SLI.ErrorQuery,
			GoodQuery:       s.SLI.GoodQuery,
			TotalQuery:      s.SLI.TotalQuery,
			ErrorRatioQuery: s.SLI.ErrorRatioQuery,
		},
	}
	// The grid takes increase() of the counters themselves when the spec
	// gave both as plain selectors.
	if s.SLI.ErrorSelector != "" && s.SLI.TotalSelector != "" {
		out.SLI.ErrorSelector = s.SLI.ErrorSelector
		out.SLI.TotalSelector = s.SLI.TotalSelector
	}
	return out
}
