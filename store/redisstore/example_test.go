package redisstore_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/slohttp"
	"github.com/slo-budget-tracker/slo/sloprom"
	"github.com/slo-budget-tracker/slo/store/redisstore"
)

// Each replica of a service counts its own events and saves them to Redis
// every second under its instance ID; any replica can read the budget of
// the whole fleet beside its own.
//
// This example needs a Redis server, so it is compiled but not run by go
// test; TestFleetTotalsEqualWhatReplicasRecorded runs the same steps
// against a real redis-server.
func Example() {
	client, err := redisstore.NewClient("redis://127.0.0.1:6379/0")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	host, _ := os.Hostname()
	store, err := redisstore.New(client, host)
	if err != nil {
		log.Fatal(err)
	}
	reg := slo.NewRegistry(store.Options()...) // saves every second
	defer reg.Close(context.Background())

	o := slo.Objective{Name: "checkout", Target: 0.999}
	tr, err := reg.Define(o)
	if err != nil {
		log.Fatal(err)
	}
	tr.RecordSuccess() // in memory: never waits for Redis

	local := tr.Snapshot()
	fleet, err := store.FleetSnapshot(context.Background(), o)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("this replica: %.4f of its budget left; the fleet: %.4f\n",
		local.ErrorBudgetRemaining, fleet.ErrorBudgetRemaining)
}

// The fleet as a Source: every view handed it shows the budget the
// replicas share, the same on every replica. Compiled but not run by go
// test; TestFleetSourceSumsEveryReplica runs it against a real
// redis-server.
func ExampleStore_Fleet() {
	client, err := redisstore.NewClient("redis://127.0.0.1:6379/0")
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	host, _ := os.Hostname()
	store, err := redisstore.New(client, host)
	if err != nil {
		log.Fatal(err)
	}
	reg := slo.NewRegistry(store.Options()...)
	defer reg.Close(context.Background())
	if _, err := reg.Define(slo.Objective{Name: "checkout", Target: 0.999}); err != nil {
		log.Fatal(err)
	}

	fleet := store.Fleet(reg)
	http.Handle("/slo", slohttp.SnapshotHandler(fleet)) // 503 while Redis is down
	http.Handle("/slo/ui/", http.StripPrefix("/slo/ui", slohttp.DashboardHandler(fleet)))
	http.Handle("/metrics", sloprom.Handler(fleet))
	log.Fatal(http.ListenAndServe(":8080", nil))
}
