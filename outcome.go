package slo

import "time"

// DefaultAbandonTimeout is how long a request or call may run before its
// client gives up on it and it still spends error budget, unless an option
// of package slohttp or slogrpc (WithAbandonTimeout) says otherwise. A
// client that waited ten seconds without a byte of answer was failed,
// whoever hung up: ten seconds is longer than people wait for a page or an
// app, and shorter than the timeouts of the proxies that give up in their
// place and answer 504 (Envoy 15s, Google Cloud load balancers 30s, nginx
// and AWS load balancers 60s). A client that leaves sooner may simply have
// changed its mind, and a latency objective already counts its request as
// slow.
const DefaultAbandonTimeout = 10 * time.Second

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
