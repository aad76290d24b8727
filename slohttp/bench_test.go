package slohttp_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// benchWriter is a ResponseWriter that keeps nothing, with the optional
// interfaces of net/http's HTTP/1 writer (Flusher, Hijacker, ReaderFrom,
// StringWriter and the methods http.ResponseController looks for), so the
// cost measured is the middleware's, not a recorder's.
type benchWriter struct{ header http.Header }

func (w *benchWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, http.ErrNotSupported
}
func (w *benchWriter) ReadFrom(r io.Reader) (int64, error) { return io.Copy(io.Discard, r) }

func (w *benchWriter) Header() http.Header               { return w.header }
func (w *benchWriter) Write(b []byte) (int, error)       { return len(b), nil }
func (w *benchWriter) WriteString(s string) (int, error) { return len(s), nil }
func (w *benchWriter) WriteHeader(int)                   {}
func (w *benchWriter) Flush()                            {}
func (w *benchWriter) FlushError() error                 { return nil }
func (w *benchWriter) CloseNotify() <-chan bool          { return nil }
func (w *benchWriter) SetReadDeadline(time.Time) error   { return nil }
func (w *benchWriter) SetWriteDeadline(time.Time) error  { return nil }
func (w *benchWriter) EnableFullDuplex() error           { return nil }

// plainWriter is a writer of another shape, a ResponseWriter and a
// Flusher, as another middleware's may be.
type plainWriter struct{ header http.Header }

func (w *plainWriter) Header() http.Header         { return w.header }
func (w *plainWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *plainWriter) WriteHeader(int)             {}
func (w *plainWriter) Flush()                      {}

var body = []byte(`{"ok":true}`)

// app is the handler every variant serves: a status and a small body.
var app = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
	w.Write(body)
})

// BenchmarkMiddleware compares, in one run, a bare handler with the same
// handler behind slohttp.Middleware (availability only; with a latency
// objective and routes) and behind promhttp.InstrumentHandlerCounter (a
// counter labelled by code and method, its usual form, and unlabelled).
func BenchmarkMiddleware(b *testing.B) {
	newTracker := func(name string) *slo.Tracker {
		t, err := slo.NewTracker(slo.Objective{Name: name, Target: 0.999})
		if err != nil {
			b.Fatal(err)
		}
		return t
	}
	avail, latency := newTracker("availability"), newTracker("latency")
	routes, err := slo.NewFamily(slo.Objective{Name: "routes", Target: 0.999}, []string{"route"})
	if err != nil {
		b.Fatal(err)
	}
	codeMethod := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "Requests."}, []string{"code", "method"})
	unlabelled := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "Requests."}, nil)

	variants := []struct {
		name    string
		handler http.Handler
		plain   bool // served to a plainWriter rather than a benchWriter
	}{
		{"bare", app, false},
		{"slohttp", slohttp.Middleware(avail)(app), false},
		{"slohttp-another-writer", slohttp.Middleware(avail)(app), true},
		{"slohttp+latency+routes", slohttp.Middleware(avail,
			slohttp.WithLatency(latency, 300*time.Millisecond),
			slohttp.WithRoutes(routes))(app), false},
		{"promhttp-code-method", promhttp.InstrumentHandlerCounter(codeMethod, app), false},
		{"promhttp-unlabelled", promhttp.InstrumentHandlerCounter(unlabelled, app), false},
	}
	// net/http gives every request a context that ends when the client
	// goes away; the middleware watches it, so the benchmark's does too.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := httptest.NewRequest("GET", "/search", nil).WithContext(ctx)
	for _, v := range variants {
		newWriter := func() http.ResponseWriter { return &benchWriter{header: make(http.Header)} }
		if v.plain {
			newWriter = func() http.ResponseWriter { return &plainWriter{header: make(http.Header)} }
		}
		b.Run(v.name, func(b *testing.B) {
			w := newWriter()
			b.ReportAllocs()
			for b.Loop() {
				v.handler.ServeHTTP(w, req)
			}
		})
		b.Run(v.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				w := newWriter()
				for pb.Next() {
					v.handler.ServeHTTP(w, req)
				}
			})
		})
	}
}

// BenchmarkLoopback serves the same variants on a real server over
// loopback, with a keep-alive client, to show the middleware's cost beside
// that of a whole request.
func BenchmarkLoopback(b *testing.B) {
	avail, err := slo.NewTracker(slo.Objective{Name: "availability", Target: 0.999})
	if err != nil {
		b.Fatal(err)
	}
	codeMethod := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "Requests."}, []string{"code", "method"})
	for _, v := range []struct {
		name    string
		handler http.Handler
	}{
		{"bare", app},
		{"slohttp", slohttp.Middleware(avail)(app)},
		{"promhttp-code-method", promhttp.InstrumentHandlerCounter(codeMethod, app)},
	} {
		b.Run(v.name, func(b *testing.B) {
			srv := httptest.NewServer(v.handler)
			defer srv.Close()
			client := srv.Client()
			b.ReportAllocs()
			for b.Loop() {
				resp, err := client.Get(srv.URL)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
