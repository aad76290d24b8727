package slogrpc

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/slo-budget-tracker/slo"
)

// The tests run a real gRPC server on loopback with two services that need
// no generated code: the standard health service, and test.Probe, declared
// by hand below, whose methods do what the request's Service field says:
//
//	"<n>"      end with status code n (0 is OK)
//	"panic"    panic with the value "probe panic"
//	"block"    signal on probe.blocked, wait for the call's context to end,
//	           then answer OK
//	"sleep:<d>" sleep for the duration d, then answer OK
//	"hang"     wait for probe.release, whatever the call's context says
const (
	probeCall   = "/test.Probe/Call"
	probeStream = "/test.Probe/Stream"
)

type probe struct {
	blocked chan struct{} // receives when a "block" call is waiting
	release chan struct{} // closed when the test ends
}

// act carries out an instruction; a nil error means OK.
func (p *probe) act(ctx context.Context, instruction string) error {
	switch {
	case instruction == "panic":
		panic("probe panic")
	case instruction == "hang":
		<-p.release
		return nil
	case instruction == "block":
		p.blocked <- struct{}{}
		<-ctx.Done()
		return nil
	case strings.HasPrefix(instruction, "sleep:"):
		d, err := time.ParseDuration(strings.TrimPrefix(instruction, "sleep:"))
		if err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
		time.Sleep(d)
		return nil
	}
	n, err := strconv.Atoi(instruction)
	if err != nil {
		return status.Errorf(codes.InvalidArgument, "unknown instruction %q", instruction)
	}
	if n == 0 {
		return nil
	}
	return status.Error(codes.Code(n), "as asked")
}

var probeDesc = grpc.ServiceDesc{
	ServiceName: "test.Probe",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Call",
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			in := new(grpc_health_v1.HealthCheckRequest)
			if err := dec(in); err != nil {
				return nil, err
			}
			handler := func(ctx context.Context, req any) (any, error) {
				err := srv.(*probe).act(ctx, req.(*grpc_health_v1.HealthCheckRequest).GetService())
				if err != nil {
					return nil, err
				}
				return &grpc_health_v1.HealthCheckResponse{Status: grpc_health_v1.HealthCheckResponse_SERVING}, nil
			}
			if interceptor == nil {
				return handler(ctx, in)
			}
			return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: probeCall}, handler)
		},
	}},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Stream",
		ServerStreams: true,
		Handler: func(srv any, stream grpc.ServerStream) error {
			in := new(grpc_health_v1.HealthCheckRequest)
			if err := stream.RecvMsg(in); err != nil {
				return err
			}
			if err := stream.SendMsg(&grpc_health_v1.HealthCheckResponse{Status: grpc_health_v1.HealthCheckResponse_SERVING}); err != nil {
				return err
			}
			return srv.(*probe).act(stream.Context(), in.GetService())
		},
	}},
}

var probeStreamDesc = &grpc.StreamDesc{StreamName: "Stream", ServerStreams: true}

// testServer is a running server and a client connected to it.
type testServer struct {
	conn   *grpc.ClientConn
	health *health.Server
	probe  *probe
	// finished receives the full method of every call once the
	// interceptors under test have returned (or panicked).
	finished chan string
}

// startServer serves the health and probe services on a free loopback port,
// behind the given interceptors, themselves behind one that recovers panics
// into Internal errors and reports finished calls.
func startServer(t *testing.T, unary grpc.UnaryServerInterceptor, stream grpc.StreamServerInterceptor) *testServer {
	t.Helper()
	ts := &testServer{
		health:   health.NewServer(),
		probe:    &probe{blocked: make(chan struct{}, 1), release: make(chan struct{})},
		finished: make(chan string, 64),
	}
	outerUnary := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = status.Errorf(codes.Internal, "recovered: %v", p)
			}
			ts.finished <- info.FullMethod
		}()
		return handler(ctx, req)
	}
	outerStream := func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = status.Errorf(codes.Internal, "recovered: %v", p)
			}
			ts.finished <- info.FullMethod
		}()
		return handler(srv, ss)
	}
	unaries := []grpc.UnaryServerInterceptor{outerUnary}
	if unary != nil {
		unaries = append(unaries, unary)
	}
	streams := []grpc.StreamServerInterceptor{outerStream}
	if stream != nil {
		streams = append(streams, stream)
	}
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(unaries...), grpc.ChainStreamInterceptor(streams...))
	grpc_health_v1.RegisterHealthServer(srv, ts.health)
	srv.RegisterService(&probeDesc, ts.probe)

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	t.Cleanup(func() {
		srv.Stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Cleanup(func() { close(ts.probe.release) })
	ts.conn = conn
	return ts
}

// call makes a unary probe call and returns its error once the server has
// finished it.
func (ts *testServer) call(t *testing.T, ctx context.Context, instruction string) error {
	t.Helper()
	err := ts.conn.Invoke(ctx, probeCall, &grpc_health_v1.HealthCheckRequest{Service: instruction}, new(grpc_health_v1.HealthCheckResponse))
	ts.waitFinished(t, probeCall)
	return err
}

// stream makes a streaming probe call, reads it to its end and returns its
// error once the server has finished it.
func (ts *testServer) stream(t *testing.T, ctx context.Context, instruction string) error {
	t.Helper()
	err := func() error {
		cs, err := ts.conn.NewStream(ctx, probeStreamDesc, probeStream)
		if err != nil {
			return err
		}
		if err := cs.SendMsg(&grpc_health_v1.HealthCheckRequest{Service: instruction}); err != nil {
			return err
		}
		if err := cs.CloseSend(); err != nil {
			return err
		}
		for {
			err := cs.RecvMsg(new(grpc_health_v1.HealthCheckResponse))
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}()
	ts.waitFinished(t, probeStream)
	return err
}

// waitFinished waits until the server has finished a call of method.
func (ts *testServer) waitFinished(t *testing.T, method string) {
	t.Helper()
	select {
	case got := <-ts.finished:
		if got != method {
			t.Fatalf("the server finished %s, want %s", got, method)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the server did not finish a call of %s", method)
	}
}

// counts returns the events a tracker has counted since it was made.
func counts(t *slo.Tracker) string {
	s := t.Snapshot()
	return fmt.Sprintf("good %d bad %d", s.Good, s.Bad)
}

func newTracker(t *testing.T, name string) *slo.Tracker {
	t.Helper()
	tr, err := slo.NewTracker(slo.Objective{Name: name, Target: 0.999})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}
