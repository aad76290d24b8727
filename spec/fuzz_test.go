package spec

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad checks that no input makes the loader panic, that every
// problem is reported with its file and what is wrong, and that whatever
// loads is sound: valid objectives and queries that parse. The seed corpus
// is in testdata/fuzz/FuzzLoad, plus the example specs.
func FuzzLoad(f *testing.F) {
	paths, _ := filepath.Glob("../examples/specs/*.yaml")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := LoadBytes("fuzz.yaml", data)
		if err != nil {
			list, ok := err.(ErrorList)
			if !ok || len(list) == 0 {
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
			for _, q := range []string{s.SLI.ErrorQuery, s.SLI.GoodQuery, s.SLI.TotalQuery, s.SLI.ErrorRatioQuery} {
				if q == "" {
					continue
				}
				if err := checkQuery(Expand(q, "1h")); err != nil {
					t.Fatalf("loaded a query that does not parse: %q: %v", q, err)
				}
			}
			if (s.SLI.TotalQuery == "") == (s.SLI.ErrorRatioQuery == "") {
				t.Fatalf("SLI has neither or both shapes: %+v", s.SLI)
			}
		}
	})
}
