package main

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// downSource is a Source whose store cannot be read.
type downSource struct{}

func (downSource) Snapshots(context.Context) ([]slo.Snapshot, error) {
	return nil, errors.New("redis: connection refused")
}

// A /slo whose source is down answers 503: the gate stays closed with the
// reason, never opens on an empty report.
func TestGateOnAnUnreadableSourceFailsClosed(t *testing.T) {
	srv := httptest.NewServer(slohttp.SnapshotHandler(downSource{}))
	t.Cleanup(srv.Close)
	code, out, errOut := cli(t, "gate", "-url", srv.URL)
	if code != exitUsage || !strings.Contains(errOut, "503 Service Unavailable") || !strings.Contains(errOut, "connection refused") {
		t.Errorf("code %d, stdout %q, stderr %q; want %d and the 503 with its reason", code, out, errOut, exitUsage)
	}
	if _, err := sourceStates(context.Background(), downSource{}); err == nil {
		t.Error("sourceStates of a failing source: no error")
	}
}
