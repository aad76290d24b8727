// Package spec reads SLO spec files: this tool's own YAML format, Sloth's
// prometheus/v1 specs and OpenSLO v1 objects, so that one file drives the
// in-process tracker, the dashboard and the Prometheus rules.
//
// Load (or LoadBytes) returns a File whose SLOs each carry:
//
//   - the slo.Objective the tracker measures (name, target, window,
//     description, alert tiers, minimum events);
//   - the service and the labels that go on every generated series;
//   - the SLI, as PromQL query templates in Sloth's style, with
//     WindowPlaceholder ("{{.window}}") standing for a range like 5m, plus
//     the raw counter selectors when the spec gave them.
//
// Registry, or File.Define, turns the SLOs into trackers of a
// slo.Registry in one call; package promrules turns them into Prometheus
// rules. The naming rules both follow (CheckLabelName, CheckAnnotationName,
// CheckAlertName), the PromQL parser (ParseQuery) and the query templates
// (NormalizeTemplate, Expand) are defined here, once.
//
// # Errors
//
// A spec that cannot be read exactly as written is refused. Every problem of
// a file is reported at once, in an ErrorList whose entries name the file,
// the line, the SLO and the field, say what is wrong and what is allowed.
// Unknown fields are errors (a typo must not silently disable an alert), and
// features of the other formats that this tool cannot honour (Sloth
// plugins, OpenSLO calendar windows, threshold metrics, alert policies) are
// refused with "not supported: <field>" rather than ignored. A YAML syntax
// error names the line and column of the mistake. Every query is parsed with Prometheus's own PromQL parser,
// and every string the tool writes into a query is quoted, so no label
// value or SLO name can change a query's meaning.
//
// The formats are described with examples in docs/spec.md.
package spec
