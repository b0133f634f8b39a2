package tables

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseProcNetArp(t *testing.T) {
	in := "IP address       HW type     Flags       HW address            Mask     Device\n" +
		"10.0.2.2         0x1         0x2         52:54:00:12:35:02     *        eth0\n" +
		"10.0.2.50        0x1         0x6         08:00:27:aa:bb:cc     *        eth0\n" +
		"10.0.2.51        0x1         0xe         08:00:27:aa:bb:cd     *        eth0\n" +
		"172.17.0.2\t0x1\t0x0\t00:00:00:00:00:00\t*\tdocker0\n" +
		"\n" +
		"10.0.2.99        0x1         0x2         truncated-line\n" +
		"10.0.2.98        0x1         0x2         52:54:00:12:35:02     *        eth0 extra\n"
	got, bad, err := parseProcNetArp(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []arpEntry{
		{"10.0.2.2", "52:54:00:12:35:02", "eth0", "0"},
		{"10.0.2.50", "08:00:27:aa:bb:cc", "eth0", "1"},
		{"10.0.2.51", "08:00:27:aa:bb:cd", "eth0", "0"}, // osquery tests for exactly 0x6
		{"172.17.0.2", "00:00:00:00:00:00", "docker0", "0"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(arpEntry{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if bad != 2 {
		t.Errorf("bad = %d, want 2", bad)
	}
	if got, _, err := parseProcNetArp(strings.NewReader("")); err != nil || len(got) != 0 {
		t.Errorf("empty file: %v, %v", got, err)
	}
}

func FuzzParseProcNetArp(f *testing.F) {
	f.Add("IP address HW type Flags HW address Mask Device\n10.0.2.2 0x1 0x2 52:54:00:12:35:02 * eth0\n")
	f.Fuzz(func(t *testing.T, in string) {
		entries, _, _ := parseProcNetArp(strings.NewReader(in))
		for _, e := range entries {
			if e.permanent != "0" && e.permanent != "1" {
				t.Errorf("permanent = %q", e.permanent)
			}
		}
	})
}
