package spec

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/slo-budget-tracker/slo"
)

// A Format is one of the spec formats Load reads.
type Format string

// The formats Load reads, told apart by each document's version line.
const (
	// Native is this tool's own format: `version: slo/v1`.
	Native Format = "slo/v1"
	// Sloth is Sloth's `version: prometheus/v1` format.
	Sloth Format = "prometheus/v1"
	// OpenSLO is OpenSLO's `apiVersion: openslo/v1` format.
	OpenSLO Format = "openslo/v1"
)

// A File is a loaded spec file: its SLOs, in the order of the file.
type File struct {
	Path string // the name given to Load or LoadBytes
	SLOs []SLO
}

// An SLO is one objective read from a spec, with everything the tracker,
// the dashboard and the rules generator need.
type SLO struct {
	// Objective is what the in-process tracker measures: name, target,
	// window, description and alerting options. Window is always set
	// (slo.DefaultWindow, 30 days, when the spec gives none). Other fields
	// the spec leaves out are zero, so slo.Objective.WithDefaults fills
	// them: Tiers is nil for the default tiers, and empty but non-nil when
	// the spec disables every tier.
	Objective slo.Objective

	// Service names the service the SLO belongs to.
	Service string

	// Labels go on every series and alert generated for the SLO: the
	// file's labels merged with the SLO's own (the SLO's win). Names pass
	// CheckLabelName (valid, not reserved); values are not empty.
	Labels map[string]string

	// GroupBy lists the labels that split the SLO into one error budget
	// per value (per route, tenant or cluster): every recorded series and
	// alert of the SLO carries them. Nil for an SLO with one budget.
	// Names pass CheckGroupBy; the SLI's queries keep them
	// (CheckKeepsGroups), and the templates of SLIs given as selectors
	// sum by them.
	GroupBy []string

	// SLI says how Prometheus measures the SLO's events.
	SLI SLI

	// Alerting carries the alert names, labels and annotations the spec
	// gives. The tiers themselves are in Objective.Tiers.
	Alerting Alerting

	// Format is the format of the document the SLO came from, File the
	// name of the file (as given to Load or LoadBytes) and Line the SLO's
	// line in it. Errors about the SLO name the file and the line.
	Format Format
	File   string
	Line   int
}

// SLIKind names the way a spec gave an SLI.
type SLIKind string

// The SLI kinds.
const (
	// KindRatio: a ratio of counters given as plain series selectors
	// (native `ratio`, or OpenSLO selector queries).
	KindRatio SLIKind = "ratio"
	// KindLatency: the share of a histogram's observations at or below a
	// bucket boundary (native `latency`).
	KindLatency SLIKind = "latency"
	// KindInProcess: the slo_events_total counters that package sloprom
	// exports from the in-process tracker (native `in_process`).
	KindInProcess SLIKind = "in_process"
	// KindEvents: query templates for error (or good) and total events
	// (Sloth's `events`, OpenSLO queries using {{.window}}).
	KindEvents SLIKind = "events"
	// KindErrorRatio: one query template for the error ratio itself
	// (Sloth's `raw`, OpenSLO's `raw`).
	KindErrorRatio SLIKind = "error_ratio"
)

// An SLI is how Prometheus measures an SLO, as PromQL query templates in
// Sloth's style: each template contains WindowPlaceholder ("{{.window}}")
// where a range like 5m goes; Expand fills it in. Every template has been
// checked to parse as PromQL and give an instant vector, and every label
// value the tool wrote into it is quoted.
//
// Exactly one of these shapes is set:
//
//   - ErrorQuery and TotalQuery: the per-second rates of events that spend
//     budget and of all events, over the window;
//   - GoodQuery and TotalQuery: the same with good events;
//   - ErrorRatioQuery alone: the error ratio over the window, from 0 to 1.
//     Exact traffic weighting over a long window is impossible from a
//     ratio alone: a generator must average it.
//
// Native ratio, latency and in-process SLIs, and OpenSLO queries that are
// plain selectors, also keep the counter selectors the templates were
// made from (ErrorSelector or GoodSelector, and TotalSelector), so a
// generator can take increase() of them directly. Templates made from
// selectors have the form sum(rate(<selector>[{{.window}}])), or
// sum by (<group labels>) (rate(<selector>[{{.window}}])) for a grouped
// SLO.
type SLI struct {
	Kind SLIKind

	ErrorQuery      string // events that spend the budget
	GoodQuery       string // events that do not
	TotalQuery      string // all events
	ErrorRatioQuery string // a ratio of bad to total events, from 0 to 1

	ErrorSelector string // counter of bad events, a plain selector; optional
	GoodSelector  string // counter of good events, a plain selector; optional
	TotalSelector string // counter of all events, a plain selector; optional

	// Threshold is a latency SLI's bucket boundary, in the histogram's
	// unit: good events take at most this long. Zero for other kinds.
	Threshold float64
}

// Alerting carries the alert metadata a spec gives, for a rules generator.
type Alerting struct {
	// Name is the alert name the spec asks for (Sloth's alerting.name);
	// empty for the default names.
	Name string
	// Labels and Annotations go on every alert of the SLO.
	Labels, Annotations map[string]string
	// PageLabels, PageAnnotations, TicketLabels and TicketAnnotations go
	// on the alerts of the page or the ticket tiers only.
	PageLabels, PageAnnotations     map[string]string
	TicketLabels, TicketAnnotations map[string]string
}

// Load reads the spec file at path. When the file is invalid, the error is
// an ErrorList with every problem found.
func Load(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("spec: reading %s: %w", path, err)
	}
	return LoadBytes(path, data)
}

// LoadBytes reads a spec from data; name is used in errors. A file may hold
// several YAML documents (separated by ---), each in any of the formats:
// native (`version: slo/v1`), Sloth (`version: prometheus/v1`) or OpenSLO
// (`apiVersion: openslo/v1`). When the spec is invalid, the error is an
// ErrorList with every problem found; no input makes it panic.
func LoadBytes(name string, data []byte) (*File, error) {
	d := &decoder{file: name}
	if len(data) > maxFileSize {
		d.failAt(0, "", fmt.Sprintf("the file is larger than %d bytes", maxFileSize))
		return nil, d.errs
	}
	file := &File{Path: name}
	var openslo openSLODocs
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for docIndex := 0; !d.full; docIndex++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			d.syntaxError(data, err)
			break
		}
		root := &doc
		if root.Kind == yaml.DocumentNode {
			if len(root.Content) == 0 {
				continue
			}
			root = root.Content[0]
		}
		root = d.resolve(root)
		if root == nil || isNull(root) {
			continue
		}
		if root.Kind == yaml.SequenceNode {
			// OpenSLO tools also write a list of objects in one document.
			for i, item := range root.Content {
				d.document(file, &openslo, item, index(fmt.Sprintf("document %d", docIndex+1), i))
			}
			continue
		}
		d.document(file, &openslo, root, "")
	}
	if !d.full {
		d.openSLO(file, &openslo)
	}
	d.slo = ""
	if !d.full {
		seen := map[[2]string]int{}
		for _, s := range file.SLOs {
			key := [2]string{s.Service, s.Objective.Name}
			if line, dup := seen[key]; dup {
				d.errs = append(d.errs, &Error{File: name, Line: s.Line, SLO: s.Objective.Name,
					Problem: fmt.Sprintf("service %q already has an SLO of this name, at line %d; names must be unique within a service", s.Service, line)})
				continue
			}
			seen[key] = s.Line
		}
	}
	if len(d.errs) > 0 {
		// In the order of the file; errors without a line last.
		slices.SortStableFunc(d.errs, func(a, b *Error) int {
			return cmp.Compare(lineOrLast(a.Line), lineOrLast(b.Line))
		})
		return nil, d.errs
	}
	if len(file.SLOs) == 0 {
		return nil, ErrorList{{File: name, Problem: "the file defines no SLO"}}
	}
	return file, nil
}

func lineOrLast(line int) int {
	if line <= 0 {
		return math.MaxInt
	}
	return line
}

// document reads one YAML document, telling its format by its version.
func (d *decoder) document(file *File, openslo *openSLODocs, root *yaml.Node, path string) {
	root = d.resolve(root)
	if root == nil || isNull(root) {
		return
	}
	d.slo = ""
	if root.Kind != yaml.MappingNode {
		d.failf(root, path, "is %s; a spec document is a mapping starting with `version: slo/v1`, `version: prometheus/v1` or `apiVersion: openslo/v1`", kindName(root))
		return
	}
	var version, apiVersion *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "version":
			version = d.resolve(root.Content[i+1])
		case "apiVersion":
			apiVersion = d.resolve(root.Content[i+1])
		}
	}
	switch {
	case apiVersion != nil:
		v, _ := d.scalar(apiVersion, join(path, "apiVersion"))
		if v == string(OpenSLO) {
			openslo.add(d, root, path)
			return
		}
		d.failf(apiVersion, join(path, "apiVersion"), "%q is not supported; allowed: openslo/v1 (or `version: slo/v1` or `version: prometheus/v1` without apiVersion)", v)
	case version != nil:
		v, _ := d.scalar(version, join(path, "version"))
		switch Format(v) {
		case Native:
			d.native(file, root, path)
		case Sloth:
			d.sloth(file, root, path)
		default:
			d.failf(version, join(path, "version"), "%q is not supported; allowed: slo/v1 (this tool's format), prometheus/v1 (Sloth)", v)
		}
	default:
		d.failf(root, path, "has no version: start the document with `version: slo/v1`, `version: prometheus/v1` (Sloth) or `apiVersion: openslo/v1` (OpenSLO)")
	}
}

// Define defines a tracker for every SLO of f in r, with opts: a family of
// trackers, one per value of its group labels (slo.Registry.DefineFamily),
// for an SLO with group_by. It stops at nothing: every SLO that can be
// defined is, and the errors of the others (a name already defined, say)
// are returned joined.
func (f *File) Define(r *slo.Registry, opts ...slo.Option) error {
	var errs []error
	for _, s := range f.SLOs {
		var err error
		if s.GroupBy != nil {
			_, err = r.DefineFamily(s.Objective, s.GroupBy, slo.WithTrackerOptions(opts...))
		} else {
			_, err = r.Define(s.Objective, opts...)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: slo %q: %w", f.Path, s.Line, s.Objective.Name, err))
		}
	}
	return errors.Join(errs...)
}

// Registry returns a registry with a tracker for every SLO of files: the
// one call that makes a spec drive the in-process tracker. A registry
// keys trackers by name, so the SLOs of files must have distinct names
// (files for several services may reuse a name; load those one service at
// a time). For registry
// options (a store, a clock), make the registry with slo.NewRegistry and
// call Define on each file.
func Registry(files ...*File) (*slo.Registry, error) {
	r := slo.NewRegistry()
	for _, f := range files {
		if err := f.Define(r); err != nil {
			r.Close(context.Background())
			return nil, err
		}
	}
	return r, nil
}
