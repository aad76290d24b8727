package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenerateGrafanaWritesADashboard checks that -format grafana writes
// the same dashboard to a file and to standard output.
func TestGenerateGrafanaWritesADashboard(t *testing.T) {
	dir := t.TempDir()
	specPath := filepath.Join(dir, "shop.yaml")
	if err := os.WriteFile(specPath, []byte(smallSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "dashboard.json")
	if code, _, stderr := cli(t, "generate", "-format", "grafana", "-o", out, specPath); code != exitOK {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var model struct {
		SchemaVersion int `json:"schemaVersion"`
		Panels        []struct {
			Title string `json:"title"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(written, &model); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if model.SchemaVersion == 0 || len(model.Panels) == 0 || model.Panels[0].Title != "shop / shop-availability" {
		t.Errorf("dashboard: %+v, want a row for shop / shop-availability", model)
	}
	code, stdout, stderr := cli(t, "generate", "-format", "grafana", specPath)
	if code != exitOK || stdout != string(written) {
		t.Errorf("standard output (exit %d, %s) differs from the file", code, stderr)
	}
}

// TestGenerateGrafanaReportsWhatValidateReports runs validate and
// generate -format grafana on invalid specs: the same problems, exit 1.
func TestGenerateGrafanaReportsWhatValidateReports(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"bad group": groupedSpec("[service]", `http_requests_total{code=~"5.."}`),
		"bad query": rawSpec(`sum(rate(x[{{.window}}])) /`),
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		vcode, _, verr := cli(t, "validate", "-q", path)
		gcode, gout, gerr := cli(t, "generate", "-format", "grafana", path)
		if vcode != exitFail || gcode != exitFail || gout != "" {
			t.Errorf("%s: validate exits %d, generate %d with %d bytes out; want both 1, no output", name, vcode, gcode, len(gout))
		}
		if v, g := strings.Join(problems(verr), "\n"), strings.Join(problems(gerr), "\n"); v != g || v == "" {
			t.Errorf("%s: validate and generate report different problems\nvalidate:\n%s\ngenerate:\n%s", name, v, g)
		}
	}
}

func TestGenerateGrafanaRefusesTests(t *testing.T) {
	cliCase{
		args:     []string{"generate", "-format", "grafana", "-o", "d.json", "-tests", "t.yml", "x.yaml"},
		wantCode: exitUsage,
		inStderr: "-tests goes with rules",
	}.check(t)
}
