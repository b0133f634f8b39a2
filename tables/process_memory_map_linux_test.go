package tables

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseProcMaps(t *testing.T) {
	in := "55d0c2a00000-55d0c2a0c000 r--p 00000000 08:01 1050234                    /usr/sbin/sshd\n" +
		"55d0c3f5e000-55d0c3f7f000 rw-p 00000000 00:00 0                          [heap]\n" +
		"7f1e2c000000-7f1e2c021000 rw-p 00000000 00:00 0 \n" +
		"00400000-00452000 r-xp 00000000 08:01 393411                             /tmp/evil (deleted)\n" +
		"7f3a14a00000-7f3a14a40000 rwxp 0001a000 00:01 2051                       /memfd:payload (deleted)\n" +
		"\n" +
		"not a mapping\n" +
		"zzzz r--p 00000000 08:01 1\n" +
		"-- r--p 00000000 08:01 1\n" +
		"a-b-c r--p nothex 08:01 x /odd\n" +
		"a--b r--p ffffffffffffffffff 08:01 0\n"
	got, bad, err := parseProcMaps(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []procMapRegion{
		{start: "0x55d0c2a00000", end: "0x55d0c2a0c000", perms: "r--p", device: "08:01", inode: 1050234, inodeOK: true, path: "/usr/sbin/sshd"},
		{start: "0x55d0c3f5e000", end: "0x55d0c3f7f000", perms: "rw-p", device: "00:00", inodeOK: true, path: "[heap]", pseudo: true},
		{start: "0x7f1e2c000000", end: "0x7f1e2c021000", perms: "rw-p", device: "00:00", inodeOK: true},
		{start: "0x00400000", end: "0x00452000", perms: "r-xp", device: "08:01", inode: 393411, inodeOK: true, path: "/tmp/evil (deleted)"},
		{start: "0x7f3a14a00000", end: "0x7f3a14a40000", perms: "rwxp", offset: 0x1a000, device: "00:01", inode: 2051, inodeOK: true, path: "/memfd:payload (deleted)"},
		{start: "0xa", end: "0xb", perms: "r--p", offset: -1, device: "08:01", path: "/odd"},
		{start: "0xa", end: "0xb", perms: "r--p", offset: -1, device: "08:01", inodeOK: true},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(procMapRegion{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if bad != 3 {
		t.Errorf("bad = %d, want 3", bad)
	}
}

func TestParseProcMapsLongLine(t *testing.T) {
	in := "1-2 r--p 0 00:00 1 /" + strings.Repeat("x", 2*maxProcMapsLine) + "\n"
	if _, _, err := parseProcMaps(strings.NewReader(in)); err == nil {
		t.Error("an over-long line gave no error")
	}
}

func FuzzParseProcMaps(f *testing.F) {
	f.Add("55d0c2a00000-55d0c2a0c000 r--p 00000000 08:01 1050234                    /usr/sbin/sshd\n")
	f.Add("7f1e2c000000-7f1e2c021000 rw-p 00000000 00:00 0 \n-- a b c d e f\n")
	f.Fuzz(func(t *testing.T, in string) {
		regions, _, _ := parseProcMaps(strings.NewReader(in))
		for _, m := range regions {
			if !strings.HasPrefix(m.start, "0x") || !strings.HasPrefix(m.end, "0x") {
				t.Errorf("bad range %q-%q", m.start, m.end)
			}
		}
	})
}
