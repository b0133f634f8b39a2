// Package hostfs locates what describes a host: the live machine's files
// (/proc, /sys, /etc, ...) or a fixture tree that holds the same layout.
//
// Tables read the host only through a Root, so every table can be tested on
// a directory under testdata/ and never depends on the machine running the
// tests.
package hostfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Root is where a host's filesystem lives. The zero value is not usable;
// build one with Live or Dir.
type Root struct {
	dir   string // real directory that stands for the host's "/"
	live  bool
	uid   int64
	now   func() time.Time
	trace func(op, hostPath string)
}

// Option adjusts a Root built by Dir.
type Option func(*Root)

// WithUID sets the user that per-user tables report when a query does not
// constrain uid (osquery's "current user").
func WithUID(uid int64) Option { return func(r *Root) { r.uid = uid } }

// WithClock sets the clock that time-dependent tables read.
func WithClock(now func() time.Time) Option { return func(r *Root) { r.now = now } }

// WithTrace calls fn before every access through the root, with the
// operation and host path; tests use it to prove what a query reads.
func WithTrace(fn func(op, hostPath string)) Option { return func(r *Root) { r.trace = fn } }

func (r *Root) traced(op, hostPath string) {
	if r.trace != nil {
		r.trace(op, hostPath)
	}
}

// Live returns the root of the machine the process runs on.
func Live() *Root {
	return &Root{dir: string(filepath.Separator), live: true, uid: int64(os.Getuid()), now: time.Now}
}

// Dir returns a root whose host filesystem is the directory dir: dir/proc
// stands for /proc, dir/etc/passwd for /etc/passwd. Kernel facts that do not
// come from files are read from dir/.kernel/ (see Kernel). The current user
// is uid 0 unless WithUID says otherwise.
func Dir(dir string, opts ...Option) *Root {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	r := &Root{dir: abs, now: time.Now}
	for _, o := range opts {
		o(r)
	}
	return r
}

// IsLive reports whether the root is the running machine.
func (r *Root) IsLive() bool { return r.live }

// Dir returns the directory that stands for the host's root.
func (r *Root) Dir() string { return r.dir }

// UID returns the current user: the one per-user tables report by default.
func (r *Root) UID() int64 { return r.uid }

// Now returns the root's current time.
func (r *Root) Now() time.Time { return r.now() }

// Path maps a host path ("/proc/1/stat") to the path to open on this machine.
// Host paths use forward slashes; on a live Windows root they are returned
// as given.
func (r *Root) Path(hostPath string) string {
	if r.live {
		return filepath.FromSlash(hostPath)
	}
	clean := path.Clean("/" + filepath.ToSlash(stripVolume(hostPath)))
	return filepath.Join(r.dir, filepath.FromSlash(clean))
}

// HostPath maps a path on this machine back to the host path it stands for;
// the inverse of Path for paths under the root.
func (r *Root) HostPath(realPath string) string {
	if r.live {
		return realPath
	}
	rel, err := filepath.Rel(r.dir, realPath)
	if err != nil || strings.HasPrefix(rel, "..") {
		return realPath
	}
	return "/" + filepath.ToSlash(rel)
}

func stripVolume(p string) string {
	if runtime.GOOS == "windows" {
		return p[len(filepath.VolumeName(p)):]
	}
	return p
}

// Open opens a host file for reading.
func (r *Root) Open(hostPath string) (*os.File, error) {
	r.traced("open", hostPath)
	return os.Open(r.Path(hostPath))
}

// ReadFile reads a whole host file.
func (r *Root) ReadFile(hostPath string) ([]byte, error) {
	r.traced("open", hostPath)
	return os.ReadFile(r.Path(hostPath))
}

// ErrTooLarge is returned by ReadFileLimit for a file longer than the limit.
var ErrTooLarge = errors.New("hostfs: file larger than the read limit")

// ReadFileLimit reads a host file of at most max bytes.
func (r *Root) ReadFileLimit(hostPath string, max int64) ([]byte, error) {
	f, err := r.Open(hostPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return b[:max], ErrTooLarge
	}
	return b, nil
}

// Stat follows symlinks.
func (r *Root) Stat(hostPath string) (fs.FileInfo, error) {
	r.traced("stat", hostPath)
	return os.Stat(r.Path(hostPath))
}

// Lstat does not follow symlinks.
func (r *Root) Lstat(hostPath string) (fs.FileInfo, error) {
	r.traced("lstat", hostPath)
	return os.Lstat(r.Path(hostPath))
}

// ReadDir lists a host directory, sorted by name.
func (r *Root) ReadDir(hostPath string) ([]fs.DirEntry, error) {
	r.traced("readdir", hostPath)
	return os.ReadDir(r.Path(hostPath))
}

// Readlink returns a symlink's target as the host sees it. An absolute target
// in a fixture tree is a host path, like the live one.
func (r *Root) Readlink(hostPath string) (string, error) {
	r.traced("readlink", hostPath)
	return os.Readlink(r.Path(hostPath))
}

// Glob expands a host path pattern (filepath.Match syntax) and returns host
// paths.
func (r *Root) Glob(pattern string) ([]string, error) {
	r.traced("glob", pattern)
	matches, err := filepath.Glob(r.Path(pattern))
	if err != nil || r.live {
		return matches, err
	}
	for i, m := range matches {
		matches[i] = r.HostPath(m)
	}
	return matches, nil
}

// Kernel returns a fact that the live host gives through a system call rather
// than a file (CPUID, uname, netfilter rules...). On the live root it calls
// live; on a fixture root it reads the captured bytes from dir/.kernel/name,
// so the table parses the same bytes in both cases.
func (r *Root) Kernel(name string, live func() ([]byte, error)) ([]byte, error) {
	r.traced("kernel", name)
	if r.live {
		return live()
	}
	return os.ReadFile(filepath.Join(r.dir, ".kernel", filepath.FromSlash(name)))
}

// pathError is a *fs.PathError without the allocation of os.PathError's
// wrapping on the hot path; errors.Is(err, fs.ErrNotExist) works on it.
type pathError struct {
	op, path string
	err      error
}

func (e *pathError) Error() string { return e.op + " " + e.path + ": " + e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }
