package tables_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/hostfs"
)

// fileQueryHost builds a small host tree with known modes, sizes and times.
func fileQueryHost(t *testing.T) (*engine.Engine, string) {
	t.Helper()
	dir := t.TempDir()
	mtime := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	write := func(p, body string, mode os.FileMode) {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(full, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(full, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	write("srv/app/config.yml", "listen: 8080\n", 0o640)
	write("srv/app/.secret", "token\n", 0o600)
	write("srv/app/run.sh", "#!/bin/sh\n", 0o755)
	write("srv/app/logs/app.log", "started\n", 0o644)
	if err := os.Symlink("config.yml", filepath.Join(dir, "srv/app/current.yml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("gone.yml", filepath.Join(dir, "srv/app/old.yml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "srv/app/ctl.fifo"), 0o620); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "srv/app/ctl.fifo"), 0o620); err != nil {
		t.Fatal(err)
	}
	// A sparse file over hash's 50 MiB limit.
	f, err := os.Create(filepath.Join(dir, "srv/big.img"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(51 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	e, err := engine.New(hostfs.Dir(dir, hostfs.WithUID(fixtureUID)), engine.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, dir
}

func TestFileConstraints(t *testing.T) {
	e, _ := fileQueryHost(t)
	mtime := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).Unix()
	tests := []struct {
		name, query string
		want        [][]any
	}{
		{"path =", "SELECT path, directory, filename, mode, size, mtime, btime, symlink, type, symlink_target_path, pid_with_namespace, mount_namespace_id FROM file WHERE path = '/srv/app/config.yml'",
			[][]any{{"/srv/app/config.yml", "/srv/app", "config.yml", "0640", int64(13), mtime, int64(0), int64(0), "regular", nil, int64(0), nil}}},
		{"path IN", "SELECT path, type FROM file WHERE path IN ('/srv/app/run.sh', '/srv/app/missing', '/srv/app') ORDER BY path",
			[][]any{{"/srv/app", "directory"}, {"/srv/app/run.sh", "regular"}}},
		{"symlinks", "SELECT path, symlink, type, symlink_target_path, size FROM file WHERE path IN ('/srv/app/current.yml', '/srv/app/old.yml') ORDER BY path",
			[][]any{{"/srv/app/current.yml", int64(1), "regular", "config.yml", int64(13)}, {"/srv/app/old.yml", int64(1), "unknown", "gone.yml", int64(8)}}},
		{"fifo", "SELECT mode, type FROM file WHERE path = '/srv/app/ctl.fifo'", [][]any{{"0620", "fifo"}}},
		{"directory = lists hidden entries", "SELECT path, directory, filename FROM file WHERE directory = '/srv/app' ORDER BY path",
			[][]any{
				{"/srv/app/.secret", "/srv/app", ".secret"}, {"/srv/app/config.yml", "/srv/app", "config.yml"},
				{"/srv/app/ctl.fifo", "/srv/app", "ctl.fifo"}, {"/srv/app/current.yml", "/srv/app", "current.yml"},
				{"/srv/app/logs", "/srv/app", "logs"}, {"/srv/app/old.yml", "/srv/app", "old.yml"}, {"/srv/app/run.sh", "/srv/app", "run.sh"},
			}},
		{"directory with a trailing slash", "SELECT path, directory FROM file WHERE directory = '/srv/app/logs/'",
			[][]any{{"/srv/app/logs/app.log", "/srv/app/logs/"}}},
		{"path LIKE", "SELECT path, filename FROM file WHERE path LIKE '/srv/app/%.yml' ORDER BY path",
			[][]any{{"/srv/app/config.yml", "config.yml"}, {"/srv/app/current.yml", "current.yml"}, {"/srv/app/old.yml", "old.yml"}}},
		{"path LIKE a directory", "SELECT path, filename, directory FROM file WHERE path LIKE '/srv/app/lo%'",
			[][]any{{"/srv/app/logs/", ".", "/srv/app/logs"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rows, err := e.QueryAll(context.Background(), tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, rows); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFileDirectoryLike(t *testing.T) {
	e, _ := fileQueryHost(t)
	// "/srv/%" matches the directory /srv/app/ (with glob's slash) and the
	// listing's directory column keeps it, so SQLite's LIKE keeps the rows.
	_, rows, err := e.QueryAll(context.Background(), "SELECT count(*), min(directory) FROM file WHERE directory LIKE '/srv/%'")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]any{{int64(7), "/srv/app/"}}, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFileNeedsConstraint(t *testing.T) {
	e, _ := fileQueryHost(t)
	for _, tbl := range []string{"file", "hash"} {
		_, _, err := e.QueryAll(context.Background(), "SELECT * FROM "+tbl)
		if !errors.Is(err, engine.ErrRequired) {
			t.Errorf("SELECT * FROM %s: err = %v, want ErrRequired", tbl, err)
		}
	}
}

func TestHashConstraints(t *testing.T) {
	e, _ := fileQueryHost(t)
	tests := []struct {
		name, query string
		want        [][]any
	}{
		{"path through a symlink", "SELECT path, directory, sha256 FROM hash WHERE path = '/srv/app/current.yml'",
			[][]any{{"/srv/app/current.yml", "/srv/app", fmt.Sprintf("%x", sha256.Sum256([]byte("listen: 8080\n")))}}},
		{"not regular", "SELECT path FROM hash WHERE path IN ('/srv/app', '/srv/app/ctl.fifo', '/srv/app/old.yml')", nil},
		{"directory", "SELECT path FROM hash WHERE directory = '/srv/app' ORDER BY path",
			[][]any{{"/srv/app/.secret"}, {"/srv/app/config.yml"}, {"/srv/app/current.yml"}, {"/srv/app/run.sh"}}},
		{"too large", "SELECT path, md5, sha1, sha256 FROM hash WHERE path = '/srv/big.img'",
			[][]any{{"/srv/big.img", "", "", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rows, err := e.QueryAll(context.Background(), tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, rows); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
