package testdeps

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestFreePortIsFree(t *testing.T) {
	port := FreePort(t)
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("port %d is not free: %v", port, err)
	}
	l.Close()
}

func TestBinaryFindsAProgram(t *testing.T) {
	if path := Binary(t, "no-such-program-xyz", "go"); path == "" {
		t.Fatal("go not found")
	}
}

func TestPrometheus3DirFromEnv(t *testing.T) {
	t.Setenv(Prometheus3DirEnv, "/opt/p3/bin")
	if got := Prometheus3Dir(); got != "/opt/p3/bin" {
		t.Errorf("Prometheus3Dir() = %q with %s set", got, Prometheus3DirEnv)
	}
	t.Setenv(Prometheus3DirEnv, "")
	t.Setenv("XDG_CACHE_HOME", "/cache")
	if got, want := Prometheus3Dir(), "/cache/slo-budget-tracker/prometheus-"+Prometheus3Version+"/bin"; got != want {
		t.Errorf("Prometheus3Dir() = %q, want %q", got, want)
	}
}

func TestVersionReadsWhatTheProgramPrints(t *testing.T) {
	dir := t.TempDir()
	for name, out := range map[string]string{
		"v3":   "promtool, version 3.5.0 (branch: HEAD, revision: unknown)",
		"none": "usage: promtool",
	} {
		script := "#!/bin/sh\necho '" + out + "'\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := version(filepath.Join(dir, "v3")); v != "3.5.0" || err != nil {
		t.Errorf("version = %q, %v; want 3.5.0", v, err)
	}
	if v, err := version(filepath.Join(dir, "none")); err == nil {
		t.Errorf("version = %q, want an error for output without a version", v)
	}
}

func TestMajorOfReleaseAndModuleVersions(t *testing.T) {
	for v, want := range map[string]int{"2.42.0": 2, "3.5.0": 3, "0.316.0": 3, "0.50.1": 0, "x": -1} {
		if got := major(v); got != want {
			t.Errorf("major(%q) = %d, want %d", v, got, want)
		}
	}
}

// TestEnginesAreTheirVersion runs each engine's promtool and prometheus:
// the 2.x engine must not pick up a 3.x binary from PATH, nor the reverse.
func TestEnginesAreTheirVersion(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, e Engine) {
		for _, name := range []string{"promtool", "prometheus"} {
			path := e.Binary(t, name)
			v, err := version(path)
			if err != nil || major(v) != e.Major {
				t.Errorf("%s: version %q, %v; want %d.x", path, v, err, e.Major)
			}
		}
	})
}
