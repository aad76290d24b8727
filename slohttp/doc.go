// Package slohttp measures net/http services against their objectives and
// serves the objectives' state as JSON.
//
// # Middleware
//
// Middleware counts every request a handler serves as a good or bad event
// of an slo.Tracker:
//
//	availability, _ := reg.Define(slo.Objective{Name: "api", Target: 0.999})
//	http.ListenAndServe(addr, slohttp.Middleware(availability)(mux))
//
// By default a request is bad when the handler panics or answers 500 or
// more; a handler that never calls WriteHeader answers 200. A panic is
// recorded and raised again unchanged. WithClassifier changes the rule,
// WithLatency feeds a second, latency objective from the same requests,
// WithRoutes gives each route of an http.ServeMux a budget of its own: the
// member of an slo.Family labelled by the route's pattern, never by anything
// else the request carries; SkipRoutes leaves routes such as health checks
// out.
//
// What the edge cases count as:
//   - Abandoned (the client went away before the response began): counted
//     the moment the client leaves, even if the handler never returns. Slow
//     on the latency objective when it had run past the threshold; bad on
//     availability when it had run past the abandon timeout
//     (WithAbandonTimeout, 10s by default); not counted otherwise, since a
//     client that leaves early may just have changed its mind. A deadline
//     set outside the middleware (http.TimeoutHandler) that passes is bad.
//   - Streamed (Flush, server-sent events): timed to the first byte, never
//     for the length of the stream; a client that leaves a stream it has
//     begun to receive got a response, counted by its status so far.
//   - Hijacked or upgraded (a WebSocket): timed to the hijack, never for
//     the session; it counts as the status written before the hijack, or,
//     without one, 101 for a request that asked to upgrade and 200 for any
//     other.
//
// Package slogrpc follows the same policy for gRPC calls, with an option of
// the same name.
//
// # The JSON report
//
// SnapshotHandler serves a Report: an object whose "slos" array holds one
// object per objective, and per member of an slo.Family, sorted by name; a
// member carries its labels ("labels": {"route": "POST /checkout"}), an
// objective of its own has no "labels". The format is stable: fields may be
// added, none will be renamed, removed or change meaning. Durations are in
// seconds, ratios are fractions (0.999 is 99.9%), and no number is ever NaN
// or infinite.
//
//	{
//	  "slos": [
//	    {
//	      "name": "checkout",              objective name
//	      "target": 0.999,                 share of events that must be good
//	      "window_seconds": 2592000,       rolling window (30 days)
//	      "time": "2026-11-01T12:00:00Z",  when the snapshot was taken (RFC 3339)
//	      "total": 100000,                 events in the window
//	      "failures": 50,                  bad events in the window
//	      "success_ratio": 0.9995,         (total - failures) / total; 1 without events
//	      "error_budget_remaining": 0.5,   1 untouched, 0 spent, negative overspent
//	      "burn_rate": 0.5,                error ratio / (1 - target) over the window
//	      "breached": false,               success_ratio < target
//	      "is_budget_exhausted": false,    events were seen and the budget is spent
//	      "time_to_exhaustion_seconds": 1296000,
//	                                       remaining budget at the pace of the first
//	                                       burn-rate window; null when nothing burns
//	      "burn_rate_threshold": 14.4,     threshold for burn_rates
//	      "burn_rates": [                  one per burn-rate window
//	        {"window_seconds": 3600, "burn_rate": 1, "total": 5000, "failures": 5}
//	      ],
//	      "tiers": [                       multiwindow, multi-burn-rate alert tiers
//	        {"severity": "page", "long_window_seconds": 3600, "short_window_seconds": 300,
//	         "factor": 14.4, "long_burn_rate": 1, "short_burn_rate": 0,
//	         "long_total": 5000, "short_total": 400, "firing": false}
//	      ],
//	      "cumulative_good": 250000,       good events since the process started
//	      "cumulative_bad": 120            bad events since the process started
//	    }
//	  ]
//	}
//
// docs/json.md in the repository describes every field at length.
//
// SnapshotHandler and DashboardHandler read any slo.Source: the process's
// Registry, the Redis fleet of package store/redisstore, or another
// process's report through NewRemoteSource, which decodes the report back
// into snapshots (ParseReport) and takes a status other than 2xx, such as
// the 503 a handler answers when its own source fails, as an error.
//
// # The dashboard
//
// DashboardHandler serves a page with one card per objective, the worst
// budget first: the budget left, a burn-down chart drawn from the
// objective's buckets beside the on-schedule line, burn rates against the
// threshold, alert tiers, time to exhaustion and the success ratio against
// the target. Objectives of a fleet name their service and can be filtered
// by service and firing severity; one with no data yet says so; while the
// source cannot be read, a banner says why. A time-slice objective's chart
// counts its budget in slices. It refreshes itself (every two seconds;
// WithRefresh sets the interval), works offline (script and style are embedded) and sets every name as text,
// never as markup. WithActions adds buttons, such as the demo's fault
// injection.
package slohttp
