package tables

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseProcMounts(t *testing.T) {
	in := strings.Join([]string{
		"proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0",
		"/dev/sdb1 /media/alice/USB\\040STICK vfat rw,uid=1000 0 0",
		"tab\\011dev /mnt/a\\134b ext4 rw 0 0",
		"  /dev/sda2\t/boot\text4\trw,relatime\t0\t0",
		"",
		"# comment",
		"only-one-field",
		"two fields",
		"noopts /mnt/x tmpfs",
		"odd\\777 /mnt/y tmpfs rw 0 0",
		"nl\\012 /mnt/z\\\\w tmpfs rw",
	}, "\n")
	got, bad, err := parseProcMounts(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []mountEntry{
		{"proc", "/proc", "proc", "rw,nosuid,nodev,noexec,relatime"},
		{"/dev/sdb1", "/media/alice/USB STICK", "vfat", "rw,uid=1000"},
		{"tab\tdev", "/mnt/a\\b", "ext4", "rw"},
		{"/dev/sda2", "/boot", "ext4", "rw,relatime"},
		{"noopts", "/mnt/x", "tmpfs", ""},
		{"odd\\777", "/mnt/y", "tmpfs", "rw"},
		{"nl\n", "/mnt/z\\w", "tmpfs", "rw"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(mountEntry{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if bad != 2 {
		t.Errorf("bad = %d, want 2", bad)
	}
}

func TestParseMountsStatfs(t *testing.T) {
	got, err := parseMountsStatfs([]byte(`{"/":{"bsize":4096,"blocks":18446744073709551615,"bfree":2,"bavail":1,"files":10,"ffree":5}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]mountStatfs{"/": {Bsize: 4096, Blocks: 1<<64 - 1, Bfree: 2, Bavail: 1, Files: 10, Ffree: 5}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "[]", `{"/":{"blocks":-1}}`, `{"/":`} {
		if _, err := parseMountsStatfs([]byte(bad)); err == nil {
			t.Errorf("parseMountsStatfs(%q) succeeded", bad)
		}
	}
}

func TestLiveMountsStatfsRoundTrip(t *testing.T) {
	b, err := liveMountsStatfs([]mountEntry{{"proc", "/proc", "proc", "rw"}, {"x", "/no/such/mount", "ext4", "rw"}, {"systemd-1", "/", "autofs", "rw"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseMountsStatfs(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["/proc"]; !ok {
		t.Errorf("no statfs for /proc in %s", b)
	}
	if _, ok := got["/no/such/mount"]; ok {
		t.Error("a failed statfs was recorded")
	}
	if _, ok := got["/"]; ok {
		t.Error("an autofs mount was statfs'ed")
	}
}

func FuzzParseProcMounts(f *testing.F) {
	f.Add("proc /proc proc rw 0 0\n/dev/sda1 /a\\040b ext4 rw 0 0\n")
	f.Add("\\\\\\0 \\04 \\134\n#\n\n x y\n")
	f.Fuzz(func(t *testing.T, s string) {
		mounts, bad, err := parseProcMounts(strings.NewReader(s))
		if err != nil {
			return
		}
		if bad < 0 || len(mounts) > strings.Count(s, "\n")+1 {
			t.Fatalf("%d mounts, %d bad from %d lines", len(mounts), bad, strings.Count(s, "\n")+1)
		}
	})
}
