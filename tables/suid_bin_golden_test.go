package tables_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/osaudit/osaudit/internal/fixture"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/hostfs"
)

func init() {
	// Git keeps no setuid or setgid bits, so the committed fixture has none;
	// TestSuidBinOnCopy sets them on a copy.
	emptyOnFixture["suid_bin"] = true
}

// TestSuidBinOnCopy copies the debian12 fixture to a temporary directory,
// sets setuid and setgid bits there, and checks what suid_bin reports.
func TestSuidBinOnCopy(t *testing.T) {
	dir := t.TempDir()
	fixture.CopyHost(t, filepath.Join("testdata", "hosts", "debian12"), dir)
	modes := map[string]fs.FileMode{
		"usr/bin/passwd":              0o755 | fs.ModeSetuid,
		"usr/bin/su":                  0o755 | fs.ModeSetuid,
		"usr/bin/sudo":                0o755 | fs.ModeSetuid,
		"usr/bin/chage":               0o755 | fs.ModeSetgid,
		"usr/local/bin/backup-helper": 0o750 | fs.ModeSetuid | fs.ModeSetgid,
		"tmp/.hidden/sh":              0o777 | fs.ModeSetuid,
		"usr/bin/bash":                0o755, // not reported
	}
	for p, m := range modes {
		if err := os.Chmod(filepath.Join(dir, p), m); err != nil {
			t.Fatal(err)
		}
	}
	// A symlink to a setuid file is reported under its own path, and a
	// setuid directory is not reported.
	if err := os.Symlink("../bin/sudo", filepath.Join(dir, "usr/sbin/sudo-alt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "usr/local/bin/suid-dir"), 0o755|fs.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "usr/bin/chage")); err != nil || fi.Mode()&fs.ModeSetgid == 0 {
		t.Skip("this filesystem or user cannot set setgid bits")
	}

	e, err := engine.New(hostfs.Dir(dir, hostfs.WithUID(fixtureUID)), engine.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, rows, err := e.QueryAll(context.Background(), "SELECT path, username, groupname, permissions FROM suid_bin ORDER BY path")
	if err != nil {
		t.Fatal(err)
	}
	// The copies belong to whoever runs the test: name them from the
	// fixture's /etc/passwd and /etc/group, as the table does.
	user := suidFixtureName(t, dir, "etc/passwd", os.Getuid())
	group := suidFixtureName(t, dir, "etc/group", os.Getgid())
	want := [][]any{
		{"/tmp/.hidden/sh", user, group, "S"},
		{"/usr/bin/chage", user, group, "G"},
		{"/usr/bin/passwd", user, group, "S"},
		{"/usr/bin/su", user, group, "S"},
		{"/usr/bin/sudo", user, group, "S"},
		{"/usr/local/bin/backup-helper", user, group, "SG"},
		{"/usr/sbin/sudo-alt", user, group, "S"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("suid_bin rows (-want +got):\n%s", diff)
	}
}

// suidFixtureName finds the name of an id in a passwd- or group-format file,
// or returns the id as text.
func suidFixtureName(t *testing.T, root, file string, id int) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) > 2 && f[2] == strconv.Itoa(id) {
			return f[0]
		}
	}
	return strconv.Itoa(id)
}
