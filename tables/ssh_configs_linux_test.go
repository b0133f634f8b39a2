package tables

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSSHConfig(t *testing.T) {
	in := "# top\nUser Alice\n\nHost Bastion *.Example.COM\n  Port 2222\n\tIdentityFile ~/.ssh/ID_rsa\n" +
		"Match host x exec \"true\"\n  ForwardAgent yes\nHost=other\nHostName h\n  # indented comment\nHost\n  Include conf.d/*\nhost\tTabbed\n  X y\n"
	o := func(b, opt string) sshConfigOption { return sshConfigOption{Block: b, Option: opt} }
	want := []sshConfigOption{
		o("", "user alice"),
		o("host bastion *.example.com", "port 2222"),
		o("host bastion *.example.com", "identityfile ~/.ssh/id_rsa"),
		o("match host x exec \"true\"", "forwardagent yes"),
		o("match host x exec \"true\"", "host=other"),
		o("match host x exec \"true\"", "hostname h"),
		o("match host x exec \"true\"", "host"),
		o("match host x exec \"true\"", "include conf.d/*"),
		o("match host x exec \"true\"", "host\ttabbed"),
		o("match host x exec \"true\"", "x y"),
	}
	if diff := cmp.Diff(parseSSHConfig([]byte(in)), want); diff != "" {
		t.Errorf("parseSSHConfig (-got +want):\n%s", diff)
	}
}

func TestSSHConfigLower(t *testing.T) {
	if got := sshConfigLower("HostName ÉCOLE\xffX"); got != "hostname \xc3\x89cole\xffx" {
		t.Errorf("got %q", got)
	}
}

func FuzzParseSSHConfig(f *testing.F) {
	f.Add("Host a\n Port 22\nMatch all\n User b\n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, o := range parseSSHConfig([]byte(s)) {
			if o.Option == "" || o.Option[0] == '#' || strings.ToLower(o.Option) != o.Option && sshConfigIsASCII(o.Option) {
				t.Fatalf("bad option %+v", o)
			}
		}
	})
}

func sshConfigIsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
