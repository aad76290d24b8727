package main

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/slohttp"
	"github.com/slo-budget-tracker/slo/store/redisstore"
)

// downSource is a Source whose store cannot be read.
type downSource struct{}

func (downSource) Snapshots(context.Context) ([]slo.Snapshot, error) {
	return nil, errors.New("redis: connection refused")
}

// A /slo whose source is down answers 503: the gate stays closed with the
// reason, never opens on an empty report.
func TestGateOnAnUnreadableSourceFailsClosed(t *testing.T) {
	srv := httptest.NewServer(slohttp.SnapshotHandler(downSource{}))
	t.Cleanup(srv.Close)
	code, out, errOut := cli(t, "gate", "-url", srv.URL)
	if code != exitUsage || !strings.Contains(errOut, "503 Service Unavailable") || !strings.Contains(errOut, "connection refused") {
		t.Errorf("code %d, stdout %q, stderr %q; want %d and the 503 with its reason", code, out, errOut, exitUsage)
	}
	if _, err := sourceStates(context.Background(), downSource{}); err == nil {
		t.Error("sourceStates of a failing source: no error")
	}
}

// The gate reads a fleet's /slo: the budget the replicas share closes it,
// although the replica serving the report has spent none of its own.
func TestGateOnARedisFleet(t *testing.T) {
	srv := testdeps.StartRedis(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var regs []*slo.Registry
	var stores []*redisstore.Store
	for _, id := range []string{"pod-a", "pod-b"} {
		client, err := redisstore.NewClient(srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { client.Close() })
		st, err := redisstore.New(client, id, redisstore.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		reg := slo.NewRegistry(slo.WithStore(st), slo.WithClock(clock))
		t.Cleanup(func() { reg.Close(ctx) })
		if _, err := reg.Define(slo.Objective{Name: "checkout", Target: 0.99}); err != nil {
			t.Fatal(err)
		}
		regs, stores = append(regs, reg), append(stores, st)
	}
	regs[0].Tracker("checkout").RecordN(990, 0) // pod-a: clean
	regs[1].Tracker("checkout").RecordN(0, 20)  // pod-b: the fleet's 1010 events, 20 bad, overspend 1% of 1010
	for _, reg := range regs {
		if err := reg.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		src  slo.Source
		want int
	}{
		{"pod-a alone", regs[0], exitOK},
		{"the fleet, served by pod-a", stores[0].Fleet(regs[0]), exitFail},
	} {
		h := httptest.NewServer(slohttp.SnapshotHandler(tc.src))
		code, out, errOut := cli(t, "gate", "-url", h.URL)
		h.Close()
		if code != tc.want {
			t.Errorf("%s: code %d, want %d\n%s%s", tc.name, code, tc.want, out, errOut)
		}
	}
}
