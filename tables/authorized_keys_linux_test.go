package tables

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAuthorizedKeys(t *testing.T) {
	p := func(s string) *string { return &s }
	type row struct{ Algorithm, Key, Options, Comment *string }
	in := "# comment\n" +
		"ssh-ed25519 AAAAkey1 alice@host\n" +
		"ssh-rsa AAAAkey2\n" +
		"  from=\"10.0.0.1\",no-pty  ecdsa-sha2-nistp256\tAAAAkey3  two  words \r\n" +
		"command=\"echo ssh-rsa\" ssh-ed25519 AAAAkey4 c\n" +
		"command=\"ssh-rsa x\" ssh-ed25519 AAAAkey6 c\n" +
		"sk-ssh-ed25519@openssh.com AAAAsk yubikey\n" +
		"ssh-dss AAAAdss old\n" +
		"ssh-rsa\n" +
		"ecdsa-sha2-nistp521 AAAAkey5 comment mentioning ssh-rsa too\n" +
		"zos-key-ring-label=\"RING LABEL\"\n" +
		"no-pty, zos-key-ring-label=\"R2\"\n" +
		"not a key at all\n" +
		"\n   \n"
	var got []row
	for _, k := range parseAuthorizedKeys([]byte(in)) {
		got = append(got, row(k))
	}
	want := []row{
		{p("ssh-ed25519"), p("AAAAkey1"), nil, p("alice@host")},
		{p("ssh-rsa"), p("AAAAkey2"), nil, nil},
		{p("ecdsa-sha2-nistp256"), p("AAAAkey3"), p("from=\"10.0.0.1\",no-pty"), p("two  words")},
		{p("ssh-ed25519"), p("AAAAkey4"), p("command=\"echo ssh-rsa\""), p("c")},
		// osquery takes the first known type found anywhere in the line,
		// "ssh-rsa" inside the options here, as long as a blank follows.
		{p("ssh-rsa"), p("x\""), p("command=\""), p("ssh-ed25519 AAAAkey6 c")},
		{p("ssh-rsa"), p("too"), p("ecdsa-sha2-nistp521 AAAAkey5 comment mentioning"), nil},
		{nil, nil, p("zos-key-ring-label=\"RING LABEL\""), nil},
		{nil, nil, p("no-pty, zos-key-ring-label=\"R2\""), nil},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("parseAuthorizedKeys (-got +want):\n%s", diff)
	}
}

func FuzzParseAuthorizedKeys(f *testing.F) {
	f.Add("ssh-ed25519 AAAA c\nfrom=\"x\" ssh-rsa AAAA\n")
	f.Add("zos-key-ring-label=x\nssh-rsa\tk\tc d\n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range parseAuthorizedKeys([]byte(s)) {
			if k.Algorithm == nil && k.Options == nil {
				t.Fatalf("row with neither key nor options: %+v", k)
			}
			if k.Algorithm != nil && (k.Key == nil || *k.Key == "") {
				t.Fatalf("key row without key: %+v", k)
			}
		}
	})
}
