package testdeps

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// A Redis is a real redis-server on a free loopback port, started by
// StartRedis and stopped by the test's cleanup. It keeps no data on disk
// unless started with persistence, so a restart comes back empty.
type Redis struct {
	t    testing.TB
	bin  string
	port int
	dir  string
	args []string

	mu  sync.Mutex
	cmd *exec.Cmd
	out *bytes.Buffer
}

// StartRedis runs redis-server with extra arguments after the defaults and
// waits until it answers PING.
func StartRedis(t testing.TB, extra ...string) *Redis {
	t.Helper()
	s := &Redis{t: t, bin: Binary(t, "redis-server"), port: FreePort(t), dir: t.TempDir(), args: extra}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// URL returns the server's redis:// URL, database 0.
func (s *Redis) URL() string { return fmt.Sprintf("redis://%s/0", s.Addr()) }

// Addr returns the server's host:port.
func (s *Redis) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }

// Running reports whether the server was started and not stopped since.
func (s *Redis) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// Start runs the server (again, after Stop, on the same port) and waits
// until it answers PING.
func (s *Redis) Start() {
	s.t.Helper()
	args := []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", s.dir, "--daemonize", "no"}
	args = append(args, s.args...)
	cmd := exec.Command(s.bin, args...)
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting redis-server: %v", err)
	}
	s.mu.Lock()
	s.cmd, s.out = cmd, out
	s.mu.Unlock()
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			s.Stop()
			s.t.Fatalf("redis-server on port %d did not answer within 10s:\n%s", s.port, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop kills the server (as a crash would) and waits for it to exit.
// Stopping a stopped server does nothing.
func (s *Redis) Stop() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	cmd.Wait()
}
