package slogrpc_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/slogrpc"
)

// Install both interceptors; every call of the server then counts for the
// objective. Here the standard health service answers two checks, one of a
// service it does not know: NotFound is the client's mistake, so both are
// good.
func ExampleUnaryServerInterceptor() {
	tracker, err := slo.NewTracker(slo.Objective{Name: "api", Target: 0.999})
	if err != nil {
		panic(err)
	}
	server := grpc.NewServer(
		grpc.ChainUnaryInterceptor(slogrpc.UnaryServerInterceptor(tracker)),
		grpc.ChainStreamInterceptor(slogrpc.StreamServerInterceptor(tracker)),
	)
	grpc_health_v1.RegisterHealthServer(server, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go server.Serve(lis)
	defer server.Stop()

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	client := grpc_health_v1.NewHealthClient(conn)
	for _, service := range []string{"", "no-such-service"} {
		_, err := client.Check(context.Background(), &grpc_health_v1.HealthCheckRequest{Service: service})
		fmt.Printf("Check(%q): %v\n", service, status.Code(err))
	}
	s := tracker.Snapshot()
	fmt.Printf("good %d, bad %d\n", s.Good, s.Bad)
	// Output:
	// Check(""): OK
	// Check("no-such-service"): NotFound
	// good 2, bad 0
}

// A classifier for a lookup service that should know every key: NotFound
// spends budget too.
func ExampleWithClassifier() {
	strict := func(code codes.Code, panicValue any) slogrpc.Outcome {
		if code == codes.NotFound {
			return slogrpc.Bad
		}
		return slogrpc.DefaultClassifier(code, panicValue)
	}
	tracker, _ := slo.NewTracker(slo.Objective{Name: "lookup", Target: 0.99})
	_ = grpc.NewServer(grpc.ChainUnaryInterceptor(
		slogrpc.UnaryServerInterceptor(tracker, slogrpc.WithClassifier(strict))))
	for _, code := range []codes.Code{codes.OK, codes.NotFound, codes.InvalidArgument, codes.Canceled} {
		fmt.Printf("%v: %v\n", code, strict(code, nil))
	}
	// Output:
	// OK: good
	// NotFound: bad
	// InvalidArgument: good
	// Canceled: ignore
}

// Give a method its own objectives, availability and latency, and leave
// the health checks of load balancers out of every objective.
func ExampleWithMethodTrackers() {
	reg := slo.NewRegistry()
	api, _ := reg.Define(slo.Objective{Name: "api", Target: 0.999})
	checkout, _ := reg.Define(slo.Objective{Name: "checkout", Target: 0.9995})
	checkoutLatency, _ := reg.Define(slo.Objective{Name: "checkout-latency", Target: 0.99})

	opts := []slogrpc.Option{
		slogrpc.WithMethodTrackers(map[string]*slo.Tracker{
			"/shop.v1.Cart/Checkout":       checkout,
			"/grpc.health.v1.Health/Check": nil,
			"/grpc.health.v1.Health/Watch": nil,
		}),
		// 99% of checkouts within 300ms.
		slogrpc.WithLatency(checkoutLatency, 300*time.Millisecond, "/shop.v1.Cart/Checkout"),
	}
	server := grpc.NewServer(
		grpc.ChainUnaryInterceptor(slogrpc.UnaryServerInterceptor(api, opts...)),
		grpc.ChainStreamInterceptor(slogrpc.StreamServerInterceptor(api, opts...)),
	)
	defer server.Stop()
	// Register the services and serve.
}
