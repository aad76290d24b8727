package slogrpc

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/slo-budget-tracker/slo"
)

// An Outcome is what one call means for an objective. It is slo.Outcome,
// shared with package slohttp.
type Outcome = slo.Outcome

// The outcomes a Classifier may return. A Classifier returning any other
// value ignores the call too.
const (
	Good   = slo.Good   // counts the call as a good event
	Bad    = slo.Bad    // counts the call as a bad event, one that spends error budget
	Ignore = slo.Ignore // does not count the call at all
)

// A Classifier decides what a finished call means for an objective, from
// the status code the client sees and the value its handler panicked with
// (nil when it did not panic; the code is then Unknown). It must be safe for
// concurrent use.
type Classifier func(code codes.Code, panicValue any) Outcome

// DefaultClassifier counts a panic and the codes of server failures as bad
// (Unknown, DeadlineExceeded, Internal, Unavailable, DataLoss,
// ResourceExhausted), ignores Canceled, and counts every other code as
// good. A call canceled before its answer began never reaches a classifier:
// the abandon timeout decides (see [WithAbandonTimeout]).
func DefaultClassifier(code codes.Code, panicValue any) Outcome {
	if panicValue != nil {
		return Bad
	}
	switch code {
	case codes.Unknown, codes.DeadlineExceeded, codes.Internal, codes.Unavailable,
		codes.DataLoss, codes.ResourceExhausted:
		return Bad
	case codes.Canceled:
		return Ignore
	}
	return Good
}

// An Option configures an interceptor.
type Option func(*config)

type config struct {
	classify       Classifier
	methods        map[string]*slo.Tracker
	latency        *slo.Tracker
	threshold      time.Duration
	latencyMethods map[string]bool // nil: every method
	abandon        time.Duration
}

// WithClassifier replaces [DefaultClassifier]. A nil c keeps the default.
func WithClassifier(c Classifier) Option {
	return func(cfg *config) {
		if c != nil {
			cfg.classify = c
		}
	}
}

// WithMethodTrackers records the calls of the methods in m in their own
// trackers, so each method can have its objective. Keys are full method
// names, "/package.Service/Method" (the leading slash may be left out).
// Methods not in m go to the interceptor's tracker; a nil tracker, in m or
// given to the interceptor, leaves the calls it would get uncounted. The
// map is copied: changing it afterwards changes nothing. Given more than
// once, the maps are merged, later entries winning.
func WithMethodTrackers(m map[string]*slo.Tracker) Option {
	return func(cfg *config) {
		if cfg.methods == nil {
			cfg.methods = make(map[string]*slo.Tracker, len(m))
		}
		for method, t := range m {
			cfg.methods[fullMethod(method)] = t
		}
	}
}

// WithLatency also records calls in t: good when they took at most
// threshold, bad when they took longer, so one interceptor feeds an
// availability and a latency objective, such as "99% of checkouts within
// 300ms". It records the calls of the given full methods (every method when
// none is given) that the classifier does not ignore, whether or not an
// availability tracker counts them, and calls canceled before their answer
// began that had run past threshold. A stream's latency is its whole
// lifetime, up to its end or its cancellation. A nil t records no latency.
// Given more than once, the last wins.
func WithLatency(t *slo.Tracker, threshold time.Duration, methods ...string) Option {
	return func(cfg *config) {
		cfg.latency, cfg.threshold, cfg.latencyMethods = t, threshold, nil
		if len(methods) > 0 {
			cfg.latencyMethods = make(map[string]bool, len(methods))
			for _, m := range methods {
				cfg.latencyMethods[fullMethod(m)] = true
			}
		}
	}
}

// WithAbandonTimeout sets how long a call may run before its client
// cancels it and it still counts as bad: a call canceled before its answer
// began, after running longer than d, spends error budget; one canceled
// sooner is not counted (the client's choice, not the service's fault). The
// default is slo.DefaultAbandonTimeout; a d of zero or less counts every
// such call as bad. This is package slohttp's option of the same name, with
// the same meaning.
func WithAbandonTimeout(d time.Duration) Option {
	return func(cfg *config) {
		cfg.abandon = d
	}
}

// fullMethod adds the leading slash a full method name may lack.
func fullMethod(m string) string {
	if !strings.HasPrefix(m, "/") {
		return "/" + m
	}
	return m
}

// interceptor holds what both kinds of interceptors share.
type interceptor struct {
	tracker *slo.Tracker
	config
}

func newInterceptor(t *slo.Tracker, opts []Option) *interceptor {
	ic := &interceptor{tracker: t, config: config{classify: DefaultClassifier, abandon: slo.DefaultAbandonTimeout}}
	for _, o := range opts {
		if o != nil {
			o(&ic.config)
		}
	}
	return ic
}

// trackers returns the trackers that count a call of method: for
// availability and for latency, each nil when none does.
func (ic *interceptor) trackers(method string) (avail, latency *slo.Tracker) {
	avail = ic.tracker
	if t, ok := ic.methods[method]; ok {
		avail = t
	}
	if ic.latency != nil && (ic.latencyMethods == nil || ic.latencyMethods[method]) {
		latency = ic.latency
	}
	return avail, latency
}

// A call is what the interceptor knows of one call while its handler runs.
// When the call's context ends first, the goroutine that counts it reads
// it while the handler may still write it.
type call struct {
	ic             *interceptor
	ctx            context.Context
	avail, latency *slo.Tracker
	start          time.Time
	// began is set once a stream has sent its client a header or a
	// message while the client was there; a unary call answers only when
	// its handler returns.
	began atomic.Bool
}

// watch starts counting a call and returns stop, which returns true when
// the call is still the handler's goroutine to count and false when
// abandoned has been started: exactly one of the two counts it.
func (ic *interceptor) watch(ctx context.Context, avail, latency *slo.Tracker) (*call, func() bool) {
	c := &call{ic: ic, ctx: ctx, avail: avail, latency: latency, start: time.Now()}
	if ctx.Done() == nil {
		return c, func() bool { return true }
	}
	return c, context.AfterFunc(ctx, c.abandoned)
}

// returned counts a call whose handler returned err, or panicked with p.
func (c *call) returned(err error, p any) {
	// A context's Done channel closes before the functions waiting on it
	// start: the handler may see its client leave first.
	if c.ctx.Err() != nil {
		c.abandoned()
		return
	}
	code := codes.Unknown
	if p == nil {
		code = codeOf(c.ctx, err)
	}
	c.count(code, p)
}

// panicked counts a call whose handler did not return, given what recover
// returned in the deferred call, and panics again with the same value. A
// nil p means the handler called runtime.Goexit: nothing is counted and the
// goroutine goes on exiting.
func (c *call) panicked(stop func() bool, p any) {
	if stop() && p != nil {
		c.returned(nil, p)
	}
	if p != nil {
		panic(p)
	}
}

// count records the call as the classifier says of code and p.
func (c *call) count(code codes.Code, p any) {
	var good bool
	switch c.ic.classify(code, p) {
	case Good:
		good = true
	case Bad:
	default:
		return
	}
	if c.avail != nil {
		c.avail.Record(good)
	}
	if c.latency != nil {
		c.latency.Record(time.Since(c.start) <= c.ic.threshold)
	}
}

// abandoned counts a call whose context ended before its handler returned,
// whatever the handler does afterwards, so a handler that never returns is
// counted too. A call canceled before its answer began is not classified:
// it is bad past the abandon timeout, slow past the latency threshold, and
// not counted otherwise.
func (c *call) abandoned() {
	code := codeOf(c.ctx, nil)
	if code != codes.Canceled || c.began.Load() {
		c.count(code, nil)
		return
	}
	age := time.Since(c.start)
	if c.avail != nil && age > c.ic.abandon {
		c.avail.Record(false)
	}
	if c.latency != nil && age > c.ic.threshold {
		c.latency.Record(false)
	}
}

// sentStream is a server stream that notes when it begins to answer.
type sentStream struct {
	grpc.ServerStream
	c *call
}

func (s *sentStream) begin() {
	if s.c.ctx.Err() == nil {
		s.c.began.Store(true)
	}
}

// SendHeader notes the answer's beginning and sends md.
func (s *sentStream) SendHeader(md metadata.MD) error {
	s.begin()
	return s.ServerStream.SendHeader(md)
}

// SendMsg notes the answer's beginning and sends m.
func (s *sentStream) SendMsg(m any) error {
	s.begin()
	return s.ServerStream.SendMsg(m)
}

// deadlineSlack is how close to its deadline a canceled call counts as one
// whose deadline passed. When a client's deadline passes, the client
// cancels the call, and the server usually learns of it before its own copy
// of the deadline (set from the grpc-timeout header when the call arrived,
// so a little later) expires: the server's context then says Canceled.
const deadlineSlack = 10 * time.Millisecond

// codeOf returns the code the client of a call sees.
func codeOf(ctx context.Context, err error) codes.Code {
	if cerr := ctx.Err(); cerr != nil {
		if errors.Is(cerr, context.DeadlineExceeded) {
			return codes.DeadlineExceeded
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= deadlineSlack {
			return codes.DeadlineExceeded
		}
		return codes.Canceled
	}
	if err == nil {
		return codes.OK
	}
	// The conversion grpc.Server applies to a handler's error.
	if s, ok := status.FromError(err); ok {
		return s.Code()
	}
	return status.FromContextError(err).Code()
}

// UnaryServerInterceptor returns an interceptor that records every unary
// call in t (or in the tracker [WithMethodTrackers] gives its method) as
// the classifier says. Install it with grpc.ChainUnaryInterceptor, after
// any recovery interceptor.
func UnaryServerInterceptor(t *slo.Tracker, opts ...Option) grpc.UnaryServerInterceptor {
	ic := newInterceptor(t, opts)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		avail, latency := ic.trackers(info.FullMethod)
		if avail == nil && latency == nil {
			return handler(ctx, req)
		}
		c, stop := ic.watch(ctx, avail, latency)
		returned := false
		defer func() {
			if !returned {
				c.panicked(stop, recover())
			}
		}()
		resp, err = handler(ctx, req)
		returned = true
		if stop() {
			c.returned(err, nil)
		}
		return resp, err
	}
}

// StreamServerInterceptor returns an interceptor that records every
// streaming call in t (or in the tracker [WithMethodTrackers] gives its
// method) when it ends, as the classifier says. Install it with
// grpc.ChainStreamInterceptor, after any recovery interceptor.
func StreamServerInterceptor(t *slo.Tracker, opts ...Option) grpc.StreamServerInterceptor {
	ic := newInterceptor(t, opts)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		avail, latency := ic.trackers(info.FullMethod)
		if avail == nil && latency == nil {
			return handler(srv, ss)
		}
		c, stop := ic.watch(ss.Context(), avail, latency)
		returned := false
		defer func() {
			if !returned {
				c.panicked(stop, recover())
			}
		}()
		err = handler(srv, &sentStream{ServerStream: ss, c: c})
		returned = true
		if stop() {
			c.returned(err, nil)
		}
		return err
	}
}
