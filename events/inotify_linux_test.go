package events

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

// fileRow is a file_events row by column name.
type fileRow map[string]string

func fileRows(m *Manager) []fileRow {
	var out []fileRow
	cols := Columns(tableFileEvents)
	m.Events(tableFileEvents, func(e table.Event) bool {
		r := fileRow{}
		for i, c := range cols {
			if !e.Values[i].IsNull() {
				r[c] = e.Values[i].String()
			}
		}
		out = append(out, r)
		return true
	})
	return out
}

// waitRow waits for a file_events row that matches want (a subset of
// columns) and returns it.
func waitRow(t *testing.T, m *Manager, want fileRow) fileRow {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, r := range fileRows(m) {
			if matches(r, want) {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no file_events row matches %v; rows:\n%s", want, dumpRows(fileRows(m)))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func matches(r, want fileRow) bool {
	for k, v := range want {
		if r[k] != v {
			return false
		}
	}
	return true
}

func noRow(t *testing.T, m *Manager, want fileRow) {
	t.Helper()
	for _, r := range fileRows(m) {
		if matches(r, want) {
			t.Errorf("unexpected file_events row %v", r)
		}
	}
}

func dumpRows(rows []fileRow) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString("  " + r["category"] + " " + r["action"] + " " + r["target_path"] + " hashed=" + r["hashed"] + "\n")
	}
	return b.String()
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func write(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mkdirs(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFileEvents watches a temporary host tree through its root: create,
// modify, attributes, moves, delete, recursion into a new directory,
// exclusions, a single file replaced by a rename, leaf globs, accesses and a
// configuration reload.
func TestFileEvents(t *testing.T) {
	dir := t.TempDir()
	root := hostfs.Dir(dir)
	at := func(p string) string { return filepath.Join(dir, p) }
	mkdirs(t, at("watched/skip"), at("watched/old/deeper"), at("single"), at("etc"), at("acc"))
	write(t, at("single/conf"), "v1")
	write(t, at("acc/secret"), "s")
	var status statusLog
	m := New(Config{
		Root:             root,
		Status:           status.add,
		EnableFileEvents: true,
		FilePaths: map[string][]string{
			"tree":   {"/watched/%%"},
			"conf":   {"/single/conf"},
			"globs":  {"/etc/%.conf"},
			"acc":    {"/acc/"},
			"broken": {"/does/not/exist/%", "relative/path"},
		},
		ExcludePaths:      map[string][]string{"tree": {"/watched/skip/%%"}},
		FileAccesses:      []string{"acc"},
		EnableSubscribers: []string{tableFileEvents},
	})
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	// Create and write: the last UPDATED (IN_CLOSE_WRITE) hashes the final
	// content.
	write(t, at("watched/a.txt"), "hello")
	waitRow(t, m, fileRow{"target_path": "/watched/a.txt", "action": "CREATED", "category": "tree", "transaction_id": "0"})
	r := waitRow(t, m, fileRow{"target_path": "/watched/a.txt", "action": "UPDATED", "md5": md5hex("hello")})
	fi, _ := os.Stat(at("watched/a.txt"))
	st := fi.Sys().(*syscall.Stat_t)
	want := fileRow{
		"target_path": "/watched/a.txt", "category": "tree", "action": "UPDATED", "transaction_id": "0",
		"inode": itoa(int64(st.Ino)), "uid": itoa(int64(st.Uid)), "gid": itoa(int64(st.Gid)), "mode": "0644", "size": "5",
		"atime": itoa(st.Atim.Sec), "mtime": itoa(st.Mtim.Sec), "ctime": itoa(st.Ctim.Sec),
		"md5": md5hex("hello"), "sha1": "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
		"sha256": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", "hashed": "1",
	}
	delete(r, "time")
	delete(r, "eid")
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("UPDATED row (-want +got):\n%s", diff)
	}

	// Modify.
	f, err := os.OpenFile(at("watched/a.txt"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(" world")
	f.Close()
	waitRow(t, m, fileRow{"target_path": "/watched/a.txt", "action": "UPDATED", "md5": md5hex("hello world"), "size": "11"})

	// Attributes.
	os.Chmod(at("watched/a.txt"), 0o600)
	waitRow(t, m, fileRow{"target_path": "/watched/a.txt", "action": "ATTRIBUTES_MODIFIED", "mode": "0600", "hashed": "0"})

	// Move: both halves share a transaction id.
	os.Rename(at("watched/a.txt"), at("watched/b.txt"))
	from := waitRow(t, m, fileRow{"target_path": "/watched/a.txt", "action": "MOVED_FROM"})
	to := waitRow(t, m, fileRow{"target_path": "/watched/b.txt", "action": "MOVED_TO"})
	if from["transaction_id"] == "0" || from["transaction_id"] != to["transaction_id"] {
		t.Errorf("move transaction ids %q and %q", from["transaction_id"], to["transaction_id"])
	}

	// Delete: nothing left to stat or hash.
	os.Remove(at("watched/b.txt"))
	del := waitRow(t, m, fileRow{"target_path": "/watched/b.txt", "action": "DELETED", "hashed": "0"})
	if _, ok := del["inode"]; ok {
		t.Errorf("deleted file has an inode: %v", del)
	}

	// A directory that existed at start is watched, and so is a new one.
	write(t, at("watched/old/deeper/x"), "x")
	waitRow(t, m, fileRow{"target_path": "/watched/old/deeper/x", "action": "CREATED"})
	mkdirs(t, at("watched/new"))
	waitRow(t, m, fileRow{"target_path": "/watched/new", "action": "CREATED", "hashed": "-1"})
	mkdirs(t, at("watched/new/inner"))
	waitRow(t, m, fileRow{"target_path": "/watched/new/inner", "action": "CREATED"})
	write(t, at("watched/new/inner/deep.txt"), "deep")
	waitRow(t, m, fileRow{"target_path": "/watched/new/inner/deep.txt", "action": "UPDATED", "md5": md5hex("deep")})

	// Excluded paths give nothing; a marker written after proves the
	// publisher got that far.
	write(t, at("watched/skip/hidden"), "h")
	mkdirs(t, at("watched/skip/sub"))
	write(t, at("watched/skip/sub/hidden2"), "h")
	write(t, at("watched/marker1"), "m")
	waitRow(t, m, fileRow{"target_path": "/watched/marker1", "action": "UPDATED"})
	noRow(t, m, fileRow{"target_path": "/watched/skip/hidden"})
	noRow(t, m, fileRow{"target_path": "/watched/skip/sub/hidden2"})

	// A single file replaced by a rename (as editors and package managers
	// do) is still watched; its neighbours are not.
	write(t, at("single/conf.tmp"), "v2")
	os.Rename(at("single/conf.tmp"), at("single/conf"))
	waitRow(t, m, fileRow{"target_path": "/single/conf", "action": "MOVED_TO", "category": "conf"})
	write(t, at("single/conf"), "v3")
	waitRow(t, m, fileRow{"target_path": "/single/conf", "action": "UPDATED", "md5": md5hex("v3")})
	write(t, at("single/other"), "o")
	noRow(t, m, fileRow{"target_path": "/single/conf.tmp"})
	noRow(t, m, fileRow{"target_path": "/single/other"})

	// A wildcard in the last component filters names.
	write(t, at("etc/x.txt"), "t")
	write(t, at("etc/x.conf"), "c")
	waitRow(t, m, fileRow{"target_path": "/etc/x.conf", "action": "UPDATED", "category": "globs"})
	noRow(t, m, fileRow{"target_path": "/etc/x.txt"})

	// A category in file_accesses records reads, and does not hash.
	if _, err := os.ReadFile(at("acc/secret")); err != nil {
		t.Fatal(err)
	}
	waitRow(t, m, fileRow{"target_path": "/acc/secret", "action": "OPENED", "category": "acc", "hashed": "0"})
	waitRow(t, m, fileRow{"target_path": "/acc/secret", "action": "ACCESSED", "category": "acc"})
	noRow(t, m, fileRow{"action": "ACCESSED", "category": "tree"})

	// Paths that cannot be watched are reported, once each.
	var bad []string
	for _, l := range status.all() {
		if strings.Contains(l, "cannot watch") {
			bad = append(bad, l)
		}
	}
	if len(bad) != 2 {
		t.Errorf("status lines about unwatchable paths: %q", bad)
	}

	// osquery_events sees the publisher and the subscriber.
	var pub, sub table.EventStatus
	for _, s := range m.EventStatus() {
		switch s.Name {
		case publisherInotify:
			pub = s
		case tableFileEvents:
			sub = s
		}
	}
	if !pub.Active || pub.Subscriptions != 4 || pub.Events == 0 || !sub.Active || sub.Events != pub.Events || sub.Subscriptions != 6 {
		t.Errorf("status: publisher %+v, subscriber %+v", pub, sub)
	}

	// A reload replaces the watches.
	m.Reconfigure(map[string][]string{"etc": {"/etc/%"}}, nil, nil)
	write(t, at("watched/after"), "a")
	write(t, at("etc/after"), "a")
	waitRow(t, m, fileRow{"target_path": "/etc/after", "action": "UPDATED", "category": "etc"})
	noRow(t, m, fileRow{"target_path": "/watched/after"})

	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if got := m.EventStatus()[1]; got.Name != publisherInotify || got.Active {
		t.Errorf("after Close: %+v", got)
	}
}

func itoa(i int64) string { return table.Int(i).String() }

func TestExpandFilePath(t *testing.T) {
	dir := t.TempDir()
	mkdirs(t, filepath.Join(dir, "home/alice/.ssh"), filepath.Join(dir, "home/bob/.ssh"), filepath.Join(dir, "home/carol"), filepath.Join(dir, "etc/ssh"))
	write(t, filepath.Join(dir, "home/notadir"), "")
	root := hostfs.Dir(dir)
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: "/etc/%%", want: []string{"/etc * rec"}},
		{in: "/etc/", want: []string{"/etc *"}},
		{in: "/etc/ssh", want: []string{"/etc/ssh *"}},
		{in: "/etc/passwd", want: []string{"/etc passwd"}},
		{in: "/etc/%.conf", want: []string{"/etc *.conf"}},
		{in: "/etc/%", want: []string{"/etc *"}},
		{in: "/home/%/.ssh/%", want: []string{"/home/alice/.ssh *", "/home/bob/.ssh *"}},
		{in: "/home/%/.ssh/authorized_keys", want: []string{"/home/alice/.ssh authorized_keys", "/home/bob/.ssh authorized_keys"}},
		{in: "/home/%/%%", want: []string{"/home/alice * rec", "/home/bob * rec", "/home/carol * rec"}},
		{in: "/home/%%/x", want: []string{"/home/alice x", "/home/bob x", "/home/carol x"}},
		{in: "/nowhere/%/x", wantErr: true},
		{in: "etc/passwd", wantErr: true},
		{in: "/etc/[", want: []string{"/etc ["}},
	}
	for _, tt := range tests {
		subs, err := expandFilePath(root, "c", tt.in, fileDefaultMask)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v", tt.in, err)
			continue
		}
		var got []string
		for _, s := range subs {
			d := s.dir + " " + s.leaf
			if s.leaf == "" {
				d += "*"
			}
			if s.recursive {
				d += " rec"
			}
			got = append(got, d)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestExcluded(t *testing.T) {
	ex := compileExcludes(map[string][]string{
		"a": {"/etc/ssh/%%", "/tmp/foo", "/home/%/.cache/%%", "/var/%.log", ""},
	})
	for p, want := range map[string]bool{
		"/etc/ssh/sshd_config":     true,
		"/etc/ssh/a/b/c":           true,
		"/etc/ssh":                 true,
		"/etc/sshd":                false,
		"/tmp/foo":                 true,
		"/tmp/foo/bar":             true, // its directory is excluded
		"/tmp/foo/bar/baz":         false,
		"/home/alice/.cache/x/y":   true,
		"/home/alice/.config/x":    false,
		"/var/syslog.log":          true,
		"/var/syslog.txt":          false,
		"/var/sub/a.log":           false,
		"/home/alice/.cache/":      true,
		"/":                        false,
		"/home":                    false,
		"/etc/ssh/../passwd":       false,
		"/etc/ssh/sshd_config.d/x": true,
	} {
		if got := excluded(ex, p); got != want {
			t.Errorf("excluded(%q) = %v, want %v", p, got, want)
		}
	}
	if excluded(nil, "/x") {
		t.Error("no exclusions excluded a path")
	}
	if !excluded(compileExcludes(map[string][]string{"all": {"/%%"}}), "/a/b") {
		t.Error("/%% does not exclude everything")
	}
}

func TestFileAction(t *testing.T) {
	for mask, want := range map[uint32]string{
		unix.IN_ACCESS:                     "ACCESSED",
		unix.IN_MODIFY:                     "UPDATED",
		unix.IN_CLOSE_WRITE:                "UPDATED",
		unix.IN_ATTRIB:                     "ATTRIBUTES_MODIFIED",
		unix.IN_OPEN:                       "OPENED",
		unix.IN_MOVED_FROM:                 "MOVED_FROM",
		unix.IN_MOVED_TO:                   "MOVED_TO",
		unix.IN_CREATE | unix.IN_ISDIR:     "CREATED",
		unix.IN_DELETE:                     "DELETED",
		unix.IN_CLOSE_NOWRITE:              "",
		unix.IN_ATTRIB | unix.IN_MODIFY:    "UPDATED",
		unix.IN_CREATE | unix.IN_MOVED_TO:  "MOVED_TO",
		unix.IN_DELETE_SELF | unix.IN_OPEN: "OPENED",
	} {
		if got := fileAction(mask); got != want {
			t.Errorf("fileAction(%#x) = %q, want %q", mask, got, want)
		}
	}
}

func inotifyBytes(wd int32, mask, cookie uint32, name string, pad int) []byte {
	b := make([]byte, 16+len(name)+pad)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(wd))
	ne.PutUint32(b[4:], mask)
	ne.PutUint32(b[8:], cookie)
	ne.PutUint32(b[12:], uint32(len(name)+pad))
	copy(b[16:], name)
	return b
}

func TestParseInotifyEvents(t *testing.T) {
	buf := slices.Concat(inotifyBytes(1, unix.IN_CREATE, 0, "a.txt", 11), inotifyBytes(2, unix.IN_MOVED_TO, 7, "", 0))
	got, err := parseInotifyEvents(buf)
	if err != nil {
		t.Fatal(err)
	}
	want := []inotifyEvent{{wd: 1, mask: unix.IN_CREATE, name: "a.txt"}, {wd: 2, mask: unix.IN_MOVED_TO, cookie: 7}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(inotifyEvent{})); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if _, err := parseInotifyEvents(buf[:10]); err == nil {
		t.Error("a truncated header parsed")
	}
	bad := inotifyBytes(1, 0, 0, "abc", 0)
	binary.NativeEndian.PutUint32(bad[12:], 1000)
	if _, err := parseInotifyEvents(bad); err == nil {
		t.Error("a name longer than the buffer parsed")
	}
}

func FuzzParseInotifyEvents(f *testing.F) {
	f.Add(inotifyBytes(1, unix.IN_CREATE, 0, "a.txt", 3))
	f.Add(slices.Concat(inotifyBytes(1, 2, 3, "x", 0), inotifyBytes(-1, unix.IN_Q_OVERFLOW, 0, "", 0)))
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, _ := parseInotifyEvents(b)
		n := 0
		for _, e := range evs {
			n += 16 + len(e.name)
		}
		if n > len(b) {
			t.Fatalf("events cover %d bytes of %d", n, len(b))
		}
	})
}
