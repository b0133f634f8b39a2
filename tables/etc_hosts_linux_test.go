package tables

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEtcSplit(t *testing.T) {
	tests := []struct {
		in, delims string
		want       []string
	}{
		{"", " ", nil},
		{"a  b\tc", "\t ", []string{"a", "b", "c"}},
		{" a ", "\t ", []string{"a"}},
		{"a#b # c#", "#", []string{"a", "b", "c"}},
		{"a# ", "#", []string{"a", ""}}, // a blank piece survives as ""
		{"x\r\ny\n\n", "\n", []string{"x", "y"}},
		{"a\vb", " ", []string{"a\vb"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, etcSplit(tt.in, tt.delims)); diff != "" {
			t.Errorf("etcSplit(%q, %q) (-want +got):\n%s", tt.in, tt.delims, diff)
		}
	}
}

func TestParseEtcHosts(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []etcHostsEntry
		skipped int
	}{
		{name: "empty", in: ""},
		{name: "comments and blanks", in: "# c\n\n   # indented\n\t\n"},
		{
			name: "entries",
			in:   "127.0.0.1\tlocalhost\n::1  localhost ip6-localhost\r\n10.0.0.5 db  db.internal # note #x\n192.0.2.1\n192.0.2.2 #only a comment\n",
			want: []etcHostsEntry{
				{"127.0.0.1", "localhost", true},
				{"::1", "localhost ip6-localhost", true},
				{"10.0.0.5", "db db.internal", true},
				{"192.0.2.1", "", false},
				{"192.0.2.2", "", true},
			},
		},
		{name: "not UTF-8", in: "10.0.0.1 a\xff\n10.0.0.2 b\n", want: []etcHostsEntry{{"10.0.0.2", "b", true}}, skipped: 1},
		{name: "no newline at end", in: "1.2.3.4 x", want: []etcHostsEntry{{"1.2.3.4", "x", true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, skipped := parseEtcHosts(tt.in)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(etcHostsEntry{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if skipped != tt.skipped {
				t.Errorf("skipped = %d, want %d", skipped, tt.skipped)
			}
		})
	}
}

func FuzzParseEtcHosts(f *testing.F) {
	f.Add("127.0.0.1 localhost\n# c\n::1 a b # c\n")
	f.Add("\x00\xff #\n\v\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		entries, _ := parseEtcHosts(s)
		for _, e := range entries {
			if e.address == "" && len(s) == 0 {
				t.Fatal("entry from empty input")
			}
		}
	})
}
