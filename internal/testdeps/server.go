package testdeps

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// A Server is a server program a test runs, started by StartServer.
type Server struct {
	cmd  *exec.Cmd
	logs *os.File
	done chan struct{}
}

// StartServer starts bin with args, its output in a log file, and waits
// until an HTTP GET of ready answers 200 OK (60s at most; the test fails
// with the server's log when it exits or is not ready by then). The server
// is stopped when the test ends, or earlier by Stop.
func StartServer(t testing.TB, bin, ready string, args ...string) *Server {
	t.Helper()
	logs, err := os.CreateTemp(t.TempDir(), filepath.Base(bin)+"-*.log")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{cmd: exec.Command(bin, args...), logs: logs, done: make(chan struct{})}
	s.cmd.Stdout, s.cmd.Stderr = logs, logs
	if err := s.cmd.Start(); err != nil {
		logs.Close()
		t.Fatalf("starting %s: %v", bin, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.Stop)
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(ready)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-s.done:
			t.Fatalf("%s exited before it was ready:\n%s", bin, s.Logs())
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			t.Fatalf("%s not ready within 60s:\n%s", bin, s.Logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop interrupts the server and waits for it to exit (20s, then it is
// killed). Stopping a stopped server does nothing.
func (s *Server) Stop() {
	if s == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Logs returns what the server has written so far.
func (s *Server) Logs() string {
	b, _ := os.ReadFile(s.logs.Name())
	return string(b)
}
