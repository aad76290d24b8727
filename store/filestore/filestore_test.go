package filestore

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/slotest"
	"github.com/slo-budget-tracker/slo/store/internal/storetest"
)

// syncBuffer collects log output from the trackers' goroutines.
type syncBuffer = slotest.Buffer

func newFakeClock() *slotest.Clock {
	return slotest.NewClock(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))
}

func openStore(t *testing.T, dir string, logs *syncBuffer) *Store {
	t.Helper()
	var opts []Option
	if logs != nil {
		opts = append(opts, WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	}
	s, err := Open(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newTracker(t *testing.T, o slo.Objective, s *Store, clock *slotest.Clock) *slo.Tracker {
	t.Helper()
	tr, err := slo.NewTracker(o, slo.WithStore(s), slo.WithClock(clock.Now),
		slo.WithFlushInterval(time.Hour), slo.WithLogger(s.log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close(context.Background()) })
	return tr
}

func closeTracker(t *testing.T, tr *slo.Tracker) {
	t.Helper()
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestRestartRestoresTheWindow(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock()
	o := slo.Objective{Name: "checkout", Target: 0.99}
	first := newTracker(t, o, openStore(t, dir, nil), clock)
	for range 48 {
		first.RecordN(100, 3)
		clock.Advance(time.Hour)
	}
	want := first.Snapshot()
	closeTracker(t, first)

	second := newTracker(t, o, openStore(t, dir, nil), clock)
	got := second.Snapshot()
	if got.Total != want.Total || got.Failures != want.Failures || got.Total != 4800+144 {
		t.Fatalf("restored %d/%d, want %d/%d", got.Total, got.Failures, want.Total, want.Failures)
	}
	for i := range want.BurnRates {
		if got.BurnRates[i] != want.BurnRates[i] {
			t.Errorf("restored %+v, want %+v", got.BurnRates[i], want.BurnRates[i])
		}
	}
	for i := range want.Tiers {
		if got.Tiers[i] != want.Tiers[i] {
			t.Errorf("restored %+v, want %+v", got.Tiers[i], want.Tiers[i])
		}
	}
}

func TestLoadWithoutSavedStateReturnsNil(t *testing.T) {
	st, err := openStore(t, t.TempDir(), nil).Load(context.Background(), "never-saved")
	if st != nil || err != nil {
		t.Fatalf("Load = %v, %v; want nil, nil", st, err)
	}
}

// TestRestoreDropsBucketsOlderThanTheWindow saves a day of a one-hour
// window and restores it 75 minutes later: only what happened in the last
// hour (plus at most one bucket) counts.
func TestRestoreDropsBucketsOlderThanTheWindow(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock()
	o := slo.Objective{Name: "short", Target: 0.99, Window: time.Hour, BurnRateWindows: []time.Duration{5 * time.Minute}}
	first := newTracker(t, o, openStore(t, dir, nil), clock)
	first.RecordN(1000, 100) // 12:00, out of the window at restore
	clock.Advance(30 * time.Minute)
	first.RecordN(10, 1) // 12:30, in it
	closeTracker(t, first)

	clock.Advance(45 * time.Minute) // 13:15
	second := newTracker(t, o, openStore(t, dir, nil), clock)
	s := second.Snapshot()
	if s.Total != 11 || s.Failures != 1 {
		t.Errorf("restored window %d/%d, want 11/1 (the 12:00 events are older than the 1h window)", s.Total, s.Failures)
	}
	if s.BurnRates[0].Total != 0 {
		t.Errorf("5m window restored %d events, want 0", s.BurnRates[0].Total)
	}
	closeTracker(t, second)

	clock.Advance(2 * time.Hour)
	third := newTracker(t, o, openStore(t, dir, nil), clock)
	if s := third.Snapshot(); s.Total != 0 {
		t.Errorf("restored %d events from a state older than the window", s.Total)
	}
}

// TestFileNamesAreSafeAndDistinct saves objectives with hostile and
// colliding names side by side and loads each back.
func TestFileNamesAreSafeAndDistinct(t *testing.T) {
	names := []string{
		"checkout", "Checkout", "CHECKOUT", "!checkout", "%43heckout",
		"a/b", "a%2Fb", "../../etc/passwd", "..", ".", ".hidden", "a..b",
		"tmp.json.tmp-1", "x.corrupt-1", "名前 with spaces", "emoji 🚀", `back\slash`, "a:b*c?d[e]",
		strings.Repeat("long-", 40),                   // 200 bytes, escapes to itself
		strings.Repeat("L", 100),                      // escapes to 200 bytes: hashed
		strings.Repeat("L", 99) + "M",                 // same cut prefix, other hash
		strings.Repeat("ü", 100),                      // 200 bytes, escapes to 600
		strings.Repeat("ü", 99) + "x",                 // shares the cut prefix
		strings.Repeat("a", 179) + "~" + "0123456789", // looks like a hashed name
	}
	dir := t.TempDir()
	s := openStore(t, dir, nil)
	seen := map[string]string{}
	ctx := context.Background()
	for i, name := range names {
		path := s.Path(name)
		if filepath.Dir(path) != filepath.Clean(dir) {
			t.Errorf("%q is stored outside the directory: %s", name, path)
		}
		base := filepath.Base(path)
		if len(base)+len(".corrupt-20060102T150405.000000000Z") > 255 {
			t.Errorf("%q: file name %q is too long (%d bytes)", name, base, len(base))
		}
		if strings.HasPrefix(base, ".") {
			t.Errorf("%q: hidden file name %q", name, base)
		}
		folded := strings.ToLower(base)
		if other, dup := seen[folded]; dup {
			t.Errorf("%q and %q share the file name %q (ignoring case)", name, other, base)
		}
		seen[folded] = name
		st := &slo.State{Objective: name, Time: time.Unix(1e9, 0).UTC(), Windows: []slo.WindowState{{
			Window: time.Hour, BucketWidth: time.Minute,
			Buckets: []slo.Bucket{{Start: time.Unix(1e9-40, 0).UTC(), Good: uint64(i + 1)}},
		}}}
		if err := s.Save(ctx, st); err != nil {
			t.Fatalf("saving %q: %v", name, err)
		}
	}
	for i, name := range names {
		st, err := s.Load(ctx, name)
		if err != nil || st == nil {
			t.Fatalf("loading %q: %v, %v", name, st, err)
		}
		if got := st.Windows[0].Buckets[0].Good; st.Objective != name || got != uint64(i+1) {
			t.Errorf("loading %q gave objective %q with count %d, want %d", name, st.Objective, got, i+1)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(names) {
		t.Errorf("%d files for %d objectives", len(entries), len(names))
	}
}

// TestUnreadableFileIsMovedAside checks that a state that cannot be loaded
// is kept under another name, logged, and does not stop the tracker.
func TestUnreadableFileIsMovedAside(t *testing.T) {
	tests := []struct {
		name    string
		content string
		reason  string
	}{
		{"garbage", "\x00\x01 not json", "not a state document"},
		{"empty file", "", "not a state document"},
		{"truncated by a crash without the rename", `{"version":1,"objective":"checkout","time":"2026-11-01T`, "not a state document"},
		{"future version", `{"version":7,"objective":"checkout","time":"2026-11-01T00:00:00Z"}`, "unsupported version 7"},
		{"another objective's state", `{"version":1,"objective":"payments","time":"2026-11-01T00:00:00Z","windows":[]}`, `objective \"payments\"`},
		{"ragged buckets", `{"version":1,"objective":"checkout","time":"2026-11-01T00:00:00Z","windows":[{"window_ns":60,"width_ns":1,"k":[1],"good":[],"bad":[]}]}`, "k, good and bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			logs := &syncBuffer{}
			s := openStore(t, dir, logs)
			path := s.Path("checkout")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			clock := newFakeClock()
			tr := newTracker(t, slo.Objective{Name: "checkout", Target: 0.99}, s, clock)
			if s := tr.Snapshot(); s.Total != 0 {
				t.Errorf("a corrupt file restored %d events", s.Total)
			}
			if st := tr.StoreStats(); st.Failing {
				t.Errorf("tracker reports its store failing after a corrupt file was moved aside: %+v", st)
			}
			aside, _ := filepath.Glob(path + ".corrupt-*")
			if len(aside) != 1 {
				t.Fatalf("want one file moved aside, found %v", aside)
			}
			if got, _ := os.ReadFile(aside[0]); string(got) != tt.content {
				t.Errorf("the moved file holds %q, want the original %q", got, tt.content)
			}
			log := logs.String()
			for _, want := range []string{"level=ERROR", "unreadable", path, aside[0], tt.reason} {
				if !strings.Contains(log, want) {
					t.Errorf("log lacks %q:\n%s", want, log)
				}
			}
			tr.RecordN(5, 1)
			closeTracker(t, tr)
			st, err := s.Load(context.Background(), "checkout")
			if err != nil || st == nil {
				t.Fatalf("after the tracker saved: %v, %v", st, err)
			}
			if got, _ := os.ReadFile(aside[0]); string(got) != tt.content {
				t.Error("the file moved aside was changed by a later save")
			}
		})
	}
}

// TestUnmovableFileIsNeverOverwritten makes the move aside fail: the load
// fails, the tracker starts empty and saves nothing over the bad file until
// the move succeeds.
func TestUnmovableFileIsNeverOverwritten(t *testing.T) {
	dir := t.TempDir()
	logs := &syncBuffer{}
	s := openStore(t, dir, logs)
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return at }
	path := s.Path("checkout")
	const bad = "corrupt"
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	// A non-empty directory where the file would be moved to.
	obstacle := path + ".corrupt-20261101T000000.000000000Z"
	if err := os.MkdirAll(filepath.Join(obstacle, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	tr, err := slo.NewTracker(slo.Objective{Name: "checkout", Target: 0.99}, slo.WithStore(s),
		slo.WithFlushInterval(5*time.Millisecond), slo.WithLogger(s.log))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close(context.Background())
	tr.RecordN(3, 0)
	waitFor(t, func() bool { return tr.StoreStats().Failures >= 3 })
	if got, _ := os.ReadFile(path); string(got) != bad {
		t.Fatalf("the unloadable file was overwritten with %q", got)
	}
	if !strings.Contains(logs.String(), "nor moved aside") {
		t.Errorf("log does not say the file could not be moved:\n%s", logs)
	}
	if err := os.RemoveAll(obstacle); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return tr.StoreStats().Saves > 0 })
	if got, _ := os.ReadFile(obstacle); string(got) != bad {
		t.Errorf("moved file holds %q, want %q", got, bad)
	}
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, err := s.Load(context.Background(), "checkout")
	if err != nil || st == nil {
		t.Fatalf("Load after recovery: %v, %v", st, err)
	}
}

func TestSaveLeavesNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, nil)
	stale := s.Path("checkout") + tempInfix + "12345"
	if err := os.WriteFile(stale, []byte("half a state"), 0o600); err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	tr := newTracker(t, slo.Objective{Name: "checkout", Target: 0.99}, s, clock)
	for range 10 {
		tr.RecordN(1, 0)
		if err := s.Save(context.Background(), tr.State()); err != nil {
			t.Fatal(err)
		}
	}
	closeTracker(t, tr)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "checkout.json" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only checkout.json", names)
	}
}

func TestOpenRejectsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"", file, filepath.Join(file, "sub")} {
		if _, err := Open(dir); err == nil {
			t.Errorf("Open(%q) succeeded", dir)
		}
	}
}

func TestSaveFailsInAMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	s := openStore(t, dir, nil)
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	st := &slo.State{Objective: "x", Windows: []slo.WindowState{{Window: time.Hour, BucketWidth: time.Minute}}}
	if err := s.Save(context.Background(), st); err == nil || !strings.Contains(err.Error(), `saving "x"`) {
		t.Errorf("Save into a removed directory: %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCleanupTouchesOnlyItsOwnObjective saves an objective named like
// another's temporary file, then loads the other: the cleanup of leftover
// temporary files must leave the first objective's state alone.
func TestCleanupTouchesOnlyItsOwnObjective(t *testing.T) {
	s := openStore(t, t.TempDir(), nil)
	ctx := context.Background()
	names := []string{"a", "a.json.tmp-x", "a.json+tmp-x", "a.json.corrupt-x"}
	for i, name := range names {
		st := &slo.State{Objective: name, Time: time.Unix(1e9, 0).UTC(), Windows: []slo.WindowState{{
			Window: time.Hour, BucketWidth: time.Minute,
			Buckets: []slo.Bucket{{Start: time.Unix(1e9-40, 0).UTC(), Good: uint64(i + 1)}},
		}}}
		if err := s.Save(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range names {
		if _, err := s.Load(ctx, name); err != nil { // each Load cleans up its own temporary files
			t.Fatal(err)
		}
	}
	for i, name := range names {
		st, err := s.Load(ctx, name)
		if err != nil || st == nil || st.Windows[0].Buckets[0].Good != uint64(i+1) {
			t.Errorf("objective %q after the others' cleanups: %+v, %v", name, st, err)
		}
	}
}

func TestRestartRestoresEveryFamilyMember(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock()
	storetest.FamilyRestart(t, func() slo.Store { return openStore(t, dir, nil) }, clock.Now)
	// One file per member, the overflow and the plain objective.
	if files, _ := filepath.Glob(filepath.Join(dir, "*.json")); len(files) != 8 {
		t.Errorf("%d state files, want 8: %v", len(files), files)
	}
}

func TestRestartKeepsCorrectionsAndSlices(t *testing.T) {
	dir := t.TempDir()
	storetest.CorrectionsAndSlicesRestart(t, func() slo.Store { return openStore(t, dir, nil) }, newFakeClock())
}
