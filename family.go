package slo

import (
	"context"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// OverflowValue is the label value of a family's overflow member: past the
// family's cap (see [WithMaxMembers]), every label of the member that takes
// the events of new label values is set to it.
const OverflowValue = "__overflow__"

// DefaultMaxMembers is how many members a family holds, besides its
// overflow member, unless [WithMaxMembers] says otherwise.
const DefaultMaxMembers = 1000

// maxFoldedTracked bounds the set of folded label values a family
// remembers to count them once each: 65,536 64-bit hashes, 1 MiB at most.
const maxFoldedTracked = 1 << 16

// reservedGroupLabels are the label names a family may not use: the labels
// the exported series and the generated rules set themselves.
var reservedGroupLabels = []string{
	"slo", "service", "severity", "long_window", "short_window",
	"alertname", "alertstate", "window_seconds", "outcome",
}

// CheckGroupLabel returns an error when name cannot label the members of a
// family: it must follow Prometheus's label name rule ([a-zA-Z_][a-zA-Z0-9_]*,
// at most 128 bytes), must not start with "__" and must not be one of the
// labels the exported series and generated rules set themselves (slo,
// service, severity, long_window, short_window, alertname, alertstate,
// window_seconds, outcome).
func CheckGroupLabel(name string) error {
	switch {
	case !isLabelName(name):
		return fmt.Errorf("%q is not a valid label name; use letters, digits and _, not starting with a digit, at most 128 bytes", name)
	case strings.HasPrefix(name, "__"):
		return fmt.Errorf("%q is reserved: names starting with __ are Prometheus's own", name)
	case slices.Contains(reservedGroupLabels, name):
		return fmt.Errorf("%q is reserved: the exported series and generated rules set %s", name, strings.Join(reservedGroupLabels, ", "))
	}
	return nil
}

// isLabelName reports whether s follows Prometheus's label name rule.
func isLabelName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// A FamilyOption configures a [Family].
type FamilyOption func(*familyConfig)

type familyConfig struct {
	maxMembers  int
	trackerOpts []Option
}

// WithMaxMembers caps the members of a family at n, besides its overflow
// member; the default is [DefaultMaxMembers]. n must be positive.
func WithMaxMembers(n int) FamilyOption {
	return func(c *familyConfig) { c.maxMembers = n }
}

// WithTrackerOptions gives every member of the family opts, after the
// registry's.
func WithTrackerOptions(opts ...Option) FamilyOption {
	return func(c *familyConfig) { c.trackerOpts = append(c.trackerOpts, opts...) }
}

// A Family is a set of trackers of one objective, one per combination of
// the values of its labels, in the spirit of client_golang's CounterVec:
// one objective, one error budget per route, tenant or cluster. Members are
// made on first use (see [Family.With]). It is safe for concurrent use.
//
// A family never holds more members than its cap (see [WithMaxMembers]):
// past it, the events of new label values go to one overflow member whose
// every label is [OverflowValue], and [Family.Folded] counts the distinct
// values folded into it, so that an unbounded label cannot exhaust memory.
//
// Every member is a [Tracker] whose snapshots carry the family's objective
// name and the member's labels. With a store (see [WithStore]), each member
// saves under its own key (see [MemberKey]) and restores its saved state
// when it is made: the load runs in the background, never on the request
// that made the member ([Family.MemberContext] waits for it, for members
// made ahead of traffic).
type Family struct {
	obj    Objective
	labels []string
	max    int
	opts   []Option

	// members maps a key of the label values (see memberKey) to the
	// member; the map is never changed once published, so readers need
	// no lock. Writers hold mu and publish a copy.
	members atomic.Pointer[map[string]*Tracker]

	mu       sync.Mutex
	overflow *Tracker
	seed     maphash.Seed
	folded   map[uint64]struct{}
	nFolded  atomic.Uint64
	runtime  []Correction // added with AddCorrection, also in obj
}

// NewFamily returns a family of trackers of o, one per combination of the
// values of labels, or an error naming what is wrong with o, labels or
// opts. labels must hold at least one name, each valid (see
// [CheckGroupLabel]) and distinct.
func NewFamily(o Objective, labels []string, opts ...FamilyOption) (*Family, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	cfg := familyConfig{maxMembers: DefaultMaxMembers}
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	if cfg.maxMembers <= 0 {
		return nil, fmt.Errorf("slo: family %q: maximum members %d: must be positive", o.Name, cfg.maxMembers)
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("slo: family %q: labels: at least one label name is needed", o.Name)
	}
	for i, l := range labels {
		if err := CheckGroupLabel(l); err != nil {
			return nil, fmt.Errorf("slo: family %q: labels[%d]: %w", o.Name, i, err)
		}
		if slices.Contains(labels[:i], l) {
			return nil, fmt.Errorf("slo: family %q: labels[%d]: %q is listed twice", o.Name, i, l)
		}
	}
	f := &Family{
		obj:    o.WithDefaults(),
		labels: slices.Clone(labels),
		max:    cfg.maxMembers,
		opts:   slices.Clip(cfg.trackerOpts),
		seed:   maphash.MakeSeed(),
		folded: make(map[uint64]struct{}),
	}
	empty := map[string]*Tracker{}
	f.members.Store(&empty)
	return f, nil
}

// Name returns the family's objective name.
func (f *Family) Name() string { return f.obj.Name }

// Objective returns the family's objective, with defaults applied.
func (f *Family) Objective() Objective {
	f.mu.Lock() // AddCorrection changes its corrections
	defer f.mu.Unlock()
	return f.obj.WithDefaults()
}

// Labels returns the names of the family's labels, in order.
func (f *Family) Labels() []string { return slices.Clone(f.labels) }

// MaxMembers returns the family's cap: the most members it holds besides
// the overflow member.
func (f *Family) MaxMembers() int { return f.max }

// With returns the member for values, one per label in the order of
// [Family.Labels], making it on first use. It never fails and never
// returns nil: values that cannot name a member (a wrong count, invalid
// UTF-8; [Family.Member] says why) and new values past the cap go to the
// overflow member, and count as folded.
//
// Looking up an existing member reads an immutable map without a lock or
// an allocation; making one copies the map, once per member.
func (f *Family) With(values ...string) *Tracker {
	if t := f.lookup(values); t != nil {
		return t
	}
	t, _ := f.member(values)
	return t
}

// Member is [Family.With] that returns an error, and the overflow member,
// when values cannot name a member: their count is not the number of
// labels or one is not valid UTF-8.
func (f *Family) Member(values ...string) (*Tracker, error) {
	if t := f.lookup(values); t != nil {
		return t, nil
	}
	return f.member(values)
}

// MemberContext is [Family.Member] that then waits for the member's first
// load of its saved state, as [Registry.DefineContext] waits for a
// tracker's: until the load attempt ends, ctx ends or the load timeout (see
// [WithLoadTimeout]) passes. It is for making members ahead of traffic (at
// start, for the routes a program knows) so that they serve their restored
// budgets at once; on the request path, use With, which never waits.
func (f *Family) MemberContext(ctx context.Context, values ...string) (*Tracker, error) {
	t, err := f.Member(values...)
	if t.store != nil {
		t.store.waitFirstLoad(ctx)
	}
	return t, err
}

// lookup returns the existing member of values, or nil.
func (f *Family) lookup(values []string) *Tracker {
	m := *f.members.Load()
	if len(values) == 1 && len(f.labels) == 1 {
		return m[values[0]]
	}
	if len(values) != len(f.labels) {
		return nil
	}
	var buf [256]byte
	return m[string(appendKey(buf[:0], values))]
}

// appendKey appends the map key of values: the values separated by 0xff,
// a byte valid UTF-8 never holds. A single value is its own key.
func appendKey(b []byte, values []string) []byte {
	for i, v := range values {
		if i > 0 {
			b = append(b, 0xff)
		}
		b = append(b, v...)
	}
	return b
}

// member is With's slow path: it makes the member of values, or folds
// them into the overflow member.
func (f *Family) member(values []string) (*Tracker, error) {
	key := string(appendKey(nil, values))
	var err error
	switch {
	case len(values) != len(f.labels):
		err = fmt.Errorf("slo: family %q: %d label values for %d labels (%s)", f.obj.Name, len(values), len(f.labels), strings.Join(f.labels, ", "))
	default:
		for i, v := range values {
			if !utf8.ValidString(v) {
				err = fmt.Errorf("slo: family %q: label %s: value %q is not valid UTF-8", f.obj.Name, f.labels[i], v)
				break
			}
		}
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	m := *f.members.Load()
	if t := m[key]; t != nil && err == nil {
		return t, nil
	}
	if err == nil && len(m) < f.max {
		labels := make(map[string]string, len(f.labels))
		for i, l := range f.labels {
			labels[l] = values[i]
		}
		t := f.newMember(labels)
		next := make(map[string]*Tracker, len(m)+1)
		maps.Copy(next, m)
		next[key] = t
		f.members.Store(&next)
		return t, nil
	}
	if len(f.folded) < maxFoldedTracked {
		h := maphash.String(f.seed, key)
		if _, seen := f.folded[h]; !seen {
			f.folded[h] = struct{}{}
			f.nFolded.Add(1)
		}
	}
	if f.overflow == nil {
		labels := make(map[string]string, len(f.labels))
		for _, l := range f.labels {
			labels[l] = OverflowValue
		}
		f.overflow = f.newMember(labels)
	}
	return f.overflow, err
}

// newMember makes the tracker of one member. Its objective was validated
// by NewFamily, so NewTrackerContext cannot fail; the context is done, so
// a store's first load runs in the background and the request that made
// the member does not wait for it.
func (f *Family) newMember(labels map[string]string) *Tracker {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	opts := append(slices.Clip(f.opts), withMemberLabels(labels), withRuntimeCorrections(f.runtime))
	t, err := NewTrackerContext(ctx, f.obj, opts...)
	if err != nil {
		panic(fmt.Sprintf("slo: family %q: %v", f.obj.Name, err)) // unreachable: NewFamily validated the objective
	}
	return t
}

// Folded returns how many distinct combinations of label values went to
// the overflow member: new values past the cap, and values that cannot name
// a member. It counts each exactly up to 65,536 combinations (a 64-bit hash
// of each is remembered, 1 MiB at most) and stops growing there, so past
// that it is a lower bound.
func (f *Family) Folded() uint64 { return f.nFolded.Load() }

// Members returns every member, the overflow member last if there is one,
// the others sorted by their label values.
func (f *Family) Members() []*Tracker {
	m := *f.members.Load()
	ts := make([]*Tracker, 0, len(m)+1)
	for _, t := range m {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b *Tracker) int { return compareLabels(f.labels, a.labels, b.labels) })
	f.mu.Lock()
	if f.overflow != nil {
		ts = append(ts, f.overflow)
	}
	f.mu.Unlock()
	return ts
}

// compareLabels orders two label sets by their values of names, in order.
func compareLabels(names []string, a, b map[string]string) int {
	for _, n := range names {
		if c := strings.Compare(a[n], b[n]); c != 0 {
			return c
		}
	}
	return 0
}

// Snapshots returns a snapshot of every member, in the order of
// [Family.Members].
func (f *Family) Snapshots() []Snapshot { return snapshots(f.Members()) }

// Close closes every member, saving their state to their stores, and
// returns their errors joined. A member made after Close is closed by the
// next Close.
func (f *Family) Close(ctx context.Context) error {
	return closeAll(ctx, f.Members())
}
