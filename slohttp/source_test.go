package slohttp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/slohttp"
)

// failing is a Source that cannot be read, like a fleet whose store is down.
type failing struct{}

func (failing) Snapshots(context.Context) ([]slo.Snapshot, error) {
	return nil, errors.New("store unreachable")
}

func TestUnreadableSourceAnswers503NeverAnEmptyReport(t *testing.T) {
	for name, h := range map[string]http.Handler{
		"report":    slohttp.SnapshotHandler(failing{}),
		"dashboard": slohttp.DashboardHandler(failing{}),
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/data.json", nil))
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d, want 503", name, rec.Code)
		}
		if !strings.Contains(rec.Body.String(), "store unreachable") {
			t.Errorf("%s: body %q does not say why", name, rec.Body.String())
		}
	}
}

func TestNilRegistryIsAnEmptySource(t *testing.T) {
	var reg *slo.Registry
	rec := httptest.NewRecorder()
	slohttp.SnapshotHandler(reg).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/slo", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"slos": []`) {
		t.Errorf("status %d, body %s", rec.Code, rec.Body.String())
	}
}
