package redisstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/store/internal/storetest"
)

// BenchmarkFleetRead measures one read of a Fleet, as /slo and the
// dashboard do at each request: 50 objectives and a family of 50 members,
// each saved by 3 instances with busy states, so 100 hashes summed from
// 300 states. It reports the commands Redis ran per read.
func BenchmarkFleetRead(b *testing.B) {
	srv := startRedis(b)
	c := srv.client(b)
	ctx := context.Background()
	now := time.Now()
	var objs []FleetObjective
	var keys []string
	for i := range 50 {
		o := slo.Objective{Name: fmt.Sprintf("objective-%03d", i), Target: 0.999}
		objs = append(objs, FleetObjective{Objective: o})
		keys = append(keys, o.Name)
	}
	objs = append(objs, FleetObjective{Objective: slo.Objective{Name: "api", Target: 0.99}, Labels: []string{"route"}})
	for i := range 50 {
		keys = append(keys, slo.MemberKey("api", map[string]string{"route": fmt.Sprintf("/route/%02d", i)}))
	}
	busy := storetest.BusyState(b, "objective", now)
	for _, id := range []string{"pod-a", "pod-b", "pod-c"} {
		s := newStore(b, c, id)
		for _, k := range keys {
			st := *busy
			st.Objective = k
			if err := s.Save(ctx, &st); err != nil {
				b.Fatal(err)
			}
		}
	}
	reader := newStore(b, c, "reader")
	fleet, err := reader.FleetOf(objs...)
	if err != nil {
		b.Fatal(err)
	}
	if snaps, err := fleet.Snapshots(ctx); err != nil || len(snaps) != 100 {
		b.Fatalf("%d snapshots, %v", len(snaps), err)
	}
	before := commandCalls(b, c)
	b.ResetTimer()
	for b.Loop() {
		if _, err := fleet.Snapshots(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	after := commandCalls(b, c)
	var n uint64
	for cmd, calls := range after {
		n += calls - before[cmd]
	}
	b.ReportMetric(float64(n-1)/float64(b.N), "commands/read") // the INFO of commandCalls itself
}
