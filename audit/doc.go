// Package audit posts the burn-rate and error-budget transitions of service
// level objectives to an audit-stream service, as governance events.
//
// A [Sink] delivers [Event]s: it queues them in a bounded queue and one
// goroutine posts them, so the code that enqueues never waits on the
// network. A [Watcher] evaluates the snapshots of a [slo.Registry] every
// interval and enqueues one event per transition:
//
//	slo_burn_started      an alert signal started firing
//	slo_recovered         it stayed clear for the hold-down period
//	slo_budget_exhausted  the error budget is spent
//	slo_budget_restored   it stayed unspent for the hold-down period
//
// The feature is optional: [NewFromEnv] returns a nil *Sink when
// AUDIT_STREAM_URL is unset; every method of a nil *Sink does nothing, and
// [Watcher.Run] on a nil sink returns at once.
//
// # Wire contract
//
// Each event is one request:
//
//	POST <AUDIT_STREAM_URL>/events
//	Authorization: Bearer <AUDIT_STREAM_TOKEN>     (when a token is set)
//	Content-Type: application/json
//	Idempotency-Key: <32 hex digits, the same on every retry of one event>
//
//	{"kind": "slo_burn_started", "source": "slo-budget-tracker",
//	 "timestamp": "2026-11-01T00:10:00.000Z",
//	 "payload": {"slo_name": "checkout", "window_seconds": 3600,
//	             "burn_rate": 16.7, "threshold": 14.4, "success_ratio": 0.983,
//	             "sample_count": 60000, "error_budget_remaining": 0.31,
//	             "severity": "page", "long_window": "1h", "short_window": "5m"}}
//
// Any 2xx answer is success. Network errors, timeouts, 408, 429 and 5xx are
// retried with exponential backoff and jitter (a Retry-After header is
// honoured); any other answer is final, counted as failed and logged once
// with the first 200 bytes of the server's message. The token never appears
// in logs, errors or metrics.
//
// # Edge triggering
//
// The Watcher keeps, per objective, one state per alert signal: per alert
// tier (when the objective has tiers, the default) or per burn-rate window
// (when its tier policy is disabled, as the Python package did), and one for the
// budget. A signal that starts firing emits its start event at the first
// check that sees it. Its end event is emitted only once the signal has
// stayed clear, at every check, for the hold-down period (5 minutes by
// default); if it fires again before that, nothing is sent and the episode
// goes on. So each signal sends at most one start and one end event per
// hold-down period, however fast it flaps.
package audit
