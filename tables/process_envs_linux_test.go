package tables

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseProcEnviron(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []procEnvVar
	}{
		{"empty", "", nil},
		{"two", "HOME=/\x00TERM=linux\x00", []procEnvVar{{"HOME", "/"}, {"TERM", "linux"}}},
		{"no trailing NUL", "A=1\x00B=2", []procEnvVar{{"A", "1"}, {"B", "2"}}},
		{"value with =", "OPTS=a=b=c\x00", []procEnvVar{{"OPTS", "a=b=c"}}},
		{"empty value and key", "EMPTY=\x00=x\x00", []procEnvVar{{"EMPTY", ""}, {"", "x"}}},
		{"no = gives the entry twice, as osquery", "JUNK\x00A=1\x00", []procEnvVar{{"JUNK", "JUNK"}, {"A", "1"}}},
		{"stops at an empty entry", "A=1\x00\x00B=2\x00", []procEnvVar{{"A", "1"}}},
		{"high bytes kept", "N=caf\xc3\xa9\x00\xffX=\xfe\x00", []procEnvVar{{"N", "caf\xc3\xa9"}, {"\xffX", "\xfe"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseProcEnviron([]byte(tt.in))
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(procEnvVar{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseProcEnviron(f *testing.F) {
	f.Add([]byte("HOME=/\x00TERM=linux\x00"))
	f.Add([]byte("JUNK\x00\x00=\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, v := range parseProcEnviron(b) {
			if len(v.key)+len(v.value) > 2*len(b) {
				t.Fatalf("variable longer than its input: %q", v)
			}
		}
	})
}
