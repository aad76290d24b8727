// Package redisstore keeps tracker states in Redis, so that each replica of
// a service survives its restarts and every view can show the fleet's error
// budget: every replica's windows summed.
//
// Every replica (instance) counts its own events in memory, exactly as
// without a store: recording never touches the network. Its tracker saves
// the instance's whole state, absolute counts, once a second by default,
// with one pipelined round trip (HSET and PEXPIRE). Because a save
// overwrites the instance's previous state instead of adding to it, a save
// that is retried, repeated or replayed after an outage never counts an
// event twice. [Store.FleetSnapshot] sums the states of all instances into
// the fleet-wide view, beside each tracker's local Snapshot, and
// [Store.Fleet] makes that view an [slo.Source] for the /slo report, the
// dashboard, the Prometheus collector, the audit watcher and the release
// gate.
//
//	client, err := redisstore.NewClient("redis://redis:6379/0")
//	if err != nil { ... }
//	store, err := redisstore.New(client, podName)
//	if err != nil { ... }
//	reg := slo.NewRegistry(store.Options()...)
//	...
//	fleet, err := store.FleetSnapshot(ctx, objective) // all replicas
//	local := reg.Tracker(objective.Name).Snapshot()  // this one
//	http.Handle("/slo", slohttp.SnapshotHandler(store.Fleet(reg))) // all, every objective
//
// # Keys
//
// An objective's states live in one hash, <prefix><objective name> (prefix
// "slo:" by default), a family member's in <prefix><member key> (see
// [slo.MemberKey]: the name, then each label as U+001F name=value), with one
// field per instance ID holding that
// instance's state as a versioned JSON document. Each save sets the hash to
// expire after the objective's window plus a margin (an hour by default), so
// the states of a fleet that stopped vanish once their events are out of the
// window. An instance that stopped while others go on leaves a field whose
// buckets age out of the window; readers skip it, and delete it once its
// state is older than the window plus the margin. The delete is one Lua
// script that removes a field only if it still holds the state the reader
// judged stale, so an instance that comes back and saves meanwhile keeps
// its fresh state.
//
// Instance IDs must be unique among the live replicas and stable across an
// instance's restarts (a StatefulSet pod name, a host name), so that a
// restarted instance loads its own state back. A replica that gets a new ID
// at every start (a Deployment pod name) still counts correctly: its old
// state stays in the fleet view until it leaves the window.
//
// # Failures
//
// Redis down or slow never blocks recording: saves happen on the trackers'
// background goroutines, bounded by the client's timeouts ([NewClient] sets
// 500ms) and the flush interval. While Redis is unreachable each tracker
// keeps counting in memory, logs the outage once and reports it in its
// StoreStats (exported by package sloprom); the first save after Redis is
// back writes everything counted meanwhile. A tracker made while Redis is
// unreachable counts at once, retries its load with backoff and saves
// nothing until it has loaded its instance's state, which it then adds to
// what it counted: a restart during an outage never overwrites that state.
//
// If Redis loses its data (a restart without persistence), every running
// instance writes its whole state again at its next save, so the fleet view
// is complete again within one flush interval. An instance that restarts
// while Redis has lost its state starts empty: run Redis with persistence
// (appendonly yes) where that matters.
package redisstore

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/store/internal/codec"
)

// Defaults of a Store and of the clients NewClient makes.
const (
	// DefaultFlushInterval is the flush interval [Store.Options] sets:
	// the fleet view lags each instance by at most this much.
	DefaultFlushInterval = time.Second
	// DefaultPrefix starts the key of every objective's hash.
	DefaultPrefix = "slo:"
	// DefaultExpiryMargin is how much longer than the objective's window
	// its hash lives after the last save.
	DefaultExpiryMargin = time.Hour
	// DefaultTimeout is the dial, read and write timeout NewClient sets.
	DefaultTimeout = 500 * time.Millisecond
	// CorruptRetention is how long a state that could not be decoded is
	// kept under its aside key.
	CorruptRetention = 30 * 24 * time.Hour
)

// A Store keeps the states of one instance's trackers in Redis and reads
// those of the whole fleet. It implements [slo.Store] and is safe for
// concurrent use.
type Store struct {
	client   redis.UniversalClient
	instance string
	prefix   string
	margin   time.Duration
	log      *slog.Logger
	now      func() time.Time

	saves, saveErrors, loads, loadErrors, fleetReads, fleetErrors, corrupt, bytes atomic.Uint64
}

// An Option configures a [Store].
type Option func(*Store)

// WithPrefix sets the prefix of the objectives' keys; the default is
// [DefaultPrefix]. Services sharing a Redis give each its own prefix.
func WithPrefix(p string) Option {
	return func(s *Store) { s.prefix = p }
}

// WithExpiryMargin sets how much longer than the objective's window a hash
// lives after the last save; the default is [DefaultExpiryMargin].
func WithExpiryMargin(d time.Duration) Option {
	return func(s *Store) {
		if d >= 0 {
			s.margin = d
		}
	}
}

// WithLogger sets where the store logs the states it cannot decode; the
// default is slog.Default(). Outages are logged by the trackers.
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) { s.log = l }
}

// WithClock makes the store read time from now, for the expiry of
// instances' states and the fleet snapshot's time; use the trackers' clock
// when they have one (see [slo.WithClock]). The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// NewClient returns a client for a redis:// or rediss:// URL (see
// redis.ParseURL) with timeouts for a store: dial, read and write timeouts
// of [DefaultTimeout] unless the URL sets them (dial_timeout, read_timeout,
// write_timeout), no command retries (the next flush is the retry) and
// context deadlines honoured.
func NewClient(url string) (*redis.Client, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisstore: %w", err)
	}
	if opt.DialTimeout == 0 {
		opt.DialTimeout = DefaultTimeout
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = DefaultTimeout
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = DefaultTimeout
	}
	if opt.MaxRetries == 0 {
		opt.MaxRetries = -1
	}
	opt.DialerRetries = 1
	opt.ContextTimeoutEnabled = true
	return redis.NewClient(opt), nil
}

// New returns a store for the instance with the given ID, which must be
// unique among the live replicas and should stay the same across the
// instance's restarts (see the package documentation). The caller keeps
// ownership of client and closes it after the trackers.
func New(client redis.UniversalClient, instance string, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: nil client")
	}
	if instance == "" {
		return nil, errors.New("redisstore: empty instance ID")
	}
	s := &Store{
		client:   client,
		instance: instance,
		prefix:   DefaultPrefix,
		margin:   DefaultExpiryMargin,
		log:      slog.Default(),
		now:      time.Now,
	}
	for _, opt := range opts {
		opt(s)
	}
	return s, nil
}

// Options returns the tracker options that use s: [slo.WithStore] and
// [slo.WithFlushInterval] of [DefaultFlushInterval]. Pass them to
// [slo.NewRegistry] or [slo.NewTracker].
func (s *Store) Options() []slo.Option {
	return []slo.Option{slo.WithStore(s), slo.WithFlushInterval(DefaultFlushInterval)}
}

// Instance returns the store's instance ID.
func (s *Store) Instance() string { return s.instance }

// Key returns the key of the hash holding the objective's states.
func (s *Store) Key(objective string) string { return s.prefix + objective }

// Load returns this instance's saved state of the objective, or nil when
// there is none. A state that cannot be decoded is copied to the key
// <prefix>corrupt:<objective>:<instance>:<unix ns> (kept for
// [CorruptRetention]), logged, and Load returns nil so that the tracker
// starts empty.
func (s *Store) Load(ctx context.Context, objective string) (*slo.State, error) {
	s.loads.Add(1)
	key := s.Key(objective)
	data, err := s.client.HGet(ctx, key, s.instance).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		s.loadErrors.Add(1)
		return nil, fmt.Errorf("redisstore: HGET %s %s: %w", key, s.instance, err)
	}
	st, err := s.decode(objective, data)
	if err == nil {
		return st, nil
	}
	aside := fmt.Sprintf("%scorrupt:%s:%s:%d", s.prefix, objective, s.instance, s.now().UnixNano())
	if serr := s.client.Set(ctx, aside, data, CorruptRetention).Err(); serr != nil {
		s.loadErrors.Add(1)
		return nil, fmt.Errorf("redisstore: %s field %s cannot be decoded (%v) nor copied aside: %w", key, s.instance, err, serr)
	}
	s.log.Error("redisstore: saved state unreadable; copied it aside and starting the objective empty",
		"objective", objective, "key", key, "instance", s.instance, "copied_to", aside, "err", err)
	return nil, nil
}

// decode decodes a saved state of the objective, counting failures.
func (s *Store) decode(objective string, data []byte) (*slo.State, error) {
	st, err := codec.Unmarshal(data)
	if err == nil && st.Objective != objective {
		err = fmt.Errorf("the state is of objective %q", st.Objective)
	}
	if err != nil {
		s.corrupt.Add(1)
		return nil, err
	}
	return st, nil
}

// Save writes this instance's state of the objective, replacing the one
// saved before, and renews the hash's expiry, in one pipelined round trip.
func (s *Store) Save(ctx context.Context, st *slo.State) error {
	data, err := codec.Marshal(st)
	if err != nil {
		s.saveErrors.Add(1)
		return fmt.Errorf("redisstore: %w", err)
	}
	key := s.Key(st.Objective)
	_, err = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, s.instance, data)
		p.PExpire(ctx, key, s.ttl(st))
		return nil
	})
	if err != nil {
		s.saveErrors.Add(1)
		return fmt.Errorf("redisstore: saving %s field %s: %w", key, s.instance, err)
	}
	s.saves.Add(1)
	s.bytes.Add(uint64(len(data)))
	return nil
}

// ttl is how long a state stays useful: its longest window plus the margin.
func (s *Store) ttl(st *slo.State) time.Duration {
	var w time.Duration
	for _, ws := range st.Windows {
		w = max(w, ws.Window)
	}
	return w + s.margin
}

// Instances returns the saved state of every instance for the objective,
// by instance ID. States that cannot be decoded are logged and left out;
// states older than their window plus the expiry margin are left out and
// deleted, each only if its field still holds the state read (a
// compare-and-delete script).
func (s *Store) Instances(ctx context.Context, objective string) (map[string]*slo.State, error) {
	s.fleetReads.Add(1)
	key := s.Key(objective)
	fields, err := s.client.HGetAll(ctx, key).Result()
	if err != nil {
		s.fleetErrors.Add(1)
		return nil, fmt.Errorf("redisstore: HGETALL %s: %w", key, err)
	}
	return s.states(ctx, objective, fields), nil
}

// states decodes the fields of the objective's hash, read at once, into
// each live instance's state. States that cannot be decoded are logged and
// left out; states older than their window plus the expiry margin are left
// out and deleted, each only if its field still holds the state read.
func (s *Store) states(ctx context.Context, objective string, fields map[string]string) map[string]*slo.State {
	key := s.Key(objective)
	now := s.now()
	states := make(map[string]*slo.State, len(fields))
	var stale []any // instance, SHA-1 of the state read, ...
	for instance, data := range fields {
		st, err := s.decode(objective, []byte(data))
		if err != nil {
			s.log.Error("redisstore: an instance's state is unreadable; leaving it out of the fleet view",
				"objective", objective, "key", key, "instance", instance, "err", err)
			continue
		}
		if st.Time.Add(s.ttl(st)).Before(now) {
			sum := sha1.Sum([]byte(data))
			stale = append(stale, instance, hex.EncodeToString(sum[:]))
			continue
		}
		states[instance] = st
	}
	if len(stale) > 0 {
		// Best effort: a failure leaves them for the next read.
		if err := deleteUnchanged.Run(ctx, s.client, []string{key}, stale...).Err(); err != nil {
			s.log.Warn("redisstore: deleting stale instance states", "key", key, "instances", stale, "err", err)
		}
	}
	return states
}

// deleteUnchanged deletes from the hash KEYS[1] each field ARGV[i] whose
// value still has the SHA-1 ARGV[i+1], in one atomic step: an instance
// that saved since its stale state was read keeps its fresh one. It
// returns the number of fields deleted.
var deleteUnchanged = redis.NewScript(`
local n = 0
for i = 1, #ARGV, 2 do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if v and redis.sha1hex(v) == ARGV[i + 1] then
    n = n + redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return n
`)

// FleetSnapshot returns the objective's snapshot over every instance: the
// sum of their last saved states, evaluated now with o's target and windows.
// Each instance's events count up to its last save (at most one flush
// interval old). The snapshot's Good and Bad, counters of one process's
// lifetime, are zero.
func (s *Store) FleetSnapshot(ctx context.Context, o slo.Objective) (slo.Snapshot, error) {
	return s.FleetMemberSnapshot(ctx, o, nil)
}

// FleetMemberSnapshot is [Store.FleetSnapshot] of the member of a family
// of o with labels (see [slo.Family]), saved under [slo.MemberKey]; with no
// labels it is FleetSnapshot. The snapshot carries the labels.
func (s *Store) FleetMemberSnapshot(ctx context.Context, o slo.Objective, labels map[string]string) (slo.Snapshot, error) {
	states, err := s.Instances(ctx, slo.MemberKey(o.Name, labels))
	if err != nil {
		return slo.Snapshot{}, err
	}
	sum, err := sumStates(o, labels, s.now(), states)
	if err != nil {
		return slo.Snapshot{}, err
	}
	return sum.Snapshot(), nil
}

// sumTracker returns an empty tracker of o, or of the member of a family of
// o with labels, whose clock stands at now: the sum of a fleet's states.
func sumTracker(o slo.Objective, labels map[string]string, now time.Time) (*slo.Tracker, error) {
	clock := slo.WithClock(func() time.Time { return now })
	if len(labels) == 0 {
		return slo.NewTracker(o, clock)
	}
	names := slices.Sorted(maps.Keys(labels))
	f, err := slo.NewFamily(o, names, slo.WithMaxMembers(1), slo.WithTrackerOptions(clock))
	if err != nil {
		return nil, err
	}
	values := make([]string, len(names))
	for i, n := range names {
		values[i] = labels[n]
	}
	return f.Member(values...)
}

// Stats counts a store's operations since it was made.
type Stats struct {
	Saves, SaveErrors uint64 // Save calls that succeeded and failed
	Loads, LoadErrors uint64 // Load calls, and those that failed
	// FleetReads and FleetErrors count reads of all instances' states
	// (Instances, FleetSnapshot) and those that failed.
	FleetReads, FleetErrors uint64
	// Corrupt counts saved states that could not be decoded.
	Corrupt uint64
	// BytesSaved sums the sizes of the states saved.
	BytesSaved uint64
}

// Stats returns the store's counts. The trackers' own StoreStats report
// their saves and failures per objective.
func (s *Store) Stats() Stats {
	return Stats{
		Saves: s.saves.Load(), SaveErrors: s.saveErrors.Load(),
		Loads: s.loads.Load(), LoadErrors: s.loadErrors.Load(),
		FleetReads: s.fleetReads.Load(), FleetErrors: s.fleetErrors.Load(),
		Corrupt:    s.corrupt.Load(),
		BytesSaved: s.bytes.Load(),
	}
}
