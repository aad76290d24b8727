package filestore

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
)

// The crash test runs this test binary as a child process that records
// events into a tracker backed by a file store, and kills it.
const (
	childDirEnv    = "FILESTORE_CRASH_CHILD_DIR"
	crashObjective = "crash/test ü .."
	crashInterval  = 100 * time.Millisecond
	crashBatch     = 10 // events per RecordN, about one per millisecond
)

// TestHelperProcess is the child of TestCrashLosesAtMostOneFlushInterval;
// it does nothing in a normal run. It prints, one line each:
//
//	restored <events in the window at start>
//	recording <events this process will have recorded after this batch> <unix ns>
//	saving <events in the state> <unix ns of the state>
//	saved <save duration ns>
//	closed
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(childDirEnv)
	if dir == "" {
		return
	}
	store, err := Open(dir)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	tr, err := slo.NewTracker(slo.Objective{Name: crashObjective, Target: 0.99},
		slo.WithStore(reportingStore{store}), slo.WithFlushInterval(crashInterval),
		slo.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	fmt.Println("restored", tr.Snapshot().Total)
	close(announced)
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	var n uint64
	for {
		select {
		case <-term:
			if err := tr.Close(context.Background()); err != nil {
				fmt.Println("error", err)
				os.Exit(2)
			}
			fmt.Println("closed")
			os.Exit(0)
		default:
		}
		// Announce before recording: what the parent reads last bounds
		// what was recorded from above.
		n += crashBatch
		fmt.Println("recording", n, time.Now().UnixNano())
		tr.RecordN(crashBatch-1, 1)
		time.Sleep(time.Millisecond)
	}
}

// announced is closed once the child has said what it restored: a save
// waits for it, so that "restored" is always the child's first line, even
// when the first flush comes before the test goroutine runs again.
var announced = make(chan struct{})

// reportingStore prints each save as it begins and ends.
type reportingStore struct{ *Store }

func (r reportingStore) Save(ctx context.Context, st *slo.State) error {
	select {
	case <-announced:
	case <-ctx.Done():
		return ctx.Err()
	}
	var n uint64
	for _, w := range st.Windows {
		if w.Window == slo.DefaultWindow {
			for _, b := range w.Buckets {
				n += b.Good + b.Bad
			}
		}
	}
	fmt.Println("saving", n, st.Time.UnixNano())
	start := time.Now()
	err := r.Store.Save(ctx, st)
	if err == nil {
		fmt.Println("saved", time.Since(start).Nanoseconds())
	}
	return err
}

// child is a running TestHelperProcess.
type child struct {
	cmd      *exec.Cmd
	out      *bufio.Scanner
	restored uint64
}

func startChild(t *testing.T, dir string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	c := &child{cmd: cmd, out: bufio.NewScanner(stdout)}
	if !c.out.Scan() {
		t.Fatalf("child's output ended: %v", c.out.Err())
	}
	f := strings.Fields(c.out.Text())
	if len(f) != 2 || f[0] != "restored" {
		t.Fatalf("child said %q, want restored <n>", c.out.Text())
	}
	c.restored = num(t, f[1])
	return c
}

// A mark is a count at an instant: a batch the child announced, or the
// state of a save.
type mark struct {
	n  uint64 // events
	at int64  // unix ns
}

type runResult struct {
	recorded  []mark        // announced batches, in order
	saves     []mark        // states of the saves begun, in order
	completed int           // saves completed; saves[completed-1] is the last
	maxSave   time.Duration // longest save, including one cut by the signal
	killedAt  int64         // unix ns
	closed    bool
}

// run reads the child's output for d, then sends sig and reads the rest
// until the child exits.
func (c *child) run(t *testing.T, d time.Duration, sig os.Signal) runResult {
	t.Helper()
	lines := make(chan string)
	go func() {
		defer close(lines)
		for c.out.Scan() {
			lines <- c.out.Text()
		}
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	var r runResult
	for line := range lines {
		select {
		case <-timer.C:
			r.killedAt = time.Now().UnixNano()
			if err := c.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
		default:
		}
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "recording":
			r.recorded = append(r.recorded, mark{num(t, f[1]), int64(num(t, f[2]))})
		case len(f) == 3 && f[0] == "saving":
			r.saves = append(r.saves, mark{num(t, f[1]), int64(num(t, f[2]))})
		case len(f) == 2 && f[0] == "saved":
			r.completed = len(r.saves)
			r.maxSave = max(r.maxSave, time.Duration(num(t, f[1])))
		case len(f) == 1 && f[0] == "closed":
			r.closed = true
		default:
			t.Fatalf("child: %q", line)
		}
	}
	c.cmd.Wait()
	if len(r.recorded) == 0 || r.killedAt == 0 {
		t.Fatal("the child recorded nothing, or exited before the signal")
	}
	if r.completed < len(r.saves) { // a save under way when the signal came
		r.maxSave = max(r.maxSave, time.Duration(r.killedAt-r.saves[len(r.saves)-1].at))
	}
	return r
}

func num(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("child printed %q: %v", s, err)
	}
	return n
}

// TestCrashLosesAtMostOneFlushInterval kills a process recording about
// 10,000 events a second, saving every 100ms, with SIGKILL twice, and
// checks what its restarts restore:
//
//   - exactly the state of the last save that completed, or of the one under
//     way at the kill if its rename made it: never a torn or older state,
//     never more than was recorded;
//   - so the events lost are those of one flush interval plus the time the
//     save then under way took: no more than were recorded in the last
//     interval + 2 × the longest save + 50ms before the kill (a save
//     that overran its interval delays the next one).
//
// Then it stops the process with SIGTERM, on which it closes its tracker,
// and checks that the restart restores every event.
func TestCrashLosesAtMostOneFlushInterval(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	var total uint64 // events recorded by every run so far, as far as the restored window holds them
	c := startChild(t, dir)
	for kill := 1; kill <= 2; kill++ {
		r := c.run(t, 1200*time.Millisecond, syscall.SIGKILL)
		last := r.recorded[len(r.recorded)-1]
		maxRecorded := total + last.n // the last batch may not have been counted
		span := crashInterval + 2*r.maxSave + 50*time.Millisecond
		var before uint64
		for _, m := range r.recorded {
			if m.at <= r.killedAt-int64(span) {
				before = m.n
			}
		}
		allowed := last.n - before
		c = startChild(t, dir)
		got := c.restored
		restored := -1 // index of the save restored
		for i := len(r.saves) - 1; i >= 0; i-- {
			if r.saves[i].n == got {
				restored = i
				break
			}
		}
		lost := maxRecorded - min(got, maxRecorded)
		t.Logf("kill %d: recorded ≤ %d events; %d saves begun, %d completed, longest %v; restored %d (save %d), lost %d: the events of the last %v; allowed %d (those of the last %v)",
			kill, maxRecorded, len(r.saves), r.completed, r.maxSave, got, restored+1, lost,
			time.Duration(r.killedAt-r.saves[max(restored, 0)].at).Round(time.Millisecond), allowed, span)
		switch {
		case r.completed < 3:
			t.Fatalf("kill %d: only %d saves completed in %v at a %v interval", kill, r.completed, 1200*time.Millisecond, crashInterval)
		case got > maxRecorded:
			t.Fatalf("kill %d: restored %d events, more than the %d recorded", kill, got, maxRecorded)
		case restored < 0:
			t.Fatalf("kill %d: restored %d events, which no save held", kill, got)
		case restored+1 < r.completed:
			t.Fatalf("kill %d: restored save %d, older than the last completed, %d", kill, restored+1, r.completed)
		case lost > allowed:
			t.Fatalf("kill %d: lost %d events, more than the %d recorded in the last %v", kill, lost, allowed, span)
		}
		total = got
	}
	r := c.run(t, 500*time.Millisecond, syscall.SIGTERM)
	if !r.closed {
		t.Fatal("the child did not close its tracker on SIGTERM")
	}
	want := total + r.recorded[len(r.recorded)-1].n
	c = startChild(t, dir)
	if c.restored != want {
		t.Fatalf("after a graceful shutdown restored %d events, want all %d", c.restored, want)
	}
	t.Logf("graceful shutdown: restored all %d events", want)
}
