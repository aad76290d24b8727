package slohttp

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

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

// A Classifier decides what a request that got a response means for an
// objective.
//
// status is the handler's own word on the request: the first code it
// passed to WriteHeader other than an informational 1xx (101 Switching
// Protocols is final), or 200 when it returned without calling WriteHeader.
// A WriteHeader that comes after the body has begun is superfluous to
// net/http, which has already sent an implicit 200, but it is how a handler
// reports a failure in the middle of a response (say, an encoding error
// after the first bytes): the classifier sees that code, since the client
// got a broken response. When the handler panicked before calling
// WriteHeader, status is 0. A handler that hijacks the connection without
// calling WriteHeader answers on the connection itself: status is 101 when
// the request asked to upgrade (Upgrade header; a WebSocket library writes
// its own 101) and 200 otherwise (a CONNECT tunnel's answer). Codes written
// after the client went away reached no one and are not seen.
//
// panicValue is the value the handler panicked with, or nil when it
// returned. It is never nil after a panic: since Go 1.21 panic(nil) panics
// with a *runtime.PanicNilError.
//
// A Classifier is called once per request, on the request's goroutine when
// the handler returns, or on a goroutine of its own when the client leaves
// a response it has begun to receive, and must be safe for concurrent use.
// A request abandoned before its response began has no status and is not
// classified (see Middleware).
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
	classify  Classifier
	latency   *slo.Tracker
	threshold time.Duration
	routes    *slo.Family
	skip      map[string]bool
	abandon   time.Duration
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
// is also recorded on t, good when its response began within threshold and
// bad when it began later. Latency is the time from the moment the
// middleware receives the request to the response's first byte: the first
// final WriteHeader, Write, WriteString, ReadFrom, Flush or hijack, or the
// handler's return or panic when it wrote nothing. A streamed response
// (Flush, server-sent events) and an upgraded connection (a WebSocket) are
// timed to their first byte, never for the length of the stream or
// session. The classifier still decides which requests that got a response
// count: an ignored request is recorded on neither tracker, a failed one is
// recorded on both (a fast 500 is fast). A request abandoned before its
// response began is slow when it had run past threshold as its client left,
// and not counted when it left sooner.
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
// and such requests go to the default tracker. A request whose client
// leaves while its handler still runs is counted at once, by the route the
// mux chooses for it when the middleware wraps an http.ServeMux (directly
// or through other Middleware), else by the pattern the request had when
// the middleware was called.
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

// WithAbandonTimeout sets how long a request may run before its client
// gives up on it and it still counts as bad: a request abandoned before its
// response began, after running longer than d, spends error budget; one
// abandoned sooner is not counted (the client's choice, not the service's
// fault). The default is slo.DefaultAbandonTimeout (10s), which says why;
// a d of zero or less counts every abandoned request as bad. Package
// slogrpc has the same option, with the same meaning, for canceled calls.
func WithAbandonTimeout(d time.Duration) Option {
	return func(cfg *config) {
		cfg.abandon = d
	}
}

// Middleware returns net/http middleware that records every request it
// serves as an event of t: by default a request is bad when the handler
// panics or answers with a status of 500 or more, and good otherwise (see
// Classifier and the options for the rest).
//
// A panicking handler is recorded as bad and the panic is then raised again
// with the same value, so the server's own recovery, and its silence about
// http.ErrAbortHandler, behave exactly as without the middleware.
//
// Each request is counted once, at the first of two moments: its handler
// returns (or panics), or its context ends, because the client went away
// or a deadline set outside the middleware (http.TimeoutHandler) passed.
// In the second case the request is counted at once, on a goroutine of its
// own (context.AfterFunc), so a handler that never returns still spends
// budget when its clients give up:
//   - a request whose response had begun (see WithLatency) counts as the
//     response the client got: classified by its status so far, timed to
//     its first byte; whatever the handler writes afterwards reaches no one;
//   - a request abandoned before its response began has no status to
//     classify: on availability it is bad when it ran longer than the
//     abandon timeout (WithAbandonTimeout) or its deadline passed, and not
//     counted otherwise; on the latency objective it is slow when it ran
//     past the threshold, and not counted otherwise.
//
// This is the policy of package slogrpc's interceptors too, where a
// canceled call is an abandoned request and DeadlineExceeded a deadline
// that passed.
//
// The handler gets a ResponseWriter that implements exactly the optional
// interfaces of the original one (http.Flusher, http.Hijacker,
// io.ReaderFrom, http.Pusher, ...) and unwraps for
// http.ResponseController, so streaming, hijacking and sendfile work as
// they do without the middleware. For net/http's own writers that wrapper
// is the middleware's record of the request, allocated once; a writer of
// any other shape is wrapped by github.com/felixge/httpsnoop.
//
// t may be nil: with WithRoutes to count only the requests a route served,
// or with WithLatency to feed only a latency objective.
func Middleware(t *slo.Tracker, opts ...Option) func(http.Handler) http.Handler {
	cfg := config{classify: DefaultClassifier, abandon: slo.DefaultAbandonTimeout}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return func(next http.Handler) http.Handler {
		return &handler{next: next, fallback: t, mux: muxOf(next), config: cfg}
	}
}

type handler struct {
	next     http.Handler
	fallback *slo.Tracker
	// mux is the http.ServeMux that routes the requests when the middleware
	// wraps one (through other Middleware, or none); nil otherwise.
	mux *http.ServeMux
	config
}

// muxOf returns the http.ServeMux that next is, or wraps through Middleware.
func muxOf(next http.Handler) *http.ServeMux {
	for {
		switch h := next.(type) {
		case *http.ServeMux:
			return h
		case *handler:
			next = h.next
		default:
			return nil
		}
	}
}

// A request is what the middleware knows of one request while its handler
// runs. The handler's goroutine writes it; when the client goes away first,
// the goroutine that counts the request reads it.
type request struct {
	w     http.ResponseWriter // the server's
	h     *handler
	r     *http.Request
	ctx   context.Context
	start time.Time
	// pattern is r.Pattern when the middleware was called: the route when
	// the middleware sits inside the mux.
	pattern string
	// status is the first final status the handler wrote while its client
	// was there; 0 until then.
	status atomic.Int32
	// began is when the response began (its first byte, or the hijack), in
	// nanoseconds since start plus one (1 without a latency objective); 0
	// until then.
	began atomic.Int64
}

// live reports whether the request's client is still there: what the
// handler writes afterwards reaches no one.
func (q *request) live() bool { return q.ctx.Err() == nil }

// begin notes that the response has begun.
func (q *request) begin() {
	if q.began.Load() != 0 || !q.live() {
		return
	}
	at := int64(1)
	if q.h.latency != nil {
		at += int64(time.Since(q.start))
	}
	q.began.Store(at)
}

// wroteHeader notes a status passed to WriteHeader.
func (q *request) wroteHeader(code int) {
	// Informational answers (103 Early Hints) precede the final one;
	// net/http treats 101 as final.
	if code >= 200 || code == http.StatusSwitchingProtocols || code < 100 {
		if q.status.Load() == 0 && q.live() {
			q.status.Store(int32(code))
		}
		q.begin()
	}
}

// hijacked notes a hijack. Without a status written before it, the
// handler answers on the connection itself: a request that asked to
// upgrade got 101 Switching Protocols (the handler, typically a WebSocket
// library, accepted it), any other one (a CONNECT tunnel) 200.
func (q *request) hijacked() {
	if q.status.Load() == 0 && q.live() {
		code := http.StatusOK
		if q.r.Header.Get("Upgrade") != "" {
			code = http.StatusSwitchingProtocols
		}
		q.status.Store(int32(code))
	}
	q.begin()
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q, ww := newRequest(w)
	q.h, q.r, q.ctx, q.start = h, r, r.Context(), time.Now()
	if h.byRoute() {
		q.pattern = r.Pattern
	}
	// stop returns true when the request is still the handler's goroutine
	// to count, false when abandoned has been started: exactly one of the
	// two counts it. A request with a context that never ends is always
	// the handler's.
	stop := func() bool { return true }
	if q.ctx.Done() != nil {
		stop = context.AfterFunc(q.ctx, q.abandoned)
	}
	returned := false
	defer func() {
		if returned {
			return
		}
		// recover returns nil when the handler called runtime.Goexit
		// (t.FailNow in a test): that is no answer to classify, and the
		// goroutine goes on exiting.
		p := recover()
		if stop() && p != nil {
			q.returned(p)
		}
		if p != nil {
			panic(p)
		}
	}()
	h.next.ServeHTTP(ww, r)
	returned = true
	if stop() {
		q.returned(nil)
	}
}

// returned counts a request whose handler returned, or panicked with
// panicValue, on the handler's goroutine.
func (q *request) returned(panicValue any) {
	// A context's Done channel closes before the functions waiting on it
	// start: the handler may see its client leave first.
	if !q.live() {
		q.abandoned()
		return
	}
	status := int(q.status.Load())
	if status == 0 && panicValue == nil {
		status = http.StatusOK
	}
	q.record(q.r.Pattern, status, panicValue)
}

// byRoute reports whether the middleware counts requests by their route
// pattern: per route (WithRoutes), or leaving some out (SkipRoutes).
func (h *handler) byRoute() bool { return h.routes != nil || len(h.skip) > 0 }

// tracker returns the availability tracker of a request with the given
// route pattern, and whether the request is counted at all.
func (h *handler) tracker(pattern string) (t *slo.Tracker, counted bool) {
	if h.skip[pattern] {
		return nil, false
	}
	t = h.fallback
	if h.routes != nil {
		if pattern != "" {
			t = h.routes.With(pattern)
		}
		if t == nil {
			return nil, false
		}
	}
	return t, true
}

// record counts a request that got a response as the classifier says. Its
// latency is the time to its first byte, or until now when it has written
// none.
func (q *request) record(pattern string, status int, panicValue any) {
	h := q.h
	t, counted := h.tracker(pattern)
	if !counted {
		return
	}
	outcome := h.classify(status, panicValue)
	if outcome != Good && outcome != Bad {
		return
	}
	if t != nil {
		t.Record(outcome == Good)
	}
	if h.latency != nil {
		var latency time.Duration
		if began := q.began.Load(); began != 0 {
			latency = time.Duration(began - 1)
		} else {
			latency = time.Since(q.start)
		}
		h.latency.Record(latency <= h.threshold)
	}
}

// abandoned counts a request whose context ended before its handler
// returned: its client went away, or a deadline set outside the middleware
// passed. It runs on a goroutine of its own, so a handler that never
// returns is counted too.
func (q *request) abandoned() {
	h := q.h
	pattern := q.pattern
	if h.byRoute() && h.mux != nil {
		// The mux sets r.Pattern on the handler's goroutine: ask it instead.
		_, pattern = h.mux.Handler(q.r)
	}
	if q.began.Load() != 0 {
		// The client left a response it had begun to receive.
		status := int(q.status.Load())
		if status == 0 {
			status = http.StatusOK
		}
		q.record(pattern, status, nil)
		return
	}
	t, counted := h.tracker(pattern)
	if !counted {
		return
	}
	age := time.Since(q.start)
	if t != nil && (age > h.abandon || errors.Is(q.ctx.Err(), context.DeadlineExceeded)) {
		t.Record(false)
	}
	if h.latency != nil && age > h.threshold {
		h.latency.Record(false)
	}
}
