package slohttp

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/felixge/httpsnoop"
)

// The handler gets a ResponseWriter that implements exactly the optional
// interfaces of the server's own. For net/http's HTTP/1 and HTTP/2 writers
// it is the request itself (one allocation, the common case); for any other
// writer (another middleware's) it is made by github.com/felixge/httpsnoop.
// Both see the response begin through the same methods of request.

// Optional interfaces of a ResponseWriter, as bits of a shape.
const (
	flusher = 1 << iota
	flushErrorer
	closeNotifier
	hijacker
	readerFrom
	deadliner
	fullDuplexer
	pusher
	stringWriter
)

// shapeOf returns the optional interfaces w implements, of those that
// http.ResponseController and httpsnoop know.
func shapeOf(w http.ResponseWriter) int {
	var s int
	if _, ok := w.(http.Flusher); ok {
		s |= flusher
	}
	if _, ok := w.(interface{ FlushError() error }); ok {
		s |= flushErrorer
	}
	if _, ok := w.(interface{ CloseNotify() <-chan bool }); ok {
		s |= closeNotifier
	}
	if _, ok := w.(http.Hijacker); ok {
		s |= hijacker
	}
	if _, ok := w.(io.ReaderFrom); ok {
		s |= readerFrom
	}
	if _, ok := w.(interface {
		SetReadDeadline(time.Time) error
		SetWriteDeadline(time.Time) error
	}); ok {
		s |= deadliner
	}
	if _, ok := w.(interface{ EnableFullDuplex() error }); ok {
		s |= fullDuplexer
	}
	if _, ok := w.(http.Pusher); ok {
		s |= pusher
	}
	if _, ok := w.(io.StringWriter); ok {
		s |= stringWriter
	}
	return s
}

// http1Writer has the shape of net/http's HTTP/1 writer, http2Writer that
// of its HTTP/2 writer; the request's own methods are what both share.
type (
	http1Writer struct{ request }
	http2Writer struct{ request }
)

var (
	http1Shape = shapeOf(&http1Writer{})
	http2Shape = shapeOf(&http2Writer{})
)

// newRequest returns a request that will count what is written to w, and
// the ResponseWriter its handler gets.
func newRequest(w http.ResponseWriter) (*request, http.ResponseWriter) {
	switch shapeOf(w) {
	case http1Shape:
		ww := &http1Writer{request{w: w}}
		return &ww.request, ww
	case http2Shape:
		ww := &http2Writer{request{w: w}}
		return &ww.request, ww
	}
	q := &request{w: w}
	return q, q.wrap(w)
}

// Header returns the header map of the server's writer.
func (q *request) Header() http.Header { return q.w.Header() }

// WriteHeader notes the status and sends it.
func (q *request) WriteHeader(code int) {
	q.wroteHeader(code)
	q.w.WriteHeader(code)
}

// Write notes the response's beginning and writes b.
func (q *request) Write(b []byte) (int, error) {
	q.begin()
	return q.w.Write(b)
}

// WriteString notes the response's beginning and writes s.
func (q *request) WriteString(s string) (int, error) {
	q.begin()
	return q.w.(io.StringWriter).WriteString(s)
}

// Flush notes the response's beginning and flushes it.
func (q *request) Flush() {
	q.begin()
	q.w.(http.Flusher).Flush()
}

// FlushError notes the response's beginning and flushes it.
func (q *request) FlushError() error {
	q.begin()
	return q.w.(interface{ FlushError() error }).FlushError()
}

// CloseNotify is the server's writer's.
func (q *request) CloseNotify() <-chan bool {
	return q.w.(interface{ CloseNotify() <-chan bool }).CloseNotify()
}

// SetReadDeadline is the server's writer's.
func (q *request) SetReadDeadline(t time.Time) error {
	return q.w.(interface{ SetReadDeadline(time.Time) error }).SetReadDeadline(t)
}

// SetWriteDeadline is the server's writer's.
func (q *request) SetWriteDeadline(t time.Time) error {
	return q.w.(interface{ SetWriteDeadline(time.Time) error }).SetWriteDeadline(t)
}

// EnableFullDuplex is the server's writer's.
func (q *request) EnableFullDuplex() error {
	return q.w.(interface{ EnableFullDuplex() error }).EnableFullDuplex()
}

// Unwrap returns the server's writer, for http.ResponseController.
func (q *request) Unwrap() http.ResponseWriter { return q.w }

// Hijack hands over the connection and notes the hijack as the response.
func (w *http1Writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := w.w.(http.Hijacker).Hijack()
	if err == nil {
		w.hijacked()
	}
	return conn, rw, err
}

// ReadFrom notes the response's beginning and copies src to it.
func (w *http1Writer) ReadFrom(src io.Reader) (int64, error) {
	w.begin()
	return w.w.(io.ReaderFrom).ReadFrom(src)
}

// Push is the server's writer's.
func (w *http2Writer) Push(target string, opts *http.PushOptions) error {
	return w.w.(http.Pusher).Push(target, opts)
}

// wrap returns w, of any other shape, with the hooks that see the
// response begin.
func (q *request) wrap(w http.ResponseWriter) http.ResponseWriter {
	return httpsnoop.Wrap(w, httpsnoop.Hooks{
		WriteHeader: func(next httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc {
			return func(code int) {
				q.wroteHeader(code)
				next(code)
			}
		},
		Write: func(next httpsnoop.WriteFunc) httpsnoop.WriteFunc {
			return func(b []byte) (int, error) {
				q.begin()
				return next(b)
			}
		},
		WriteString: func(next httpsnoop.WriteStringFunc) httpsnoop.WriteStringFunc {
			return func(s string) (int, error) {
				q.begin()
				return next(s)
			}
		},
		ReadFrom: func(next httpsnoop.ReadFromFunc) httpsnoop.ReadFromFunc {
			return func(src io.Reader) (int64, error) {
				q.begin()
				return next(src)
			}
		},
		// FlushError (http.ResponseController) goes through this hook too.
		Flush: func(next httpsnoop.FlushFunc) httpsnoop.FlushFunc {
			return func() {
				q.begin()
				next()
			}
		},
		Hijack: func(next httpsnoop.HijackFunc) httpsnoop.HijackFunc {
			return func() (net.Conn, *bufio.ReadWriter, error) {
				conn, rw, err := next()
				if err == nil {
					q.hijacked()
				}
				return conn, rw, err
			}
		},
	})
}
