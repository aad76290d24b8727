// Package filestore keeps tracker states in files, one per objective, so
// that an objective's window survives restarts and deploys, with nothing to
// run beside the service. `slo demo` uses it by default.
//
// Open a directory and give the store to the trackers:
//
//	store, err := filestore.Open("/var/lib/myservice/slo")
//	if err != nil { ... }
//	reg := slo.NewRegistry(store.Options()...)
//	defer reg.Close(ctx) // the final save
//
// A tracker restores its state when it is made, saves it every flush
// interval (10s by default) and on Close. A crash (SIGKILL, power loss) loses
// at most the events of the last flush interval; a graceful Close loses none.
// Buckets older than the window are dropped on restore.
//
// # Files
//
// An objective's state lives in <dir>/<escaped name>.json, a family
// member's in <dir>/<escaped member key>.json (see [slo.MemberKey]): a
// versioned JSON document (see [Store.Path] for how names are escaped). A
// save writes a temporary file, <file>+tmp-<random>, in the same directory, syncs it,
// renames it over the old file and syncs the directory, so a crash at any
// moment leaves either the old state or the new one, never a mix. Load
// removes the temporary files a crash left for its objective; no escaped
// name holds a '+', so it never touches another objective's files.
//
// A file that cannot be read (EMFILE, EIO, EACCES, a directory in its
// place) is left untouched: Load returns the error, and the tracker, which
// never saves a state it has not loaded, keeps counting in memory, retries
// the load with backoff and merges the saved state with what it counted
// once a load succeeds. Only a file read whole that does not decode (or
// holds another objective's state) is set aside: Load renames it to
// <file>.corrupt-<UTC time>, logs an error naming both files and returns no
// state, so the tracker starts empty and the bad file stays for inspection.
// If even the rename fails, Load returns the error and the tracker retries
// as for a read error.
//
// One directory serves one process: two processes saving the same
// objective to one directory overwrite each other's states. Replicas that
// share a budget use store/redisstore.
package filestore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/slo-budget-tracker/slo"
	"github.com/slo-budget-tracker/slo/store/internal/codec"
)

// A Store keeps tracker states in the files of one directory. It
// implements [slo.Store] and is safe for concurrent use by the trackers of
// distinct objectives.
type Store struct {
	dir string
	log *slog.Logger
	now func() time.Time
}

// An Option configures a [Store].
type Option func(*Store)

// WithLogger sets where the store logs the files it moves aside. The
// default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) { s.log = l }
}

// Open returns a store keeping its files in dir, which it creates if
// needed.
func Open(dir string, opts ...Option) (*Store, error) {
	if dir == "" {
		return nil, errors.New("filestore: no directory given")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("filestore: %s is not a directory", dir)
	}
	s := &Store{dir: dir, log: slog.Default(), now: time.Now}
	for _, opt := range opts {
		opt(s)
	}
	return s, nil
}

// Options returns the tracker options that use s: [slo.WithStore] and
// [slo.WithFlushInterval] of [slo.DefaultFlushInterval]. Pass them to
// [slo.NewRegistry] or [slo.NewTracker].
func (s *Store) Options() []slo.Option {
	return []slo.Option{slo.WithStore(s), slo.WithFlushInterval(slo.DefaultFlushInterval)}
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Path returns the file holding the state of the named objective:
// <dir>/<escaped name>.json. The escaping is reversible and safe on every
// common file system: ASCII lower-case letters, digits, '-' and '_' stay,
// '.' stays except first; an upper-case letter becomes '!' and the letter
// in lower case (so names differing only in case do not collide on
// case-insensitive file systems); every other byte becomes %XX. An escaped
// name longer than 180 bytes is cut and followed by '~' and a hash of the
// whole name, to stay within file-name limits.
func (s *Store) Path(objective string) string {
	return filepath.Join(s.dir, escape(objective)+".json")
}

// Load returns the state saved for the objective, or nil when there is
// none. A file that cannot be read (too many open files, an I/O error, no
// permission, not a regular file) is left as it is and Load returns the
// error; the tracker retries and saves nothing until a load succeeds. A
// file read whole that does not decode to the objective's state is moved
// aside, logged, and Load returns nil.
func (s *Store) Load(_ context.Context, objective string) (*slo.State, error) {
	path := s.Path(objective)
	s.removeTemps(path)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("filestore: loading %q: %w", objective, err)
	}
	st, err := codec.Unmarshal(data)
	if err == nil {
		if st.Objective == objective {
			return st, nil
		}
		err = fmt.Errorf("the file holds the state of objective %q", st.Objective)
	}
	return nil, s.moveAside(objective, path, err)
}

// moveAside renames a file that could not be loaded to a name no save
// writes, and logs why.
func (s *Store) moveAside(objective, path string, cause error) error {
	aside := path + ".corrupt-" + s.now().UTC().Format("20060102T150405.000000000Z")
	if err := os.Rename(path, aside); err != nil {
		return fmt.Errorf("filestore: %s cannot be loaded (%v) nor moved aside: %w", path, cause, err)
	}
	if err := syncDir(s.dir); err != nil {
		s.log.Warn("filestore: syncing the directory after moving a file aside", "dir", s.dir, "err", err)
	}
	s.log.Error("filestore: saved state unreadable; moved it aside and starting the objective empty",
		"objective", objective, "file", path, "moved_to", aside, "err", cause)
	return nil
}

// Save writes the state atomically: to a temporary file that is synced and
// renamed over the objective's file, then the directory is synced.
func (s *Store) Save(_ context.Context, st *slo.State) error {
	data, err := codec.Marshal(st)
	if err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	path := s.Path(st.Objective)
	if err := writeFile(path, data); err != nil {
		return fmt.Errorf("filestore: saving %q: %w", st.Objective, err)
	}
	return nil
}

// tempInfix marks temporary files: path + tempInfix + random. No escaped
// name holds a '+', so the temporary files of one objective never match
// the cleanup pattern of another, nor are taken for an objective's file.
const tempInfix = "+tmp-"

func writeFile(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+tempInfix+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// removeTemps removes the temporary files a crash left behind for path.
func (s *Store) removeTemps(path string) {
	temps, _ := filepath.Glob(path + tempInfix + "*") // escaped names hold no glob syntax
	for _, tmp := range temps {
		if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("filestore: removing a temporary file left by a crash", "file", tmp, "err", err)
		}
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// maxEscaped bounds an escaped name, so that with the '~' and hash suffix,
// ".json" and the longest temporary or corrupt suffix it stays under the
// 255-byte limit of common file systems.
const maxEscaped = 180

// escape maps an objective name to a file name; see Store.Path.
func escape(name string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	cut := -1 // length of b at the last escape boundary within maxEscaped
	for i := 0; i < len(name); i++ {
		if b.Len() <= maxEscaped {
			cut = b.Len()
		}
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.' && i > 0:
			b.WriteByte(c)
		case 'A' <= c && c <= 'Z':
			b.WriteByte('!')
			b.WriteByte(c + ('a' - 'A'))
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	if b.Len() <= maxEscaped {
		return b.String()
	}
	return b.String()[:cut] + "~" + nameHash(name)
}

// nameHash returns 128 bits of the SHA-256 of name, in hex.
func nameHash(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:16])
}
