package slohttp

import (
	"context"
	"net/http"
	"time"

	"github.com/felixge/httpsnoop"

	"github.com/slo-budget-tracker/slo"
)

// An Outcome is what one request means for an objective. It is slo.Outcome,
// shared with package slogrpc.
type Outcome = slo.Outcome

// The outcomes a Classifier may return. A Classifier returning any other
// value ignores the request too.
const (
	Good   = slo.Good   // counts the request as a good event
	Bad    = slo.Bad    // counts the request as a bad event, one that spends error budget
	Ignore = slo.Ignore // does not count the request at all
)

// A Classifier decides what a finished request means for an objective.
//
// status is the handler's own word on the request: the first code it
// passed to WriteHeader other than an informational 1xx (101 Switching
// Protocols is final), or 200 when it returned without calling WriteHeader.
// A WriteHeader that comes after the body has begun is superfluous to
// net/http, which has already sent an implicit 200, but it is how a handler
// reports a failure in the middle of a response (say, an encoding error
// after the first bytes): the classifier sees that code, since the client
// got a broken response. When the handler panicked before calling
// WriteHeader, status is 0.
//
// panicValue is the value the handler panicked with, or nil when it
// returned. It is never nil after a panic: since Go 1.21 panic(nil) panics
// with a *runtime.PanicNilError.
//
// A Classifier is called on the request's goroutine after the handler
// returns and must be safe for concurrent use.
type Classifier func(status int, panicValue any) Outcome

// DefaultClassifier is the classification Middleware uses unless
// WithClassifier replaces it: a panic or a status of 500 or more is Bad,
// every other request is Good.
func DefaultClassifier(status int, panicValue any) Outcome {
	if panicValue != nil || status >= 500 {
		return Bad
	}
	return Good
}

// An Option configures Middleware.
type Option func(*config)

type config struct {
	classify      Classifier
	latency       *slo.Tracker
	threshold     time.Duration
	routes        *slo.Family
	skip          map[string]bool
	countCanceled bool
}

// WithClassifier replaces DefaultClassifier. A nil c keeps the default.
func WithClassifier(c Classifier) Option {
	return func(cfg *config) {
		if c != nil {
			cfg.classify = c
		}
	}
}

// WithLatency adds a latency objective: every request the middleware counts
// is also recorded on t, good when the handler returned within threshold
// and bad when it took longer. Latency is measured from the moment the
// middleware receives the request until the handler returns, so for a
// streaming response it is the length of the stream. The classifier still
// decides which requests count: an ignored request is recorded on neither
// tracker, a failed one is recorded on both (a fast 500 is fast).
//
// With an objective of 99% on t and a threshold of 300ms, one middleware
// feeds "99.9% of requests succeed" and "99% of requests finish within
// 300ms". A nil t disables the latency objective; a threshold of zero or
// less counts every request as slow.
func WithLatency(t *slo.Tracker, threshold time.Duration) Option {
	return func(cfg *config) {
		cfg.latency, cfg.threshold = t, threshold
	}
}

// WithRoutes records each request on the member of f for the pattern of
// the http.ServeMux route that served it (http.Request.Pattern), so that
// "POST /checkout" and "GET /search" each get an error budget of one
// objective: f.With(r.Pattern), labelled route="POST /checkout". f has one
// label, conventionally "route" (a family of more labels gets every request
// on its overflow member, see slo.Family.With). A request that no route
// served (the mux's 404 and 405 answers) has no pattern and goes to the
// tracker given to Middleware; when that is nil it is not counted at all,
// on the latency tracker neither.
//
// Label values come from the mux's patterns, never from anything else the
// request carries, so a family's members are at most the routes the mux
// has; the family's cap (slo.WithMaxMembers) bounds them all the same, past
// it routes share the overflow member.
//
// The middleware reads the pattern after the handler returns, so it works
// both when it wraps handlers registered with the mux and when it wraps the
// mux itself: ServeMux sets Pattern on the request it was given. In the
// second case, a handler between the middleware and the mux that passes on
// a copy of the request (r.WithContext, http.StripPrefix) hides the pattern,
// and such requests go to the default tracker.
//
// A nil f records nothing by route: every request goes to the default
// tracker.
func WithRoutes(f *slo.Family) Option {
	return func(cfg *config) {
		cfg.routes = f
	}
}

// SkipRoutes keeps the requests served by the routes of the given patterns
// (exactly as registered with the http.ServeMux) out of every objective of
// the middleware: SkipRoutes("GET /healthz") keeps health checks out of the
// budget. Calls add up.
func SkipRoutes(patterns ...string) Option {
	return func(cfg *config) {
		if cfg.skip == nil {
			cfg.skip = make(map[string]bool, len(patterns))
		}
		for _, p := range patterns {
			cfg.skip[p] = true
		}
	}
}

// CountCanceled makes the middleware classify requests whose client went
// away before the handler returned like any other request. By default they
// are ignored: a client that disconnects or cancels says nothing about the
// service, and a handler that stops early because its context was canceled
// often answers with an error status nobody receives.
func CountCanceled() Option {
	return func(cfg *config) {
		cfg.countCanceled = true
	}
}

// Middleware returns net/http middleware that records every request it
// serves as an event of t: by default a request is bad when the handler
// panics or answers with a status of 500 or more, and good otherwise (see
// Classifier and the options for the rest).
//
// A panicking handler is recorded as bad and the panic is then raised again
// with the same value, so the server's own recovery, and its silence about
// http.ErrAbortHandler, behave exactly as without the middleware. Requests
// whose client went away before the handler returned are ignored unless
// CountCanceled is given.
//
// The handler gets a ResponseWriter wrapped by github.com/felixge/httpsnoop,
// which implements exactly the optional interfaces of the original one
// (http.Flusher, http.Hijacker, io.ReaderFrom, http.Pusher, ...) and
// unwraps for http.ResponseController, so streaming, hijacking and
// sendfile work as they do without the middleware.
//
// t may be nil: with WithRoutes to count only the requests a route served,
// or with WithLatency to feed only a latency objective.
func Middleware(t *slo.Tracker, opts ...Option) func(http.Handler) http.Handler {
	cfg := config{classify: DefaultClassifier}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return func(next http.Handler) http.Handler {
		return &handler{next: next, fallback: t, config: cfg}
	}
}

type handler struct {
	next     http.Handler
	fallback *slo.Tracker
	config
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var start time.Time
	if h.latency != nil {
		start = time.Now()
	}
	// status is the first final code passed to WriteHeader; 0 until then.
	// Only WriteHeader is hooked: every hook costs three allocations per
	// request, and the first final WriteHeader is the handler's own word on
	// the request (see Classifier).
	var status int
	ww := httpsnoop.Wrap(w, httpsnoop.Hooks{
		WriteHeader: func(next httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc {
			return func(code int) {
				// Informational answers (103 Early Hints) precede the
				// final one; net/http treats 101 as final.
				if status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols || code < 100) {
					status = code
				}
				next(code)
			}
		},
	})
	returned := false
	defer func() {
		if returned {
			return
		}
		// recover returns nil when the handler called runtime.Goexit
		// (t.FailNow in a test): that is no answer to classify, and the
		// goroutine goes on exiting.
		if p := recover(); p != nil {
			h.observe(r, status, p, start)
			panic(p)
		}
	}()
	h.next.ServeHTTP(ww, r)
	returned = true
	if status == 0 {
		status = http.StatusOK
	}
	h.observe(r, status, nil, start)
}

// observe records one finished request.
func (h *handler) observe(r *http.Request, status int, panicValue any, start time.Time) {
	if !h.countCanceled && r.Context().Err() == context.Canceled {
		return
	}
	if h.skip[r.Pattern] {
		return
	}
	t := h.fallback
	if h.routes != nil {
		if r.Pattern != "" {
			t = h.routes.With(r.Pattern)
		}
		if t == nil {
			return
		}
	}
	outcome := h.classify(status, panicValue)
	if outcome != Good && outcome != Bad {
		return
	}
	if t != nil {
		t.Record(outcome == Good)
	}
	if h.latency != nil {
		h.latency.Record(time.Since(start) <= h.threshold)
	}
}
