package tables

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/osaudit/osaudit/hostfs"
)

func TestFormatIfaceMAC(t *testing.T) {
	tests := map[string]string{
		"08:00:27:4e:66:a1\n": "08:00:27:4e:66:a1",
		"08:00:27:4E:66:A1":   "08:00:27:4e:66:a1",
		"":                    "00:00:00:00:00:00",
		"\n":                  "00:00:00:00:00:00",
		"0a:0b\n":             "0a:0b:00:00:00:00",
		"00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:01\n": "00:00:00:00:00:00", // infiniband: first six bytes
		"zz:00:00:00:00:00": "00:00:00:00:00:00",
		"123:00":            "00:00:00:00:00:00",
	}
	for in, want := range tests {
		if got := formatIfaceMAC([]byte(in)); got != want {
			t.Errorf("formatIfaceMAC(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseIfaceSpeed(t *testing.T) {
	tests := map[string]int64{"1000\n": 1000, "-1\n": 0, "4294967295\n": 0, "": 0, "fast": 0, "100000": 100000}
	for in, want := range tests {
		if got := parseIfaceSpeed([]byte(in)); got != want {
			t.Errorf("parseIfaceSpeed(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestParseNetSysUint(t *testing.T) {
	tests := []struct {
		in   string
		base int
		want uint64
		ok   bool
	}{
		{"0x1003\n", 16, 0x1003, true},
		{"1003", 16, 0x1003, true},
		{"0x", 16, 0, false},
		{"42\n", 10, 42, true},
		{"-1\n", 10, 0, false},
		{"", 10, 0, false},
	}
	for _, tt := range tests {
		got, ok := parseNetSysUint([]byte(tt.in), tt.base)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseNetSysUint(%q, %d) = %d, %v; want %d, %v", tt.in, tt.base, got, ok, tt.want, tt.ok)
		}
	}
}

func TestInterfaceLinkFlags(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(dir, "sys/class/net", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("up/operstate", "up\n")
	write("up/carrier", "1\n")
	write("nocarrier/operstate", "down\n")
	write("nocarrier/carrier", "0\n")
	write("dormant/operstate", "dormant\n")
	write("dormant/carrier", "1\n")
	root := hostfs.Dir(dir)
	tests := []struct {
		name  string
		flags uint64
		want  uint64
	}{
		{"up", 0x1003, 0x1003 | iffRunning | iffLowerUp},
		{"up", 0x1002, 0x1002},                           // administratively down
		{"up", 0x1002 | iffRunning | iffLowerUp, 0x1002}, // stale operational bits cleared
		{"nocarrier", 0x1003, 0x1003},
		{"dormant", 0x1003, 0x1003 | iffDormant | iffLowerUp},
		{"missing", 0x9, 0x9},
	}
	for _, tt := range tests {
		if got := interfaceLinkFlags(root, sysNetClassDir+tt.name+"/", tt.flags); got != tt.want {
			t.Errorf("%s %#x: got %#x, want %#x", tt.name, tt.flags, got, tt.want)
		}
	}
}

func TestParseIfInet6Names(t *testing.T) {
	in := "20010db8001000000000000000000015 02 40 00 00     eth0\n" +
		"00000000000000000000000000000001 01 80 10 80       lo\n" +
		"fe800000000000000a0027fffe4e66a1 zz 40 20 80     eth9\n" +
		"short line\n"
	got := parseIfInet6Names(strings.NewReader(in))
	if len(got) != 2 || got[2] != "eth0" || got[1] != "lo" {
		t.Errorf("got %v", got)
	}
}

func FuzzFormatIfaceMAC(f *testing.F) {
	f.Add([]byte("08:00:27:4e:66:a1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got := formatIfaceMAC(b); len(got) != 17 {
			t.Errorf("formatIfaceMAC(%q) = %q", b, got)
		}
	})
}
