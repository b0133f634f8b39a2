package tables

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/hostfs"
)

func TestBoostPathParts(t *testing.T) {
	tests := []struct {
		in, filename, parent string
	}{
		{"/etc/passwd", "passwd", "/etc"},
		{"/etc", "etc", "/"},
		{"/", "/", ""},
		{"", "", ""},
		{"/etc/ssh/", ".", "/etc/ssh"},
		{"/etc//passwd", "passwd", "/etc"},
		{"relative", "relative", ""},
		{"a/b", "b", "a"},
		{"//", "/", ""},
	}
	for _, tt := range tests {
		if got := boostFilename(tt.in); got != tt.filename {
			t.Errorf("boostFilename(%q) = %q, want %q", tt.in, got, tt.filename)
		}
		if got := boostParentPath(tt.in); got != tt.parent {
			t.Errorf("boostParentPath(%q) = %q, want %q", tt.in, got, tt.parent)
		}
	}
	for _, tt := range []struct{ dir, name, want string }{
		{"/etc", "passwd", "/etc/passwd"},
		{"/etc/", "passwd", "/etc/passwd"},
		{"", "x", "x"},
	} {
		if got := boostJoin(tt.dir, tt.name); got != tt.want {
			t.Errorf("boostJoin(%q, %q) = %q, want %q", tt.dir, tt.name, got, tt.want)
		}
	}
}

func TestFileModeAndType(t *testing.T) {
	tests := []struct {
		mode       uint32
		octal, typ string
	}{
		{0o100644, "0644", "regular"},
		{0o104755, "4755", "regular"},
		{0o040755, "0755", "directory"},
		{0o041777, "1777", "directory"},
		{0o120777, "0777", "symlink"},
		{0o060660, "0660", "block"},
		{0o020620, "0620", "character"},
		{0o010600, "0600", "fifo"},
		{0o140755, "0755", "socket"},
		{0o000000, "0000", "unknown"},
	}
	for _, tt := range tests {
		if got := fileModeOctal(tt.mode); got != tt.octal {
			t.Errorf("fileModeOctal(%o) = %q, want %q", tt.mode, got, tt.octal)
		}
		if got := fileTypeName(tt.mode); got != tt.typ {
			t.Errorf("fileTypeName(%o) = %q, want %q", tt.mode, got, tt.typ)
		}
	}
}

// globTree builds a small host tree for the glob tests.
func globTree(t *testing.T) *hostfs.Root {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{
		"etc/passwd", "etc/group", "etc/.hidden", "etc/ssh/sshd_config", "etc/ssh/ssh_config",
		"etc/ssh/moduli.d/a", "etc/cron.d/job", "home/alice/.bashrc", "home/alice/notes.txt",
		"home/bob/notes.txt", "srv/a[1]/x",
	} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"etc/ssh-link":  "ssh",         // to a directory
		"etc/dangling":  "nowhere",     // to nothing
		"loop/self":     "..",          // a loop
		"etc/ssh/again": "../ssh-link", // through another link
	}
	for l, target := range links {
		p := filepath.Join(dir, l)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	passwd := "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/sh\n"
	if err := os.WriteFile(filepath.Join(dir, "etc/passwd"), []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	return hostfs.Dir(dir, hostfs.WithUID(1000))
}

func TestFileGlobberExpand(t *testing.T) {
	root := globTree(t)
	tests := []struct {
		pattern string
		limit   fileGlobLimit
		want    []string
	}{
		{"/etc/%", fileGlobAll, []string{"/etc/cron.d/", "/etc/dangling", "/etc/group", "/etc/passwd", "/etc/ssh-link/", "/etc/ssh/"}},
		{"/etc/%", fileGlobFolders, []string{"/etc/cron.d/", "/etc/ssh-link/", "/etc/ssh/"}},
		{"/etc/ssh/%_config", fileGlobAll, []string{"/etc/ssh/ssh_config", "/etc/ssh/sshd_config"}},
		{"/etc/.%", fileGlobAll, []string{"/etc/.hidden"}},
		{"/etc/passwd", fileGlobAll, []string{"/etc/passwd"}},
		{"/etc//passwd", fileGlobAll, []string{"/etc//passwd"}},
		{"/etc/missing", fileGlobAll, nil},
		{"/etc/dangling", fileGlobAll, []string{"/etc/dangling"}},
		{"/etc/%/", fileGlobAll, []string{"/etc/cron.d/", "/etc/ssh-link/", "/etc/ssh/"}},
		{"/home/%/notes.txt", fileGlobAll, []string{"/home/alice/notes.txt", "/home/bob/notes.txt"}},
		{"/home/%%/notes.txt", fileGlobAll, []string{"/home/alice/notes.txt", "/home/bob/notes.txt"}}, // %% mid-path is one level
		{"/etc/{passwd,group,nope}", fileGlobAll, []string{"/etc/group", "/etc/passwd"}},
		{"/etc/[!p]%", fileGlobAll, []string{"/etc/cron.d/", "/etc/dangling", "/etc/group", "/etc/ssh-link/", "/etc/ssh/"}},
		{"/srv/a\\[1\\]/x", fileGlobAll, []string{"/srv/a[1]/x"}},
		{"~/notes.txt", fileGlobAll, []string{"/home/alice/notes.txt"}},
		{"~bob/%", fileGlobAll, []string{"/home/bob/notes.txt"}},
		{"~nobody/%", fileGlobAll, nil},
		{"etc/group", fileGlobAll, []string{"/etc/group"}}, // relative to "/"
		{"/", fileGlobAll, []string{"/"}},
		{"/etc/ssh/%%", fileGlobAll, []string{
			"/etc/ssh/again/", "/etc/ssh/moduli.d/", "/etc/ssh/ssh_config", "/etc/ssh/sshd_config",
			"/etc/ssh/again/again/", "/etc/ssh/again/moduli.d/", "/etc/ssh/again/ssh_config", "/etc/ssh/again/sshd_config",
			"/etc/ssh/moduli.d/a",
		}},
	}
	for _, tt := range tests {
		g := newFileGlobber(context.Background(), root)
		got := g.expand(tt.pattern, tt.limit)
		if tt.pattern != "/etc/ssh/%%" {
			slices.Sort(got)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("expand(%q) (-want +got):\n%s", tt.pattern, diff)
		}
	}
}

func TestFileGlobberStopsOnLoop(t *testing.T) {
	root := globTree(t)
	g := newFileGlobber(context.Background(), root)
	got := g.expand("/loop/%%", fileGlobAll)
	// Round 1 finds loop/self/, round 2 loop/self/loop/, round 3 meets
	// loop/self/loop/self/, the same symlink, and stops there.
	want := []string{"/loop/self/", "/loop/self/etc/", "/loop/self/home/", "/loop/self/loop/", "/loop/self/srv/"}
	if len(got) < len(want) || len(got) > 200 {
		t.Fatalf("expand(/loop/%%%%) gave %d paths: %v", len(got), got)
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing %q in %v", w, got)
		}
	}
	for _, p := range got {
		if strings.Count(p, "self") > 3 {
			t.Errorf("recursion went on through the loop: %q", p)
		}
	}
}

func TestFileGlobberCancelled(t *testing.T) {
	root := globTree(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := newFileGlobber(ctx, root).expand("/%%", fileGlobAll); len(got) != 0 {
		t.Errorf("a cancelled expansion returned %v", got)
	}
}

func TestFileGlobBraces(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"/a/b", []string{"/a/b"}},
		{"/a/{b,c}", []string{"/a/b", "/a/c"}},
		{"/a/{b,{c,d}}e", []string{"/a/be", "/a/ce", "/a/de"}},
		{"/{a,b}/{c,d}", []string{"/a/c", "/a/d", "/b/c", "/b/d"}},
		{"/a/{b", []string{"/a/{b"}},
		{"/a/\\{b,c}", []string{"/a/\\{b,c}"}},
		{"/a/{}", []string{"/a/"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, fileGlobBraces(tt.in, 100)); diff != "" {
			t.Errorf("fileGlobBraces(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
	if got := fileGlobBraces(strings.Repeat("{a,b}", 20), fileGlobMaxBraces); len(got) != fileGlobMaxBraces {
		t.Errorf("brace expansion gave %d patterns, want the cap %d", len(got), fileGlobMaxBraces)
	}
}

func TestFileGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "passwd", true},
		{"*", ".hidden", false},
		{".*", ".hidden", true},
		{"\\.*", ".hidden", true},
		{"?asswd", "passwd", true},
		{"[!p]*", "passwd", false},
		{"[!p]*", "group", true},
		{"[^p]*", "group", true},
		{"[", "[", false}, // malformed: matches nothing
		{"a\\*", "a*", true},
	}
	for _, tt := range tests {
		if got := fileGlobMatch(tt.pattern, tt.name); got != tt.want {
			t.Errorf("fileGlobMatch(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func FuzzFileGlobBraces(f *testing.F) {
	for _, s := range []string{"/a/{b,c}", "{{{", "}{,}", "/x/{a,{b,c}}/{d,e}", "\\{a,b}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		out := fileGlobBraces(p, 64)
		if len(out) > 64 {
			t.Fatalf("%d expansions over the cap", len(out))
		}
		for _, c := range strings.Split(p, "/") {
			fileGlobMatch(c, "name")
			fileGlobHasMagic(c)
			fileGlobUnescape(c)
		}
	})
}
