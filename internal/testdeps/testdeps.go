// Package testdeps finds the real programs that tests run against
// (redis-server, chromium, Prometheus 2 and 3's promtool and prometheus,
// VictoriaMetrics and vmalert) and the loopback ports they listen on.
//
// A missing program skips the test on a developer's machine and fails it in
// CI (CI=true), where `make test` must have installed it.
package testdeps

import (
	"net"
	"os"
	"os/exec"
	"testing"
)

// CI reports whether the tests run in CI, where nothing may be skipped.
func CI() bool { return os.Getenv("CI") == "true" }

// Binary returns the path of the first of names found in PATH. When none
// is, it fails the test under CI and skips it elsewhere.
func Binary(t testing.TB, names ...string) string {
	t.Helper()
	for _, name := range names {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	Missing(t, "none of %v is installed (run `make deps` or `make test`)", names)
	return ""
}

// Missing fails the test under CI and skips it elsewhere, with the message
// formatted as by fmt.Sprintf.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if CI() {
		t.Fatalf("CI=true and a test dependency is missing: "+format, args...)
	}
	t.Skipf("skipped, a test dependency is missing: "+format, args...)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
