package tables

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRlimits(t *testing.T) {
	var b []byte
	b = binary.LittleEndian.AppendUint64(b, 1024)
	b = binary.LittleEndian.AppendUint64(b, ^uint64(0))
	got, err := parseRlimits(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]rlimit{{1024, ^uint64(0)}}, got, cmp.AllowUnexported(rlimit{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range [][]byte{make([]byte, 15), make([]byte, 17), make([]byte, 65*16)} {
		if _, err := parseRlimits(bad); err == nil {
			t.Errorf("parseRlimits(%d bytes) did not fail", len(bad))
		}
	}
	if got, err := parseRlimits(nil); err != nil || len(got) != 0 {
		t.Errorf("empty: %v, %v", got, err)
	}
}

func TestFormatRlimit(t *testing.T) {
	tests := map[uint64]string{0: "0", 1024: "1024", ^uint64(0): "unlimited", 1 << 63: "9223372036854775808"}
	for in, want := range tests {
		if got := formatRlimit(in); got != want {
			t.Errorf("formatRlimit(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestUlimitInfoShortDump(t *testing.T) {
	var b []byte
	for i := 0; i < 5; i++ { // cpu fsize data stack core
		b = binary.LittleEndian.AppendUint64(b, uint64(i))
		b = binary.LittleEndian.AppendUint64(b, ^uint64(0))
	}
	dir := sysWriteTree(t, map[string]string{".kernel/rlimits": string(b)})
	rows := sysQuery(t, sysRoot(dir), "SELECT * FROM ulimit_info")
	want := []map[string]any{
		{"type": "core", "soft_limit": "4", "hard_limit": "unlimited"},
		{"type": "cpu", "soft_limit": "0", "hard_limit": "unlimited"},
		{"type": "data", "soft_limit": "2", "hard_limit": "unlimited"},
		{"type": "fsize", "soft_limit": "1", "hard_limit": "unlimited"},
		{"type": "stack", "soft_limit": "3", "hard_limit": "unlimited"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLiveRlimitsParse(t *testing.T) {
	b, err := liveRlimits()
	if err != nil {
		t.Skip(err)
	}
	l, err := parseRlimits(b)
	if err != nil || len(l) != 16 {
		t.Fatalf("%d limits, %v", len(l), err)
	}
}

func FuzzParseRlimits(f *testing.F) {
	f.Add(make([]byte, 16*16))
	f.Fuzz(func(t *testing.T, b []byte) {
		if l, err := parseRlimits(b); err == nil {
			for _, x := range l {
				formatRlimit(x.cur)
			}
		}
	})
}
