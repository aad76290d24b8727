package spec

import (
	"fmt"
	"strconv"
	"strings"
)

// An Error is one problem in a spec file: where it is, which SLO and field
// it concerns, and what is wrong and what is allowed.
type Error struct {
	File    string // the file's name as given to Load or LoadBytes
	Line    int    // 1-based; 0 when the YAML parser gives none
	Column  int    // 1-based, for YAML syntax errors; 0 when unknown
	SLO     string // the SLO's name; empty outside an SLO
	Field   string // the field's path, like "slos[0].objective"; empty for the whole file
	Problem string // what is wrong and what is allowed
}

// Error formats e like "checkout.yaml:12: slo "api": slos[0].objective: ...",
// with the column after the line when it is known ("checkout.yaml:6:13: ...").
// Without a file and a line (an SLO made in code), it starts with the SLO.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Column))
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.SLO != "" {
		fmt.Fprintf(&b, "slo %q: ", e.SLO)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

// An ErrorList holds every problem found in a file, in the order of the
// file. Load and LoadBytes return one when a spec is invalid.
type ErrorList []*Error

// Error lists the problems one per line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the individual problems, so errors.As finds an *Error.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}
