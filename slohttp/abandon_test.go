package slohttp_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/internal/slotest"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// startServer serves h on loopback until the test ends, without logging
// the superfluous WriteHeader calls some tests make on purpose.
func startServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// impatient returns a client of srv that gives up on a request after d.
func impatient(srv *httptest.Server, d time.Duration) *http.Client {
	c := *srv.Client()
	c.Timeout = d
	return &c
}

// giveUp sends one request with c, which must give up on it.
func giveUp(t *testing.T, c *http.Client, url string) {
	t.Helper()
	resp, err := c.Get(url)
	if err == nil {
		resp.Body.Close()
		t.Error("the client got an answer, the test expects it to give up")
	}
}

// eventuallyCounts waits until tr has recorded exactly good and bad events:
// a request whose client gave up is recorded on a goroutine of its own.
func eventuallyCounts(t *testing.T, tr *slo.Tracker, good, bad uint64) {
	t.Helper()
	slotest.Eventually(t, 5*time.Second, fmt.Sprintf("%s to record good=%d bad=%d", tr.Name(), good, bad), func() bool {
		g, b := counts(tr)
		return g == good && b == bad
	})
}

// hang returns a handler that blocks until the test ends, whatever its
// client does, like a service stuck on a lock or a dead dependency.
func hang(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-t.Context().Done() })
}

// The service hangs, every request takes 3s, and ten clients give up after
// 0.5s each: the latency objective counts ten slow requests as soon as the
// clients leave; availability counts them only past the abandon timeout.
func TestHungServiceBurnsBudgetWhenItsClientsGiveUp(t *testing.T) {
	tests := []struct {
		name     string
		opts     []slohttp.Option
		availBad uint64
	}{
		{"clients gave up before the default abandon timeout", nil, 0},
		{"clients gave up after a 250ms abandon timeout", []slohttp.Option{slohttp.WithAbandonTimeout(250 * time.Millisecond)}, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			avail, latency := newTracker(t, "availability"), newTracker(t, "latency")
			opts := append([]slohttp.Option{slohttp.WithLatency(latency, 300*time.Millisecond)}, tt.opts...)
			h, finished := done(slohttp.Middleware(avail, opts...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(3 * time.Second)
			})))
			srv := startServer(t, h)
			client := impatient(srv, 500*time.Millisecond)
			start := time.Now()
			var wg sync.WaitGroup
			for range 10 {
				wg.Go(func() { giveUp(t, client, srv.URL) })
			}
			wg.Wait()
			eventuallyCounts(t, latency, 0, 10)
			eventuallyCounts(t, avail, 0, tt.availBad)
			if waited := time.Since(start); waited >= 3*time.Second {
				t.Fatalf("counted after %v: when the handlers returned, not when the clients left", waited)
			}
			for range 10 {
				wait(t, finished)
			}
			// Counted once: the handlers' return adds nothing.
			wantCounts(t, latency, 0, 10)
			wantCounts(t, avail, 0, tt.availBad)
		})
	}
}

func TestHandlerThatNeverReturnsIsCountedWhenItsClientGivesUp(t *testing.T) {
	for _, proto := range []string{"HTTP/1.1", "HTTP/2.0"} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			avail, latency := newTracker(t, "availability"), newTracker(t, "latency")
			srv := httptest.NewUnstartedServer(slohttp.Middleware(avail,
				slohttp.WithLatency(latency, 50*time.Millisecond),
				slohttp.WithAbandonTimeout(100*time.Millisecond))(hang(t)))
			if proto == "HTTP/2.0" {
				srv.EnableHTTP2 = true
				srv.StartTLS()
			} else {
				srv.Start()
			}
			t.Cleanup(srv.Close)
			giveUp(t, impatient(srv, 300*time.Millisecond), srv.URL)
			eventuallyCounts(t, avail, 0, 1)
			eventuallyCounts(t, latency, 0, 1)
		})
	}
}

func TestAbandonedRequestsCountAsBadPastTheAbandonTimeout(t *testing.T) {
	tests := []struct {
		name     string
		opts     []slohttp.Option
		clientAt time.Duration // how long after the handler starts the client leaves
		wantBad  uint64
	}{
		{"abandoned before the default timeout: not counted", nil, 100 * time.Millisecond, 0},
		{"abandoned before the timeout: not counted", []slohttp.Option{slohttp.WithAbandonTimeout(5 * time.Second)}, 100 * time.Millisecond, 0},
		{"abandoned after the timeout: bad", []slohttp.Option{slohttp.WithAbandonTimeout(50 * time.Millisecond)}, 200 * time.Millisecond, 1},
		{"a timeout of zero: every abandoned request is bad", []slohttp.Option{slohttp.WithAbandonTimeout(0)}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The latency objective counts every abandonment (its threshold
			// is 1ns), so the test knows when the middleware has decided.
			avail, latency := newTracker(t, "availability"), newTracker(t, "latency")
			started := make(chan struct{})
			h, finished := done(slohttp.Middleware(avail, append(tt.opts, slohttp.WithLatency(latency, time.Nanosecond))...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(started)
				<-r.Context().Done()
				// The answer nobody receives says nothing about the service.
				http.Error(w, r.Context().Err().Error(), http.StatusServiceUnavailable)
			})))
			srv := startServer(t, h)
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				<-started
				time.Sleep(tt.clientAt)
				cancel()
			}()
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
			if resp, err := srv.Client().Do(req); err == nil {
				resp.Body.Close()
				t.Fatal("the canceled request got a response")
			}
			wait(t, finished)
			eventuallyCounts(t, latency, 0, 1)
			wantCounts(t, avail, 0, tt.wantBad)
		})
	}
}

// A middleware inside http.TimeoutHandler sees the deadline it sets: the
// service missed its own deadline, which is bad whatever the abandon timeout.
func TestRequestPastItsDeadlineIsBad(t *testing.T) {
	avail := newTracker(t, "availability")
	srv := startServer(t, http.TimeoutHandler(slohttp.Middleware(avail)(hang(t)), 50*time.Millisecond, "too slow"))
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want TimeoutHandler's 503", resp.StatusCode)
	}
	eventuallyCounts(t, avail, 0, 1)
}

// A client that leaves a stream it has begun to receive got a response: it
// counts as the status it got and the time to its first byte, not as an
// abandoned request, and what the handler writes afterwards reaches no one.
func TestClientLeavingMidStreamCountsTheResponseItGot(t *testing.T) {
	const threshold = 250 * time.Millisecond // generous: a loaded machine is slow to start a response
	avail, latency := newTracker(t, "availability"), newTracker(t, "latency")
	h, finished := done(slohttp.Middleware(avail,
		slohttp.WithLatency(latency, threshold),
		slohttp.WithAbandonTimeout(0))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		http.Error(w, "gone", http.StatusServiceUnavailable)
	})))
	srv := startServer(t, h)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || line != "data: one\n" {
		t.Fatalf("read %q, %v; want the first event", line, err)
	}
	time.Sleep(2 * threshold) // the stream outlives the threshold
	cancel()
	resp.Body.Close()
	wait(t, finished)
	eventuallyCounts(t, avail, 1, 0)
	eventuallyCounts(t, latency, 1, 0)
}

// plainFlusher stands for another middleware outside ours whose writer has
// a shape of its own: a ResponseWriter and a Flusher.
func plainFlusher(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(struct {
			http.ResponseWriter
			http.Flusher
		}{w, w.(http.Flusher)}, r)
	})
}

func TestStreamedResponseLatencyIsTimeToFirstByte(t *testing.T) {
	const threshold = 250 * time.Millisecond // generous: a loaded machine is slow to start a response
	firstBytes := []struct {
		name  string
		write func(w http.ResponseWriter)
		plain bool // also through a writer of another shape
	}{
		{"WriteHeader", func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) }, true},
		{"Write", func(w http.ResponseWriter) { w.Write([]byte("data: one\n\n")) }, true},
		{"WriteString", func(w http.ResponseWriter) { io.WriteString(w, "data: one\n\n") }, true},
		{"Flush", func(w http.ResponseWriter) { w.(http.Flusher).Flush() }, true},
		{"ResponseController.Flush", func(w http.ResponseWriter) { http.NewResponseController(w).Flush() }, true},
		{"ReadFrom", func(w http.ResponseWriter) { w.(io.ReaderFrom).ReadFrom(strings.NewReader("data: one\n\n")) }, false},
	}
	for _, fb := range firstBytes {
		for _, c := range []struct{ late, plain bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
			if c.plain && !fb.plain {
				continue
			}
			name := fb.name + " at once, then a long stream: fast"
			if c.late {
				name = fb.name + " after the threshold: slow"
			}
			if c.plain {
				name += ", through another writer"
			}
			late := c.late
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				latency := newTracker(t, "latency")
				wrap := func(h http.Handler) http.Handler { return h }
				if c.plain {
					wrap = plainFlusher
				}
				h, finished := done(wrap(slohttp.Middleware(nil, slohttp.WithLatency(latency, threshold))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if late {
						time.Sleep(2 * threshold)
					}
					fb.write(w)
					time.Sleep(2 * threshold)
					io.WriteString(w, "data: two\n\n")
				}))))
				srv := startServer(t, h)
				resp, err := srv.Client().Get(srv.URL)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				wait(t, finished)
				if late {
					wantCounts(t, latency, 0, 1)
				} else {
					wantCounts(t, latency, 1, 0)
				}
			})
		}
	}
}

// A hijacked connection (a WebSocket, say) is timed to the hijack, never
// for its whole session, and counts as the response it is.
func TestHijackIsTimedToTheHijackAndCountsAsTheResponseItIs(t *testing.T) {
	const threshold = 250 * time.Millisecond // generous: a loaded machine is slow to start a response
	tests := []struct {
		name        string
		upgrade     bool // the request asks to upgrade
		writeHeader bool // the handler calls WriteHeader(101) before hijacking
		statusLine  string
		want        int // the status the classifier sees
	}{
		{"WriteHeader(101), then Hijack", true, true, "", http.StatusSwitchingProtocols},
		{"a hijack that writes its own 101", true, false, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n", http.StatusSwitchingProtocols},
		{"a hijack of a request that asked for no upgrade", false, false, "HTTP/1.1 200 OK\r\n\r\n", http.StatusOK},
	}
	for _, tt := range tests {
		for _, plain := range []bool{false, true} {
			name := tt.name
			wrap := func(h http.Handler) http.Handler { return h }
			if plain {
				name += ", through another writer"
				wrap = plainHijacker
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				avail, latency := newTracker(t, "availability"), newTracker(t, "latency")
				spy := &spyClassifier{}
				h, finished := done(wrap(slohttp.Middleware(avail, slohttp.WithLatency(latency, threshold), slohttp.WithClassifier(spy.classify))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if tt.writeHeader {
						w.Header().Set("Upgrade", "echo")
						w.Header().Set("Connection", "Upgrade")
						w.WriteHeader(http.StatusSwitchingProtocols)
					}
					conn, brw, err := http.NewResponseController(w).Hijack()
					if err != nil {
						t.Errorf("Hijack: %v", err)
						return
					}
					defer conn.Close()
					brw.WriteString(tt.statusLine)
					brw.Flush()
					line, _ := brw.ReadString('\n') // the session lasts past the threshold
					brw.WriteString("echo " + line)
					brw.Flush()
				}))))
				srv := startServer(t, h)
				conn, err := net.Dial("tcp", srv.Listener.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				if tt.upgrade {
					fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: test\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
				} else {
					fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: test\r\n\r\n")
				}
				rd := bufio.NewReader(conn)
				resp, err := http.ReadResponse(rd, nil)
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != tt.want {
					t.Fatalf("client got %d, test expects %d", resp.StatusCode, tt.want)
				}
				time.Sleep(2 * threshold)
				fmt.Fprintf(conn, "ping\n")
				if line, err := rd.ReadString('\n'); err != nil || line != "echo ping\n" {
					t.Fatalf("read %q, %v; want the echo", line, err)
				}
				wait(t, finished)
				if got := spy.statuses(); len(got) != 1 || got[0] != tt.want {
					t.Errorf("classifier saw statuses %v, want [%d]", got, tt.want)
				}
				wantCounts(t, avail, 1, 0)
				wantCounts(t, latency, 1, 0)
			})
		}
	}
}

// plainHijacker stands for another middleware outside ours whose writer has
// a shape of its own: a ResponseWriter and a Hijacker.
func plainHijacker(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(struct {
			http.ResponseWriter
			http.Hijacker
		}{w, w.(http.Hijacker)}, r)
	})
}

// A request abandoned while its handler still runs is counted on the
// objective of its route, wherever the middleware sits.
func TestAbandonedRequestCountsOnItsRoute(t *testing.T) {
	tests := []struct {
		name  string
		build func(t *testing.T, mw func(http.Handler) http.Handler) http.Handler
	}{
		{"middleware around the mux, behind another middleware", func(t *testing.T, mw func(http.Handler) http.Handler) http.Handler {
			mux := http.NewServeMux()
			mux.Handle("GET /slow", hang(t))
			return mw(slohttp.Middleware(nil)(mux))
		}},
		{"middleware inside the mux", func(t *testing.T, mw func(http.Handler) http.Handler) http.Handler {
			mux := http.NewServeMux()
			mux.Handle("GET /slow", mw(hang(t)))
			return mux
		}},
		{"middleware around a mux behind another mux", func(t *testing.T, mw func(http.Handler) http.Handler) http.Handler {
			inner := http.NewServeMux()
			inner.Handle("GET /slow", hang(t))
			top := http.NewServeMux()
			top.Handle("/", mw(inner))
			return top
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			routes, fallback := newFamily(t, "routes"), newTracker(t, "default")
			srv := startServer(t, tt.build(t, slohttp.Middleware(fallback,
				slohttp.WithRoutes(routes),
				slohttp.WithAbandonTimeout(0))))
			giveUp(t, impatient(srv, 200*time.Millisecond), srv.URL+"/slow")
			eventuallyCounts(t, routes.With("GET /slow"), 0, 1)
			wantCounts(t, fallback, 0, 0)
		})
	}
}
