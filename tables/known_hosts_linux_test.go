package tables

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseKnownHosts(t *testing.T) {
	in := "# comment\n|1|salt|hash ssh-ed25519 AAAA\n\n  host,1.2.3.4 ssh-rsa AAAB  \r\n@revoked * ssh-rsa AAAC\n   \n#x"
	want := []string{"|1|salt|hash ssh-ed25519 AAAA", "host,1.2.3.4 ssh-rsa AAAB", "@revoked * ssh-rsa AAAC"}
	if diff := cmp.Diff(parseKnownHosts([]byte(in)), want); diff != "" {
		t.Errorf("parseKnownHosts (-got +want):\n%s", diff)
	}
}

func FuzzParseKnownHosts(f *testing.F) {
	f.Add("host ssh-rsa AAAA\n# c\n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, l := range parseKnownHosts([]byte(s)) {
			if l == "" || l[0] == '#' {
				t.Fatalf("bad line %q", l)
			}
		}
	})
}
