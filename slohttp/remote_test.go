package slohttp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// A RemoteSource reads back the snapshots SnapshotHandler serves: every
// field of the report, family members' labels included.
func TestRemoteSourceReadsBackTheReport(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	reg := slo.NewRegistry(slo.WithClock(func() time.Time { return now }))
	t.Cleanup(func() { reg.Close(context.Background()) })
	pay, err := reg.Define(slo.Objective{Name: "pay", Target: 0.99, Description: "payments"})
	if err != nil {
		t.Fatal(err)
	}
	pay.RecordN(900, 100) // burning: tiers firing, a finite time to exhaustion
	if err := pay.AddCorrection(slo.Correction{Start: now.Add(-2 * time.Hour), End: now.Add(-time.Hour), Reason: "migration"}); err != nil {
		t.Fatal(err)
	}
	f, err := reg.DefineFamily(slo.Objective{Name: "api", Target: 0.9}, []string{"route"})
	if err != nil {
		t.Fatal(err)
	}
	f.With("/search").RecordN(10, 0)
	got, want := readBack(t, reg)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back\n%+v\nserved\n%+v", got, want)
	}
}

// readBack serves reg's report and reads it back through a RemoteSource:
// what it read, and the registry's snapshots as the report can give them
// back (no description, times in UTC).
func readBack(t *testing.T, reg *slo.Registry) (got, want []slo.Snapshot) {
	t.Helper()
	srv := httptest.NewServer(slohttp.SnapshotHandler(reg))
	t.Cleanup(srv.Close)
	src, err := slohttp.NewRemoteSource(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err = src.Snapshots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want = reg.SnapshotAll()
	for i := range want {
		want[i].Description = "" // not part of the report
		want[i].Time = want[i].Time.UTC()
	}
	return got, want
}

// Any answer that is not a complete report is an error: a failing source
// (503), another status, another document, an incomplete entry, a server
// that does not answer in time.
func TestRemoteSourceFailsOnAnythingButAReport(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/down", slohttp.SnapshotHandler(failing{}))
	mux.HandleFunc("/404", http.NotFound)
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>") })
	mux.HandleFunc("/other", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"status":"ok"}`) })
	mux.HandleFunc("/partial", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"slos":[{"name":"a","error_budget_remaining":1},{"name":"b"}]}`)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for path, want := range map[string]string{
		"/down":    "503 Service Unavailable: reading the SLOs: store unreachable",
		"/404":     "404 Not Found",
		"/html":    "not an SLO report",
		"/other":   `no "slos" list`,
		"/partial": "slos[1] has no name or error_budget_remaining",
		"/slow":    "context deadline exceeded",
	} {
		src, err := slohttp.NewRemoteSource(srv.URL+path, srv.Client())
		if err != nil {
			t.Fatal(err)
		}
		timeout := 10 * time.Second // ample on a loaded machine; /slow never answers
		if path == "/slow" {
			timeout = 300 * time.Millisecond
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		snaps, err := src.Snapshots(ctx)
		cancel()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %d snapshots, error %v; want an error saying %q", path, len(snaps), err, want)
		}
	}
	for _, bad := range []string{"", "ftp://host/slo", "http://", "::"} {
		if _, err := slohttp.NewRemoteSource(bad, nil); err == nil {
			t.Errorf("NewRemoteSource(%q) accepted", bad)
		}
	}
}
