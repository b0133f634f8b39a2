package tables

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseShadowLine(t *testing.T) {
	tests := []struct {
		line string
		want shadowEntry
		ok   bool
	}{
		{"root:$y$j9T$abc:19700:0:99999:7:::", shadowEntry{Name: "root", Password: "$y$j9T$abc", LastChange: 19700, Min: 0, Max: 99999, Warn: 7, Inactive: -1, Expire: -1}, true},
		{"sshd:!:19701::::::", shadowEntry{Name: "sshd", Password: "!", LastChange: 19701, Min: -1, Max: -1, Warn: -1, Inactive: -1, Expire: -1}, true},
		{"a:x:1:2:3:4:5:6:7", shadowEntry{Name: "a", Password: "x", LastChange: 1, Min: 2, Max: 3, Warn: 4, Inactive: 5, Expire: 6, Flag: 7, FlagSet: true}, true},
		// The old form: the line ends after max.
		{"old:*:1:2:3", shadowEntry{Name: "old", Password: "*", LastChange: 1, Min: 2, Max: 3, Warn: -1, Inactive: -1, Expire: -1}, true},
		{"old:*:1:2:3:", shadowEntry{Name: "old", Password: "*", LastChange: 1, Min: 2, Max: 3, Warn: -1, Inactive: -1, Expire: -1}, true},
		// Numbers are C ints read by strtoul.
		{"n:x:4294967295:-1:+5:7:::", shadowEntry{Name: "n", Password: "x", LastChange: -1, Min: -1, Max: 5, Warn: 7, Inactive: -1, Expire: -1}, true},
		{"n:x:99999999999:0:0:0:::", shadowEntry{Name: "n", Password: "x", LastChange: -1, Warn: 0, Inactive: -1, Expire: -1}, true},
		{"f:x:1:2:3:4:5:6:4294967295", shadowEntry{Name: "f", Password: "x", LastChange: 1, Min: 2, Max: 3, Warn: 4, Inactive: 5, Expire: 6, Flag: 4294967295, FlagSet: true}, true},
		// Lines glibc rejects.
		{"short:x:1:2:", shadowEntry{}, false},
		{"short:x", shadowEntry{}, false},
		{"short:x::", shadowEntry{}, false},
		{"bad:x:abc:0:0:0:::", shadowEntry{}, false},
		{"mid:x:1:2:3:4:", shadowEntry{}, false},
		{"flag:x:1:2:3:4:5:6:7:8", shadowEntry{}, false},
		{"crlf:x:1:2:3:4:5:6:\r", shadowEntry{}, false},
	}
	for _, tt := range tests {
		got, ok := parseShadowLine(tt.line)
		if ok != tt.ok {
			t.Errorf("parseShadowLine(%q) ok = %v, want %v", tt.line, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if diff := cmp.Diff(got, tt.want); diff != "" {
			t.Errorf("parseShadowLine(%q) (-got +want):\n%s", tt.line, diff)
		}
	}
}

func TestParseShadowSkips(t *testing.T) {
	in := "# comment\n\n   \n+nis::::::::\n-gone\n  alice:x:1:2:3::::\nbad\n"
	got, err := parseShadow(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "alice" {
		t.Fatalf("got %+v, want alice only", got)
	}
}

func TestShadowPasswordStatus(t *testing.T) {
	tests := []struct{ pw, status, alg string }{
		{"$6$salt$hash", "active", "6"},
		{"$y$j9T$salt$hash", "active", "y"},
		{"$2b$10$abcdefghijklmnopqrstuv", "active", "2b"},
		{"$argon2id$v=19$m=65536$x", "active", "argon2id"},
		{"!$6$salt$hash", "locked", ""},
		{"!", "locked", ""},
		{"*", "locked", ""},
		{"x", "locked", ""},
		{"!!", "not_set", ""},
		{"", "empty", ""},
		{"plaintext", "active", ""},
		{"$$", "active", ""},
		{"$6", "active", ""},
		{"$a-b$c", "active", ""},
	}
	for _, tt := range tests {
		if got := shadowPasswordStatus(tt.pw); got != tt.status {
			t.Errorf("shadowPasswordStatus(%q) = %q, want %q", tt.pw, got, tt.status)
		}
		alg, ok := shadowHashAlg(tt.pw)
		if ok != (tt.alg != "") || alg != tt.alg {
			t.Errorf("shadowHashAlg(%q) = %q, %v; want %q", tt.pw, alg, ok, tt.alg)
		}
	}
}

func FuzzParseShadow(f *testing.F) {
	f.Add("root:$6$x$y:19700:0:99999:7:::\n")
	f.Add("a:b:1:2:3\nc:d:-1:+2: 3:4:5:6:7\n")
	f.Fuzz(func(t *testing.T, s string) {
		entries, _ := parseShadow(strings.NewReader(s))
		for _, e := range entries {
			for _, v := range []int64{e.LastChange, e.Min, e.Max, e.Warn, e.Inactive, e.Expire} {
				if v < -1<<31 || v > 1<<31-1 {
					t.Fatalf("field out of int range: %+v", e)
				}
			}
			shadowPasswordStatus(e.Password)
			shadowHashAlg(e.Password)
		}
	})
}
