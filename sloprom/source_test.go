package sloprom

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/slo-budget-tracker/slo"
)

// staticSource is a Source that is not a Registry: it reports the
// snapshots of reg, as a fleet or a remote service would.
type staticSource struct{ reg *slo.Registry }

func (s staticSource) Snapshots(context.Context) ([]slo.Snapshot, error) {
	return s.reg.SnapshotAll(), nil
}

// failingSource fails, or, with block, waits for its context to end.
type failingSource struct{ block bool }

func (s failingSource) Snapshots(ctx context.Context) ([]slo.Snapshot, error) {
	if s.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, errors.New("redis: connection refused")
}

// A Source that is not the process's Registry exports every series of its
// snapshots, and slo_source_up 1, but none of the process's own counters:
// events since the process started and store statistics are a process's.
func TestCollectorOfAnySource(t *testing.T) {
	reg := burningRegistry(t)
	h := Handler(staticSource{reg})
	out := scrape(t, h)
	for _, want := range []string{
		"slo_source_up 1",
		`slo_error_budget_remaining{slo="checkout"} -7`,
		`slo_burn_rate{slo="checkout",window_seconds="3600"} 8`,
		`slo_alert_firing{long_window="1d",severity="ticket",short_window="2h",slo="checkout"} 1`,
		`slo_window_events{slo="search"} 0`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("exposition lacks %q:\n%s", want, out)
		}
	}
	for _, absent := range []string{"slo_events_total", "slo_store_", "slo_family_folded_total"} {
		if strings.Contains(out, absent) {
			t.Errorf("exposition of a Source has %s:\n%s", absent, out)
		}
	}
	if problems := promtoolCheck(t, out); problems != "" {
		t.Errorf("promtool check metrics: %s", problems)
	}
}

// A Source that fails, or does not answer within the collector's
// timeout, is reported as slo_source_up 0, with no SLO series at all:
// never a stale or empty budget. The scrape itself succeeds.
func TestCollectorOfAFailingSource(t *testing.T) {
	for name, c := range map[string]*collector{
		"failing": NewCollector(failingSource{}).(*collector),
		"blocked": NewCollector(failingSource{block: true}, WithTimeout(100*time.Millisecond)).(*collector),
	} {
		start := time.Now()
		n := testutil.CollectAndCount(c)
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s: Collect took %v", name, took)
		}
		if n != 1 {
			t.Errorf("%s: %d series, want slo_source_up alone", name, n)
		}
		if v := testutil.ToFloat64(c); v != 0 {
			t.Errorf("%s: slo_source_up %v, want 0", name, v)
		}
	}
}
