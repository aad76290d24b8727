package spec_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo/internal/testdeps"
	"github.com/slo-budget-tracker/slo/promrules"
	"github.com/slo-budget-tracker/slo/spec"
)

// FuzzLoad checks that no input makes the loader panic, that every
// problem is reported with its file and what is wrong, and that whatever
// loads is sound: valid objectives, and rules that promrules generates for
// every target without an error. The seed corpus is in
// testdata/fuzz/FuzzLoad, plus the example specs.
func FuzzLoad(f *testing.F) {
	for _, data := range exampleSpecs(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := spec.LoadBytes("fuzz.yaml", data)
		if err != nil {
			var list spec.ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %T %v is not a non-empty ErrorList", err, err)
			}
			for _, e := range list {
				if e.File != "fuzz.yaml" || e.Problem == "" || e.Line < 0 {
					t.Fatalf("incomplete error %+v", e)
				}
			}
			if file != nil {
				t.Fatal("a file returned with errors")
			}
			return
		}
		if len(file.SLOs) == 0 {
			t.Fatal("a file with no SLO loaded")
		}
		for _, s := range file.SLOs {
			if err := s.Objective.Validate(); err != nil {
				t.Fatalf("loaded an invalid objective: %v", err)
			}
			if (s.SLI.TotalQuery == "") == (s.SLI.ErrorRatioQuery == "") {
				t.Fatalf("SLI has neither or both shapes: %+v", s.SLI)
			}
		}
		// Whatever loads, the rules generator accepts for Prometheus 3,
		// whose functions are the loader's (prometheus-2 may refuse a
		// function newer than 2.42, by design).
		if _, err := promrules.Generate(file.SLOs, promrules.Options{Target: promrules.Prometheus3}); err != nil {
			t.Fatalf("loaded, but rule generation fails: %v\n%s", err, data)
		}
	})
}

// exampleSpecs returns the example specs and the specs of the fuzz corpus.
func exampleSpecs(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	paths, _ := filepath.Glob("../examples/specs/*.yaml")
	corpus, _ := filepath.Glob("testdata/fuzz/FuzzLoad/*")
	if len(paths) == 0 || len(corpus) == 0 {
		t.Fatal("no example specs or no fuzz corpus")
	}
	for _, p := range append(paths, corpus...) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(string(data), "go test fuzz v1\n") {
			line := strings.TrimSpace(strings.TrimPrefix(string(data), "go test fuzz v1\n"))
			s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(line, "[]byte("), ")"))
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			data = []byte(s)
		}
		out[p] = data
	}
	return out
}

// TestCorpusRulesPassPromtool generates the rules of every example spec and
// every corpus entry that loads, for the default target, and has the real
// promtool check them all.
func TestCorpusRulesPassPromtool(t *testing.T) {
	bin := testdeps.Binary(t, "promtool")
	dir := t.TempDir()
	var files []string
	for path, data := range exampleSpecs(t) {
		file, err := spec.LoadBytes(path, data)
		if err != nil {
			continue
		}
		res, err := promrules.Generate(file.SLOs, promrules.Options{})
		if err != nil {
			if strings.Contains(err.Error(), "is not in Prometheus 2.42") {
				continue
			}
			t.Errorf("%s loads but does not generate: %v", path, err)
			continue
		}
		name := filepath.Join(dir, fmt.Sprintf("%d.yml", len(files)))
		if err := os.WriteFile(name, res.Rules, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
	}
	if len(files) < 3 {
		t.Fatalf("only %d rule files: the test checks too little", len(files))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, append([]string{"check", "rules"}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}
