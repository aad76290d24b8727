package slogrpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/slo-budget-tracker/slo"
)

// Every status code, through a unary and a streaming call of a real server:
// the server's failures burn budget, the client's mistakes do not, and
// Canceled is not counted.
func TestDefaultClassificationOfEveryCode(t *testing.T) {
	bad := map[codes.Code]bool{codes.Unknown: true, codes.DeadlineExceeded: true, codes.Internal: true,
		codes.Unavailable: true, codes.DataLoss: true, codes.ResourceExhausted: true}
	tr := newTracker(t, "api")
	ts := startServer(t, UnaryServerInterceptor(tr), StreamServerInterceptor(tr))
	ctx := context.Background()
	for code := codes.OK; code <= codes.Unauthenticated; code++ {
		want := "good"
		switch {
		case bad[code]:
			want = "bad"
		case code == codes.Canceled:
			want = "ignored"
		}
		for _, kind := range []string{"unary", "stream"} {
			t.Run(code.String()+" "+kind+" is "+want, func(t *testing.T) {
				before := tr.Snapshot()
				var err error
				if kind == "unary" {
					err = ts.call(t, ctx, strconv.Itoa(int(code)))
				} else {
					err = ts.stream(t, ctx, strconv.Itoa(int(code)))
				}
				if got := status.Code(err); got != code {
					t.Fatalf("the client saw %v, want %v", got, code)
				}
				after := tr.Snapshot()
				outcome := "ignored"
				switch {
				case after.Good == before.Good+1 && after.Bad == before.Bad:
					outcome = "good"
				case after.Bad == before.Bad+1 && after.Good == before.Good:
					outcome = "bad"
				case after.Good != before.Good || after.Bad != before.Bad:
					outcome = "miscounted: " + counts(tr)
				}
				if outcome != want {
					t.Errorf("%v counted %s, want %s", code, outcome, want)
				}
			})
		}
	}
}

// The standard health service: Check of a served service is OK, of an
// unknown one NotFound, and neither burns budget; a Watch its client
// cancels is not counted.
func TestHealthServiceCalls(t *testing.T) {
	tr := newTracker(t, "health")
	ts := startServer(t, UnaryServerInterceptor(tr), StreamServerInterceptor(tr))
	ts.health.SetServingStatus("shop", grpc_health_v1.HealthCheckResponse_SERVING)
	client := grpc_health_v1.NewHealthClient(ts.conn)
	ctx := context.Background()
	const check = "/grpc.health.v1.Health/Check"

	resp, err := client.Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: "shop"})
	ts.waitFinished(t, check)
	if err != nil || resp.GetStatus() != grpc_health_v1.HealthCheckResponse_SERVING {
		t.Fatalf("Check(shop) = %v, %v; want SERVING", resp, err)
	}
	_, err = client.Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: "no-such-service"})
	ts.waitFinished(t, check)
	if status.Code(err) != codes.NotFound {
		t.Fatalf("Check(no-such-service) error %v, want NotFound", err)
	}
	if got := counts(tr); got != "good 2 bad 0" {
		t.Errorf("after two checks: %s, want good 2 bad 0", got)
	}

	wctx, cancel := context.WithCancel(ctx)
	watch, err := client.Watch(wctx, &grpc_health_v1.HealthCheckRequest{Service: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := watch.Recv(); err != nil || resp.GetStatus() != grpc_health_v1.HealthCheckResponse_SERVING {
		t.Fatalf("Watch(shop) first message %v, %v; want SERVING", resp, err)
	}
	cancel()
	ts.waitFinished(t, "/grpc.health.v1.Health/Watch")
	if got := counts(tr); got != "good 2 bad 0" {
		t.Errorf("after a canceled watch: %s, want good 2 bad 0", got)
	}
}

// A panic is recorded as bad and goes on with its value: the recovery
// interceptor outside sees it.
func TestPanicIsBadAndPanicsOn(t *testing.T) {
	tr := newTracker(t, "api")
	ts := startServer(t, UnaryServerInterceptor(tr), StreamServerInterceptor(tr))
	ctx := context.Background()
	for _, kind := range []string{"unary", "stream"} {
		t.Run(kind, func(t *testing.T) {
			before := tr.Snapshot().Bad
			var err error
			if kind == "unary" {
				err = ts.call(t, ctx, "panic")
			} else {
				err = ts.stream(t, ctx, "panic")
			}
			if s := status.Convert(err); s.Code() != codes.Internal || s.Message() != "recovered: probe panic" {
				t.Errorf("the client got %v, want the recovered panic", err)
			}
			if got := tr.Snapshot().Bad - before; got != 1 {
				t.Errorf("%d bad events, want 1", got)
			}
		})
	}
}

// A call is classified by what its client sees: an answer after the
// deadline is DeadlineExceeded (bad), one after the client canceled is not
// counted, whatever the handler returned.
func TestCallsWhoseContextEndedFirst(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration // 0: none
		cancel  bool          // the client cancels once the handler runs
		want    string
	}{
		{"deadline passed is bad", 200 * time.Millisecond, false, "good 0 bad 1"},
		{"client canceled is ignored", 0, true, "good 0 bad 0"},
		{"client canceled long before its deadline is ignored", time.Minute, true, "good 0 bad 0"},
	}
	for _, tt := range tests {
		for _, kind := range []string{"unary", "stream"} {
			t.Run(tt.name+" "+kind, func(t *testing.T) {
				tr := newTracker(t, "api")
				ts := startServer(t, UnaryServerInterceptor(tr), StreamServerInterceptor(tr))
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if tt.timeout > 0 {
					ctx, cancel = context.WithTimeout(ctx, tt.timeout)
					defer cancel()
				}
				// The handler blocks until the call's context ends, then
				// answers OK.
				go func() {
					<-ts.probe.blocked
					if tt.cancel {
						cancel()
					}
				}()
				// What the client sees races with its timer; what counts
				// is what the server recorded.
				if kind == "unary" {
					_ = ts.call(t, ctx, "block")
				} else {
					_ = ts.stream(t, ctx, "block")
				}
				// A call whose context ended first is counted on a
				// goroutine of its own.
				eventuallyCounts(t, tr, tt.want)
			})
		}
	}
}

func TestCodeOfIsWhatTheClientSees(t *testing.T) {
	live := context.Background()
	canceled, cancel := context.WithCancel(live)
	cancel()
	expired, cancel2 := context.WithDeadline(live, time.Now().Add(-time.Second))
	defer cancel2()
	// Canceled, with a deadline in 5ms: the client's deadline passed.
	nearDeadline, cancel3 := context.WithTimeout(live, 5*time.Millisecond)
	cancel3()
	farDeadline, cancel4 := context.WithTimeout(live, time.Hour)
	cancel4()
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want codes.Code
	}{
		{"nil error", live, nil, codes.OK},
		{"status error", live, status.Error(codes.NotFound, "x"), codes.NotFound},
		{"wrapped status error", live, fmt.Errorf("lookup: %w", status.Error(codes.Unavailable, "x")), codes.Unavailable},
		{"plain error", live, errors.New("boom"), codes.Unknown},
		{"context.Canceled returned", live, context.Canceled, codes.Canceled},
		{"wrapped context.DeadlineExceeded returned", live, fmt.Errorf("db: %w", context.DeadlineExceeded), codes.DeadlineExceeded},
		{"OK after the client canceled", canceled, nil, codes.Canceled},
		{"Internal after the client canceled", canceled, status.Error(codes.Internal, "x"), codes.Canceled},
		{"OK after the deadline", expired, nil, codes.DeadlineExceeded},
		{"canceled just before the deadline", nearDeadline, nil, codes.DeadlineExceeded},
		{"canceled long before the deadline", farDeadline, nil, codes.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := codeOf(tt.ctx, tt.err); got != tt.want {
				t.Errorf("codeOf = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCustomClassifier(t *testing.T) {
	// NotFound burns budget here (a lookup service that should know every
	// key), Unavailable is ignored (counted by a load balancer), and a
	// panic is ignored.
	classify := func(code codes.Code, panicValue any) Outcome {
		switch {
		case panicValue != nil, code == codes.Unavailable:
			return Ignore
		case code == codes.NotFound:
			return Bad
		}
		return DefaultClassifier(code, nil)
	}
	tr := newTracker(t, "lookup")
	ts := startServer(t, UnaryServerInterceptor(tr, WithClassifier(classify)), nil)
	ctx := context.Background()
	for _, instruction := range []string{"0", "5", "14", "panic", "13"} { // OK, NotFound, Unavailable, panic, Internal
		ts.call(t, ctx, instruction)
	}
	if got := counts(tr); got != "good 1 bad 2" {
		t.Errorf("%s, want good 1 bad 2", got)
	}
}

func TestMethodTrackers(t *testing.T) {
	checks, fallback := newTracker(t, "checks"), newTracker(t, "fallback")
	opts := []Option{WithMethodTrackers(map[string]*slo.Tracker{
		"grpc.health.v1.Health/Check": checks, // no leading slash: added
		probeStream:                   nil,    // not counted
	})}
	ts := startServer(t, UnaryServerInterceptor(fallback, opts...), StreamServerInterceptor(fallback, opts...))
	ctx := context.Background()
	client := grpc_health_v1.NewHealthClient(ts.conn)
	if _, err := client.Check(ctx, &grpc_health_v1.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	ts.waitFinished(t, "/grpc.health.v1.Health/Check")
	ts.call(t, ctx, "13")
	ts.stream(t, ctx, "13")
	if got := counts(checks); got != "good 1 bad 0" {
		t.Errorf("checks: %s, want good 1 bad 0", got)
	}
	if got := counts(fallback); got != "good 0 bad 1" {
		t.Errorf("fallback: %s, want good 0 bad 1 (the stream is not counted)", got)
	}
}

func TestNilTrackerCountsOnlyListedMethods(t *testing.T) {
	listed := newTracker(t, "listed")
	ts := startServer(t, UnaryServerInterceptor(nil, WithMethodTrackers(map[string]*slo.Tracker{probeCall: listed})),
		StreamServerInterceptor(nil))
	ctx := context.Background()
	if err := ts.call(t, ctx, "13"); status.Code(err) != codes.Internal {
		t.Fatalf("call: %v, want Internal", err)
	}
	if err := ts.stream(t, ctx, "0"); err != nil {
		t.Fatalf("stream: %v, want OK", err)
	}
	if got := counts(listed); got != "good 0 bad 1" {
		t.Errorf("%s, want good 0 bad 1", got)
	}
}

func TestLatencyObjective(t *testing.T) {
	avail, latency := newTracker(t, "availability"), newTracker(t, "latency")
	opt := WithLatency(latency, 500*time.Millisecond)
	ts := startServer(t, UnaryServerInterceptor(avail, opt), StreamServerInterceptor(avail, opt))
	ctx := context.Background()
	ts.call(t, ctx, "0")             // fast, good
	ts.call(t, ctx, "13")            // fast, bad: fast for latency
	ts.call(t, ctx, "sleep:550ms")   // slow, good
	ts.stream(t, ctx, "sleep:550ms") // slow, good
	ts.call(t, ctx, "1")             // Canceled: ignored by both
	if got := counts(avail); got != "good 3 bad 1" {
		t.Errorf("availability: %s, want good 3 bad 1", got)
	}
	if got := counts(latency); got != "good 2 bad 2" {
		t.Errorf("latency: %s, want good 2 bad 2", got)
	}
}

// Latency of one method only, with no availability objective at all.
func TestLatencyOfListedMethodsOnly(t *testing.T) {
	latency := newTracker(t, "latency")
	opt := WithLatency(latency, 500*time.Millisecond, "test.Probe/Call")
	ts := startServer(t, UnaryServerInterceptor(nil, opt), StreamServerInterceptor(nil, opt))
	ctx := context.Background()
	ts.call(t, ctx, "sleep:550ms")
	ts.call(t, ctx, "0")
	ts.stream(t, ctx, "sleep:550ms") // another method: not measured
	if got := counts(latency); got != "good 1 bad 1" {
		t.Errorf("latency: %s, want good 1 bad 1", got)
	}
}

func TestOutcomeString(t *testing.T) {
	tests := []struct {
		o    Outcome
		want string
	}{{Good, "good"}, {Bad, "bad"}, {Ignore, "ignore"}, {Outcome(7), "ignore"}}
	for _, tt := range tests {
		if got := tt.o.String(); got != tt.want {
			t.Errorf("%d: %q, want %q", int(tt.o), got, tt.want)
		}
	}
}

// A classifier's unknown outcome counts nothing.
func TestUnknownOutcomeIsIgnored(t *testing.T) {
	tr := newTracker(t, "api")
	ts := startServer(t, UnaryServerInterceptor(tr, WithClassifier(func(codes.Code, any) Outcome { return 42 })), nil)
	ts.call(t, context.Background(), "13")
	if got := counts(tr); got != "good 0 bad 0" {
		t.Errorf("%s, want nothing counted", got)
	}
}

// The panic goes on with the very value the handler panicked with.
func TestPanicValueIsKept(t *testing.T) {
	tr := newTracker(t, "api")
	ic := UnaryServerInterceptor(tr)
	value := &struct{ msg string }{"mine"}
	var got any
	func() {
		defer func() { got = recover() }()
		ic(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: probeCall},
			func(context.Context, any) (any, error) { panic(value) })
	}()
	if got != value {
		t.Errorf("recovered %v, want the handler's own value", got)
	}
	if c := counts(tr); c != "good 0 bad 1" {
		t.Errorf("%s, want good 0 bad 1", c)
	}
}

// A handler that calls runtime.Goexit (as t.FailNow does) is not counted
// and its goroutine still exits.
func TestGoexitIsNotCounted(t *testing.T) {
	tr := newTracker(t, "api")
	ic := StreamServerInterceptor(tr)
	done := make(chan bool)
	go func() {
		finished := false
		defer func() { done <- finished }()
		ic(nil, ctxStream{context.Background()}, &grpc.StreamServerInfo{FullMethod: probeStream},
			func(any, grpc.ServerStream) error { runtime.Goexit(); return nil })
		finished = true
	}()
	if <-done {
		t.Error("the interceptor returned after runtime.Goexit")
	}
	if c := counts(tr); c != "good 0 bad 0" {
		t.Errorf("%s, want nothing counted", c)
	}
}

// ctxStream is a server stream that has only a context, all the stream
// interceptor reads.
type ctxStream struct{ ctx context.Context }

func (s ctxStream) Context() context.Context   { return s.ctx }
func (ctxStream) SetHeader(metadata.MD) error  { return nil }
func (ctxStream) SendHeader(metadata.MD) error { return nil }
func (ctxStream) SetTrailer(metadata.MD)       {}
func (ctxStream) SendMsg(any) error            { return nil }
func (ctxStream) RecvMsg(any) error            { return io.EOF }
