package audit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// numbered returns the n-th test event.
func numbered(n int) Event {
	return Event{
		Kind:      BurnStarted,
		Timestamp: time.Date(2026, 11, 1, 0, 0, n, 0, time.UTC),
		Payload:   Payload{SLOName: fmt.Sprintf("slo-%03d", n), Window: time.Hour, BurnRate: 20, Threshold: 14.4, SuccessRatio: 0.98, SampleCount: 1000},
	}
}

// names returns the SLO names of stored events, in order.
func names(evs []received) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Payload["slo_name"].(string)
	}
	return out
}

func wantNames(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, numbered(i).Payload.SLOName)
	}
	return out
}

func closeWithin(t *testing.T, s *Sink, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestSinkDeliversEventsInOrderWithIDs(t *testing.T) {
	r := newReceiver(t, testToken)
	s, _ := newTestSink(t, r, Config{Source: "checkout-service"})
	for i := 1; i <= 20; i++ {
		s.Enqueue(numbered(i))
	}
	closeWithin(t, s, 10*time.Second)

	got := r.stored()
	if diff := fmt.Sprint(names(got)); diff != fmt.Sprint(wantNames(1, 20)) {
		t.Fatalf("stored %v, want slo-001..slo-020 in order", diff)
	}
	for i, e := range got {
		if e.ID != i+1 || e.Source != "checkout-service" || !e.Timestamp.Equal(numbered(i+1).Timestamp) {
			t.Errorf("event %d: id %d source %q time %v", i, e.ID, e.Source, e.Timestamp)
		}
	}
	if st := s.Stats(); st.Sent != 20 || st.Failed != 0 || st.Dropped != 0 || st.Retried != 0 {
		t.Errorf("stats %+v, want 20 sent and nothing else", st)
	}
	if _, _, invalid := r.stats(); len(invalid) > 0 {
		t.Errorf("the receiver rejected bodies: %v", invalid)
	}
}

func TestSinkLosesNothingThatFitsInTheQueueWhenTheReceiverRecovers(t *testing.T) {
	for _, m := range []mode{modeDown, mode500, modeSlow, mode429} {
		t.Run("receiver "+m.String(), func(t *testing.T) {
			r := newReceiver(t, testToken)
			s, logs := newTestSink(t, r, Config{QueueSize: 16, Timeout: 100 * time.Millisecond})
			r.set(m)
			const n = 12 // 1 in flight + 11 queued: fits
			for i := 1; i <= n; i++ {
				s.Enqueue(numbered(i))
			}
			eventually(t, 5*time.Second, "a retry", func() bool { return s.Stats().Retried >= 1 })
			r.set(modeOK)
			closeWithin(t, s, 10*time.Second)

			if got := names(r.stored()); fmt.Sprint(got) != fmt.Sprint(wantNames(1, n)) {
				t.Fatalf("stored %v, want all %d in order", got, n)
			}
			st := s.Stats()
			if st.Sent != n || st.Failed != 0 || st.Dropped != 0 {
				t.Errorf("stats %+v, want %d sent, none failed or dropped", st, n)
			}
			if !strings.Contains(logs.String(), "retrying with backoff") || !strings.Contains(logs.String(), "reachable again") {
				t.Errorf("the outage and the recovery should be logged once each:\n%s", logs)
			}
			if m == modeSlow {
				if _, dup, _ := r.stats(); dup == 0 {
					t.Errorf("the slow receiver saw no retry of a stored event; the idempotency key was not exercised")
				}
			}
		})
	}
}

func TestSinkDoesNotRetryARejectedEventAndLogsItOnce(t *testing.T) {
	for _, tc := range []struct {
		mode    mode
		status  string
		message string
	}{
		{mode401, "status=401", "token revoked"},
		{modeInvalid, "status=422", "schema changed"},
	} {
		t.Run("receiver "+tc.mode.String(), func(t *testing.T) {
			r := newReceiver(t, testToken)
			s, logs := newTestSink(t, r, Config{})
			r.set(tc.mode)
			for i := 1; i <= 5; i++ {
				s.Enqueue(numbered(i))
			}
			eventually(t, 5*time.Second, "5 failed", func() bool { return s.Stats().Failed == 5 })
			if requests, _, _ := r.stats(); requests != 5 {
				t.Errorf("%d requests for 5 rejected events: a rejection was retried", requests)
			}
			if st := s.Stats(); st.Retried != 0 || st.Sent != 0 {
				t.Errorf("stats %+v, want no retry and nothing sent", st)
			}
			log := logs.String()
			if n := strings.Count(log, "rejected the event"); n != 1 {
				t.Errorf("the rejection was logged %d times, want once:\n%s", n, log)
			}
			if !strings.Contains(log, tc.status) || !strings.Contains(log, tc.message) {
				t.Errorf("the log lacks the status %q or the server's message %q:\n%s", tc.status, tc.message, log)
			}

			r.set(modeOK)
			s.Enqueue(numbered(6))
			closeWithin(t, s, 5*time.Second)
			if got := names(r.stored()); fmt.Sprint(got) != fmt.Sprint(wantNames(6, 6)) {
				t.Errorf("after the receiver recovered it stored %v, want [slo-006]", got)
			}
		})
	}
}

func TestSinkDropsTheOldestEventWhenTheQueueIsFull(t *testing.T) {
	r := newReceiver(t, testToken)
	s, _ := newTestSink(t, r, Config{QueueSize: 3})
	r.set(modeDown)
	s.Enqueue(numbered(1))
	eventually(t, 5*time.Second, "event 1 in flight", func() bool { return s.Stats().Retried >= 1 })
	for i := 2; i <= 7; i++ { // 6 events into a queue of 3: 2, 3 and 4 go
		s.Enqueue(numbered(i))
	}
	if st := s.Stats(); st.Dropped != 3 || st.Queued != 3 {
		t.Fatalf("stats %+v, want 3 dropped and 3 queued", st)
	}
	r.set(modeOK)
	closeWithin(t, s, 10*time.Second)
	want := []string{"slo-001", "slo-005", "slo-006", "slo-007"}
	if got := names(r.stored()); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("stored %v, want %v: the oldest queued events go first", got, want)
	}
	if st := s.Stats(); st.Sent != 4 || st.Dropped != 3 || st.Failed != 0 {
		t.Errorf("stats %+v, want 4 sent, 3 dropped", st)
	}
}

func TestCloseDeliversEverythingQueued(t *testing.T) {
	r := newReceiver(t, testToken)
	s, _ := newTestSink(t, r, Config{QueueSize: 128})
	for i := 1; i <= 100; i++ {
		s.Enqueue(numbered(i))
	}
	closeWithin(t, s, 20*time.Second)
	if got := len(r.stored()); got != 100 {
		t.Fatalf("stored %d events after Close, want 100", got)
	}
	if st := s.Stats(); st.Sent != 100 || st.Queued != 0 {
		t.Errorf("stats %+v", st)
	}
	s.Enqueue(numbered(101))
	if st := s.Stats(); st.Dropped != 1 {
		t.Errorf("an event enqueued after Close should be dropped and counted, stats %+v", st)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

func TestCloseGivesUpWhenItsContextEnds(t *testing.T) {
	r := newReceiver(t, testToken)
	s, _ := newTestSink(t, r, Config{})
	r.set(modeDown)
	for i := 1; i <= 5; i++ {
		s.Enqueue(numbered(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Close(ctx)
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want an error wrapping context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "5 events undelivered") || strings.Contains(err.Error(), testToken) {
		t.Errorf("Close error %q should count the 5 undelivered events and hide the token", err)
	}
	if took > time.Second {
		t.Errorf("Close took %v with a 150ms context", took)
	}
	if st := s.Stats(); st.Failed != 5 || st.Sent != 0 || st.Queued != 0 {
		t.Errorf("stats %+v, want the 5 counted as failed", st)
	}
}

func TestSinkHonoursRetryAfter(t *testing.T) {
	r := newReceiver(t, testToken)
	s, _ := newTestSink(t, r, Config{})
	r.set(mode429)
	s.Enqueue(numbered(1))
	eventually(t, 5*time.Second, "a second attempt", func() bool { n, _, _ := r.stats(); return n >= 2 })
	r.mu.Lock()
	gap := r.times[1].Sub(r.times[0])
	r.mu.Unlock()
	if gap < 900*time.Millisecond {
		t.Errorf("retried after %v, want the 1s the server asked for (backoff alone is 2ms)", gap)
	}
	r.set(modeOK)
	closeWithin(t, s, 5*time.Second)
	if got := len(r.stored()); got != 1 {
		t.Errorf("stored %d, want 1", got)
	}
}

func TestTokenNeverAppearsInLogsErrorsOrMetrics(t *testing.T) {
	r := newReceiver(t, testToken)
	s, logs := newTestSink(t, r, Config{MaxAttempts: 2})
	for i, m := range []mode{modeDown, mode500, modeSlow, mode401, mode429, modeInvalid} {
		r.set(m)
		s.Enqueue(numbered(i))
		eventually(t, 10*time.Second, "the event given up", func() bool { st := s.Stats(); return st.Failed == uint64(i+1) })
	}
	r.set(modeDown)
	s.Enqueue(numbered(10))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	closeErr := s.Close(ctx)

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s)
	var metrics strings.Builder
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		metrics.WriteString(f.String())
	}
	for what, text := range map[string]string{"log": logs.String(), "Close error": fmt.Sprint(closeErr), "metrics": metrics.String()} {
		if strings.Contains(text, testToken[:8]) {
			t.Errorf("the token appears in the %s:\n%s", what, text)
		}
	}
	if !strings.Contains(logs.String(), "[token]") {
		t.Errorf("the 401 body echoed the Authorization header; the log should show it redacted:\n%s", logs)
	}
}

func TestSinkExportsItsCountersToPrometheus(t *testing.T) {
	r := newReceiver(t, testToken)
	s, _ := newTestSink(t, r, Config{QueueSize: 1})
	s.Enqueue(numbered(1))
	eventually(t, 5*time.Second, "sent", func() bool { return s.Stats().Sent == 1 })
	r.set(mode401)
	s.Enqueue(numbered(2))
	eventually(t, 5*time.Second, "failed", func() bool { return s.Stats().Failed == 1 })
	r.set(modeDown)
	s.Enqueue(numbered(3))
	eventually(t, 5*time.Second, "retried", func() bool { return s.Stats().Retried >= 1 })
	s.Enqueue(numbered(4))
	s.Enqueue(numbered(5)) // pushes 4 out
	r.set(modeOK)
	closeWithin(t, s, 5*time.Second)

	st := s.Stats()
	want := fmt.Sprintf(`
# HELP slo_audit_events_dropped_total Audit events dropped from a full queue (the oldest first) or enqueued after shutdown.
# TYPE slo_audit_events_dropped_total counter
slo_audit_events_dropped_total 1
# HELP slo_audit_events_failed_total Audit events given up: rejected by the audit stream, out of attempts, or undelivered at shutdown.
# TYPE slo_audit_events_failed_total counter
slo_audit_events_failed_total 1
# HELP slo_audit_events_sent_total Audit events accepted by the audit stream.
# TYPE slo_audit_events_sent_total counter
slo_audit_events_sent_total 3
# HELP slo_audit_queue_events Audit events waiting for delivery.
# TYPE slo_audit_queue_events gauge
slo_audit_queue_events 0
# HELP slo_audit_retries_total Delivery attempts of audit events after a failed attempt.
# TYPE slo_audit_retries_total counter
slo_audit_retries_total %d
`, st.Retried)
	if err := testutil.CollectAndCompare(s, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if lint, err := testutil.CollectAndLint(s); err != nil || len(lint) > 0 {
		t.Errorf("metric lint: %v %v", lint, err)
	}
}

func TestNilSinkDoesNothing(t *testing.T) {
	var s *Sink
	s.Enqueue(numbered(1))
	if st := s.Stats(); st != (Stats{}) {
		t.Errorf("nil sink stats %+v", st)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Errorf("nil sink Close: %v", err)
	}
	if n := testutil.CollectAndCount(s); n != 0 {
		t.Errorf("nil sink collected %d metrics", n)
	}
}

func TestBackoffGrowsExponentiallyWithJitterUpToTheLimit(t *testing.T) {
	base, limit := 100*time.Millisecond, 30*time.Second
	for _, tc := range []struct {
		attempt int
		full    time.Duration
	}{
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{5, 1600 * time.Millisecond},
		{9, 25600 * time.Millisecond},
		{10, limit},
		{64, limit},
		{1000, limit},
	} {
		lo, hi := tc.full, time.Duration(0)
		for range 200 {
			d := backoff(base, limit, tc.attempt)
			lo, hi = min(lo, d), max(hi, d)
		}
		if lo < tc.full/2 || hi > tc.full || hi-lo < tc.full/10 {
			t.Errorf("attempt %d: waits in [%v, %v], want jittered within [%v, %v]", tc.attempt, lo, hi, tc.full/2, tc.full)
		}
	}
}

func TestParseRetryAfterReadsSecondsAndDates(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{" 0 ", 0},
		{"-1", 0},
		{"1.5", 0},
		{"soon", 0},
		{"86400", maxRetryAfter},
		{"99999999999999999999", 0},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{now.Add(24 * time.Hour).Format(http.TimeFormat), maxRetryAfter},
	} {
		if got := parseRetryAfter(tc.header, now); got != tc.want {
			t.Errorf("Retry-After %q: %v, want %v", tc.header, got, tc.want)
		}
	}
}
