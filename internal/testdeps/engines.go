package testdeps

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Prometheus3Version is the version of the Go module
// github.com/prometheus/prometheus that scripts/deps.sh builds Prometheus 3
// from (module v0.316.0 is Prometheus 3.x).
const Prometheus3Version = "v0.316.0"

// Prometheus3DirEnv names the environment variable that overrides the
// directory holding Prometheus 3's promtool and prometheus.
const Prometheus3DirEnv = "SLO_PROMETHEUS3_BIN"

// Prometheus3Dir returns the directory holding Prometheus 3's binaries:
// $SLO_PROMETHEUS3_BIN when set, else the cache directory scripts/deps.sh
// builds into, ${XDG_CACHE_HOME:-$HOME/.cache}/slo-budget-tracker/
// prometheus-v0.316.0/bin.
func Prometheus3Dir() string {
	if dir := os.Getenv(Prometheus3DirEnv); dir != "" {
		return dir
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "slo-budget-tracker", "prometheus-"+Prometheus3Version, "bin")
}

// An Engine is one major version of Prometheus whose promtool and server the
// tests run: Debian's 2.x from PATH or 3.x from Prometheus3Dir.
type Engine struct {
	// Name names the engine in subtests: "prometheus2" or "prometheus3".
	Name string
	// Major is the major version the binaries must report.
	Major int
	// cached: the binaries are in Prometheus3Dir, not in PATH.
	cached bool
}

// The Prometheus engines: Debian's 2.x and 3.x built into Prometheus3Dir.
var (
	Prometheus2 = Engine{Name: "prometheus2", Major: 2}
	Prometheus3 = Engine{Name: "prometheus3", Major: 3, cached: true}
)

// Engines lists the Prometheus engines every rule test runs under.
var Engines = []Engine{Prometheus2, Prometheus3}

// Promtool returns the path of the engine's promtool; see Engine.Binary.
func (e Engine) Promtool(t testing.TB) string { return e.Binary(t, "promtool") }

// Server returns the path of the engine's prometheus; see Engine.Binary.
func (e Engine) Server(t testing.TB) string { return e.Binary(t, "prometheus") }

// Binary returns the path of the engine's program name (promtool or
// prometheus) after checking that it reports the engine's major version.
// A missing program, or one of another version, fails the test under CI
// and skips it elsewhere.
func (e Engine) Binary(t testing.TB, name string) string {
	t.Helper()
	var path string
	if !e.cached {
		p, err := exec.LookPath(name)
		if err != nil {
			Missing(t, "%s %d.x is not installed (run `make deps`)", name, e.Major)
			return ""
		}
		path = p
	} else {
		path = filepath.Join(Prometheus3Dir(), name)
		if _, err := os.Stat(path); err != nil {
			Missing(t, "%s %d.x is not in %s (run `make deps`, or set %s): %v", name, e.Major, Prometheus3Dir(), Prometheus3DirEnv, err)
			return ""
		}
	}
	v, err := version(path)
	if err != nil {
		Missing(t, "%s: %v", path, err)
		return ""
	}
	if major(v) != e.Major {
		Missing(t, "%s is version %s, want %d.x", path, v, e.Major)
		return ""
	}
	return path
}

// ForEachEngine runs f as a subtest per engine of Engines, named after it.
func ForEachEngine(t *testing.T, f func(t *testing.T, e Engine)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(e.Name, func(t *testing.T) { f(t, e) })
	}
}

// major returns the major version of a Prometheus version: X of X.Y.Z, or
// of a Go module version 0.3YY.Z (Prometheus 3.YY.Z), which is what a binary
// built by `go install` without release flags may report.
func major(v string) int {
	parts := strings.SplitN(v, ".", 3)
	x, err := strconv.Atoi(parts[0])
	if err != nil {
		return -1
	}
	if x == 0 && len(parts) > 1 {
		if y, err := strconv.Atoi(parts[1]); err == nil && y >= 100 {
			return y / 100
		}
	}
	return x
}

var (
	versionsMu sync.Mutex
	versions   = map[string]versionResult{}
	versionRe  = regexp.MustCompile(`version v?(\d+\.\d+\.\d+)`)
)

type versionResult struct {
	v   string
	err error
}

// version returns the version of a Prometheus program, once per process:
// what it prints for --version, or, for a binary built by `go install`
// without release flags (which prints an empty version), the version of
// the Go module it was built from.
func version(path string) (string, error) {
	versionsMu.Lock()
	defer versionsMu.Unlock()
	if r, ok := versions[path]; ok {
		return r.v, r.err
	}
	var r versionResult
	out, err := exec.Command(path, "--version").CombinedOutput()
	if m := versionRe.FindSubmatch(out); m != nil {
		r.v = string(m[1])
	} else if info, berr := buildinfo.ReadFile(path); berr == nil && strings.HasPrefix(info.Main.Version, "v") {
		r.v = strings.TrimPrefix(info.Main.Version, "v")
	} else if err != nil {
		r.err = fmt.Errorf("%s --version: %w", path, err)
	} else {
		r.err = fmt.Errorf("no version in the output of --version nor in the build info: %q", out)
	}
	versions[path] = r
	return r.v, r.err
}
