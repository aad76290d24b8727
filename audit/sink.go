package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A Sink delivers events to an audit stream. Enqueue never waits: events
// wait in a bounded queue and one goroutine posts them in order, retrying
// what may succeed later. A Sink is safe for concurrent use.
//
// A nil *Sink is a disabled sink: its methods do nothing and cost nothing.
type Sink struct {
	cfg    Config
	events string // the events URL
	logURL string // the events URL with any password redacted

	mu      sync.Mutex
	queue   []Event // a ring of cfg.QueueSize
	head, n int
	closed  bool

	wake    chan struct{} // a pending event, capacity 1
	closing chan struct{} // closed by Close: drain and stop
	stop    context.CancelFunc
	ctx     context.Context // ends when Close gives up
	done    chan struct{}   // closed when the sender returns

	closeOnce sync.Once

	sent, failed, retried, dropped atomic.Uint64

	// Touched by the sender goroutine only.
	rejected int  // the status last logged as rejected, to log it once
	failing  bool // the receiver is failing: its recovery is logged
	gaveUp   bool // an event was given up during this failure: logged once
}

// Stats counts what a sink did with its events.
type Stats struct {
	// Sent events were accepted by the receiver (a 2xx answer).
	Sent uint64
	// Failed events were given up: rejected by the receiver (a 4xx other
	// than 408 or 429), out of attempts, or still undelivered when Close's
	// context ended.
	Failed uint64
	// Retried counts attempts after a failed one.
	Retried uint64
	// Dropped events were pushed out of a full queue by newer ones, or
	// enqueued after Close.
	Dropped uint64
	// Queued events wait for delivery now (the one being posted excluded).
	Queued int
}

// New returns a sink for c, running, or an error naming each invalid field
// of c. Call Close to deliver what is queued and stop it.
func New(c Config) (*Sink, error) {
	return newSink(c, false)
}

func newSink(c Config, env bool) (*Sink, error) {
	c, events, err := c.withDefaults(env)
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Sink{
		cfg:     c,
		events:  events.String(),
		logURL:  events.Redacted(),
		queue:   make([]Event, c.QueueSize),
		wake:    make(chan struct{}, 1),
		closing: make(chan struct{}),
		ctx:     ctx,
		stop:    stop,
		done:    make(chan struct{}),
	}
	go s.run()
	return s, nil
}

// NewFromEnv returns the sink the environment describes (see
// ConfigFromEnv), with base supplying the other fields, or nil and no
// error when AUDIT_STREAM_URL is unset or blank: the feature is off.
func NewFromEnv(base Config) (*Sink, error) {
	if env(EnvURL) == "" {
		return nil, nil
	}
	c, err := ConfigFromEnv(base)
	if err != nil {
		return nil, err
	}
	return newSink(c, true)
}

// Enqueue queues e for delivery and returns at once. An empty Source
// becomes the sink's and a zero Timestamp the current time. When the queue
// is full the oldest waiting event is dropped and counted; after Close, e
// itself is dropped and counted.
func (s *Sink) Enqueue(e Event) {
	if s == nil {
		return
	}
	if e.Source == "" {
		e.Source = s.cfg.Source
	}
	if e.Timestamp.IsZero() {
		e.Timestamp = time.Now()
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.dropped.Add(1)
		return
	}
	size := len(s.queue)
	if s.n == size {
		s.queue[s.head] = Event{}
		s.head = (s.head + 1) % size
		s.n--
		s.dropped.Add(1)
	}
	s.queue[(s.head+s.n)%size] = e
	s.n++
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Stats returns the sink's counters; all zero for a nil sink.
func (s *Sink) Stats() Stats {
	if s == nil {
		return Stats{}
	}
	s.mu.Lock()
	queued := s.n
	s.mu.Unlock()
	return Stats{
		Sent:    s.sent.Load(),
		Failed:  s.failed.Load(),
		Retried: s.retried.Load(),
		Dropped: s.dropped.Load(),
		Queued:  queued,
	}
}

// Close stops accepting events and delivers those queued, retrying as
// usual, until the queue is empty or ctx ends. When ctx ends first, the
// undelivered events are counted as failed and Close returns an error
// wrapping ctx.Err(). Close is safe to call more than once; a nil sink
// returns nil.
func (s *Sink) Close(ctx context.Context) error {
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.closing)
	})
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
	}
	before := s.failed.Load()
	s.stop()
	<-s.done
	return fmt.Errorf("audit: close: %d events undelivered: %w", s.failed.Load()-before, ctx.Err())
}

// pop takes the oldest queued event.
func (s *Sink) pop() (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return Event{}, false
	}
	e := s.queue[s.head]
	s.queue[s.head] = Event{}
	s.head = (s.head + 1) % len(s.queue)
	s.n--
	return e, true
}

// run is the sender goroutine.
func (s *Sink) run() {
	defer close(s.done)
	for {
		if s.ctx.Err() != nil {
			// Close gave up: what is left is undelivered.
			s.mu.Lock()
			left := s.n
			clear(s.queue)
			s.n = 0
			s.mu.Unlock()
			s.failed.Add(uint64(left))
			return
		}
		if e, ok := s.pop(); ok {
			s.deliver(e)
			continue
		}
		select {
		case <-s.wake:
		case <-s.closing:
			s.mu.Lock()
			empty := s.n == 0
			s.mu.Unlock()
			if empty {
				return
			}
		case <-s.ctx.Done():
		}
	}
}

// An outcome is what one attempt learned.
type outcome struct {
	retry      bool          // worth another attempt
	status     int           // the HTTP status, 0 without an answer
	retryAfter time.Duration // the server's Retry-After, if any
	err        error         // what went wrong, token-free
}

// deliver posts e until it is accepted, rejected, out of attempts or the
// sink is stopped.
func (s *Sink) deliver(e Event) {
	body, err := e.MarshalJSON()
	if err != nil {
		s.failed.Add(1)
		s.cfg.Logger.Error("audit: cannot encode event, dropped", "kind", e.Kind, "slo", e.Payload.SLOName, "error", err)
		return
	}
	key := newKey()
	for attempt := 1; ; attempt++ {
		o := s.post(body, key)
		if o.err == nil {
			s.sent.Add(1)
			s.rejected = 0
			s.gaveUp = false
			if s.failing {
				s.failing = false
				s.cfg.Logger.Info("audit: audit stream reachable again", "url", s.logURL)
			}
			return
		}
		if !o.retry {
			s.failed.Add(1)
			if s.rejected != o.status {
				s.rejected = o.status
				s.cfg.Logger.Error("audit: audit stream rejected the event; events answered the same are not logged again until one is accepted",
					"url", s.logURL, "kind", e.Kind, "slo", e.Payload.SLOName, "status", o.status, "error", o.err)
			}
			return
		}
		if s.cfg.MaxAttempts > 0 && attempt >= s.cfg.MaxAttempts {
			s.failed.Add(1)
			if !s.gaveUp {
				s.gaveUp = true
				s.cfg.Logger.Error("audit: event given up after MaxAttempts; further ones are not logged until one is delivered",
					"url", s.logURL, "kind", e.Kind, "slo", e.Payload.SLOName, "attempts", attempt, "error", o.err)
			}
			return
		}
		if !s.failing {
			s.failing = true
			s.cfg.Logger.Warn("audit: audit stream failing, retrying with backoff", "url", s.logURL, "error", o.err)
		}
		wait := backoff(s.cfg.Backoff, s.cfg.MaxBackoff, attempt)
		if o.retryAfter > 0 {
			wait = o.retryAfter
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-s.ctx.Done():
			t.Stop()
			s.failed.Add(1)
			return
		}
		s.retried.Add(1)
	}
}

// backoff returns the wait before retry number attempt (1 for the first):
// base doubled attempt-1 times, capped at limit, jittered to between half
// and all of it.
func backoff(base, limit time.Duration, attempt int) time.Duration {
	d := limit
	if attempt < 63 {
		if m := base << (attempt - 1); m > 0 && m < limit && m>>(attempt-1) == base {
			d = m
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// post makes one attempt.
func (s *Sink) post(body []byte, key string) outcome {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.events, bytes.NewReader(body))
	if err != nil {
		return outcome{err: fmt.Errorf("building the request: %s", s.redact(err.Error()))}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "slo-budget-tracker-audit")
	req.Header.Set("Idempotency-Key", key)
	if s.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.cfg.Token)
	}
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is logged apart, redacted
		}
		msg := s.redact(err.Error())
		if ctx.Err() != nil && s.ctx.Err() == nil {
			msg = fmt.Sprintf("no answer within %v", s.cfg.Timeout)
		}
		return outcome{retry: true, err: errors.New(msg)}
	}
	defer resp.Body.Close()
	// Redact before cutting to 200 bytes, so that a token the server echoes
	// cannot be cut in half and escape.
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // reuse the connection
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return outcome{status: resp.StatusCode}
	}
	o := outcome{
		status: resp.StatusCode,
		retry:  resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500,
		err:    fmt.Errorf("%s: %s", resp.Status, serverMessage(s.redact(string(head)))),
	}
	if o.retry {
		o.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return o
}

// serverMessage makes the head of a response body fit for a log line: its
// first 200 bytes, valid UTF-8, control characters as spaces, trimmed.
func serverMessage(body string) string {
	if len(body) > 200 {
		body = body[:200]
	}
	msg := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(body, "?"))
	if msg = strings.TrimSpace(msg); msg == "" {
		return "(empty body)"
	}
	return msg
}

// redact removes the token from s.
func (s *Sink) redact(msg string) string {
	if s.cfg.Token == "" {
		return msg
	}
	return strings.ReplaceAll(msg, s.cfg.Token, "[token]")
}

// parseRetryAfter reads a Retry-After header, seconds or an HTTP date,
// capped at maxRetryAfter; 0 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil {
		if secs > uint64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return 0
	}
	return min(max(d, 0), maxRetryAfter)
}

// newKey returns a random idempotency key: 32 hex digits. It needs to be
// unique, not secret, so the process's random source will do.
func newKey() string {
	return fmt.Sprintf("%016x%016x", rand.Uint64(), rand.Uint64())
}
