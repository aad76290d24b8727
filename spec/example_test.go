package spec_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/sloprom"
	"github.com/slo-budget-tracker/slo/spec"
)

func ExampleLoadBytes() {
	f, err := spec.LoadBytes("checkout.yaml", []byte(`
version: slo/v1
service: checkout
slos:
  - name: checkout-availability
    objective: 99.9%
    sli:
      ratio:
        errors: http_requests_total{job="checkout",code=~"5.."}
        total: http_requests_total{job="checkout"}
`))
	if err != nil {
		log.Fatal(err)
	}
	s := f.SLOs[0]
	fmt.Println(s.Objective.Name, s.Objective.Target, s.Objective.Window)
	fmt.Println(s.SLI.ErrorQuery)
	fmt.Println(spec.Expand(s.SLI.TotalQuery, "1h"))
	// Output:
	// checkout-availability 0.999 720h0m0s
	// sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))
	// sum(rate(http_requests_total{job="checkout"}[1h]))
}

func ExampleLoadBytes_errors() {
	_, err := spec.LoadBytes("checkout.yaml", []byte(`
version: slo/v1
service: checkout
slos:
  - name: checkout-availability
    objective: 99.9
    windw: 30d
    sli:
      ratio:
        errors: rate(http_requests_total{code=~"5.."}[5m])
        total: http_requests_total
`))
	fmt.Println(err)
	// Output:
	// checkout.yaml:6: slo "checkout-availability": slos[0].objective: 99.9 is ambiguous: write "99.9%" for a percentage, or a ratio below 1 like 0.999
	// checkout.yaml:7: slo "checkout-availability": slos[0].windw: unknown field (did you mean "window"?); allowed here: name, description, objective, window, labels, group_by, sli, alerting, corrections, calendar, time_slices
	// checkout.yaml:10: slo "checkout-availability": slos[0].sli.ratio.errors: "rate(http_requests_total{code=~\"5..\"}[5m])" is not a plain series selector like http_requests_total{job="api"}: functions, operators and ranges are added by the tool
}

func ExampleRegistry() {
	f, err := spec.Load("../examples/specs/checkout.yaml")
	if err != nil {
		log.Fatal(err)
	}
	reg, err := spec.Registry(f)
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range reg.Trackers() {
		o := t.Objective()
		fmt.Printf("%s %v %s\n", o.Name, o.Target, sloprom.FormatDuration(o.Window))
	}
	// Output:
	// checkout-availability 0.999 30d
	// checkout-latency 0.99 7d
	// checkout-payments 0.995 30d
}

func ExampleFile_Define() {
	f, err := spec.LoadBytes("search.yaml", []byte(`
version: slo/v1
service: search
slos:
  - name: search-availability
    objective: 99.5%
    window: 7d
    sli: {in_process: {}}
    alerting: {min_events: 20}
`))
	if err != nil {
		log.Fatal(err)
	}
	// A registry with options of its own (a store, a clock, a logger).
	reg := slo.NewRegistry(slo.WithFlushInterval(time.Minute))
	defer reg.Close(context.Background())
	if err := f.Define(reg); err != nil {
		log.Fatal(err)
	}
	o := reg.Tracker("search-availability").Objective()
	fmt.Println(o.Target, sloprom.FormatDuration(o.Window), o.MinEvents, len(o.Tiers))
	fmt.Println(f.SLOs[0].SLI.ErrorSelector)
	// Output:
	// 0.995 7d 20 4
	// slo_events_total{slo="search-availability",outcome="bad"}
}
