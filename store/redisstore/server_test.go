package redisstore

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/slo-budget-tracker/slo/internal/testdeps"
)

// redisServer is a real redis-server on a free loopback port, stopped by
// the test's cleanup (see testdeps.Redis).
type redisServer struct{ *testdeps.Redis }

func startRedis(t testing.TB, extra ...string) *redisServer {
	t.Helper()
	return &redisServer{testdeps.StartRedis(t, extra...)}
}

// start runs the server again and waits until it answers PING.
func (s *redisServer) start() { s.Start() }

// stop kills the server (as a crash would) and waits for it to exit.
func (s *redisServer) stop() { s.Stop() }

// client returns a client made by NewClient, closed by the test's cleanup.
func (s *redisServer) client(t testing.TB) *redis.Client {
	t.Helper()
	c, err := NewClient(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// commandCalls returns the calls of each command since the server started,
// from INFO commandstats, read through c. Use the same client each time:
// a new connection adds its handshake commands to the counts.
func commandCalls(t testing.TB, c *redis.Client) map[string]uint64 {
	t.Helper()
	info, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]uint64{}
	for line := range strings.SplitSeq(info, "\n") {
		// cmdstat_hset:calls=3,usec=12,...
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		for kv := range strings.SplitSeq(rest, ",") {
			if v, ok := strings.CutPrefix(kv, "calls="); ok {
				n, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					t.Fatalf("INFO commandstats line %q: %v", line, err)
				}
				calls[strings.TrimPrefix(name, "cmdstat_")] = n
			}
		}
	}
	return calls
}
