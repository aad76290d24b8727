package spec

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slo-budget-tracker/slo"
)

func TestRegistryDefinesEverySLOOfEveryFile(t *testing.T) {
	var files []*File
	for _, p := range []string{"../examples/specs/checkout.yaml", "../examples/specs/sloth.yaml", "../examples/specs/openslo.yaml"} {
		f, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	reg, err := Registry(files...)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close(context.Background())
	n := 0
	for _, f := range files {
		for _, s := range f.SLOs {
			n++
			tr := reg.Tracker(s.Objective.Name)
			if tr == nil {
				t.Fatalf("no tracker for %s", s.Objective.Name)
			}
			got, want := tr.Objective(), s.Objective.WithDefaults()
			if got.Target != want.Target || got.Window != want.Window || len(got.Tiers) != len(want.Tiers) || got.MinEvents != want.MinEvents {
				t.Errorf("%s: tracker objective %+v, want %+v", s.Objective.Name, got, want)
			}
		}
	}
	if len(reg.Trackers()) != n {
		t.Errorf("%d trackers for %d SLOs", len(reg.Trackers()), n)
	}
}

func TestDefineUsesOptionsAndReportsClashes(t *testing.T) {
	f := load(t, "version: slo/v1\nservice: s\nslos:\n- name: a\n  objective: 99%\n  sli: {in_process: {}}\n")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	reg := slo.NewRegistry()
	defer reg.Close(context.Background())
	if err := f.Define(reg, slo.WithClock(func() time.Time { return now })); err != nil {
		t.Fatal(err)
	}
	reg.Tracker("a").RecordFailure()
	if s := reg.Tracker("a").Snapshot(); !s.Time.Equal(now) || s.Failures != 1 {
		t.Errorf("snapshot %v failures %d: the option was not applied", s.Time, s.Failures)
	}
	err := f.Define(reg)
	if err == nil || !strings.Contains(err.Error(), `test.yaml:4: slo "a"`) {
		t.Errorf("defining twice: %v; want an error naming the file, line and SLO", err)
	}
	if _, err := Registry(f, f); err == nil {
		t.Error("Registry with a name defined twice succeeded")
	}
}

// TestGroupedSLOsDefineFamilies checks that a spec drives the in-process
// tracker as it drives the rules: an SLO with group_by becomes a family of
// trackers labelled by its group labels, one budget per value.
func TestGroupedSLOsDefineFamilies(t *testing.T) {
	f, err := Load("../examples/specs/grouped.yaml")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := Registry(f)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close(context.Background())
	for _, s := range f.SLOs {
		fam := reg.Family(s.Objective.Name)
		if fam == nil {
			t.Fatalf("%s: no family for an SLO grouped by %v", s.Objective.Name, s.GroupBy)
		}
		if got := fam.Labels(); strings.Join(got, ",") != strings.Join(s.GroupBy, ",") {
			t.Errorf("%s: family labels %v, want %v", s.Objective.Name, got, s.GroupBy)
		}
	}
	fam := reg.Family("storefront-availability")
	fam.With("/pay").RecordFailure()
	fam.With("/cart").RecordSuccess()
	if pay, cart := fam.With("/pay").Snapshot(), fam.With("/cart").Snapshot(); pay.Failures != 1 || cart.Failures != 0 || pay.Labels["route"] != "/pay" {
		t.Errorf("members share a budget: /pay %+v, /cart %+v", pay, cart)
	}
}

// TestGroupByRefusesLabelsTheExportedSeriesSet checks that a group label
// must also be usable by the in-process family: outcome and window_seconds
// label the series package sloprom exports.
func TestGroupByRefusesLabelsTheExportedSeriesSet(t *testing.T) {
	for _, label := range []string{"outcome", "window_seconds", "slo"} {
		_, err := LoadBytes("test.yaml", []byte("version: slo/v1\nservice: s\nslos:\n- name: a\n  objective: 99%\n  group_by: ["+label+"]\n  sli: {ratio: {errors: 'e_total', total: 't_total'}}\n"))
		if err == nil || !strings.Contains(err.Error(), "group_by") || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("group_by [%s]: error %v, want one naming group_by and saying it is reserved", label, err)
		}
	}
}
