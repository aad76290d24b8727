package spec

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Limits that keep a hostile file from costing much.
const (
	maxFileSize  = 8 << 20 // bytes
	maxErrors    = 200     // errors reported per file
	maxNodeVisit = 1 << 20 // YAML nodes visited per file, aliases included
	maxQueryLen  = 64 << 10
)

// A decoder walks yaml.Nodes, collecting every problem it meets with its
// line. Methods that read a value return ok=false after reporting the
// problem, so callers carry on and report the next one.
type decoder struct {
	file   string
	errs   ErrorList
	slo    string // the SLO being read, for errors
	visits int
	full   bool // maxErrors reached or maxNodeVisit exceeded
}

// failf records a problem at node n (which may be nil).
func (d *decoder) failf(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.failAt(line, field, fmt.Sprintf(format, args...))
}

func (d *decoder) failAt(line int, field, problem string) {
	if d.full {
		return
	}
	if len(d.errs) >= maxErrors {
		d.errs = append(d.errs, &Error{File: d.file, Line: line, Problem: fmt.Sprintf("too many errors; stopped after %d", maxErrors)})
		d.full = true
		return
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, SLO: d.slo, Field: field, Problem: problem})
}

// resolve follows aliases and counts the visit; it returns nil once the
// file has cost too much.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode; depth++ {
		if depth > 100 {
			return nil
		}
		n = n.Alias
	}
	d.visits++
	if d.visits > maxNodeVisit {
		if !d.full {
			d.failAt(0, "", fmt.Sprintf("the file is too complex: more than %d YAML nodes after expanding aliases", maxNodeVisit))
			d.full = true
		}
		return nil
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "not a value"
}

// An object is a YAML mapping whose keys have been checked against the
// fields allowed there.
type object struct {
	node   *yaml.Node
	path   string
	values map[string]*yaml.Node
	keys   map[string]*yaml.Node // the key nodes, for the line of a key
}

// key returns the node of key, for errors about the key itself; the
// mapping when there is none.
func (o *object) key(k string) *yaml.Node {
	if n, ok := o.keys[k]; ok {
		return n
	}
	return o.node
}

// get returns the value of key, resolved, or nil when it is absent or null.
func (o *object) get(d *decoder, key string) *yaml.Node {
	if o == nil {
		return nil
	}
	v := d.resolve(o.values[key])
	if isNull(v) {
		return nil
	}
	return v
}

func (o *object) has(key string) bool {
	if o == nil {
		return false
	}
	v, ok := o.values[key]
	return ok && !isNull(v)
}

func (o *object) field(key string) string { return join(o.path, key) }

// join appends key to the field path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// object reads n as a mapping with the allowed keys. Unknown keys and
// keys given twice are errors (a typo must not silently drop a setting).
// YAML merge keys (<<: *anchor) are honoured. It returns nil when n is not
// a mapping.
func (d *decoder) object(n *yaml.Node, path string, allowed ...string) *object {
	n = d.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.failf(n, path, "is %s; want a mapping with the fields %s", kindName(n), strings.Join(allowed, ", "))
		return nil
	}
	o := &object{node: n, path: path, values: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	d.collect(o, n, allowed, true, 0)
	return o
}

func (d *decoder) collect(o *object, n *yaml.Node, allowed []string, explicit bool, depth int) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.resolve(n.Content[i]), n.Content[i+1]
		if k == nil {
			return
		}
		if k.Kind != yaml.ScalarNode {
			d.failf(k, o.path, "has a key that is %s; keys must be plain names", kindName(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if !slices.Contains(allowed, k.Value) {
			d.failf(k, o.field(k.Value), "unknown field%s; allowed here: %s", suggest(k.Value, allowed), strings.Join(allowed, ", "))
			continue
		}
		if _, dup := o.values[k.Value]; dup {
			if explicit {
				d.failf(k, o.field(k.Value), "is given twice")
			}
			continue
		}
		o.values[k.Value] = v
		o.keys[k.Value] = k
	}
	if depth > 20 {
		d.failf(n, o.path, "merge keys (<<) are nested too deep")
		return
	}
	for _, m := range merges {
		m = d.resolve(m)
		if m == nil {
			return
		}
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			s = d.resolve(s)
			if s == nil {
				return
			}
			if s.Kind != yaml.MappingNode {
				d.failf(s, o.path, "merge key (<<) refers to %s; want a mapping", kindName(s))
				continue
			}
			d.collect(o, s, allowed, false, depth+1)
		}
	}
}

// suggest returns ` (did you mean "x"?)` for the allowed key closest to key.
func suggest(key string, allowed []string) string {
	best, bestDist := "", 3
	for _, a := range allowed {
		if d := editDistance(strings.ToLower(key), strings.ToLower(a)); d < bestDist {
			best, bestDist = a, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// list reads n as a sequence.
func (d *decoder) list(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	n = d.resolve(n)
	if n == nil {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		d.failf(n, path, "is %s; want a list", kindName(n))
		return nil, false
	}
	return n.Content, true
}

// scalar returns the text of a scalar node.
func (d *decoder) scalar(n *yaml.Node, path string) (string, bool) {
	n = d.resolve(n)
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		d.failf(n, path, "is %s; want a single value", kindName(n))
		return "", false
	}
	if !utf8.ValidString(n.Value) {
		d.failf(n, path, "is not valid UTF-8")
		return "", false
	}
	return n.Value, true
}

// text reads a string field; absent fields give "" and ok.
func (d *decoder) text(o *object, key string) (string, bool) {
	v := o.get(d, key)
	if v == nil {
		return "", true
	}
	return d.scalar(v, o.field(key))
}

// required reads a string field that must be present and non-empty.
func (d *decoder) required(o *object, key, what string) (string, bool) {
	if o == nil {
		return "", false
	}
	v := o.get(d, key)
	if v == nil {
		d.failf(o.node, o.field(key), "is missing; give %s", what)
		return "", false
	}
	s, ok := d.scalar(v, o.field(key))
	if ok && strings.TrimSpace(s) == "" {
		d.failf(v, o.field(key), "is empty; give %s", what)
		return "", false
	}
	return s, ok
}

// number reads a finite number.
func (d *decoder) number(n *yaml.Node, path string) (float64, bool) {
	s, ok := d.scalar(n, path)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		d.failf(n, path, "%q is not a finite number", s)
		return 0, false
	}
	return f, true
}

// boolean reads true or false.
func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	s, ok := d.scalar(n, path)
	if !ok {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	d.failf(n, path, "%q is not a boolean; write true or false", s)
	return false, false
}

// duration reads a duration like 30d, 1h30m or 250ms.
func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, bool) {
	s, ok := d.scalar(n, path)
	if !ok {
		return 0, false
	}
	v, err := ParseDuration(s)
	if err != nil {
		d.failf(n, path, "%v", err)
		return 0, false
	}
	return v, true
}

// labels reads a map of Prometheus label names to values for an SLO's
// series. Names must be valid, non-reserved label names; values any UTF-8
// text.
func (d *decoder) labels(n *yaml.Node, path string) (map[string]string, bool) {
	return d.labelMap(n, path, func(k string) error { return CheckLabelName(k, false) })
}

// labelMap reads a map of label names to values, refusing the reserved
// names that check refuses and empty values.
func (d *decoder) labelMap(n *yaml.Node, path string, check func(string) error) (map[string]string, bool) {
	n = d.resolve(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		d.failf(n, path, "is %s; want a mapping of label names to values", kindName(n))
		return nil, false
	}
	out := map[string]string{}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.resolve(n.Content[i]), d.resolve(n.Content[i+1])
		if k == nil || v == nil {
			return nil, false
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			d.failf(k, path, "has a key that is %s; label names are plain names", kindName(k))
			ok = false
			continue
		}
		field := join(path, k.Value)
		if err := check(k.Value); err != nil {
			d.failf(k, field, "%v", err)
			ok = false
			continue
		}
		if _, dup := out[k.Value]; dup {
			d.failf(k, field, "is given twice")
			ok = false
			continue
		}
		val, vok := d.scalar(v, field)
		if !vok {
			ok = false
			continue
		}
		if val == "" {
			d.failf(v, field, "is empty; Prometheus treats a label with an empty value as no label, so give a value or remove the label")
			ok = false
			continue
		}
		out[k.Value] = val
	}
	return out, ok
}

// merge returns the union of a and b, b winning.
func merge(a, b map[string]string) map[string]string {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// peekName returns the scalar value of key in mapping n without checking
// anything, so that errors found while reading an SLO can name it.
func (d *decoder) peekName(n *yaml.Node, key string) string {
	n = d.resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			if v := d.resolve(n.Content[i+1]); v != nil && v.Kind == yaml.ScalarNode && utf8.ValidString(v.Value) {
				return v.Value
			}
		}
	}
	return ""
}

// alertLabels reads the labels of alerts.
func (d *decoder) alertLabels(n *yaml.Node, path string) (map[string]string, bool) {
	return d.labelMap(n, path, func(k string) error { return CheckLabelName(k, true) })
}
