package tables

import (
	"bytes"
	"testing"
)

// sysUnameBytes builds the uname byte format from six field values.
func sysUnameBytes(fields ...string) []byte {
	var b []byte
	for _, f := range fields {
		field := make([]byte, unameFieldLen)
		copy(field, f)
		b = append(b, field...)
	}
	return b
}

func TestParseUname(t *testing.T) {
	good := sysUnameBytes("Linux", "host", "6.1.0", "#1 SMP", "x86_64", "(none)")
	full := bytes.Repeat([]byte{'a'}, unameSize) // no NUL terminators
	tests := []struct {
		name    string
		in      []byte
		machine string
		wantErr bool
	}{
		{"good", good, "x86_64", false},
		{"empty", nil, "", true},
		{"short", good[:200], "", true},
		{"long", append(append([]byte(nil), good...), 0), "", true},
		{"unterminated", full, "", true},
		{"not utf8", sysUnameBytes("Linux", "h\xff", "", "", "x86_64", ""), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := parseUname(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if u.Machine != tt.machine {
				t.Errorf("machine = %q, want %q", u.Machine, tt.machine)
			}
		})
	}
	u, _ := parseUname(good)
	if u.Sysname != "Linux" || u.Nodename != "host" || u.Release != "6.1.0" || u.Version != "#1 SMP" || u.Domainname != "(none)" {
		t.Errorf("parseUname = %+v", u)
	}
}

func TestLiveUnameParses(t *testing.T) {
	b, err := liveUname()
	if err != nil {
		t.Skip(err)
	}
	if _, err := parseUname(b); err != nil {
		t.Fatal(err)
	}
}

func FuzzParseUname(f *testing.F) {
	f.Add(sysUnameBytes("Linux", "host", "6.1.0", "#1 SMP", "x86_64", "(none)"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		parseUname(b)
	})
}
