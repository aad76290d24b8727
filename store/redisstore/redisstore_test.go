package redisstore

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/slotest"
	"github.com/slo-budget-tracker/slo/store/internal/storetest"
)

// syncBuffer collects log output from the trackers' goroutines.
type syncBuffer = slotest.Buffer

func newFakeClock() *slotest.Clock {
	return slotest.NewClock(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))
}

func newStore(t testing.TB, c redis.UniversalClient, instance string, opts ...Option) *Store {
	t.Helper()
	s, err := New(c, instance, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newTracker(t testing.TB, o slo.Objective, opts ...slo.Option) *slo.Tracker {
	t.Helper()
	tr, err := slo.NewTracker(o, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close(context.Background()) })
	return tr
}

func closeTracker(t testing.TB, tr *slo.Tracker) {
	t.Helper()
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestRestartLoadsTheInstancesOwnState(t *testing.T) {
	srv := startRedis(t)
	c := srv.client(t)
	clock := newFakeClock()
	o := slo.Objective{Name: "checkout", Target: 0.99}
	opts := func(instance string) []slo.Option {
		return []slo.Option{slo.WithStore(newStore(t, c, instance, WithClock(clock.Now))), slo.WithClock(clock.Now), slo.WithLogger(quiet())}
	}
	a := newTracker(t, o, opts("a")...)
	b := newTracker(t, o, opts("b")...)
	a.RecordN(90, 10)
	b.RecordN(7, 0)
	closeTracker(t, a)
	closeTracker(t, b)

	a2 := newTracker(t, o, opts("a")...)
	if s := a2.Snapshot(); s.Total != 100 || s.Failures != 10 {
		t.Errorf("instance a restored %d/%d, want its own 100/10", s.Total, s.Failures)
	}
	c2 := newTracker(t, o, opts("c")...)
	if s := c2.Snapshot(); s.Total != 0 {
		t.Errorf("a new instance restored %d events, want none", s.Total)
	}
}

// TestRepeatedSavesNeverCountTwice saves one state again and again, as
// retries would: the fleet counts it once.
func TestRepeatedSavesNeverCountTwice(t *testing.T) {
	srv := startRedis(t)
	c := srv.client(t)
	clock := newFakeClock()
	o := slo.Objective{Name: "idempotent", Target: 0.999}
	tr := newTracker(t, o, slo.WithClock(clock.Now))
	tr.RecordN(1000, 5)
	s := newStore(t, c, "only", WithClock(clock.Now))
	st := tr.State()
	for range 5 {
		if err := s.Save(context.Background(), st); err != nil {
			t.Fatal(err)
		}
	}
	fleet, err := s.FleetSnapshot(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if fleet.Total != 1005 || fleet.Failures != 5 {
		t.Errorf("after 5 saves of one state the fleet counts %d/%d, want 1005/5", fleet.Total, fleet.Failures)
	}
}

func TestKeysExpireAfterTheWindowPlusTheMargin(t *testing.T) {
	srv := startRedis(t)
	c := srv.client(t)
	clock := newFakeClock()
	o := slo.Objective{Name: "ttl", Target: 0.99, Window: 24 * time.Hour}
	s := newStore(t, c, "i", WithClock(clock.Now), WithExpiryMargin(10*time.Minute))
	tr := newTracker(t, o, slo.WithClock(clock.Now))
	tr.RecordN(1, 0)
	if err := s.Save(context.Background(), tr.State()); err != nil {
		t.Fatal(err)
	}
	ttl, err := c.PTTL(context.Background(), s.Key("ttl")).Result()
	if err != nil {
		t.Fatal(err)
	}
	want := 24*time.Hour + 10*time.Minute
	if ttl > want || ttl < want-time.Minute {
		t.Errorf("key expires in %v, want %v", ttl, want)
	}
}

// TestFleetLeavesOutStaleAndCorruptStates keeps an instance that stopped
// long ago and one whose state is garbage out of the fleet view, without
// failing it.
func TestFleetLeavesOutStaleAndCorruptStates(t *testing.T) {
	srv := startRedis(t)
	c := srv.client(t)
	clock := newFakeClock()
	logs := &syncBuffer{}
	o := slo.Objective{Name: "fleet", Target: 0.99, Window: time.Hour, BurnRateWindows: []time.Duration{5 * time.Minute}}
	ctx := context.Background()
	store := func(instance string) *Store {
		return newStore(t, c, instance, WithClock(clock.Now), WithExpiryMargin(time.Minute),
			WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	}
	old := newTracker(t, o, slo.WithClock(clock.Now))
	old.RecordN(500, 500)
	if err := store("old").Save(ctx, old.State()); err != nil {
		t.Fatal(err)
	}
	clock.Advance(30 * time.Minute)
	mid := newTracker(t, o, slo.WithClock(clock.Now))
	mid.RecordN(40, 2)
	if err := store("mid").Save(ctx, mid.State()); err != nil {
		t.Fatal(err)
	}
	if err := c.HSet(ctx, "slo:fleet", "broken", "{not json").Err(); err != nil {
		t.Fatal(err)
	}

	clock.Advance(45 * time.Minute) // old's state is 75 minutes old: older than 1h + 1m
	s := store("reader")
	fleet, err := s.FleetSnapshot(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if fleet.Total != 42 || fleet.Failures != 2 {
		t.Errorf("fleet counts %d/%d, want only mid's 42/2", fleet.Total, fleet.Failures)
	}
	if !fleet.Time.Equal(clock.Now()) {
		t.Errorf("fleet snapshot at %v, want the store's clock %v", fleet.Time, clock.Now())
	}
	fields, err := c.HKeys(ctx, "slo:fleet").Result()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(fields, ",") != "mid,broken" && strings.Join(fields, ",") != "broken,mid" {
		t.Errorf("fields after the read: %v, want the stale instance deleted and the others kept", fields)
	}
	if !strings.Contains(logs.String(), "instance=broken") || s.Stats().Corrupt != 1 {
		t.Errorf("the unreadable state was not logged and counted (corrupt=%d):\n%s", s.Stats().Corrupt, logs)
	}
}

func TestUnreadableOwnStateIsCopiedAside(t *testing.T) {
	srv := startRedis(t)
	c := srv.client(t)
	ctx := context.Background()
	clock := newFakeClock()
	logs := &syncBuffer{}
	s := newStore(t, c, "pod-0", WithClock(clock.Now), WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	const bad = `{"version":9,"objective":"checkout"}`
	if err := c.HSet(ctx, s.Key("checkout"), "pod-0", bad).Err(); err != nil {
		t.Fatal(err)
	}
	tr := newTracker(t, slo.Objective{Name: "checkout", Target: 0.99}, slo.WithStore(s), slo.WithClock(clock.Now), slo.WithLogger(quiet()))
	if got := tr.StoreStats(); got.Failing {
		t.Errorf("tracker's store failing after the bad state was copied aside: %+v", got)
	}
	aside := "slo:corrupt:checkout:pod-0:" + itoa(clock.Now().UnixNano())
	got, err := c.Get(ctx, aside).Result()
	if err != nil || got != bad {
		t.Fatalf("aside key %s holds %q, %v; want the bad state", aside, got, err)
	}
	for _, want := range []string{"level=ERROR", "unsupported version 9", aside} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	tr.RecordN(3, 0)
	closeTracker(t, tr)
	st, err := s.Load(ctx, "checkout")
	if err != nil || st == nil {
		t.Fatalf("after a save: %v, %v", st, err)
	}
}

func TestNewClientSetsShortTimeouts(t *testing.T) {
	tests := []struct {
		url               string
		dial, read, write time.Duration
		wantErr           bool
	}{
		{url: "redis://127.0.0.1:6379/0", dial: DefaultTimeout, read: DefaultTimeout, write: DefaultTimeout},
		{url: "redis://127.0.0.1:6379/2?read_timeout=2s&dial_timeout=1s", dial: time.Second, read: 2 * time.Second, write: DefaultTimeout},
		{url: "http://127.0.0.1/", wantErr: true},
		{url: "redis://127.0.0.1:6379/notadb", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := NewClient(tt.url)
			if tt.wantErr {
				if err == nil {
					c.Close()
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			o := c.Options()
			if o.DialTimeout != tt.dial || o.ReadTimeout != tt.read || o.WriteTimeout != tt.write || o.MaxRetries != 0 {
				t.Errorf("dial %v read %v write %v retries %d, want %v %v %v 0", o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRetries, tt.dial, tt.read, tt.write)
			}
		})
	}
}

func TestNewRejectsMissingArguments(t *testing.T) {
	if _, err := New(nil, "a"); err == nil {
		t.Error("New(nil client) succeeded")
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	if _, err := New(c, ""); err == nil {
		t.Error("New with an empty instance ID succeeded")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestRestartRestoresEveryFamilyMember(t *testing.T) {
	srv := startRedis(t)
	c := srv.client(t)
	clock := newFakeClock()
	storetest.FamilyRestart(t, func() slo.Store { return newStore(t, c, "a", WithClock(clock.Now)) }, clock.Now)
}

// The fleet view of a family member sums that member's states over the
// instances, and no other member's.
func TestFleetMemberSnapshotSumsOneMember(t *testing.T) {
	srv := startRedis(t)
	c := srv.client(t)
	clock := newFakeClock()
	ctx := context.Background()
	o := slo.Objective{Name: "api", Target: 0.99}
	for i, instance := range []string{"a", "b"} {
		f, err := slo.NewFamily(o, []string{"route"}, slo.WithTrackerOptions(
			slo.WithStore(newStore(t, c, instance, WithClock(clock.Now))), slo.WithClock(clock.Now), slo.WithLogger(quiet())))
		if err != nil {
			t.Fatal(err)
		}
		f.With("/pay").RecordN(10, uint64(i+1))
		f.With("/search").RecordN(100, 0)
		if err := f.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	reader := newStore(t, c, "reader", WithClock(clock.Now))
	s, err := reader.FleetMemberSnapshot(ctx, o, map[string]string{"route": "/pay"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Total != 23 || s.Failures != 3 || s.Labels["route"] != "/pay" || s.Name != "api" {
		t.Errorf("fleet /pay = %s %v %d/%d, want api map[route:/pay] 3/23", s.Name, s.Labels, s.Failures, s.Total)
	}
	if s, err := reader.FleetSnapshot(ctx, o); err != nil || s.Total != 0 {
		t.Errorf("fleet of the plain objective = %d events, %v; want 0: members are kept apart", s.Total, err)
	}
}

func TestRestartKeepsCorrectionsAndSlices(t *testing.T) {
	srv := startRedis(t)
	c := srv.client(t)
	clock := newFakeClock()
	storetest.CorrectionsAndSlicesRestart(t, func() slo.Store { return newStore(t, c, "a", WithClock(clock.Now)) }, clock)
}
