package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/slo-budget-tracker/slo"
)

// The naming rules of the generated rules, in one place: the loader and
// package promrules both call these, so a name one accepts the other
// accepts.

// reservedLabels are the labels the generated rules set on every series
// and alert (slo, service, severity and the tier windows), and the ones
// Prometheus sets on alerts itself (alertname, alertstate). An SLO's
// labels may not use them.
var reservedLabels = []string{"slo", "service", "severity", "long_window", "short_window", "alertname", "alertstate"}

// ReservedLabels returns the label names that an SLO's labels may not use
// because the generated rules or Prometheus set them: slo, service,
// severity, long_window, short_window, alertname and alertstate. Alert
// labels may set severity. Names starting with "__" are reserved too.
func ReservedLabels() []string { return slices.Clone(reservedLabels) }

// CheckLabelName returns an error when name is not a label name the
// generated rules may carry: it must follow Prometheus's label name rule
// ([a-zA-Z_][a-zA-Z0-9_]*, at most 128 bytes), must not start with "__"
// and must not be reserved (see ReservedLabels). An alert label (alert
// true) may be severity, to override the tier's.
func CheckLabelName(name string, alert bool) error {
	switch {
	case !validLabelName(name):
		return fmt.Errorf("%q is not a valid label name; use letters, digits and _, not starting with a digit", name)
	case strings.HasPrefix(name, "__"):
		return fmt.Errorf("%q is reserved: names starting with __ are Prometheus's own", name)
	case slices.Contains(reservedLabels, name) && !(alert && name == "severity"):
		return fmt.Errorf("%q is reserved: the generated rules and Prometheus set %s", name, strings.Join(reservedLabels, ", "))
	}
	return nil
}

// CheckAnnotationName returns an error when name is not a valid annotation
// name; annotation names follow the label name rule, and none is reserved.
func CheckAnnotationName(name string) error {
	if !validLabelName(name) {
		return fmt.Errorf("%q is not a valid annotation name; use letters, digits and _, not starting with a digit", name)
	}
	return nil
}

// CheckAlertName returns an error when name is not an alert name that
// Prometheus 2 and 3 both load: an alert name follows the metric name rule
// ([a-zA-Z_:][a-zA-Z0-9_:]*, at most 512 bytes), so a ':' is allowed.
func CheckAlertName(name string) error {
	if !validMetricName(name) {
		return fmt.Errorf("%q is not a valid alert name; use letters, digits, _ and :, not starting with a digit", name)
	}
	return nil
}

// validLabelName reports whether s follows Prometheus's label name rule.
func validLabelName(s string) bool { return validName(s, 128, false) }

// validMetricName reports whether s follows Prometheus's metric name rule,
// which alert names follow too.
func validMetricName(s string) bool { return validName(s, 512, true) }

// validName reports whether s is a legacy Prometheus name: letters, digits
// and _ (and : when colon is set), not starting with a digit, at most
// maxLen bytes.
func validName(s string, maxLen int, colon bool) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', colon && r == ':':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// CheckGroupBy returns an error when by is not a usable group_by list: it
// must not be empty, and every name must be a label a tracker family may
// use (slo.CheckGroupLabel: valid, and not one the generated rules or the
// exported series set, which CheckLabelName's reserved names are part of)
// and appear once. The index is the offending name's, or -1
// when the problem is the list itself.
func CheckGroupBy(by []string) (int, error) {
	if len(by) == 0 {
		return -1, fmt.Errorf("is empty; give the labels to group by, like [route], or leave group_by out")
	}
	for i, name := range by {
		if err := slo.CheckGroupLabel(name); err != nil {
			return i, err
		}
		if slices.Index(by, name) < i {
			return i, fmt.Errorf("%q is given twice", name)
		}
	}
	return -1, nil
}
