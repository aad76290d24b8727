package filestore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/store/filestore"
)

// A service keeps its objectives' windows across restarts: the registry's
// trackers restore their states from the directory when they are defined
// and save them every 10s and on Close.
func Example() {
	dir, err := os.MkdirTemp("", "slo-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	o := slo.Objective{Name: "checkout", Target: 0.999}

	for run := 1; run <= 2; run++ {
		store, err := filestore.Open(dir)
		if err != nil {
			log.Fatal(err)
		}
		reg := slo.NewRegistry(store.Options()...)
		tr, err := reg.Define(o)
		if err != nil {
			log.Fatal(err)
		}
		tr.RecordN(999, 1)
		s := tr.Snapshot()
		fmt.Printf("run %d: %d events in the window, %d failed\n", run, s.Total, s.Failures)
		if err := reg.Close(context.Background()); err != nil { // the final save
			log.Fatal(err)
		}
	}
	// Output:
	// run 1: 1000 events in the window, 1 failed
	// run 2: 2000 events in the window, 2 failed
}

func ExampleStore_Path() {
	store, err := filestore.Open(os.TempDir())
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range []string{"checkout", "API /v1/pay", "../etc"} {
		rel, _ := filepath.Rel(store.Dir(), store.Path(name))
		fmt.Println(rel)
	}
	// Output:
	// checkout.json
	// !a!p!i%20%2Fv1%2Fpay.json
	// %2E.%2Fetc.json
}
