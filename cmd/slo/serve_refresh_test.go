package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/slo-budget-tracker/slo/internal/promtest"
	"github.com/slo-budget-tracker/slo/internal/testdeps"
)

// The dashboard of `slo serve` reads Prometheus every 15s unless -refresh
// says otherwise: its series change once per rule evaluation.
func TestServeRefreshesAtTheIntervalGiven(t *testing.T) {
	prom := promtest.Start(t, testdeps.Prometheus2, nil)
	for _, c := range []struct {
		args []string
		want float64
	}{
		{nil, 15},
		{[]string{"-refresh", "1m"}, 60},
		{[]string{"-refresh", "500ms"}, 0.5},
	} {
		base := startServe(t, append([]string{"-prometheus", prom.URL}, c.args...)...)
		res, err := http.Get(base + "/data.json")
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			RefreshSeconds float64 `json:"refresh_seconds"`
		}
		err = json.NewDecoder(res.Body).Decode(&d)
		res.Body.Close()
		if err != nil || d.RefreshSeconds != c.want {
			t.Errorf("%q: the page refreshes every %vs (%v), want %vs", c.args, d.RefreshSeconds, err, c.want)
		}
	}
}

func TestServeRefreshUsage(t *testing.T) {
	for _, refresh := range []string{"0s", "-1s", "soon"} {
		var stdout, stderr strings.Builder
		args := []string{"serve", "-prometheus", "http://p:9090", "-refresh", refresh}
		if code := run(context.Background(), args, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "-refresh") {
			t.Errorf("%q: exit %d, want %d; stderr %s", args, code, exitUsage, stderr.String())
		}
	}
}
