package slo

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustFamily(t testing.TB, o Objective, labels []string, opts ...FamilyOption) *Family {
	t.Helper()
	f, err := NewFamily(o, labels, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFamilyMembers(t *testing.T) {
	clock := newFakeClock()
	f := mustFamily(t, Objective{Name: "api", Target: 0.99}, []string{"route"}, WithTrackerOptions(WithClock(clock.Now)))
	pay := f.With("/pay")
	if f.With("/pay") != pay {
		t.Fatal("With returned a second member for the same value")
	}
	pay.RecordN(90, 10)
	f.With("/a").RecordSuccess()
	f.With("/A").RecordFailure() // case matters
	snaps := f.Snapshots()
	var got []string
	for _, s := range snaps {
		got = append(got, fmt.Sprintf("%s %v:%d/%d", s.Name, s.Labels, s.Failures, s.Total))
	}
	want := "[api map[route:/A]:1/1 api map[route:/a]:0/1 api map[route:/pay]:10/100]"
	if fmt.Sprint(got) != want {
		t.Errorf("snapshots = %v, want %v", got, want)
	}
	if f.Folded() != 0 {
		t.Errorf("Folded() = %d with no overflow", f.Folded())
	}
	// A snapshot's labels are its own copy.
	snaps[0].Labels["route"] = "changed"
	if f.With("/A").Snapshot().Labels["route"] != "/A" {
		t.Error("changing a snapshot's labels changed the member's")
	}
	if l := NewTrackerMust(t).Snapshot().Labels; l != nil {
		t.Errorf("plain tracker's Labels = %v, want nil", l)
	}
}

func NewTrackerMust(t *testing.T) *Tracker {
	return mustTracker(t, Objective{Name: "plain", Target: 0.9})
}

func TestFamilyMultipleLabels(t *testing.T) {
	f := mustFamily(t, Objective{Name: "api", Target: 0.99}, []string{"tenant", "region"})
	// Values that would join alike with a naive separator stay apart.
	a, b := f.With("a", "b"), f.With("ab", "")
	if a == b {
		t.Fatal("distinct values share a member")
	}
	if got := b.Labels(); !maps.Equal(got, map[string]string{"tenant": "ab", "region": ""}) {
		t.Errorf("labels = %v", got)
	}
	if f.With("a", "b") != a {
		t.Error("second With made a new member")
	}
}

func TestFamilyOverflow(t *testing.T) {
	f := mustFamily(t, Objective{Name: "api", Target: 0.99}, []string{"route"}, WithMaxMembers(2))
	f.With("/a").RecordSuccess()
	f.With("/b").RecordSuccess()
	over := f.With("/c")
	over.RecordFailure()
	f.With("/d").RecordFailure()
	f.With("/c").RecordFailure() // folded once, counted once
	if f.With("/a") == over || f.With("/b") == over {
		t.Error("a member made before the cap went to the overflow")
	}
	if f.With("/d") != over {
		t.Error("values past the cap do not share the overflow member")
	}
	if got := over.Labels(); !maps.Equal(got, map[string]string{"route": OverflowValue}) {
		t.Errorf("overflow labels = %v", got)
	}
	if f.Folded() != 2 {
		t.Errorf("Folded() = %d, want 2 (/c and /d)", f.Folded())
	}
	ms := f.Members()
	if len(ms) != 3 || ms[2] != over {
		t.Errorf("Members() has %d members, overflow last: %v", len(ms), len(ms) == 3 && ms[2] == over)
	}
	if s := over.Snapshot(); s.Failures != 3 {
		t.Errorf("overflow failures = %d, want 3", s.Failures)
	}
}

func TestFamilyBadValues(t *testing.T) {
	f := mustFamily(t, Objective{Name: "api", Target: 0.99}, []string{"tenant", "region"})
	for _, values := range [][]string{nil, {"a"}, {"a", "b", "c"}, {"a", "\xff"}} {
		m, err := f.Member(values...)
		if err == nil || m == nil || m.Labels()["tenant"] != OverflowValue {
			t.Errorf("Member(%q) = %v, %v; want the overflow member and an error", values, m.Labels(), err)
		}
		if w := f.With(values...); w != m {
			t.Errorf("With(%q) is not the overflow member", values)
		}
	}
	_, err := f.Member("x")
	if err == nil || !strings.Contains(err.Error(), "1 label values for 2 labels (tenant, region)") {
		t.Errorf("error = %v", err)
	}
	if f.Folded() != 5 {
		t.Errorf("Folded() = %d, want 5", f.Folded())
	}
}

func TestNewFamilyErrors(t *testing.T) {
	o := Objective{Name: "api", Target: 0.99}
	for _, tc := range []struct {
		o      Objective
		labels []string
		opts   []FamilyOption
		want   string
	}{
		{o, nil, nil, "at least one label name"},
		{o, []string{"route", "route"}, nil, `labels[1]: "route" is listed twice`},
		{o, []string{"slo"}, nil, `labels[0]: "slo" is reserved`},
		{o, []string{"service"}, nil, `"service" is reserved`},
		{o, []string{"severity"}, nil, `"severity" is reserved`},
		{o, []string{"__name"}, nil, `"__name" is reserved`},
		{o, []string{"1route"}, nil, "not a valid label name"},
		{o, []string{"ro-ute"}, nil, "not a valid label name"},
		{o, []string{""}, nil, "not a valid label name"},
		{o, []string{strings.Repeat("a", 129)}, nil, "not a valid label name"},
		{o, []string{"route"}, []FamilyOption{WithMaxMembers(0)}, "maximum members 0: must be positive"},
		{o, []string{"route"}, []FamilyOption{WithMaxMembers(-3)}, "maximum members -3: must be positive"},
		{Objective{Name: "api", Target: 2}, []string{"route"}, nil, "Target"},
	} {
		_, err := NewFamily(tc.o, tc.labels, tc.opts...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewFamily(%v, %q) = %v, want an error containing %q", tc.o.Target, tc.labels, err, tc.want)
		}
	}
	if _, err := NewFamily(o, []string{"route", "Tenant_2", "_x"}); err != nil {
		t.Errorf("valid labels refused: %v", err)
	}
}

func TestFamilyConcurrentUse(t *testing.T) {
	f := mustFamily(t, Objective{Name: "api", Target: 0.99}, []string{"route"}, WithMaxMembers(8))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				f.With(fmt.Sprint((i + g) % 16)).RecordSuccess()
			}
		}()
	}
	wg.Wait()
	var total uint64
	for _, s := range f.Snapshots() {
		total += s.Total
	}
	if len(f.Members()) != 9 || total != 8000 || f.Folded() != 8 {
		t.Errorf("%d members holding %d events, %d folded; want 9, 8000, 8", len(f.Members()), total, f.Folded())
	}
}

func TestRegistryFamilies(t *testing.T) {
	clock := newFakeClock()
	r := NewRegistry(WithClock(clock.Now))
	if _, err := r.Define(Objective{Name: "login", Target: 0.99}); err != nil {
		t.Fatal(err)
	}
	f, err := r.DefineFamily(Objective{Name: "api", Target: 0.99}, []string{"route"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.DefineFamily(Objective{Name: "login", Target: 0.99}, []string{"route"}); err == nil || !strings.Contains(err.Error(), `"login" is already defined`) {
		t.Errorf("family over a tracker's name: %v", err)
	}
	if _, err := r.Define(Objective{Name: "api", Target: 0.99}); err == nil {
		t.Error("tracker over a family's name accepted")
	}
	if _, err := r.DefineFamily(Objective{Name: "zeta", Target: 0.99}, []string{"slo"}); err == nil {
		t.Error("reserved label accepted")
	}
	f.With("/b").RecordFailure()
	f.With("/a").RecordSuccess()
	if r.Family("api") != f || r.Family("login") != nil || len(r.Families()) != 1 {
		t.Error("Family/Families do not find the family")
	}
	var got []string
	for _, s := range r.SnapshotAll() {
		got = append(got, fmt.Sprint(s.Name, " ", s.Labels))
	}
	if want := "[api map[route:/a] api map[route:/b] login map[]]"; fmt.Sprint(got) != want {
		t.Errorf("SnapshotAll = %v, want %v", got, want)
	}
	if len(r.Trackers()) != 3 {
		t.Errorf("Trackers() has %d, want 3", len(r.Trackers()))
	}
	// The members get the registry's clock.
	clock.Advance(2 * time.Hour)
	f.With("/a").RecordSuccess()
	if s := f.With("/a").Snapshot(); !s.Time.Equal(clock.Now()) {
		t.Errorf("member's snapshot time %v, want the registry's clock %v", s.Time, clock.Now())
	}
	if alerts := r.CheckBurnRates(); len(alerts) == 0 || alerts[0].Name != "api" {
		t.Errorf("CheckBurnRates() = %+v, want api's /b", alerts)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestMemberKey(t *testing.T) {
	for _, labels := range []map[string]string{
		{"route": "/pay"},
		{"route": "GET /a%1F\x1fb=c"},
		{"tenant": "A", "region": "eu"},
		{"route": ""},
	} {
		key := MemberKey("api", labels)
		if key == "api" {
			t.Errorf("MemberKey(api, %v) is the plain name", labels)
		}
		name, got, err := ParseMemberKey(key)
		if err != nil || name != "api" || !maps.Equal(got, labels) {
			t.Errorf("ParseMemberKey(%q) = %q, %v, %v; want api, %v", key, name, got, err, labels)
		}
	}
	if a, b := MemberKey("api", map[string]string{"t": "A"}), MemberKey("api", map[string]string{"t": "a"}); strings.EqualFold(a, b) && a == b {
		t.Error("keys differing in case collide")
	}
	if k := MemberKey("api", map[string]string{"b": "1", "a": "2"}); k != "api\x1fa=2\x1fb=1" {
		t.Errorf("labels not sorted: %q", k)
	}
	if MemberKey("api", nil) != "api" {
		t.Error("no labels is not the plain name")
	}
	for _, bad := range []string{"api\x1fnoequals", "api\x1f1x=a", "api\x1fa=%zz", "api\x1fa=%2", "api\x1fa=1\x1fa=2"} {
		if _, _, err := ParseMemberKey(bad); err == nil {
			t.Errorf("ParseMemberKey(%q) accepted", bad)
		}
	}
}

func TestFamilyStoreRestoresEveryMember(t *testing.T) {
	clock := newFakeClock()
	st := newMemStore()
	o := Objective{Name: "api", Target: 0.99}
	opts := WithTrackerOptions(WithClock(clock.Now), WithStore(st))
	plain := mustTracker(t, o, WithClock(clock.Now), WithStore(st)) // a plain tracker of the same name
	plain.RecordN(1, 1)
	f := mustFamily(t, o, []string{"route"}, opts, WithMaxMembers(2))
	f.With("/pay").RecordN(7, 3)
	f.With("/a").RecordN(5, 0)
	f.With("/over").RecordN(0, 4)
	if err := f.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := plain.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	f2 := mustFamily(t, o, []string{"route"}, opts, WithMaxMembers(2))
	check := func(tr *Tracker, good, bad uint64) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !tr.StoreStats().Loaded && time.Now().Before(deadline) {
			runtime.Gosched()
		}
		if s := tr.Snapshot(); s.Good != 0 || s.Total != good+bad || s.Failures != bad {
			t.Errorf("%v restored %d/%d, want %d/%d", s.Labels, s.Failures, s.Total, bad, good+bad)
		}
	}
	check(f2.With("/pay"), 7, 3)
	check(f2.With("/a"), 5, 0)
	check(f2.With("/new"), 0, 4) // the overflow's state
	p2 := mustTracker(t, o, WithClock(clock.Now), WithStore(st))
	check(p2, 1, 1)
}

// With never waits for a member's saved state (the request path); a
// member made with MemberContext does, as Registry.DefineContext does, so a
// program that makes its members at start serves their restored budgets.
func TestFamilyMemberContextWaitsForTheFirstLoad(t *testing.T) {
	st := newMemStore()
	o := Objective{Name: "api", Target: 0.99}
	clock := newFakeClock()
	saved := mustTracker(t, o, WithClock(clock.Now), withMemberLabels(map[string]string{"route": "/pay"}))
	saved.RecordN(7, 3)
	if err := st.Save(context.Background(), saved.State()); err != nil {
		t.Fatal(err)
	}
	store := &blockingStore{memStore: st, release: make(chan struct{})}
	f := mustFamily(t, o, []string{"route"}, WithTrackerOptions(WithStore(store), WithClock(clock.Now)))

	made := make(chan *Tracker, 1)
	go func() { made <- f.With("/pay") }()
	select {
	case m := <-made:
		if s := m.Snapshot(); s.Total != 0 {
			t.Errorf("With restored %d events before the store answered", s.Total)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("With waited for the store")
	}

	go func() {
		time.Sleep(20 * time.Millisecond)
		close(store.release)
	}()
	m, err := f.MemberContext(context.Background(), "/pay")
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Snapshot(); s.Total != 10 || s.Failures != 3 {
		t.Errorf("MemberContext returned %d/%d, want the saved 3/10", s.Failures, s.Total)
	}
	if _, err := f.MemberContext(context.Background(), "/a", "/b"); err == nil {
		t.Error("MemberContext with two values for one label: no error")
	}
}
