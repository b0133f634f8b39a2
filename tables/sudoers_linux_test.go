package tables

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSudoers(t *testing.T) {
	in := "# comment\n" +
		"Defaults\tenv_reset\n" +
		"  Defaults:%sudo   env_keep += \"EDITOR\"  \n" +
		"\n" +
		"Cmnd_Alias PKG = /usr/bin/apt, \\\n" +
		"   /usr/bin/dpkg, \\\n" +
		"\t/usr/bin/snap\n" +
		"Defaults\\\n" +
		"  !lecture\n" +
		"root ALL=(ALL:ALL) ALL\n" +
		"#includedir\n" +
		"#include   \n" +
		"@includedir /etc/sudoers.d\n" +
		"#include sudoers.local\n" +
		"@include ../other\n" +
		"#Defaults commented out \\\n" +
		"alice ALL=(ALL) ALL\n" +
		"bob ALL=(ALL) \\\n" +
		"#includedir /not/followed\n" +
		"lonely\n" +
		"trailing ALL \\"
	var rules []sudoersRule
	var incs []sudoersInclude
	parseSudoers("/etc/sudoers", []byte(in), &rules, func(i sudoersInclude) { incs = append(incs, i) })
	s := func(h, d string) sudoersRule { return sudoersRule{Source: "/etc/sudoers", Header: h, Details: d} }
	want := []sudoersRule{
		s("Defaults", "env_reset"),
		s("Defaults:%sudo", "env_keep += \"EDITOR\""),
		s("Cmnd_Alias", "PKG = /usr/bin/apt, /usr/bin/dpkg, /usr/bin/snap"),
		s("Defaults", "!lecture"),
		s("root", "ALL=(ALL:ALL) ALL"),
		s("@includedir", "/etc/sudoers.d"),
		s("#include", "sudoers.local"),
		s("@include", "../other"),
		s("alice", "ALL=(ALL) ALL"),
		s("bob", "ALL=(ALL) #includedir /not/followed"),
		s("lonely", ""),
		s("trailing", "ALL \\"),
	}
	if diff := cmp.Diff(rules, want); diff != "" {
		t.Errorf("rules (-got +want):\n%s", diff)
	}
	wantIncs := []sudoersInclude{
		{Path: "/etc/sudoers.d", Dir: true},
		{Path: "/etc/sudoers.local"},
		{Path: "/etc/../other"},
	}
	if diff := cmp.Diff(incs, wantIncs); diff != "" {
		t.Errorf("includes (-got +want):\n%s", diff)
	}
}

func FuzzParseSudoers(f *testing.F) {
	f.Add("Defaults env_reset\nroot ALL=(ALL) ALL\n")
	f.Add("a \\\n\\\n\\\n#include x\n@includedir\n")
	f.Fuzz(func(t *testing.T, s string) {
		var rules []sudoersRule
		parseSudoers("/etc/sudoers", []byte(s), &rules, func(i sudoersInclude) {
			if i.Path == "" {
				t.Fatal("empty include path")
			}
		})
		for _, r := range rules {
			if r.Source != "/etc/sudoers" {
				t.Fatalf("bad rule %+v", r)
			}
		}
	})
}
