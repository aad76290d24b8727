package slo

// An Outcome is what one event means for an objective: good, bad (it spends
// error budget), or no event of the objective at all. The classifiers of
// packages slohttp and slogrpc return one.
type Outcome uint8

// The outcomes of an event.
const (
	// Good is a good event.
	Good Outcome = iota
	// Bad is a bad event: one that spends error budget.
	Bad
	// Ignore is no event: it is not counted. Any value other than Good or
	// Bad means the same.
	Ignore
)

// String returns "good", "bad" or "ignore".
func (o Outcome) String() string {
	switch o {
	case Good:
		return "good"
	case Bad:
		return "bad"
	default:
		return "ignore"
	}
}
