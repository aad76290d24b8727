package promrules

import "github.com/slo-budget-tracker/slo/spec"

// FromSpec returns the rules' view of an SLO read from a spec file: its
// objective, service, labels, SLI query templates and alert metadata.
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
		Alerting: Alerting{
			Name:              s.Alerting.Name,
			Labels:            s.Alerting.Labels,
			Annotations:       s.Alerting.Annotations,
			PageLabels:        s.Alerting.PageLabels,
			PageAnnotations:   s.Alerting.PageAnnotations,
			TicketLabels:      s.Alerting.TicketLabels,
			TicketAnnotations: s.Alerting.TicketAnnotations,
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
