package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/internal/slotest"
)

// mode is how the test receiver answers.
type mode int

const (
	modeOK      mode = iota
	modeDown         // the listener is closed: connections are refused
	mode500          // 500 to every request
	modeSlow         // stores the event, then answers only after the client gave up
	mode401          // the token is revoked: 401, echoing the Authorization header
	mode429          // 429 with Retry-After: 1
	modeInvalid      // 422 to every request
)

func (m mode) String() string {
	return [...]string{"ok", "down", "500", "slow", "401", "429", "422"}[m]
}

// received is one event the receiver stored.
type received struct {
	ID        int
	Kind      string
	Source    string
	Timestamp time.Time
	Payload   map[string]any
}

// receiver is a real audit-stream receiver on loopback implementing the
// contract: POST /events with a bearer token and a strictly checked JSON
// body; it assigns event ids and honours Idempotency-Key, so a retried
// event is stored once.
type receiver struct {
	t     testing.TB
	token string
	addr  string

	mu        sync.Mutex
	mode      mode
	srv       *http.Server
	release   chan struct{} // closed to end the slow answers
	events    []received
	keys      map[string]int // idempotency key -> event id
	requests  int
	times     []time.Time // when each request arrived
	duplicate int         // requests for an event already stored
	invalid   []string    // why bodies were rejected
}

func newReceiver(t testing.TB, token string) *receiver {
	t.Helper()
	r := &receiver{t: t, token: token, keys: map[string]int{}, release: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("receiver: %v", err)
	}
	r.addr = ln.Addr().String()
	r.serve(ln)
	t.Cleanup(func() {
		r.mu.Lock()
		srv := r.srv
		r.srv = nil
		r.mode = modeDown
		select {
		case <-r.release:
		default:
			close(r.release)
		}
		r.mu.Unlock()
		if srv != nil {
			srv.Close()
		}
	})
	return r
}

// serve starts a server on ln; r.mu must not be held by another caller.
func (r *receiver) serve(ln net.Listener) {
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	r.srv = srv
	go func() { _ = srv.Serve(ln) }()
}

// URL is the base URL to configure a sink with.
func (r *receiver) URL() string { return "http://" + r.addr }

// set switches the receiver to m; down closes the listener and every
// connection, leaving down listens again on the same port.
func (r *receiver) set(m mode) {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.mode
	r.mode = m
	if old == modeSlow && m != modeSlow {
		close(r.release)
		r.release = make(chan struct{})
	}
	switch {
	case m == modeDown && old != modeDown:
		srv := r.srv
		r.srv = nil
		srv.Close()
	case m != modeDown && old == modeDown:
		var ln net.Listener
		var err error
		for range 50 { // the port was ours a moment ago
			if ln, err = net.Listen("tcp", r.addr); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			r.t.Fatalf("receiver: listening again on %s: %v", r.addr, err)
		}
		r.serve(ln)
	}
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.requests++
	r.times = append(r.times, time.Now())
	m, release := r.mode, r.release
	r.mu.Unlock()

	if req.URL.Path != "/events" {
		http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
		return
	}
	if req.Method != http.MethodPost {
		http.Error(w, `{"error":"method not allowed"}`, http.StatusMethodNotAllowed)
		return
	}
	switch m {
	case mode500:
		http.Error(w, `{"error":"database unavailable"}`, http.StatusInternalServerError)
		return
	case mode401:
		// A careless server echoes what it got: the sink must not log it,
		// not even the part before the 200th byte, where the token starts.
		pad := strings.Repeat("x", 142)
		http.Error(w, fmt.Sprintf(`{"error":"token revoked","pad":"%s","got":%q}`, pad, req.Header.Get("Authorization")), http.StatusUnauthorized)
		return
	case mode429:
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"error":"slow down"}`, http.StatusTooManyRequests)
		return
	case modeInvalid:
		http.Error(w, `{"error":"payload.window_seconds: schema changed"}`, http.StatusUnprocessableEntity)
		return
	}
	if req.Header.Get("Authorization") != "Bearer "+r.token {
		http.Error(w, `{"error":"missing or wrong bearer token"}`, http.StatusUnauthorized)
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/json" {
		http.Error(w, `{"error":"content type must be application/json"}`, http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		return
	}
	ev, err := validate(body)
	if err != nil {
		r.mu.Lock()
		r.invalid = append(r.invalid, err.Error())
		r.mu.Unlock()
		http.Error(w, fmt.Sprintf(`{"error":%q}`, err.Error()), http.StatusUnprocessableEntity)
		return
	}
	key := req.Header.Get("Idempotency-Key")
	r.mu.Lock()
	id, seen := r.keys[key]
	if seen && key != "" {
		r.duplicate++
	} else {
		id = len(r.events) + 1
		ev.ID = id
		r.events = append(r.events, ev)
		if key != "" {
			r.keys[key] = id
		}
	}
	r.mu.Unlock()
	if m == modeSlow { // stored, but the answer comes too late
		select {
		case <-req.Context().Done():
		case <-release:
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if seen {
		w.WriteHeader(http.StatusOK)
	} else {
		w.WriteHeader(http.StatusCreated)
	}
	fmt.Fprintf(w, `{"event_id":%d}`, id)
}

// validate checks an event body strictly: exactly the four fields, a known
// kind, a source, an RFC 3339 timestamp and exactly the payload fields of
// the contract, with the tier fields all present or all absent.
func validate(body []byte) (received, error) {
	var ev received
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return ev, fmt.Errorf("body: %w", err)
	}
	for k := range top {
		switch k {
		case "kind", "source", "payload", "timestamp":
		default:
			return ev, fmt.Errorf("unknown field %q", k)
		}
	}
	var ts string
	var payload map[string]json.RawMessage
	for name, dst := range map[string]any{"kind": &ev.Kind, "source": &ev.Source, "timestamp": &ts, "payload": &payload} {
		raw, ok := top[name]
		if !ok {
			return ev, fmt.Errorf("missing field %q", name)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return ev, fmt.Errorf("%s: %w", name, err)
		}
	}
	switch ev.Kind {
	case "slo_burn_started", "slo_recovered", "slo_budget_exhausted", "slo_budget_restored":
	default:
		return ev, fmt.Errorf("kind %q is not an SLO kind", ev.Kind)
	}
	if ev.Source == "" {
		return ev, errors.New("source is empty")
	}
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return ev, fmt.Errorf("timestamp: %w", err)
	}
	ev.Timestamp = t
	numbers := []string{"window_seconds", "burn_rate", "threshold", "success_ratio", "sample_count", "error_budget_remaining"}
	tier := []string{"severity", "long_window", "short_window"}
	ev.Payload = map[string]any{}
	for _, k := range numbers {
		raw, ok := payload[k]
		if !ok {
			return ev, fmt.Errorf("payload: missing %q", k)
		}
		var f float64
		if err := json.Unmarshal(raw, &f); err != nil {
			return ev, fmt.Errorf("payload.%s: %w", k, err)
		}
		ev.Payload[k] = f
	}
	var name string
	if err := json.Unmarshal(payload["slo_name"], &name); err != nil || name == "" {
		return ev, errors.New("payload.slo_name: want a non-empty string")
	}
	ev.Payload["slo_name"] = name
	present := 0
	for _, k := range tier {
		raw, ok := payload[k]
		if !ok {
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || s == "" {
			return ev, fmt.Errorf("payload.%s: want a non-empty string", k)
		}
		ev.Payload[k] = s
		present++
	}
	if present != 0 && present != len(tier) {
		return ev, fmt.Errorf("payload: tier fields %v must come together", tier)
	}
	if len(payload) != 1+len(numbers)+present {
		return ev, fmt.Errorf("payload: unknown fields in %s", body)
	}
	if sc := ev.Payload["sample_count"].(float64); sc != float64(uint64(sc)) {
		return ev, errors.New("payload.sample_count: want a whole number")
	}
	if r := ev.Payload["success_ratio"].(float64); r < 0 || r > 1 {
		return ev, errors.New("payload.success_ratio: outside [0, 1]")
	}
	if w := ev.Payload["window_seconds"].(float64); w <= 0 {
		return ev, errors.New("payload.window_seconds: not positive")
	}
	return ev, nil
}

// stored returns the events stored so far.
func (r *receiver) stored() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.events...)
}

func (r *receiver) stats() (requests, duplicates int, invalid []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests, r.duplicate, append([]string(nil), r.invalid...)
}

// logBuffer captures a logger's output for concurrent writers.
type logBuffer = slotest.Buffer

// testToken is the secret the tests grep for.
const testToken = "s3cr3t-T0KEN-do-not-log"

// newTestSink returns a sink to r with fast retries and a captured log,
// closed at cleanup.
func newTestSink(t testing.TB, r *receiver, c Config) (*Sink, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	c.URL = r.URL()
	c.Token = testToken
	if c.Timeout == 0 {
		c.Timeout = 200 * time.Millisecond
	}
	if c.Backoff == 0 {
		c.Backoff = 2 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 20 * time.Millisecond
	}
	c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := contextWithTimeout(time.Second)
		defer cancel()
		_ = s.Close(ctx)
		if strings.Contains(logs.String(), testToken[:8]) {
			t.Errorf("the token leaked into the log:\n%s", logs)
		}
	})
	return s, logs
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
