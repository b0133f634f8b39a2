package tables

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/hostfs"
)

func TestStorageRealpath(t *testing.T) {
	dir := t.TempDir()
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := func(p, target string) {
		if err := os.Symlink(target, filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	mk("dev/mapper")
	mk("proc")
	if err := os.WriteFile(filepath.Join(dir, "dev/dm-1"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	link("dev/mapper/vg-root", "../dm-1")
	link("dev/abs", "/dev/dm-1") // an absolute target is a host path
	link("dev/loop", "loop")
	link("dev/dangling", "nothing")
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"/dev/mapper/vg-root", "/dev/dm-1", true},
		{"/dev/abs", "/dev/dm-1", true},
		{"/dev/./mapper/../dm-1", "/dev/dm-1", true},
		{"proc", "/proc", true}, // relative names resolve from "/"
		{"tmpfs", "", false},
		{"/dev/loop", "", false},
		{"/dev/dangling", "", false},
		{"/dev/dm-1/x", "", false}, // not a directory
		{"/", "/", true},
	}
	root := hostfs.Dir(dir)
	for _, tt := range tests {
		got, ok := storageRealpath(root, tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("storageRealpath(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseUdevDBProps(t *testing.T) {
	in := "S:disk/by-id/x\nW:3\nI:1705312345\nE:ID_FS_TYPE=ext4\nE:ID_FS_LABEL_ENC=my\\x20disk\nE:EMPTY=\nE:=novalue\nE:NOEQUALS\nE:A=b=c\nG:systemd\n"
	got := parseUdevDBProps(strings.NewReader(in))
	want := map[string]string{"ID_FS_TYPE": "ext4", "ID_FS_LABEL_ENC": `my\x20disk`, "EMPTY": "", "A": "b=c"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	ue := parseSysUevent([]byte("MAJOR=8\nMINOR=0\nDEVNAME=sda\ngarbage\n=x\n"))
	if diff := cmp.Diff(map[string]string{"MAJOR": "8", "MINOR": "0", "DEVNAME": "sda"}, ue); diff != "" {
		t.Errorf("uevent (-want +got):\n%s", diff)
	}
}

func TestUdevDecodeEnc(t *testing.T) {
	for in, want := range map[string]string{
		`USB\x20STICK`: "USB STICK",
		`plain`:        "plain",
		`bad\xZZ`:      `bad\xZZ`,
		`end\x2`:       `end\x2`,
		`\x5c\x2f`:     `\/`,
	} {
		if got := udevDecodeEnc(in); got != want {
			t.Errorf("udevDecodeEnc(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseUdevDBProps(f *testing.F) {
	f.Add("E:ID_FS_TYPE=ext4\nS:x\n")
	f.Add("E:\nE:=\nE:a\\x")
	f.Fuzz(func(t *testing.T, s string) {
		for k := range parseUdevDBProps(strings.NewReader(s)) {
			if k == "" || strings.Contains(k, "=") {
				t.Fatalf("bad key %q", k)
			}
		}
		parseSysUevent([]byte(s))
		udevDecodeEnc(s)
	})
}
