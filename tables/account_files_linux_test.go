package tables

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/table"
)

func TestAcctSplitLines(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"\n\n", nil},
		{"a\nb", []string{"a", "b"}},
		{"  a \r\n\tb\v\n \n", []string{"a", "b", ""}},
		{"x\n\ny\n", []string{"x", "y"}},
	}
	for _, tt := range tests {
		got := acctSplitLines([]byte(tt.in))
		if diff := cmp.Diff(got, tt.want); diff != "" {
			t.Errorf("acctSplitLines(%q) (-got +want):\n%s", tt.in, diff)
		}
	}
}

func TestAcctInteger(t *testing.T) {
	tests := []struct {
		in   string
		want table.Value
	}{
		{"0", table.Int(0)},
		{"1768462950", table.Int(1768462950)},
		{"010", table.Int(8)},        // strtol base 0: octal
		{"089", table.Null},          // not octal
		{"4294967296", table.Int(0)}, // C int wraps
		{"2147483648", table.Int(-2147483648)},
		{"99999999999999999999", table.Null}, // overflows long
		{"", table.Null},
	}
	for _, tt := range tests {
		if got := acctInteger(tt.in); got != tt.want {
			t.Errorf("acctInteger(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestAcctHomeFile(t *testing.T) {
	tests := []struct{ home, rel, want string }{
		{"/home/alice", ".ssh/config", "/home/alice/.ssh/config"},
		{"/home/alice/", ".ssh/config", "/home/alice/.ssh/config"},
		{"/", ".bash_history", "/.bash_history"},
		{"", ".bash_history", ".bash_history"},
	}
	for _, tt := range tests {
		if got := acctHomeFile(tt.home, tt.rel); got != tt.want {
			t.Errorf("acctHomeFile(%q, %q) = %q, want %q", tt.home, tt.rel, got, tt.want)
		}
	}
}
