package slogrpc

import (
	"context"
	"errors"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
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
// good.
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
// availability tracker counts them. A stream's latency is its whole
// lifetime. A nil t records no latency. Given more than once, the last
// wins.
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
	ic := &interceptor{tracker: t, config: config{classify: DefaultClassifier}}
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

// end counts a finished call of a method that avail or latency (or both)
// measure, started at start (zero when latency is nil): err is its
// handler's error, p the value it panicked with.
func (ic *interceptor) end(ctx context.Context, avail, latency *slo.Tracker, start time.Time, err error, p any) {
	code := codes.Unknown
	if p == nil {
		code = codeOf(ctx, err)
	}
	var good bool
	switch ic.classify(code, p) {
	case Good:
		good = true
	case Bad:
	default:
		return
	}
	if avail != nil {
		avail.Record(good)
	}
	if latency != nil {
		latency.Record(time.Since(start) <= ic.threshold)
	}
}

// panicked counts a call whose handler did not return, given what recover
// returned in the deferred call, and panics again with the same value. A
// nil p means the handler called runtime.Goexit: nothing is counted and the
// goroutine goes on exiting.
func (ic *interceptor) panicked(ctx context.Context, avail, latency *slo.Tracker, start time.Time, p any) {
	if p == nil {
		return
	}
	ic.end(ctx, avail, latency, start, nil, p)
	panic(p)
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
		var start time.Time
		if latency != nil {
			start = time.Now()
		}
		returned := false
		defer func() {
			if !returned {
				ic.panicked(ctx, avail, latency, start, recover())
			}
		}()
		resp, err = handler(ctx, req)
		returned = true
		ic.end(ctx, avail, latency, start, err, nil)
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
		ctx := ss.Context()
		var start time.Time
		if latency != nil {
			start = time.Now()
		}
		returned := false
		defer func() {
			if !returned {
				ic.panicked(ctx, avail, latency, start, recover())
			}
		}()
		err = handler(srv, ss)
		returned = true
		ic.end(ctx, avail, latency, start, err, nil)
		return err
	}
}
