package slohttp_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/slotest"
	"github.com/slo-budget-tracker/slo/slohttp"
)

func newTracker(t testing.TB, name string) *slo.Tracker {
	t.Helper()
	tr, err := slo.NewTracker(slo.Objective{Name: name, Target: 0.99, Window: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close(context.Background()) })
	return tr
}

// counts returns the good and bad events t has recorded.
func counts(t *slo.Tracker) (good, bad uint64) {
	s := t.Snapshot()
	return s.Good, s.Bad
}

func wantCounts(t *testing.T, tr *slo.Tracker, good, bad uint64) {
	t.Helper()
	if g, b := counts(tr); g != good || b != bad {
		t.Errorf("%s recorded good=%d bad=%d, want good=%d bad=%d", tr.Name(), g, b, good, bad)
	}
}

// spyClassifier records the arguments of each call and classifies by
// DefaultClassifier.
type spyClassifier struct {
	mu     sync.Mutex
	status []int
	panics []any
}

func (s *spyClassifier) classify(status int, p any) slohttp.Outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = append(s.status, status)
	s.panics = append(s.panics, p)
	return slohttp.DefaultClassifier(status, p)
}

func (s *spyClassifier) statuses() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.status...)
}

func TestMiddlewareClassifiesByTheHandlersStatus(t *testing.T) {
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		client     int // what the client receives
		classified int // what the classifier sees
		wantBad    bool
	}{
		{"no WriteHeader counts as 200", func(w http.ResponseWriter, r *http.Request) {}, 200, 200, false},
		{"a body without WriteHeader is 200", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hi")) }, 200, 200, false},
		{"WriteString without WriteHeader is 200", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") }, 200, 200, false},
		{"201 is good", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) }, 201, 201, false},
		{"404 is good: the client asked for nothing", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, 404, 404, false},
		{"429 is good by default", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(429) }, 429, 429, false},
		{"500 is bad", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", 500) }, 500, 500, true},
		{"503 is bad", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }, 503, 503, true},
		{"only the first WriteHeader counts", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(502)
			w.WriteHeader(200)
		}, 502, 502, true},
		{"103 Early Hints is not the final status", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(500)
		}, 500, 500, true},
		// A handler that fails after its body has begun can only say so
		// with a late WriteHeader; the client got a broken 200.
		{"an error status after the body began is a failure mid-response", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("partial"))
			http.Error(w, "encoding failed", 500)
		}, 200, 500, true},
		{"an error status after a flush is a failure mid-stream", func(w http.ResponseWriter, r *http.Request) {
			w.(http.Flusher).Flush()
			w.WriteHeader(503)
		}, 200, 503, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTracker(t, "api")
			spy := &spyClassifier{}
			srv := httptest.NewUnstartedServer(slohttp.Middleware(tr, slohttp.WithClassifier(spy.classify))(tt.handler))
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // superfluous WriteHeader calls
			srv.Start()
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.client {
				t.Fatalf("client got %d, test expects %d", resp.StatusCode, tt.client)
			}
			if got := spy.statuses(); len(got) != 1 || got[0] != tt.classified {
				t.Errorf("classifier saw statuses %v, want [%d]", got, tt.classified)
			}
			if tt.wantBad {
				wantCounts(t, tr, 0, 1)
			} else {
				wantCounts(t, tr, 1, 0)
			}
		})
	}
}

func TestClassifierDecidesGoodBadOrIgnore(t *testing.T) {
	// 429 burns budget (we shed load), 404 says nothing, the rest as usual.
	classify := func(status int, p any) slohttp.Outcome {
		switch status {
		case http.StatusTooManyRequests:
			return slohttp.Bad
		case http.StatusNotFound:
			return slohttp.Ignore
		case http.StatusTeapot:
			return slohttp.Outcome(42) // not a known outcome: ignored
		}
		return slohttp.DefaultClassifier(status, p)
	}
	tr := newTracker(t, "api")
	h := slohttp.Middleware(tr, slohttp.WithClassifier(classify))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var code int
		fmt.Sscan(r.URL.Query().Get("code"), &code)
		w.WriteHeader(code)
	}))
	for _, code := range []int{200, 429, 404, 418, 500, 204} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", fmt.Sprintf("/?code=%d", code), nil))
	}
	wantCounts(t, tr, 2, 2)
}

func TestNilOptionsAndNilClassifierKeepTheDefaults(t *testing.T) {
	tr := newTracker(t, "api")
	h := slohttp.Middleware(tr, nil, slohttp.WithClassifier(nil))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	wantCounts(t, tr, 0, 1)
}

func TestOutcomeString(t *testing.T) {
	for o, want := range map[slohttp.Outcome]string{slohttp.Good: "good", slohttp.Bad: "bad", slohttp.Ignore: "ignore", 9: "ignore"} {
		if got := o.String(); got != want {
			t.Errorf("Outcome(%d).String() = %q, want %q", o, got, want)
		}
	}
}

// syncBuffer collects output written by other goroutines.
type syncBuffer = slotest.Buffer

// done wraps h and reports on the returned channel each time it has
// returned or panicked, so a test can wait for the middleware to finish.
func done(h http.Handler) (http.Handler, <-chan struct{}) {
	ch := make(chan struct{}, 16)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { ch <- struct{}{} }()
		h.ServeHTTP(w, r)
	}), ch
}

func wait(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler did not finish")
	}
}

// panicOutcome serves one request with h on a real server and returns what
// the client got and what the server logged.
func panicOutcome(t *testing.T, h http.Handler) (clientErr bool, logged string) {
	t.Helper()
	h, finished := done(h)
	var logs syncBuffer
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(&logs, "", 0)
	srv.Start()
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	wait(t, finished)
	srv.Close() // flushes the server's log
	return err != nil, logs.String()
}

func TestPanicsAreRecordedAndRaisedAgainUnchanged(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name       string
		value      any
		status     int  // written before the panic, if not 0
		body       bool // whether a body was flushed before the panic
		wantStatus int  // what the classifier sees
	}{
		{"a panic before any response", errBoom, 0, false, 0},
		{"a panic after the body began", errBoom, 0, true, 0},
		{"a panic after WriteHeader", errBoom, 201, true, 201},
		{"http.ErrAbortHandler", http.ErrAbortHandler, 0, false, 0},
		{"http.ErrAbortHandler mid-body", http.ErrAbortHandler, 200, true, 200},
		{"a string", "kaput", 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.status != 0 {
					w.WriteHeader(tt.status)
				}
				if tt.body {
					w.Write([]byte("partial body"))
					w.(http.Flusher).Flush()
				}
				panic(tt.value)
			})
			// What the server and the client do without the middleware.
			bareErr, bareLog := panicOutcome(t, inner)

			tr := newTracker(t, "api")
			spy := &spyClassifier{}
			var seen any
			// A recovering middleware outside ours must see the very value.
			outer := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					defer func() {
						seen = recover()
						panic(seen)
					}()
					next.ServeHTTP(w, r)
				})
			}
			gotErr, gotLog := panicOutcome(t, outer(slohttp.Middleware(tr, slohttp.WithClassifier(spy.classify))(inner)))

			wantCounts(t, tr, 0, 1)
			if seen != tt.value {
				t.Errorf("the panic went on as %#v, want %#v", seen, tt.value)
			}
			if got := spy.statuses(); len(got) != 1 || got[0] != tt.wantStatus {
				t.Errorf("classifier saw statuses %v, want [%d]", got, tt.wantStatus)
			}
			if spy.panics[0] != tt.value {
				t.Errorf("classifier saw panic %#v, want %#v", spy.panics[0], tt.value)
			}
			if gotErr != bareErr {
				t.Errorf("client error with middleware = %v, without = %v", gotErr, bareErr)
			}
			// The server logs a panic with its stack, and nothing for
			// http.ErrAbortHandler, with or without the middleware.
			if (bareLog == "") != (gotLog == "") || !strings.Contains(gotLog, firstLine(bareLog)) {
				t.Errorf("server log with middleware:\n%s\nwithout:\n%s", gotLog, bareLog)
			}
			if tt.value == http.ErrAbortHandler && gotLog != "" {
				t.Errorf("server logged http.ErrAbortHandler: %s", gotLog)
			}
			if tt.value == errBoom && !strings.Contains(gotLog, "panic serving") {
				t.Errorf("server did not log the panic: %q", gotLog)
			}
		})
	}
}

// firstLine returns s up to its first newline, without the client's
// address, which differs between two connections.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if _, rest, ok := strings.Cut(line, ": "); ok {
		if _, rest, ok := strings.Cut(rest, ": "); ok {
			return rest
		}
	}
	return line
}

func TestGoexitIsNotCounted(t *testing.T) {
	tr := newTracker(t, "api")
	h := slohttp.Middleware(tr)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		runtime.Goexit()
	}))
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}()
	<-finished
	wantCounts(t, tr, 0, 0)
}

func TestLatencyObjectiveRecordsSlowRequestsAsBad(t *testing.T) {
	avail, latency := newTracker(t, "availability"), newTracker(t, "latency")
	const threshold = 150 * time.Millisecond
	h := slohttp.Middleware(avail, slohttp.WithLatency(latency, threshold))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if d, err := time.ParseDuration(q.Get("sleep")); err == nil {
			time.Sleep(d)
		}
		switch q.Get("status") {
		case "500":
			w.WriteHeader(500)
		case "panic":
			panic("boom")
		}
	}))
	serve := func(query string) {
		defer func() { recover() }()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/?"+query, nil))
	}
	serve("")                         // fast, good: good on both
	serve("sleep=300ms")              // slow, good: latency bad
	serve("status=500")               // fast failure: availability bad, latency good
	serve("sleep=300ms&status=500")   // slow failure: bad on both
	serve("sleep=300ms&status=panic") // slow panic: bad on both
	wantCounts(t, avail, 2, 3)
	wantCounts(t, latency, 2, 3)
}

func TestLatencyIgnoresWhatTheClassifierIgnores(t *testing.T) {
	avail, latency := newTracker(t, "availability"), newTracker(t, "latency")
	ignoreAll := func(int, any) slohttp.Outcome { return slohttp.Ignore }
	h := slohttp.Middleware(avail, slohttp.WithLatency(latency, time.Second), slohttp.WithClassifier(ignoreAll))(http.NotFoundHandler())
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	wantCounts(t, avail, 0, 0)
	wantCounts(t, latency, 0, 0)
}

func TestLatencyOnlyWithoutAvailabilityTracker(t *testing.T) {
	latency := newTracker(t, "latency")
	h := slohttp.Middleware(nil, slohttp.WithLatency(latency, time.Minute))(http.NotFoundHandler())
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	wantCounts(t, latency, 1, 0)
}

func TestRoutesRecordEachPatternOnItsMember(t *testing.T) {
	fail := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }
	ok := func(w http.ResponseWriter, r *http.Request) {}
	// copying stands for a middleware that passes on a copy of the request.
	copying := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), copyKey{}, 1)))
		})
	}
	members := "map[GET /other:[0 1] GET /search:[3 0] POST /checkout:[0 2]]"
	tests := []struct {
		name        string
		withDefault bool
		build       func(mw func(http.Handler) http.Handler) http.Handler
		// members: the events of each member, by route; fallback: those of
		// the default tracker
		members  string
		fallback [2]uint64
	}{
		{
			name: "middleware around the mux, unrouted requests not counted",
			build: func(mw func(http.Handler) http.Handler) http.Handler {
				mux := http.NewServeMux()
				mux.HandleFunc("POST /checkout", fail)
				mux.HandleFunc("GET /search", ok)
				mux.HandleFunc("GET /other", fail)
				return mw(mux)
			},
			members: members,
		},
		{
			name:        "middleware around the mux, unrouted requests to the default",
			withDefault: true,
			build: func(mw func(http.Handler) http.Handler) http.Handler {
				mux := http.NewServeMux()
				mux.HandleFunc("POST /checkout", fail)
				mux.HandleFunc("GET /search", ok)
				mux.HandleFunc("GET /other", fail)
				return mw(mux)
			},
			// /nowhere (404) and GET /checkout (405) have no pattern.
			members: members, fallback: [2]uint64{2, 0},
		},
		{
			name:        "middleware inside the mux, around each handler",
			withDefault: true,
			build: func(mw func(http.Handler) http.Handler) http.Handler {
				mux := http.NewServeMux()
				mux.Handle("POST /checkout", mw(http.HandlerFunc(fail)))
				mux.Handle("GET /search", mw(http.HandlerFunc(ok)))
				mux.Handle("GET /other", mw(http.HandlerFunc(fail)))
				return mux
			},
			// Requests the mux answers itself never reach the middleware.
			members: members,
		},
		{
			name:        "a request copied between middleware and mux hides its pattern",
			withDefault: true,
			build: func(mw func(http.Handler) http.Handler) http.Handler {
				mux := http.NewServeMux()
				mux.HandleFunc("POST /checkout", fail)
				mux.HandleFunc("GET /search", ok)
				mux.HandleFunc("GET /other", fail)
				return mw(copying(mux))
			},
			members: "map[]", fallback: [2]uint64{5, 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			routes := newFamily(t, "api")
			fallback := newTracker(t, "default")
			def := fallback
			if !tt.withDefault {
				def = nil
			}
			h := tt.build(slohttp.Middleware(def, slohttp.WithRoutes(routes)))
			srv := httptest.NewServer(h)
			defer srv.Close()
			for _, req := range []struct{ method, path string }{
				{"POST", "/checkout"}, {"POST", "/checkout"},
				{"GET", "/search"}, {"GET", "/search?q=a"}, {"GET", "/search?q=b"},
				{"GET", "/other"}, {"GET", "/nowhere"}, {"GET", "/checkout"},
			} {
				r, _ := http.NewRequest(req.method, srv.URL+req.path, nil)
				resp, err := srv.Client().Do(r)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			if got := memberCounts(routes); got != tt.members {
				t.Errorf("members recorded %s, want %s", got, tt.members)
			}
			wantCounts(t, fallback, tt.fallback[0], tt.fallback[1])
		})
	}
}

// newFamily returns a family labelled by route.
func newFamily(t testing.TB, name string, opts ...slo.FamilyOption) *slo.Family {
	t.Helper()
	f, err := slo.NewFamily(slo.Objective{Name: name, Target: 0.99, Window: time.Hour}, []string{"route"}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(context.Background()) })
	return f
}

// memberCounts prints the good and bad events of each member of f, by
// route.
func memberCounts(f *slo.Family) string {
	m := map[string][2]uint64{}
	for _, tr := range f.Members() {
		g, b := counts(tr)
		m[tr.Labels()["route"]] = [2]uint64{g, b}
	}
	return fmt.Sprint(m)
}

func TestRoutesCap(t *testing.T) {
	routes := newFamily(t, "api", slo.WithMaxMembers(1))
	mux := http.NewServeMux()
	for _, p := range []string{"GET /a", "GET /b", "GET /c"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {})
	}
	h := slohttp.Middleware(nil, slohttp.WithRoutes(routes))(mux)
	for _, path := range []string{"/a", "/b", "/c", "/c"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	if got, want := memberCounts(routes), "map[GET /a:[1 0] __overflow__:[3 0]]"; got != want {
		t.Errorf("members recorded %s, want %s", got, want)
	}
	if routes.Folded() != 2 {
		t.Errorf("Folded() = %d, want 2", routes.Folded())
	}
}

func TestStreamingServerSentEventsThroughMiddleware(t *testing.T) {
	tr := newTracker(t, "stream")
	next := make(chan struct{})
	h, finished := done(slohttp.Middleware(tr)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		<-next // the client must have read "one" before we go on
		fmt.Fprint(w, "data: two\n\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("ResponseController.Flush: %v", err)
		}
		<-next
		fmt.Fprint(w, "data: three\n\n")
	})))
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := bufio.NewReader(resp.Body)
	for _, want := range []string{"one", "two", "three"} {
		got := make(chan string, 1)
		go func() {
			line, _ := events.ReadString('\n')
			events.ReadString('\n') // the blank line ending the event
			got <- line
		}()
		select {
		case line := <-got:
			if line != "data: "+want+"\n" {
				t.Fatalf("event = %q, want data: %s", line, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("event %q did not arrive: the flush did not get through", want)
		}
		if want != "three" {
			next <- struct{}{}
		}
	}
	wait(t, finished)
	wantCounts(t, tr, 1, 0)
}

func TestHijackedConnectionThroughMiddleware(t *testing.T) {
	tr := newTracker(t, "upgrade")
	h, finished := done(slohttp.Middleware(tr)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		line, _ := brw.ReadString('\n')
		brw.WriteString("echo " + line)
		brw.Flush()
	})))
	var logs syncBuffer
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(&logs, "", 0)
	srv.Start()
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: test\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
	rd := bufio.NewReader(conn)
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	fmt.Fprintf(conn, "ping\n")
	if line, err := rd.ReadString('\n'); err != nil || line != "echo ping\n" {
		t.Fatalf("read %q, %v; want the echo", line, err)
	}
	wait(t, finished)
	wantCounts(t, tr, 1, 0)
}

// interfaces lists the optional interfaces w implements.
func interfaces(w http.ResponseWriter) []string {
	var names []string
	if _, ok := w.(http.Flusher); ok {
		names = append(names, "Flusher")
	}
	if _, ok := w.(http.Hijacker); ok {
		names = append(names, "Hijacker")
	}
	if _, ok := w.(io.ReaderFrom); ok {
		names = append(names, "ReaderFrom")
	}
	if _, ok := w.(http.Pusher); ok {
		names = append(names, "Pusher")
	}
	if _, ok := w.(io.StringWriter); ok {
		names = append(names, "StringWriter")
	}
	// What http.ResponseController looks for, and the deprecated
	// CloseNotifier.
	if _, ok := w.(interface{ FlushError() error }); ok {
		names = append(names, "FlushError")
	}
	if _, ok := w.(interface{ CloseNotify() <-chan bool }); ok {
		names = append(names, "CloseNotify")
	}
	if _, ok := w.(interface{ SetReadDeadline(time.Time) error }); ok {
		names = append(names, "SetReadDeadline")
	}
	if _, ok := w.(interface{ SetWriteDeadline(time.Time) error }); ok {
		names = append(names, "SetWriteDeadline")
	}
	if _, ok := w.(interface{ EnableFullDuplex() error }); ok {
		names = append(names, "EnableFullDuplex")
	}
	return names
}

func TestWrappedWriterKeepsItsInterfaces(t *testing.T) {
	content := bytes.Repeat([]byte("sendfile "), 4096)
	file := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, proto := range []string{"HTTP/1.1", "HTTP/2.0"} {
		t.Run(proto, func(t *testing.T) {
			tr := newTracker(t, "api")
			var mu sync.Mutex
			var bare, wrapped []string
			var pushErr, pushErrWrapped error
			inner := slohttp.Middleware(tr)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				wrapped = interfaces(w)
				if p, ok := w.(http.Pusher); ok {
					pushErrWrapped = p.Push("/pushed", nil)
				}
				mu.Unlock()
				f, err := os.Open(file)
				if err != nil {
					t.Error(err)
					return
				}
				defer f.Close()
				io.Copy(w, f) // io.ReaderFrom (sendfile) on HTTP/1.1
			}))
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				bare = interfaces(w)
				if p, ok := w.(http.Pusher); ok {
					pushErr = p.Push("/pushed", nil)
				}
				mu.Unlock()
				inner.ServeHTTP(w, r)
			}))
			if proto == "HTTP/2.0" {
				srv.EnableHTTP2 = true
				srv.StartTLS()
			} else {
				srv.Start()
			}
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || !bytes.Equal(body, content) {
				t.Fatalf("body of %d bytes (%v), want the file's %d", len(body), err, len(content))
			}
			if resp.Proto != proto {
				t.Fatalf("served over %s, want %s", resp.Proto, proto)
			}
			mu.Lock()
			defer mu.Unlock()
			if fmt.Sprint(bare) != fmt.Sprint(wrapped) {
				t.Errorf("server's writer implements %v, the wrapped one %v", bare, wrapped)
			}
			if fmt.Sprint(pushErr) != fmt.Sprint(pushErrWrapped) {
				t.Errorf("Push returned %v on the server's writer and %v through the middleware", pushErr, pushErrWrapped)
			}
			want := map[string][]string{
				"HTTP/1.1": {"Flusher", "Hijacker", "ReaderFrom", "StringWriter", "FlushError", "CloseNotify", "SetReadDeadline", "SetWriteDeadline", "EnableFullDuplex"},
				"HTTP/2.0": {"Flusher", "Pusher", "StringWriter", "FlushError", "CloseNotify", "SetReadDeadline", "SetWriteDeadline", "EnableFullDuplex"},
			}[proto]
			if fmt.Sprint(wrapped) != fmt.Sprint(want) {
				t.Errorf("wrapped writer implements %v, want %v", wrapped, want)
			}
			wantCounts(t, tr, 1, 0)
		})
	}
}

// copyKey is the context key of the copying middleware in the routes test.
type copyKey struct{}

func TestSkipRoutesAreNeverCounted(t *testing.T) {
	def := newTracker(t, "default")
	latency := newTracker(t, "latency")
	routes := newFamily(t, "api")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	mux.HandleFunc("GET /api", func(w http.ResponseWriter, r *http.Request) {})
	for _, mw := range []func(http.Handler) http.Handler{
		slohttp.Middleware(def, slohttp.SkipRoutes("GET /healthz"), slohttp.WithLatency(latency, time.Minute)),
		slohttp.Middleware(nil, slohttp.WithRoutes(routes), slohttp.SkipRoutes("GET /healthz")),
	} {
		h := mw(mux)
		for _, path := range []string{"/healthz", "/healthz", "/api"} {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
		}
	}
	wantCounts(t, def, 1, 0)
	wantCounts(t, latency, 1, 0)
	if got, want := memberCounts(routes), "map[GET /api:[1 0]]"; got != want {
		t.Errorf("members recorded %s, want %s", got, want)
	}
}
