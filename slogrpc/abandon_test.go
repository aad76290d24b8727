package slogrpc

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/health/grpc_health_v1"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/slotest"
)

// eventuallyCounts waits until tr has counted want: a call whose client
// gave up is counted on a goroutine of its own.
func eventuallyCounts(t *testing.T, tr *slo.Tracker, want string) {
	t.Helper()
	slotest.Eventually(t, 5*time.Second, fmt.Sprintf("%s to count %s", tr.Name(), want), func() bool {
		return counts(tr) == want
	})
}

// A call its client cancels before any answer is bad once it has run past
// the abandon timeout, as an abandoned HTTP request is; the latency
// objective counts it slow past its threshold. A stream that has begun to
// answer got a response, and its cancellation is classified as Canceled.
func TestCanceledCallsPastTheAbandonTimeoutAreBad(t *testing.T) {
	tests := []struct {
		name        string
		opts        []Option
		cancelAfter time.Duration
		unary       string // availability counts of a unary call
		stream      string // and of a stream
	}{
		{"canceled before the default timeout: not counted", nil, 100 * time.Millisecond, "good 0 bad 0", "good 0 bad 0"},
		{"canceled after the timeout: bad", []Option{WithAbandonTimeout(50 * time.Millisecond)}, 200 * time.Millisecond, "good 0 bad 1", "good 0 bad 0"},
		{"a timeout of zero: every canceled call is bad", []Option{WithAbandonTimeout(0)}, 0, "good 0 bad 1", "good 0 bad 0"},
	}
	for _, tt := range tests {
		for _, kind := range []string{"unary", "stream"} {
			t.Run(tt.name+" "+kind, func(t *testing.T) {
				t.Parallel()
				avail, latency := newTracker(t, "availability"), newTracker(t, "latency")
				// The latency threshold of 1ns counts every call, so the
				// test knows when the interceptor has decided.
				opts := append(tt.opts, WithLatency(latency, time.Nanosecond))
				ts := startServer(t, UnaryServerInterceptor(avail, opts...), StreamServerInterceptor(avail, opts...))
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				go func() {
					<-ts.probe.blocked
					time.Sleep(tt.cancelAfter)
					cancel()
				}()
				want := tt.unary
				if kind == "unary" {
					_ = ts.call(t, ctx, "block")
					eventuallyCounts(t, latency, "good 0 bad 1")
				} else {
					want = tt.stream
					_ = ts.stream(t, ctx, "block")
				}
				if got := counts(avail); got != want {
					t.Errorf("availability: %s, want %s", got, want)
				}
			})
		}
	}
}

// A handler that never returns is counted when its client gives up: at its
// deadline (DeadlineExceeded, bad), or when it cancels past the abandon
// timeout.
func TestHungHandlerIsCountedWhenItsClientGivesUp(t *testing.T) {
	for _, deadline := range []bool{true, false} {
		t.Run(fmt.Sprintf("deadline=%v", deadline), func(t *testing.T) {
			t.Parallel()
			avail, latency := newTracker(t, "availability"), newTracker(t, "latency")
			opts := []Option{WithLatency(latency, 50*time.Millisecond), WithAbandonTimeout(100 * time.Millisecond)}
			ts := startServer(t, UnaryServerInterceptor(avail, opts...), nil)
			var ctx context.Context
			var cancel context.CancelFunc
			if deadline {
				ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
			} else {
				ctx, cancel = context.WithCancel(context.Background())
				time.AfterFunc(200*time.Millisecond, cancel)
			}
			defer cancel()
			if err := ts.conn.Invoke(ctx, probeCall, &grpc_health_v1.HealthCheckRequest{Service: "hang"}, new(grpc_health_v1.HealthCheckResponse)); err == nil {
				t.Fatal("the hung call got an answer")
			}
			eventuallyCounts(t, avail, "good 0 bad 1")
			eventuallyCounts(t, latency, "good 0 bad 1")
		})
	}
}
