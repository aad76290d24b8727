package slogrpc

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"

	"github.com/slo-budget-tracker/slo"
)

func benchTracker(b *testing.B, name string) *slo.Tracker {
	b.Helper()
	tr, err := slo.NewTracker(slo.Objective{Name: name, Target: 0.999})
	if err != nil {
		b.Fatal(err)
	}
	return tr
}

// BenchmarkUnaryInterceptor measures what the interceptor adds to a call,
// in process: the bare handler, a bare Tracker.Record and the two clock
// reads latency needs (baselines), then the handler behind the interceptor
// with its options.
func BenchmarkUnaryInterceptor(b *testing.B) {
	tr, lat := benchTracker(b, "api"), benchTracker(b, "latency")
	handler := func(ctx context.Context, req any) (any, error) { return req, nil }
	info := &grpc.UnaryServerInfo{FullMethod: probeCall}
	ctx := context.Background()
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := handler(ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	// What counting an event costs by itself, the floor of any
	// instrumentation.
	b.Run("record-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tr.Record(true)
		}
	})
	// What timing a call costs by itself: the floor of WithLatency.
	b.Run("clock-reads", func(b *testing.B) {
		b.ReportAllocs()
		var slow int
		for b.Loop() {
			if time.Since(time.Now()) > time.Second {
				slow++
			}
		}
		_ = slow
	})
	for _, bc := range []struct {
		name string
		ic   grpc.UnaryServerInterceptor
	}{
		{"interceptor", UnaryServerInterceptor(tr)},
		{"interceptor+methods", UnaryServerInterceptor(nil, WithMethodTrackers(map[string]*slo.Tracker{probeCall: tr, probeStream: tr}))},
		{"interceptor+latency", UnaryServerInterceptor(tr, WithLatency(lat, time.Second))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.ic(ctx, nil, info, handler); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStreamInterceptor is BenchmarkUnaryInterceptor for streams.
func BenchmarkStreamInterceptor(b *testing.B) {
	tr := benchTracker(b, "api")
	handler := func(any, grpc.ServerStream) error { return nil }
	info := &grpc.StreamServerInfo{FullMethod: probeStream}
	var ss grpc.ServerStream = ctxStream{context.Background()}
	ic := StreamServerInterceptor(tr)
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := handler(nil, ss); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("interceptor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := ic(nil, ss, info, handler); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHealthCheckLoopback puts the interceptor in perspective: a whole
// health Check over loopback, without and with it.
func BenchmarkHealthCheckLoopback(b *testing.B) {
	tr := benchTracker(b, "api")
	for _, bc := range []struct {
		name string
		opts []grpc.ServerOption
	}{
		{"bare", nil},
		{"interceptor", []grpc.ServerOption{grpc.ChainUnaryInterceptor(UnaryServerInterceptor(tr))}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := grpc.NewServer(bc.opts...)
			grpc_health_v1.RegisterHealthServer(srv, health.NewServer())
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			go srv.Serve(lis)
			defer srv.Stop()
			conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			client := grpc_health_v1.NewHealthClient(conn)
			ctx := context.Background()
			req := &grpc_health_v1.HealthCheckRequest{}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := client.Check(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
