package redisstore

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/slohttp"
	"github.com/slo-budget-tracker/slo/sloprom"
)

// fleetReplica is one replica of a service: a registry with a plain
// objective and a family by route, saving to the shared Redis.
func fleetReplica(t *testing.T, c redis.UniversalClient, instance string, clock func() time.Time) (*slo.Registry, *Store) {
	t.Helper()
	st := newStore(t, c, instance, WithClock(clock))
	reg := slo.NewRegistry(slo.WithStore(st), slo.WithClock(clock), slo.WithLogger(quiet()))
	if _, err := reg.Define(slo.Objective{Name: "checkout", Target: 0.99, Description: "checkouts succeed"}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.DefineFamily(slo.Objective{Name: "api", Target: 0.9}, []string{"route"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close(context.Background()) })
	return reg, st
}

// The fleet source reports every objective and family member summed over
// the replicas: the same numbers whichever replica reads, including a
// member only another replica has seen, in /slo as in Charts.
func TestFleetSourceSumsEveryReplica(t *testing.T) {
	srv := startRedis(t)
	c := srv.client(t)
	clock := newFakeClock()
	ctx := context.Background()
	regA, storeA := fleetReplica(t, c, "pod-a", clock.Now)
	regB, storeB := fleetReplica(t, c, "pod-b", clock.Now)
	regA.Tracker("checkout").RecordN(90, 10)
	regB.Tracker("checkout").RecordN(190, 10)
	regA.Family("api").With("/pay").RecordN(7, 3)
	regB.Family("api").With("/pay").RecordN(10, 0)
	regB.Family("api").With("/search").RecordN(5, 5) // pod-a never saw /search
	for _, reg := range []*slo.Registry{regA, regB} {
		if err := reg.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}

	type counts struct{ total, failures uint64 }
	want := map[string]counts{"api\x1froute=/pay": {20, 3}, "api\x1froute=/search": {10, 5}, "checkout": {300, 20}}
	wantOrder := []string{"api\x1froute=/pay", "api\x1froute=/search", "checkout"}
	for name, src := range map[string]slo.HistorySource{"pod-a": storeA.Fleet(regA), "pod-b": storeB.Fleet(regB)} {
		snaps, err := src.Snapshots(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		charts, err := src.Charts(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(snaps) != len(wantOrder) || len(charts) != len(wantOrder) {
			t.Fatalf("%s: %d snapshots, %d charts, want %d", name, len(snaps), len(charts), len(wantOrder))
		}
		for i, s := range snaps {
			key := slo.MemberKey(s.Name, s.Labels)
			if key != wantOrder[i] {
				t.Errorf("%s: snapshot %d is %q, want %q", name, i, key, wantOrder[i])
			}
			if got := (counts{s.Total, s.Failures}); got != want[key] {
				t.Errorf("%s: %q counts %+v, want the fleet's %+v", name, key, got, want[key])
			}
			c := charts[i]
			var total, bad uint64
			for _, b := range c.History {
				total, bad = total+b.Good+b.Bad, bad+b.Bad
			}
			if slo.MemberKey(c.Snapshot.Name, c.Snapshot.Labels) != key || (counts{total, bad}) != want[key] {
				t.Errorf("%s: chart %d of %q sums %d/%d over %d buckets, want %+v", name, i, key, bad, total, len(c.History), want[key])
			}
		}
		if d := snaps[2].Description; d != "checkouts succeed" {
			t.Errorf("%s: description %q", name, d)
		}
	}

	// The same sums through /slo.
	rec := httptest.NewRecorder()
	slohttp.SnapshotHandler(storeA.Fleet(regA)).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/slo", nil))
	var rep slohttp.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("/slo: %d %v", rec.Code, err)
	}
	if len(rep.SLOs) != 3 || rep.SLOs[2].Total != 300 || rep.SLOs[1].Labels["route"] != "/search" {
		t.Errorf("/slo report %+v", rep.SLOs)
	}
}

// A fleet source over a list of objectives, with no registry: what a
// process that only reads (a gate, a dashboard) uses.
func TestFleetOfObjectives(t *testing.T) {
	srv := startRedis(t)
	c := srv.client(t)
	clock := newFakeClock()
	ctx := context.Background()
	regA, _ := fleetReplica(t, c, "pod-a", clock.Now)
	regA.Tracker("checkout").RecordN(5, 5)
	regA.Family("api").With("/pay").RecordN(1, 1)
	if err := regA.Close(ctx); err != nil {
		t.Fatal(err)
	}
	reader := newStore(t, c, "reader", WithClock(clock.Now))
	src, err := reader.FleetOf(
		FleetObjective{Objective: slo.Objective{Name: "checkout", Target: 0.99}},
		FleetObjective{Objective: slo.Objective{Name: "api", Target: 0.9}, Labels: []string{"route"}},
		FleetObjective{Objective: slo.Objective{Name: "idle", Target: 0.9}},
	)
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := src.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 3 || snaps[0].Labels["route"] != "/pay" || snaps[0].Total != 2 ||
		snaps[1].Name != "checkout" || snaps[1].Failures != 5 || snaps[2].Name != "idle" || snaps[2].Total != 0 {
		t.Errorf("snapshots %+v", snaps)
	}
	for _, bad := range [][]FleetObjective{
		{{Objective: slo.Objective{Name: "x", Target: 2}}},
		{{Objective: slo.Objective{Name: "x", Target: 0.9}}, {Objective: slo.Objective{Name: "x", Target: 0.9}}},
		{{Objective: slo.Objective{Name: "x", Target: 0.9}, Labels: []string{"bad label"}}},
	} {
		if _, err := reader.FleetOf(bad...); err == nil {
			t.Errorf("FleetOf(%+v) accepted", bad)
		}
	}
}

// Redis down: the fleet source fails, and /slo answers 503, never an empty
// or partial report.
func TestFleetSourceFailsWhileRedisIsDown(t *testing.T) {
	srv := startRedis(t)
	c := srv.client(t)
	clock := newFakeClock()
	reg, st := fleetReplica(t, c, "pod-a", clock.Now)
	reg.Family("api").With("/pay").RecordSuccess()
	if err := reg.Close(context.Background()); err != nil { // saves
		t.Fatal(err)
	}
	src := st.Fleet(reg)
	if _, err := src.Snapshots(context.Background()); err != nil {
		t.Fatal(err)
	}
	metrics := sloprom.Handler(src)
	if out := scrape(t, metrics); !strings.Contains(out, "slo_source_up 1\n") || !strings.Contains(out, `slo_window_events{route="/pay",slo="api"} 1`+"\n") {
		t.Errorf("metrics of the fleet:\n%s", out)
	}
	srv.stop()
	if out := scrape(t, metrics); !strings.Contains(out, "slo_source_up 0\n") || strings.Contains(out, "slo_window_events") {
		t.Errorf("metrics of the fleet with Redis down:\n%s", out)
	}
	snaps, err := src.Snapshots(context.Background())
	if err == nil {
		t.Fatalf("Redis down: %d snapshots and no error", len(snaps))
	}
	if _, err := src.Charts(context.Background()); err == nil {
		t.Fatal("Redis down: charts and no error")
	}
	rec := httptest.NewRecorder()
	slohttp.SnapshotHandler(src).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/slo", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/slo with Redis down: %d %s", rec.Code, rec.Body)
	}
}

// A Redis that accepts connections and never answers does not hold a read
// forever: the fleet's timeout bounds it, even with a client that has no
// read timeout of its own and a caller's context with no deadline.
func TestFleetSourceTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
		}
	}()
	c := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), ReadTimeout: -1, WriteTimeout: -1, MaxRetries: -1,
		ContextTimeoutEnabled: true, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	st := newStore(t, c, "reader")
	src, err := st.FleetOf(FleetObjective{Objective: slo.Objective{Name: "checkout", Target: 0.99}})
	if err != nil {
		t.Fatal(err)
	}
	src = src.WithTimeout(200 * time.Millisecond)
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := src.Snapshots(context.Background())
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a silent Redis gave snapshots")
		}
		t.Logf("failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
	case <-time.After(10 * time.Second):
		t.Fatal("Snapshots still blocked after 10s")
	}
}

// scrape returns what h serves, failing the test unless it answers 200.
func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}
