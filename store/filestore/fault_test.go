//go:build unix

package filestore

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/slotest"
)

// saveCounts saves a state of the objective holding good and bad events
// in the current minute of clock.
func saveCounts(t *testing.T, s *Store, o slo.Objective, clock func() time.Time, good, bad uint64) {
	t.Helper()
	tr, err := slo.NewTracker(o, slo.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	tr.RecordN(good, bad)
	if err := s.Save(context.Background(), tr.State()); err != nil {
		t.Fatal(err)
	}
}

// asideFiles returns the files moved aside for path.
func asideFiles(t *testing.T, path string) []string {
	t.Helper()
	aside, err := filepath.Glob(path + ".corrupt-*")
	if err != nil {
		t.Fatal(err)
	}
	return aside
}

// TestReadErrorIsReturnedAndNothingIsOverwritten puts in place of an
// objective's file things that cannot be read though nothing is wrong with
// the saved state: a directory (EISDIR) and a symbolic link to itself
// (ELOOP). Load returns the error and moves nothing aside, the tracker
// saves nothing over it, and once the saved file is back (renamed over the
// link in one step) the tracker merges it with what it counted meanwhile.
func TestReadErrorIsReturnedAndNothingIsOverwritten(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, nil)
	clock := newFakeClock()
	o := slo.Objective{Name: "checkout", Target: 0.99}
	saveCounts(t, s, o, clock.Now, 90, 10)
	path := s.Path("checkout")
	saved := path + ".saved"
	if err := os.Rename(path, saved); err != nil {
		t.Fatal(err)
	}

	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Load(context.Background(), "checkout"); !errors.Is(err, syscall.EISDIR) {
		t.Errorf("Load of a directory = %v, %v; want the read error", st, err)
	}
	if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
		t.Errorf("the directory was moved: %v, %v", fi, err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Base(path), path); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Load(context.Background(), "checkout"); !errors.Is(err, syscall.ELOOP) {
		t.Errorf("Load of a symbolic link loop = %v, %v; want the read error", st, err)
	}
	if aside := asideFiles(t, path); len(aside) != 0 {
		t.Fatalf("a file that could not be read was moved aside: %v", aside)
	}

	tr, err := slo.NewTracker(o, slo.WithStore(s), slo.WithClock(clock.Now),
		slo.WithFlushInterval(5*time.Millisecond), slo.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close(context.Background())
	tr.RecordN(7, 0)
	waitFor(t, func() bool { return tr.StoreStats().Failures >= 3 })
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSymlink == 0 || tr.StoreStats().Saves != 0 {
		t.Fatalf("the tracker saved (%d saves) over a file it could not read: %v, %v", tr.StoreStats().Saves, fi, err)
	}
	if aside := asideFiles(t, path); len(aside) != 0 {
		t.Fatalf("moved aside: %v", aside)
	}

	// The fault clears: the saved state is merged, then saved.
	if err := os.Rename(saved, path); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return tr.StoreStats().Saves > 0 })
	if s := tr.Snapshot(); s.Total != 107 || s.Failures != 10 {
		t.Errorf("after the fault cleared the window holds %d/%d, want 107/10", s.Total, s.Failures)
	}
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	again := newTracker(t, o, s, clock)
	if s := again.Snapshot(); s.Total != 107 || s.Failures != 10 {
		t.Errorf("a restart restored %d/%d, want 107/10", s.Total, s.Failures)
	}
}

// The EMFILE test runs this test binary as a child process with a low
// limit of open files.
const emfileDirEnv = "FILESTORE_EMFILE_CHILD_DIR"

// TestTooManyOpenFilesNeverResetsTheWindow starts a tracker while its
// process has no file descriptor left (EMFILE), in a child process whose
// RLIMIT_NOFILE is lowered and used up: the load fails, the saved file is
// neither moved nor overwritten, and once descriptors are free again the
// tracker retries on its own (well before its hour-long flush interval)
// and merges the saved state with what it counted meanwhile.
func TestTooManyOpenFilesNeverResetsTheWindow(t *testing.T) {
	o := slo.Objective{Name: "checkout", Target: 0.99}
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return at }
	if dir := os.Getenv(emfileDirEnv); dir != "" {
		emfileChild(t, dir, o, clock)
		return
	}
	dir := t.TempDir()
	s := openStore(t, dir, nil)
	saveCounts(t, s, o, clock, 90, 10)
	cmd := exec.Command(os.Args[0], "-test.run=^TestTooManyOpenFilesNeverResetsTheWindow$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), emfileDirEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("child:\n%s", out)
	if aside := asideFiles(t, s.Path("checkout")); len(aside) != 0 {
		t.Errorf("moved aside: %v", aside)
	}
	tr := newTracker(t, o, s, slotest.NewClock(at))
	if s := tr.Snapshot(); s.Total != 107 || s.Failures != 10 {
		t.Errorf("the file holds %d/%d, want the 100/10 saved before plus the child's 7 good", s.Total, s.Failures)
	}
}

func emfileChild(t *testing.T, dir string, o slo.Objective, clock func() time.Time) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	lim.Cur = 64
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var filler []*os.File
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			if !errors.Is(err, syscall.EMFILE) {
				t.Fatalf("filling the descriptor table: %v", err)
			}
			break
		}
		filler = append(filler, f)
	}
	tr, err := slo.NewTracker(o, slo.WithStore(s), slo.WithClock(clock), slo.WithFlushInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tr.RecordN(7, 0)
	st := tr.StoreStats()
	total := tr.Snapshot().Total
	for _, f := range filler {
		f.Close()
	}
	if !st.Failing || total != 7 {
		t.Fatalf("with no descriptor left: store stats %+v, window %d; want a failing load and 7 events", st, total)
	}
	if aside := asideFiles(t, s.Path(o.Name)); len(aside) != 0 {
		t.Fatalf("moved aside: %v", aside)
	}
	deadline := time.Now().Add(10 * time.Second)
	for tr.Snapshot().Total != 107 {
		if time.Now().After(deadline) {
			t.Fatalf("the load was not retried: window holds %d events, want 107", tr.Snapshot().Total)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}
