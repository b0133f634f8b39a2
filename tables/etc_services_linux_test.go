package tables

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/table"
)

func TestParseEtcServices(t *testing.T) {
	in := "# comment\n" +
		"ssh\t\t22/tcp\t\t\t\t# SSH Remote Login Protocol\n" +
		"discard\t\t9/tcp\t\tsink null\n" +
		"kerberos 88/tcp kerberos5 krb5 # Kerberos v5 # two\n" +
		"empty 1/tcp # \t# x\n" +
		"brokenline\n" +
		"noproto 99\n" +
		"toomany 1/tcp/x\n" +
		"badport xx/udp\n" +
		"  # indented comment\n" +
		"bad\xff 2/tcp\n"
	want := []etcService{
		{name: "ssh", port: "22", protocol: "tcp", aliases: "", comment: "SSH Remote Login Protocol", hasComment: true},
		{name: "discard", port: "9", protocol: "tcp", aliases: "sink null"},
		{name: "kerberos", port: "88", protocol: "tcp", aliases: "kerberos5 krb5", comment: "Kerberos v5 # two", hasComment: true},
		{name: "empty", port: "1", protocol: "tcp", comment: " # x", hasComment: true}, // a blank piece stays
		{name: "badport", port: "xx", protocol: "udp"},
	}
	got, skipped := parseEtcServices(in)
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(etcService{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if skipped != 1 {
		t.Errorf("skipped = %d, want 1", skipped)
	}
}

func TestEtcInteger(t *testing.T) {
	tests := []struct {
		in   string
		want table.Value
	}{
		{"22", table.Int(22)},
		{"010", table.Int(8)},
		{"0x1F", table.Int(31)},
		{"-3", table.Int(-3)},
		{" 7", table.Int(7)},
		{"0", table.Int(0)},
		{"xx", table.Null},
		{"", table.Null},
		{"08", table.Null},
		{"1_0", table.Null},
		{"12a", table.Null},
		{"0x", table.Null},
		{"99999999999999999999", table.Null},
		{"4294967297", table.Int(1)}, // sqlite3_result_int keeps 32 bits
	}
	for _, tt := range tests {
		if got := etcInteger(tt.in); got != tt.want {
			t.Errorf("etcInteger(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseEtcServices(f *testing.F) {
	f.Add("ssh 22/tcp # c\nhttp 80/tcp www\n")
	f.Add("a b/c/d\n#\n x 1/ #\xff")
	f.Fuzz(func(t *testing.T, s string) {
		services, _ := parseEtcServices(s)
		for _, sv := range services {
			etcInteger(sv.port)
			if sv.name == "" && sv.protocol == "" {
				t.Fatalf("empty service from %q", s)
			}
		}
	})
}
