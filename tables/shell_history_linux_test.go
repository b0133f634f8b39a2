package tables

import (
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

func TestParseShellHistory(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []shellHistoryEntry
	}{
		{"plain", "ls\ncd /tmp\n", []shellHistoryEntry{{"0", "ls"}, {"0", "cd /tmp"}}},
		{"no final newline", "ls\nexit", []shellHistoryEntry{{"0", "ls"}, {"0", "exit"}}},
		{"blank lines are entries", "a\n\nb\n", []shellHistoryEntry{{"0", "a"}, {"0", ""}, {"0", "b"}}},
		{"bash timestamps", "#1700000000\nmake\n#1700000100\n#1700000200\nx\n", []shellHistoryEntry{
			{"1700000000", "make"}, {"1700000100", "#1700000200"}, {"0", "x"}}},
		{"bash timestamp with text", "#17000 trailing\n", []shellHistoryEntry{{"0", "#17000 trailing"}}},
		{"timestamp at end", "ls\n#1700000000\n", []shellHistoryEntry{{"0", "ls"}}},
		{"timestamp then blank", "#5\n\n", []shellHistoryEntry{{"5", ""}}},
		{"zsh extended", ": 1700000000:0;git status\n:  1700000001:12;ssh host\n", []shellHistoryEntry{
			{"1700000000", "git status"}, {"1700000001", "ssh host"}}},
		{"zsh multi-line", ": 1700000000:0;for f in *; do\\\necho $f\\\ndone\n", []shellHistoryEntry{
			{"1700000000", "for f in *; do\\"}, {"0", "echo $f\\"}, {"0", "done"}}},
		{"zsh too many digits", ": 123456789012:0;x\n", []shellHistoryEntry{{"0", ": 123456789012:0;x"}}},
		{"zsh with CR", ": 1700000000:0;x\r\n", []shellHistoryEntry{{"0", ": 1700000000:0;x\r"}}},
		{"zsh empty command", ": 1700000000:0;\n", []shellHistoryEntry{{"1700000000", ""}}},
		{"zsh without space", ":1700000000:0;x\n", []shellHistoryEntry{{"1700000000", "x"}}},
		{"not zsh", ": 17000a:0;x\n", []shellHistoryEntry{{"0", ": 17000a:0;x"}}},
		{"binary", "\x00\xff\xfe\n", []shellHistoryEntry{{"0", "\x00\xff\xfe"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []shellHistoryEntry
			err := parseShellHistory(iotest.OneByteReader(strings.NewReader(tt.in)), func(e shellHistoryEntry) bool {
				got = append(got, e)
				return true
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("(-got +want):\n%s", diff)
			}
		})
	}
}

func TestParseShellHistoryLongLine(t *testing.T) {
	in := strings.Repeat("x", shellHistoryMaxLine+100) + "\nnext\n"
	var got []shellHistoryEntry
	if err := parseShellHistory(strings.NewReader(in), func(e shellHistoryEntry) bool { got = append(got, e); return true }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got[0].Command) != shellHistoryMaxLine || got[1].Command != "next" {
		t.Fatalf("got %d entries, first %d bytes", len(got), len(got[0].Command))
	}
}

func FuzzParseShellHistory(f *testing.F) {
	f.Add("#1700000000\nls\n: 1700000000:0;x\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		n := 0
		err := parseShellHistory(strings.NewReader(s), func(e shellHistoryEntry) bool {
			n++
			if e.Time == "" || strings.Trim(e.Time, "0123456789") != "" {
				t.Fatalf("bad time %q", e.Time)
			}
			acctInteger(e.Time)
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		if n > strings.Count(s, "\n")+1 {
			t.Fatalf("%d entries from %d lines", n, strings.Count(s, "\n")+1)
		}
	})
}
